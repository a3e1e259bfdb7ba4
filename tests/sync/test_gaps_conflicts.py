"""Out-of-order packages are held and released; rows changed in two places become visible conflicts."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from models import Member, SyncHeld
from services.db import Database, current_seq, open_database
from services.sync import state
from services.sync.ack import apply_ack, read_ack, write_ack
from services.sync.conflicts import list_conflicts, resolve
from services.sync.errors import AckInvalid, SyncError
from services.sync.receiver import import_package
from tests.sync.conftest import Town, content, set_device, snapshot, touch_member


def _first_member(db: Database) -> str:
    with db.reader() as s:
        member_id = s.scalars(select(Member.id).order_by(Member.id)).first()
    assert member_id is not None
    return member_id


def _mark_acked(town: Town) -> None:
    with town.db.transaction() as s:
        state.put(s, state.ACKED_SEQ, str(current_seq(s)))


def test_out_of_order_package_is_held_then_applied(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01")
    t.enroll(county)
    first = t.export(usb)
    import_package(county, first.path)
    member_id = _first_member(t.db)
    _mark_acked(t)
    touch_member(t.db, member_id, phone="1")
    middle = t.export(tmp_path)  # this one will arrive late
    _mark_acked(t)  # (as if its acknowledgement had come back)
    touch_member(t.db, member_id, notes="备注")
    late_dir = tmp_path / "later"
    late_dir.mkdir()
    last = t.export(late_dir)
    assert last.seq_from == middle.seq_to + 1

    before = snapshot(county)
    held = import_package(county, last.path)
    assert held.status == "held"
    assert f"缺该设备第 {first.seq_to + 1}–{last.seq_from - 1} 号" in held.message
    with county.reader() as s:
        assert [h.package_id for h in s.scalars(select(SyncHeld))] == [held.package_id]
    changed = {k: v for k, v in snapshot(county).items() if before.get(k) != v}
    # nothing but the note that it is held (and the audit entry saying so)
    assert set(changed) <= {"sync_held", "audit_log", "audit_head"} and changed["sync_held"] == 1
    assert import_package(county, last.path).status == "held"  # again: still only held

    done = import_package(county, middle.path)
    assert done.status == "imported"
    assert [r.status for r in done.released] == ["imported"]
    with county.reader() as s:
        assert s.scalars(select(SyncHeld)).all() == []
        m = s.get(Member, member_id)
        assert m is not None and m.phone == "1" and m.notes == "备注"
    assert content(county)["member"] == content(t.db)["member"]


def _second_laptop(t: Town, tmp_path: Path) -> Town:
    """A copy of the township database on another machine: same rows, its own device id and key."""
    folder = tmp_path / "laptop2"
    folder.mkdir()
    t.db.close()
    shutil.copyfile(t.folder / "ledger.sqlite", folder / "ledger.sqlite")
    t.db = open_database(t.folder / "ledger.sqlite")
    copy = Town(
        code=t.code,
        db=open_database(folder / "ledger.sqlite"),
        key=Ed25519PrivateKey.generate(),
        folder=folder,
    )
    set_device(copy.db, uuid.uuid4().hex)
    return copy


def test_concurrent_edits_are_a_conflict_kept_for_a_person(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    a = make_town("T01")
    a.enroll(county)
    import_package(county, a.export(usb).path)
    _mark_acked(a)
    b = _second_laptop(a, tmp_path).enroll(county)
    member_id = _first_member(a.db)
    touch_member(a.db, member_id, phone="111")
    touch_member(b.db, member_id, phone="222")  # later: wins by default
    pa = a.export(usb)
    out_b = tmp_path / "usb-b"
    out_b.mkdir()
    pb = b.export(out_b, full=True)  # a new device starts with everything
    assert import_package(county, pa.path).conflicts == 0
    rb = import_package(county, pb.path)
    assert rb.conflicts == 1 and "冲突" in rb.message
    with county.reader() as s:
        assert s.get(Member, member_id).phone == "222"  # type: ignore[union-attr]
        [c] = list_conflicts(s)
    assert c.table == "member" and c.row_id == member_id
    assert ("phone", "222", "111") in c.differences
    # a person chooses the other version: written as an ordinary, numbered edit
    with county.reader() as s:
        seq_before = current_seq(s)
    resolved = resolve(county, c.id, "other", user="县级管理员")
    assert resolved.status == "swapped"
    with county.reader() as s:
        m = s.get(Member, member_id)
        assert m is not None and m.phone == "111" and m.row_seq > seq_before
        assert list_conflicts(s) == []
        assert len(list_conflicts(s, include_resolved=True)) == 1
    with pytest.raises(SyncError, match="已处理过"):
        resolve(county, c.id, "current")


def test_older_incoming_version_loses_but_is_kept(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    a = make_town("T01")
    a.enroll(county)
    import_package(county, a.export(usb).path)
    _mark_acked(a)
    b = _second_laptop(a, tmp_path).enroll(county)
    member_id = _first_member(a.db)
    touch_member(b.db, member_id, phone="old")
    touch_member(a.db, member_id, phone="new")
    import_package(county, a.export(usb).path)
    out_b = tmp_path / "usb-b"
    out_b.mkdir()
    result = import_package(county, b.export(out_b, full=True).path)
    assert result.conflicts == 1 and result.updated == {}
    with county.reader() as s:
        assert s.get(Member, member_id).phone == "new"  # type: ignore[union-attr]
        [c] = list_conflicts(s)
    assert json.dumps(c.loser, ensure_ascii=False).count('"old"') == 1


def test_ack_for_another_device_or_tampered_changes_nothing(make_town, county: Database, usb: Path) -> None:
    a, b = make_town("T01", seed=1), make_town("T02", seed=2)
    a.enroll(county)
    b.enroll(county)
    pa, pb = a.export(usb), b.export(usb)
    import_package(county, pa.path)
    import_package(county, pb.path)
    ack_b = write_ack(county, pb.device_id, usb)
    with pytest.raises(AckInvalid, match="另一台设备"):
        apply_ack(a.db, ack_b.path)
    ack_a = write_ack(county, pa.device_id, usb)
    doc = json.loads(ack_a.path.read_text(encoding="utf-8"))
    doc["ack"]["received_through"] += 1000
    ack_a.path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(AckInvalid, match="签名无效"):
        apply_ack(a.db, ack_a.path)
    with a.db.reader() as s:
        assert state.acked_seq(s) == 0
    ack_a.path.write_bytes(ack_a.path.read_bytes()[:40])
    with pytest.raises(AckInvalid, match="损坏"):
        read_ack(ack_a.path)
