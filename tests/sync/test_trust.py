"""Sync that cannot lose or leak a township's records: generations, bound acknowledgements,
enrolled devices, ownership by foreign key, entry rules on receipt, bounded attachments, clocks."""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from models import Branch, Meeting, Member, SyncHeld, Township
from services import backup
from services.db import Database, open_database
from services.sync import enrollment, state
from services.sync.ack import apply_ack, read_ack, write_ack
from services.sync.conflicts import list_conflicts
from services.sync.errors import AckInvalid, PackageInvalid, PackageRejected
from services.sync.package import read_package
from services.sync.receiver import import_package
from services.sync.signing import b64, key_id, public_raw, sign
from tests.conftest import Builder, fresh_database
from tests.sync.conftest import Town, content, craft, snapshot, touch_member

# --- helpers ------------------------------------------------------------------------------------


def first(db: Database, model: Any) -> Any:
    with db.reader() as s:
        row = s.scalars(select(model).order_by(model.id)).first()
        assert row is not None
        return row


_ID_SEQ = itertools.count(7001, 2)


def add_member(town: Town, name: str) -> str:
    b = Builder(town.db)
    b.township_id = first(town.db, Township).id
    b._seq = next(_ID_SEQ)
    branch = first(town.db, Branch)
    return b.member(branch.id, name, birth=date(1979, 3, 3)).id


def sync_round(town: Town, county: Database, usb: Path) -> str:
    """Export, import at the county, write the ack and apply it on the township; returns the status."""
    result = import_package(county, town.export(usb).path)
    ack = write_ack(county, result.device_id, usb)
    apply_ack(town.db, ack.path)
    return result.status


def refused(county: Database, path: Path, kind: type[Exception], *phrases: str) -> str:
    before = snapshot(county)
    with pytest.raises(kind) as info:
        import_package(county, path)
    message = str(getattr(info.value, "message", info.value))
    for phrase in phrases:
        assert phrase in message, message
    assert snapshot(county) == before
    return message


def member_names(db: Database) -> set[str]:
    with db.reader() as s:
        return set(s.scalars(select(Member.name).where(Member.deleted.is_(False))))


# --- 1. generations -----------------------------------------------------------------------------


def test_records_made_after_a_township_restore_reach_the_county(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    assert sync_round(t, county, usb) == "imported"
    saved = backup.backup_to(t.db, tmp_path / "before.sqlite")
    lost = add_member(t, "恢复前登记")
    assert sync_round(t, county, usb) == "imported"

    backup.restore(t.db, saved)
    after = add_member(t, "恢复后登记")
    with t.db.reader() as s:
        assert state.acked_seq(s) == 0  # nothing of the new generation has been delivered
    result = import_package(county, t.export(usb).path)
    assert result.status == "imported" and result.seq_from == 1
    with county.reader() as s:
        assert s.get(Member, after) is not None and s.get(Member, lost) is not None
        # the county keeps the record the township lost, and lists it for a person
        [gone] = [c for c in list_conflicts(s) if c.row_id == lost]
    assert ("deleted", False, True) in gone.differences and "恢复备份后已没有" in result.message
    # The acknowledgement of the new generation is accepted; the old one no longer applies.
    ack = write_ack(county, result.device_id, usb)
    assert apply_ack(t.db, ack.path).acked == result.seq_to


def test_an_older_row_from_a_restored_township_becomes_a_conflict_not_an_overwrite(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    member_id = first(t.db, Member).id
    touch_member(t.db, member_id, phone="v2")
    sync_round(t, county, usb)
    saved = backup.backup_to(t.db, tmp_path / "v2.sqlite")
    touch_member(t.db, member_id, phone="v3")  # a correction the county received
    sync_round(t, county, usb)

    backup.restore(t.db, saved)  # the laptop is back at v2
    for n in range(3):
        add_member(t, f"新党员{n}")  # the counter passes the county's number again
    result = import_package(county, t.export(usb).path)
    assert result.status == "imported" and result.conflicts >= 1
    with county.reader() as s:
        m = s.get(Member, member_id)
        assert m is not None and m.phone == "v3"
        [c] = [c for c in list_conflicts(s) if c.row_id == member_id]
    assert ("phone", "v3", "v2") in c.differences


def test_a_copied_database_file_starts_a_new_generation(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    with t.db.reader() as s:
        old = state.generation(s)
    t.db.close()
    copy_dir = tmp_path / "copy"
    copy_dir.mkdir()
    shutil.copyfile(t.folder / "ledger.sqlite", copy_dir / "ledger.sqlite")
    t.db = open_database(copy_dir / "ledger.sqlite")
    assert state.check_on_open(t.db) == "copy"
    with t.db.reader() as s:
        assert state.generation(s) != old and state.acked_seq(s) == 0
        assert state.lineage(s)[1][0] == old
    new = add_member(t, "复制后登记")
    result = import_package(county, t.export(usb).path)
    assert result.status == "imported"
    with county.reader() as s:
        assert s.get(Member, new) is not None


def test_a_file_put_back_over_the_live_one_is_detected_by_its_counter(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    path = t.folder / "ledger.sqlite"
    t.db.close()
    saved = tmp_path / "saved.sqlite"
    shutil.copyfile(path, saved)
    t.db = open_database(path)
    add_member(t, "之后登记")
    sync_round(t, county, usb)  # the counter outside the file now knows this number
    t.db.close()
    with open(path, "r+b") as live:  # same file (same inode), older contents
        live.truncate(0)
        live.write(saved.read_bytes())
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    t.db = open_database(path)
    assert state.check_on_open(t.db) == "reuse"
    again = add_member(t, "又登记")
    assert import_package(county, t.export(usb).path).status == "imported"
    with county.reader() as s:
        assert s.get(Member, again) is not None


def test_an_ack_from_before_a_restore_is_not_applied(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    saved = backup.backup_to(t.db, tmp_path / "b.sqlite")
    add_member(t, "甲")
    result = import_package(county, t.export(usb).path)
    old_ack = write_ack(county, result.device_id, usb)
    backup.restore(t.db, saved)
    with pytest.raises(AckInvalid, match="世代"):
        apply_ack(t.db, old_ack.path)
    with t.db.reader() as s:
        assert state.acked_seq(s) == 0


# --- 2. acknowledgements ------------------------------------------------------------------------


def _forge(ack_path: Path, out: Path, key: Ed25519PrivateKey, **changes: Any) -> Path:
    doc = json.loads(ack_path.read_text(encoding="utf-8"))
    payload = doc["ack"] | changes
    pub = public_raw(key)
    payload["county"] = payload["county"] | {"public_key": b64(pub), "key_id": key_id(pub)}
    from services.sync.manifest import canonical

    out.write_text(
        json.dumps({"ack": payload, "signature": b64(sign(key, canonical(payload)))}), encoding="utf-8"
    )
    return out


def test_acks_must_come_from_the_pinned_county_key_and_database(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)  # the first ack pins the county key and database
    add_member(t, "待送达")
    exported = t.export(usb)
    real = import_package(county, exported.path)
    good = write_ack(county, real.device_id, usb)
    forged = _forge(good.path, tmp_path / "forged.ltack", Ed25519PrivateKey.generate())
    with t.db.reader() as s:
        before = state.acked_seq(s)
    with pytest.raises(AckInvalid, match="县级密钥"):
        apply_ack(t.db, forged)
    # a scratch county database on the real county machine (same key, other database id)
    scratch = fresh_database(tmp_path / "scratch.sqlite")
    try:
        t.enroll(scratch)
        import_package(scratch, t.export(tmp_path, full=True).path)
        stray = write_ack(scratch, real.device_id, tmp_path)
    finally:
        scratch.close()
    with pytest.raises(AckInvalid, match="另一个县级数据库"):
        apply_ack(t.db, stray.path)
    with t.db.reader() as s:
        assert state.acked_seq(s) == before
    assert apply_ack(t.db, good.path).acked == exported.seq_to


@pytest.mark.parametrize("version", [0, -1, 1, True, "2"])
def test_ack_format_versions_other_than_the_current_are_refused(
    make_town, county: Database, usb: Path, tmp_path: Path, version: Any
) -> None:
    t = make_town("T01").enroll(county)
    result = import_package(county, t.export(usb).path)
    ack = write_ack(county, result.device_id, usb)
    from services.sync.signing import device_key

    bad = _forge(ack.path, tmp_path / "v.ltack", device_key(), format_version=version)
    with pytest.raises(AckInvalid):
        apply_ack(t.db, bad)
    with t.db.reader() as s:
        assert state.acked_seq(s) == 0


def test_the_same_ack_twice_changes_nothing_and_unsigned_is_not_called_forged(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    result = import_package(county, t.export(usb).path)
    ack = write_ack(county, result.device_id, usb)
    apply_ack(t.db, ack.path)
    with t.db.reader() as s:
        stored = state.get(s, state.LAST_ACK)
    again = apply_ack(t.db, ack.path)
    assert "已处理过" in again.message
    with t.db.reader() as s:
        assert state.get(s, state.LAST_ACK) == stored
    doc = json.loads(ack.path.read_text(encoding="utf-8"))
    doc["signature"] = ""
    unsigned = tmp_path / "unsigned.ltack"
    unsigned.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(AckInvalid, match="没有签名") as info:
        read_ack(unsigned)
    assert "签名无效" not in info.value.message


def test_a_county_restore_makes_the_ack_ask_for_a_resend(
    make_town, county_sqlite: Database, usb: Path, tmp_path: Path
) -> None:
    county = county_sqlite
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    saved = backup.backup_to(county, tmp_path / "county-before.sqlite")
    add_member(t, "丢在县里")
    sync_round(t, county, usb)
    backup.restore(county, saved)  # the county loses the second package
    add_member(t, "再登记")
    result = import_package(county, t.export(usb).path)
    assert result.status == "held"
    ack = write_ack(county, result.device_id, usb)
    applied = apply_ack(t.db, ack.path)
    assert applied.acked < applied.previous and "重新发送" in applied.message
    assert sync_round(t, county, usb) == "imported"
    assert "丢在县里" in member_names(county) and "再登记" in member_names(county)


# --- 3. enrollment ------------------------------------------------------------------------------


def test_a_new_key_copying_a_township_is_held_until_a_person_approves(
    make_town, county: Database, usb: Path
) -> None:
    t = make_town("T01")
    pkg = t.export(usb).path
    before = snapshot(county)
    held = import_package(county, pkg)
    assert held.status == "pending" and "待登记" in held.message and key_id(public_raw(t.key)) in held.message
    assert snapshot(county)["member"] == before["member"]
    [device] = enrollment.list_devices(county)
    assert device.key_id == key_id(public_raw(t.key)) and device.status == "pending" and device.held == 1
    enrollment.approve(county, device.key_id, user="县管理员")
    from services.sync.receiver import release_enrolled

    [released] = release_enrolled(county, device.key_id)
    assert released.status == "imported"
    assert content(county)["member"] == content(t.db)["member"]
    with county.reader() as s:
        assert s.scalars(select(SyncHeld)).all() == []


def test_reinstalled_laptop_is_re_registered_and_a_revoked_one_refused(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    old_key = t.key
    t.key = Ed25519PrivateKey.generate()  # reinstalled: new key, same database
    add_member(t, "重装后登记")
    pkg = t.export(usb).path
    assert import_package(county, pkg).status == "pending"
    with pytest.raises(Exception, match="replace"):
        enrollment.approve(county, key_id(public_raw(t.key)))
    enrollment.replace(county, key_id(public_raw(old_key)), key_id(public_raw(t.key)))
    from services.sync.receiver import release_enrolled

    [released] = release_enrolled(county, key_id(public_raw(t.key)))
    assert released.status == "imported"
    # the old (lost) laptop's key is now refused
    stolen = Town(code="T01", db=t.db, key=old_key, folder=t.folder)
    add_member(t, "被盗电脑")
    refused(county, stolen.export(tmp_path).path, PackageRejected, "已注销")
    enrollment.revoke(county, key_id(public_raw(t.key)))
    refused(county, t.export(tmp_path, full=True).path, PackageRejected, "已注销")


def test_a_key_enrolled_for_one_township_cannot_send_for_another(
    make_town, county: Database, usb: Path
) -> None:
    a = make_town("T01").enroll(county)
    import_package(county, a.export(usb).path)
    b = make_town("T02", seed=2)
    b.key = a.key  # the T01 laptop's key signing a T02 package
    refused(county, b.export(usb).path, PackageRejected, "登记的是乡镇 T01")


def test_forged_key_id_in_the_manifest_is_refused_and_verify_shows_the_real_fingerprint(
    make_town, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01")
    pkg = t.export(usb).path
    opened = read_package(pkg)
    genuine = Ed25519PrivateKey.generate()
    impostor = Ed25519PrivateKey.generate()

    def lie(m: Any) -> None:
        m.device_key_id = key_id(public_raw(genuine))

    from services.sync import manifest as mf
    from services.sync.package import write_package

    m = mf.Manifest(
        **{k: v for k, v in opened.manifest.__dict__.items() if k not in ("entries", "encryption")}
    )
    payload = {
        f"data/{n}.jsonl": b"".join(json.dumps(r).encode() + b"\n" for r in rows)
        for n, rows in opened.rows.items()
    }
    m.device_public_key = b64(public_raw(impostor))
    lie(m)
    forged = tmp_path / "forged.ltpkg"
    write_package(forged, m, payload, impostor)
    with pytest.raises(PackageInvalid, match="指纹"):
        read_package(forged)
    assert enrollment.fingerprint(b64(public_raw(impostor))) == key_id(public_raw(impostor))


# --- 4. ownership -------------------------------------------------------------------------------


@pytest.fixture
def two_towns(make_town, county: Database, usb: Path) -> tuple[Town, Town, Any]:
    a = make_town("T01", seed=1).enroll(county)
    b = make_town("T02", seed=2).enroll(county)
    import_package(county, a.export(usb).path)
    pb = b.export(usb)
    import_package(county, pb.path)
    return a, b, read_package(pb.path)


def _bump(m: Any) -> None:
    m.seq_from, m.seq_to = m.seq_to + 1, m.seq_to + 5


def _hostile(b: Town, opened: Any, usb: Path, name: str, rows: dict[str, list[dict[str, Any]]]) -> Path:
    for table_rows in rows.values():
        for r in table_rows:
            r["row_seq"] = opened.manifest.seq_to + 1
    return craft(opened, usb / name, b.key, rows=rows, edit=_bump)


@pytest.mark.parametrize(
    "attack",
    [
        "move_member",
        "reparent_meeting",
        "attendance_to_foreign_member",
        "soft_delete_foreign",
        "attachment_owner",
    ],
)
def test_one_township_cannot_change_another_through_any_reference(
    two_towns: tuple[Town, Town, Any], county: Database, usb: Path, attack: str
) -> None:
    a, b, opened = two_towns
    a_member = first(a.db, Member)
    a_branch = first(a.db, Branch)
    a_meeting = first(a.db, Meeting)
    b_rows = {t: opened.dicts(t) for t in opened.rows}
    rows: dict[str, list[dict[str, Any]]] = {}
    if attack == "move_member":  # T01's member row rewritten into T02
        m = dict(b_rows["member"][0]) | {"id": a_member.id}
        rows["member"] = [m]
    elif attack == "reparent_meeting":  # a T02 meeting pointed at T01's branch
        rows["meeting"] = [dict(b_rows["meeting"][0]) | {"branch_id": a_branch.id, "party_group_id": None}]
    elif attack == "attendance_to_foreign_member":
        rows["attendance"] = [dict(b_rows["attendance"][0]) | {"member_id": a_member.id}]
    elif attack == "soft_delete_foreign":  # T01's meeting, "deleted" by T02 (keeping T01's branch)
        theirs = content(a.db)["meeting"][a_meeting.id]
        rows["meeting"] = [dict(theirs) | {"deleted": True, "row_seq": 0}]
    else:
        att = dict(b_rows["meeting"][0])
        rows["attachment"] = [
            {
                **{
                    k: v
                    for k, v in att.items()
                    if k in ("created_at", "updated_at", "created_by", "updated_by")
                },
                "id": "0a0a0a0a-0000-4000-8000-000000000001",
                "deleted": False,
                "deleted_at": None,
                "owner_type": "meeting",
                "owner_id": a_meeting.id,
                "kind": "photo",
                "sha256": "0" * 64,
                "filename": "x.jpg",
                "mime": "image/jpeg",
                "size": 0,
                "caption": "",
            }
        ]
    before_a = content(county)
    path = _hostile(b, opened, usb, f"{attack}.ltpkg", rows)
    expected = "属于另一个乡镇" if attack in ("move_member", "soft_delete_foreign") else "不属于本乡镇"
    refused(county, path, PackageRejected, expected)
    assert content(county) == before_a


def test_a_package_cannot_rename_its_township_code(
    two_towns: tuple[Town, Town, Any], county: Database, usb: Path
) -> None:
    _a, b, opened = two_towns
    town_row = dict(opened.dicts("township")[0]) | {"code": "T99"}
    refused(
        county, _hostile(b, opened, usb, "rename.ltpkg", {"township": [town_row]}), PackageRejected, "代码"
    )


# --- 5. values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "column", "value", "phrase"),
    [
        ("member", "birth_date", "2026-02-31", "不是真实存在的日期"),
        ("member", "gender", "??", "不是本机软件认识的取值"),
        ("member", "status", "hacked", "不是本机软件认识的取值"),
        ("member", "name", "名" * 300_000, "超过上限"),
        ("meeting", "type", "future_kind", "9.9.9"),
        ("member", "name", None, "必填"),
    ],
)
def test_values_an_entry_form_would_refuse_are_refused_on_receipt(
    make_town, county: Database, usb: Path, table: str, column: str, value: Any, phrase: str
) -> None:
    t = make_town("T01").enroll(county)
    opened = read_package(t.export(usb).path)
    rows = {n: opened.dicts(n) for n in opened.rows}
    rows[table][-1][column] = value

    def newer(m: Any) -> None:
        m.app_version = "9.9.9"

    bad = craft(opened, usb / "bad.ltpkg", t.key, rows=rows, edit=newer)
    message = refused(county, bad, PackageRejected, phrase, rows[table][-1]["id"], column)
    assert len(message) < 2000


# --- 6. attachments -----------------------------------------------------------------------------


def _store(county: Database) -> list[Path]:
    from services.attachments import store_dir

    with county.reader() as s:
        folder = store_dir(s)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_only_referenced_attachments_are_stored_with_a_suffix_from_their_content(
    make_town, county: Database, usb: Path
) -> None:
    t = make_town("T01").enroll(county)
    opened = read_package(t.export(usb).path)
    rows = {n: opened.dicts(n) for n in opened.rows}
    meeting = rows["meeting"][0]
    script = b"@echo off\r\nformat c:\r\n"
    import hashlib

    sha = hashlib.sha256(script).hexdigest()
    rows["attachment"] = [
        {
            **{k: meeting[k] for k in ("created_at", "updated_at", "created_by", "updated_by")},
            "id": "0b0b0b0b-0000-4000-8000-000000000001",
            "deleted": False,
            "deleted_at": None,
            "row_seq": 1,
            "owner_type": "meeting",
            "owner_id": meeting["id"],
            "kind": "document",
            "sha256": sha,
            "filename": "签到表.bat",
            "mime": "application/octet-stream",
            "size": len(script),
            "caption": "",
        }
    ]
    opened.blobs = {sha: script, hashlib.sha256(b"loose").hexdigest(): b"loose"}

    def listed(m: Any) -> None:
        m.attachments = sorted(opened.blobs)

    loose = craft(opened, usb / "loose.ltpkg", t.key, rows=rows, edit=listed)
    refused(county, loose, PackageRejected, "没有任何附件记录引用")
    assert _store(county) == []
    opened.blobs = {sha: script}
    ok = craft(opened, usb / "ok.ltpkg", t.key, rows=rows, edit=listed)
    assert import_package(county, ok).status == "imported"
    [stored] = _store(county)
    assert stored.suffix == ".bin" and stored.read_bytes() == script


def test_no_attachment_file_is_left_when_the_import_rolls_back(
    make_town, county: Database, usb: Path
) -> None:
    t = make_town("T01").enroll(county)
    opened = read_package(t.export(usb).path)
    rows = {n: opened.dicts(n) for n in opened.rows}
    meeting = rows["meeting"][0]
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    import hashlib

    sha = hashlib.sha256(png).hexdigest()
    rows["attachment"] = [
        {
            **{k: meeting[k] for k in ("created_at", "updated_at", "created_by", "updated_by")},
            "id": "0c0c0c0c-0000-4000-8000-000000000001",
            "deleted": False,
            "deleted_at": None,
            "row_seq": 1,
            "owner_type": "meeting",
            "owner_id": meeting["id"],
            "kind": "photo",
            "sha256": sha,
            "filename": "a.png",
            "mime": "image/png",
            "size": len(png),
            "caption": "",
        }
    ]
    # a duplicate primary key inside one table makes the database refuse the package mid-write
    rows["member"].append(dict(rows["member"][0]))
    opened.blobs = {sha: png}
    bad = craft(opened, usb / "dup.ltpkg", t.key, rows=rows, edit=lambda m: setattr(m, "attachments", [sha]))
    message = refused(county, bad, PackageRejected)
    assert "回滚" in message and "重复" in message
    assert _store(county) == []


# --- 7. time and bounds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [("created_at", "2099-01-01 00:00:00.000000"), ("updated_at", "1970-01-01 00:00:00.000000")],
)
def test_timestamps_far_from_the_county_clock_are_refused(
    make_town, county: Database, usb: Path, column: str, value: str
) -> None:
    t = make_town("T01").enroll(county)
    opened = read_package(t.export(usb).path)
    rows = {n: opened.dicts(n) for n in opened.rows}
    rows["member"][0][column] = value
    bad = craft(opened, usb / "clock.ltpkg", t.key, rows=rows)
    refused(county, bad, PackageRejected, column, "时钟")


def test_a_package_from_a_clock_years_ahead_and_an_absurd_range_are_refused(
    make_town, county: Database, usb: Path
) -> None:
    t = make_town("T01").enroll(county)
    opened = read_package(t.export(usb).path)
    ahead = craft(
        opened, usb / "ahead.ltpkg", t.key, edit=lambda m: setattr(m, "created_at", "2031-01-01T00:00:00Z")
    )
    refused(county, ahead, PackageRejected, "时钟")
    huge = craft(opened, usb / "huge.ltpkg", t.key, edit=lambda m: setattr(m, "seq_to", 2**63 - 1))
    refused(county, huge, PackageRejected, "远超")


# --- 8. held packages ---------------------------------------------------------------------------


def test_a_held_package_damaged_on_release_is_kept_and_reported(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    add_member(t, "甲")
    middle = t.export(tmp_path)
    with t.db.transaction() as s:
        state.put(s, state.ACKED_SEQ, str(middle.seq_to))
    add_member(t, "乙")
    later_dir = tmp_path / "later"
    later_dir.mkdir()
    late = t.export(later_dir)
    held = import_package(county, late.path)
    assert (
        held.status == "held"
        and "乡镇 T01" in held.message
        and f"第 {late.seq_from}–{late.seq_to} 号" in held.message
    )
    with county.reader() as s:
        [row] = s.scalars(select(SyncHeld)).all()
    stored = Path(row.stored_path)
    assert stored.name.startswith(f"T01_{late.seq_from}-{late.seq_to}_")
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))
    done = import_package(county, middle.path)
    assert done.status == "imported"
    [bad] = done.released
    assert bad.status == "rejected" and "仍保留" in bad.message
    with county.reader() as s:
        [kept] = s.scalars(select(SyncHeld)).all()
    assert kept.error and stored.exists()


# --- 9. messages and container rules -------------------------------------------------------------


def test_an_ack_given_to_import_is_recognised(make_town, county: Database, usb: Path) -> None:
    t = make_town("T01").enroll(county)
    result = import_package(county, t.export(usb).path)
    ack = write_ack(county, result.device_id, usb)
    with pytest.raises(PackageInvalid, match="回执") as info:
        import_package(county, ack.path)
    assert "损坏" not in info.value.message


def test_a_county_with_a_key_refuses_unencrypted_packages(
    make_town, county_sqlite: Database, usb: Path, tmp_path: Path
) -> None:
    from services.sync import keys

    t = make_town("T01").enroll(county_sqlite)
    pkg = t.export(usb).path  # exported before the county key existed: not encrypted
    keys.county_generate(tmp_path / "county.json")
    refused(county_sqlite, pkg, PackageRejected, "没有加密")


def test_zip64_containers_are_refused(make_town, usb: Path, tmp_path: Path) -> None:
    import zipfile

    t = make_town("T01")
    pkg = t.export(usb).path
    z64 = tmp_path / "z64.ltpkg"
    with zipfile.ZipFile(pkg) as src:
        entries = [(i.filename, src.read(i)) for i in src.infolist()]
    with zipfile.ZipFile(z64, "w") as out:
        for name, body in entries:
            with out.open(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), "w", force_zip64=True) as fh:
                fh.write(body)
    with pytest.raises(PackageInvalid, match="ZIP64"):
        read_package(z64)


def test_a_deeply_nested_manifest_is_called_malicious_not_a_usb_fault(make_town, usb: Path) -> None:
    t = make_town("T01")
    opened = read_package(t.export(usb).path)

    def nest(m: Any) -> None:
        plain = m.to_bytes()
        m.to_bytes = lambda: plain[:-1] + b',"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    path = craft(opened, usb / "deep.ltpkg", t.key, edit=nest)
    with pytest.raises(PackageInvalid) as info:
        read_package(path)
    assert "U 盘" not in info.value.message


def _db_error(county: Database, sql: str) -> Any:
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError) as info, county.engine.begin() as conn:
        conn.exec_driver_sql(sql)
    return info.value


def test_database_errors_are_named_for_what_they_are(make_town, county: Database, usb: Path) -> None:
    from services.sync.receiver import _db_error_message

    t = make_town("T01").enroll(county)
    opened = read_package(t.export(usb).path)
    import_package(county, opened.path)
    town_id = first(county, Township).id
    dup = _db_error(county, f"INSERT INTO township SELECT * FROM township WHERE id = '{town_id}'")
    message = _db_error_message(opened, dup)
    assert "重复" in message and "回滚" in message and "长度" not in message
    if county.engine.dialect.name == "postgresql":
        long = _db_error(county, "CREATE TEMP TABLE t (v varchar(2)); INSERT INTO t VALUES ('xxx')")
        assert "长度上限" in _db_error_message(opened, long)
        bad_date = _db_error(county, "SELECT '2026-02-31'::date")
        assert "无效的日期" in _db_error_message(opened, bad_date)
        assert "唯一性" not in _db_error_message(opened, long) + _db_error_message(opened, bad_date)


def test_a_bulk_insert_the_database_refuses_is_named_and_leaves_nothing(
    make_town, county: Database, usb: Path
) -> None:
    """The receiver's bulk write (driver cursor on SQLite, COPY on PostgreSQL) reports the database's
    refusal as SQLAlchemy does for an INSERT, classified for the clerk, and its transaction keeps nothing."""
    from sqlalchemy import func
    from sqlalchemy.exc import DBAPIError

    from services.sync.receiver import _db_error_message, insert_rows

    t = make_town("T01").enroll(county)
    opened = read_package(t.export(usb).path)
    import_package(county, opened.path)
    with county.engine.connect() as conn:
        result = conn.exec_driver_sql("SELECT * FROM township")
        columns, rows = list(result.keys()), [list(r) for r in result]
    fresh = [*rows[0]]
    fresh[columns.index("id")] = "f" * 32
    fresh[columns.index("code")] = "T99"
    with pytest.raises(DBAPIError) as info, county.engine.begin() as conn:
        insert_rows(conn, "township", columns, [fresh, rows[0]])  # the second one is already here
    message = _db_error_message(opened, info.value)
    assert "重复" in message and "回滚" in message
    with county.reader() as s:
        assert s.scalar(select(func.count()).select_from(Township)) == 1  # the first row went with it


def test_status_shows_times_in_local_time_with_a_label() -> None:
    from services.sync.status import local_text

    assert local_text("2026-11-24T22:03:15").endswith("（本地时间）")
    assert local_text(None) == "—"


def test_too_many_attachment_files_are_refused_before_any_is_read(make_town, usb: Path) -> None:
    import hashlib

    from services.sync.package import MAX_ATTACHMENTS

    t = make_town("T01")
    opened = read_package(t.export(usb).path)
    count = MAX_ATTACHMENTS + 1
    opened.blobs = {hashlib.sha256(str(i).encode()).hexdigest(): str(i).encode() for i in range(count)}
    many = craft(
        opened, usb / "many.ltpkg", t.key, edit=lambda m: setattr(m, "attachments", sorted(opened.blobs))
    )
    with pytest.raises(PackageInvalid, match="超过每个包的上限"):
        read_package(many)


def test_existing_county_databases_keep_their_devices_enrolled_after_the_upgrade(county: Database) -> None:
    """Migration i15_sync_trust: down to the previous revision, a format-1 device, up again."""
    from alembic import command
    from sqlalchemy import text

    from services.db import alembic_config, head_revision

    key = Ed25519PrivateKey.generate()
    public = b64(public_raw(key))
    with county.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0013_no_deleted_ix")
    with county.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sync_device (device_id, township_code, township_id, public_key, high_seq, "
                "first_seen, last_seen) VALUES (:d, 'T01', :t, :k, 42, :now, :now)"
            ),
            {
                "d": "a" * 32,
                "t": "00000000-0000-4000-8000-000000000001",
                "k": public,
                "now": "2026-11-01 08:00:00",
            },
        )
    with county.engine.begin() as conn:
        command.upgrade(alembic_config(conn), head_revision())
    [device] = enrollment.list_devices(county)
    assert (
        device.key_id == key_id(public_raw(key))
        and device.status == "enrolled"
        and device.township_code == "T01"
    )
    with county.reader() as s:
        assert s.execute(text("SELECT high_seq, generation FROM sync_device")).one() == (42, "")


def test_a_format_1_stream_is_continued_by_the_same_laptop_after_the_upgrade(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    exported = t.export(usb)
    opened = read_package(exported.path)

    def old_format(m: Any) -> None:
        m.format_version, m.generation, m.lineage = 1, "", []

    legacy = craft(opened, tmp_path / "v1.ltpkg", t.key, edit=old_format)
    assert import_package(county, legacy).status == "imported"
    again = import_package(county, exported.path)  # the same numbers, now with a generation
    assert again.status == "duplicate"
    with t.db.transaction() as s:
        state.put(s, state.ACKED_SEQ, str(exported.seq_to))
    member_id = first(t.db, Member).id
    touch_member(t.db, member_id, phone="13800000000")
    later = import_package(county, t.export(usb).path)
    assert later.status == "imported" and later.conflicts == 0
    with county.reader() as s:
        m = s.get(Member, member_id)
        assert m is not None and m.phone == "13800000000"


def test_text_from_an_older_version_is_cleaned_as_entry_cleans_it(
    make_town, county: Database, usb: Path
) -> None:
    """A control character or zero-width space an older township version stored reaches the county
    cleaned, so every county output (xlsx, PDF, --json) can write it."""
    t = make_town("T01").enroll(county)
    opened = read_package(t.export(usb).path)
    rows = {n: opened.dicts(n) for n in opened.rows}
    member = rows["member"][-1]
    member["name"] = "张\u200b三"
    member["notes"] = "第一行\x0b第二行：备注"
    meeting = rows["meeting"][-1]
    meeting["minutes"] = "记录\x07要点"
    package = craft(opened, usb / "old-version.ltpkg", t.key, rows=rows)
    assert import_package(county, package).status == "imported"
    with county.reader() as s:
        got = s.get(Member, member["id"])
        assert got is not None and (got.name, got.notes) == ("张三", "第一行\n第二行：备注")
        held = s.get(Meeting, meeting["id"])
        assert held is not None and held.minutes == "记录要点"
