"""Restores, copies and acknowledgements on every path a clerk can take: a backup from before the
first export or before the county key, a database put back without opening it, a county database
moved to another computer, and an older acknowledgement applied after a newer one."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from models import Member
from services import backup
from services.db import Database, open_database
from services.sync import state
from services.sync.ack import apply_ack, write_ack
from services.sync.conflicts import list_conflicts
from services.sync.errors import AckInvalid
from services.sync.manifest import canonical
from services.sync.package import read_package
from services.sync.receiver import import_package, release_enrolled
from services.sync.signing import b64, device_key, key_id, public_raw, sign
from tests.sync.conftest import Town
from tests.sync.test_trust import add_member, member_names, sync_round


def _resign(ack_path: Path, out: Path, key: Ed25519PrivateKey, **changes: object) -> Path:
    """The acknowledgement with ``changes``, signed again with ``key`` (its key named in it)."""
    doc = json.loads(ack_path.read_text(encoding="utf-8"))
    payload = doc["ack"] | changes
    pub = public_raw(key)
    payload["county"] = payload["county"] | {"public_key": b64(pub), "key_id": key_id(pub)}
    out.write_text(
        json.dumps({"ack": payload, "signature": b64(sign(key, canonical(payload)))}), encoding="utf-8"
    )
    return out


def _acked(town: Town) -> int:
    with town.db.reader() as s:
        return state.acked_seq(s)


# --- restoring a backup taken before the first export ---------------------------------------------


def test_a_backup_from_before_the_first_export_keeps_the_laptop_identity_and_lists_what_it_lost(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    saved = backup.backup_to(t.db, tmp_path / "before-any-export.sqlite")  # never exported yet
    sync_round(t, county, usb)
    with t.db.reader() as s:
        device = state.device_id(s)
    lost = add_member(t, "恢复前已送达")
    assert sync_round(t, county, usb) == "imported"

    backup.restore(t.db, saved)
    with t.db.reader() as s:
        assert state.device_id(s, create=False) == device  # still this laptop, in a new generation
    after = add_member(t, "恢复后登记")
    result = import_package(county, t.export(usb).path)
    assert result.status == "imported" and result.seq_from == 1
    assert "恢复备份后已没有 1 条" in result.message
    with county.reader() as s:
        assert s.get(Member, after) is not None and s.get(Member, lost) is not None
        [gone] = [c for c in list_conflicts(s) if c.row_id == lost]
    assert ("deleted", False, True) in gone.differences
    ack = write_ack(county, result.device_id, usb)
    assert apply_ack(t.db, ack.path).acked == result.seq_to


# --- restoring a backup taken before the county key / the first acknowledgement ------------------


def test_a_restore_keeps_the_pinned_county_so_a_forged_ack_is_still_refused(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    import_package(county, t.export(usb).path)  # exported, but no acknowledgement applied yet
    saved = backup.backup_to(t.db, tmp_path / "before-first-ack.sqlite")
    sync_round(t, county, usb)  # the first acknowledgement pins the county

    backup.restore(t.db, saved)
    add_member(t, "恢复后登记")
    exported = t.export(usb)
    generation = read_package(exported.path, parse_rows=False).manifest.generation  # readable on the stick
    result = import_package(county, exported.path)
    real = write_ack(county, result.device_id, usb)
    assert json.loads(real.path.read_text(encoding="utf-8"))["ack"]["generation"] == generation
    forged = _resign(real.path, tmp_path / "forged.ltack", Ed25519PrivateKey.generate())
    with pytest.raises(AckInvalid, match="县级密钥"):
        apply_ack(t.db, forged)
    assert _acked(t) == 0
    assert apply_ack(t.db, real.path).acked == exported.seq_to


def test_a_restore_of_a_backup_from_before_county_set_keeps_packages_encrypted(
    make_town, county_sqlite: Database, usb: Path, tmp_path: Path
) -> None:
    from services.sync.keys import county_generate, county_set

    t = make_town("T01").enroll(county_sqlite)
    saved = backup.backup_to(t.db, tmp_path / "before-county-set.sqlite")
    key_file = tmp_path / "county-key.json"
    county_generate(key_file, db=county_sqlite)
    county_set(t.db, key_file)
    assert t.export(usb).encrypted

    backup.restore(t.db, saved)
    add_member(t, "恢复后登记")
    assert t.export(usb).encrypted  # the county key configured after the backup is still in force


# --- a database put back without opening it ------------------------------------------------------


def test_a_township_restored_without_opening_continues_as_the_same_laptop(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    saved = backup.backup_to(t.db, tmp_path / "b.sqlite")  # before the first export and ack
    sync_round(t, county, usb)
    with t.db.reader() as s:
        device, old = state.device_id(s), state.generation(s)
    lost = add_member(t, "恢复前已送达")
    sync_round(t, county, usb)
    t.db.close()

    backup.replace_without_opening(t.folder / "ledger.sqlite", saved)  # "数据库打不开" path
    t.db = open_database(t.folder / "ledger.sqlite")
    assert state.check_on_open(t.db) == "restore"
    with t.db.reader() as s:
        assert state.device_id(s) == device and state.generation(s) != old
        assert state.acked_seq(s) == 0
    result = import_package(county, t.export(usb).path)
    assert result.status == "imported" and "恢复备份后已没有 1 条" in result.message
    with county.reader() as s:
        assert [c.row_id for c in list_conflicts(s)] == [lost]
    real = write_ack(county, result.device_id, usb)
    forged = _resign(real.path, tmp_path / "forged.ltack", Ed25519PrivateKey.generate())
    with pytest.raises(AckInvalid, match="县级密钥"):  # the county pinned before stays pinned
        apply_ack(t.db, forged)
    assert apply_ack(t.db, real.path).acked == result.seq_to


# --- the county database moved to another computer or put back -----------------------------------


def _repin(t: Town, county: Database, tmp_path: Path) -> None:
    """The county writes its key file again (naming this database), the township imports it — a
    county database other than the pinned one, so only after the clerk confirmed (``--replace``)."""
    from services.county.mode import init_county
    from services.sync.keys import county_set

    bundle = tmp_path / "county-key-again.json"
    bundle.unlink(missing_ok=True)
    init_county(county, key_file=bundle)
    county_set(t.db, bundle, replace=True)


def test_acks_from_a_copy_of_the_county_database_need_its_key_file_first(
    make_town, county_sqlite: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county_sqlite)
    sync_round(t, county_sqlite, usb)  # pins the county database
    state.check_on_open(county_sqlite)  # every start of the program looks at the file
    with county_sqlite.reader() as s:
        county_id = state.device_id(s)
    source = Path(str(county_sqlite.path))
    county_sqlite.close()
    copy_dir = tmp_path / "new-county-pc"
    copy_dir.mkdir()
    shutil.copyfile(source, copy_dir / "county.sqlite")  # a move, or a scratch copy: cannot tell
    copy = open_database(copy_dir / "county.sqlite")
    try:
        assert state.check_on_open(copy) == "copy"
        with copy.reader() as s:
            assert state.device_id(s) != county_id  # another county database
        add_member(t, "副本收到")
        result = import_package(copy, t.export(usb).path)
        ack = write_ack(copy, result.device_id, usb)
        before = _acked(t)
        with pytest.raises(AckInvalid, match="另一个县级数据库") as info:
            apply_ack(t.db, ack.path)
        assert "sync key county-set" in info.value.message and _acked(t) == before
        _repin(t, copy, tmp_path)  # the county really moved: its key file, imported on the township
        assert apply_ack(t.db, ack.path).acked == result.seq_to
    finally:
        copy.close()


def test_acks_from_a_county_restored_without_opening_are_accepted(
    make_town, county_sqlite: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county_sqlite)
    sync_round(t, county_sqlite, usb)
    state.check_on_open(county_sqlite)
    saved = backup.backup_to(county_sqlite, tmp_path / "county.sqlite")
    live = Path(str(county_sqlite.path))
    county_sqlite.close()
    backup.replace_without_opening(live, saved)
    county = open_database(live)
    try:
        state.check_on_open(county)
        add_member(t, "恢复后送达")
        assert sync_round(t, county, usb) == "imported"
    finally:
        county.close()


# --- an older acknowledgement after a newer one ---------------------------------------------------


def test_an_ack_from_before_a_county_restore_applied_after_a_newer_one_changes_nothing(
    make_town, county_sqlite: Database, usb: Path, tmp_path: Path
) -> None:
    county = county_sqlite
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    saved = backup.backup_to(county, tmp_path / "county-before.sqlite")
    add_member(t, "丢在县里")
    first = import_package(county, t.export(usb).path)
    older = write_ack(county, first.device_id, usb).path  # still on the stick afterwards
    delivered = apply_ack(t.db, older).acked
    backup.restore(county, saved)  # the county loses that package
    add_member(t, "再登记")
    held = import_package(county, t.export(usb).path)
    assert held.status == "held"
    newer = apply_ack(t.db, write_ack(county, held.device_id, usb).path)
    assert newer.acked < delivered and "重新发送" in newer.message

    stale = apply_ack(t.db, older)  # the clerk takes the old file by mistake: a repeat, exit 0
    assert (
        stale.acked == stale.previous
        and "以县里较新的回执为准" in stale.message
        and "未做任何更改" in stale.message
    )
    assert _acked(t) == newer.acked  # the numbers the county lost are still sent again
    assert sync_round(t, county, usb) == "imported"
    assert {"丢在县里", "再登记"} <= member_names(county)


def test_a_replayed_older_ack_changes_nothing_but_a_county_clock_set_back_does_not_make_one_old(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    first = import_package(county, t.export(usb).path)
    old = write_ack(county, first.device_id, usb).path
    apply_ack(t.db, old)
    made = json.loads(old.read_text(encoding="utf-8"))["ack"]["created_at"]

    def shifted(ack: Path, hours: int, name: str) -> Path:  # as the county's clock dated it
        when = datetime.fromisoformat(made.rstrip("Z")) + timedelta(hours=hours)
        return _resign(ack, tmp_path / name, device_key(), created_at=when.isoformat() + "Z")

    add_member(t, "甲")
    second = import_package(county, t.export(usb).path)
    set_back = shifted(write_ack(county, second.device_id, usb).path, -1, "set-back.ltack")
    assert apply_ack(t.db, set_back).acked == second.seq_to  # a higher number is never old
    add_member(t, "乙")
    third = import_package(county, t.export(usb).path)
    later = shifted(write_ack(county, third.device_id, usb).path, 2, "later.ltack")
    assert apply_ack(t.db, later).acked == third.seq_to
    replayed = apply_ack(t.db, set_back)  # replayed: lower number, written before — changes nothing
    assert replayed.acked == replayed.previous and "以县里较新的回执为准" in replayed.message
    assert _acked(t) == third.seq_to


# --- held packages whose numbers arrive in another package ----------------------------------------


def _held_behind_a_lost_stick(t: Town, county: Database, usb: Path, tmp_path: Path) -> Path:
    """A package held at the county because the one before it was lost; returns its stored copy."""
    from models import SyncHeld

    sync_round(t, county, usb)
    add_member(t, "甲")
    lost = t.export(tmp_path)  # this stick never reaches the county
    with t.db.transaction() as s:
        state.put(s, state.ACKED_SEQ, str(lost.seq_to))
    add_member(t, "乙")
    later_dir = tmp_path / "later"
    later_dir.mkdir()
    assert import_package(county, t.export(later_dir).path).status == "held"
    with county.reader() as s:
        [row] = s.scalars(select(SyncHeld)).all()
    return Path(row.stored_path)


def test_a_damaged_held_copy_whose_numbers_a_full_package_brought_is_cleared_not_reported(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    from services.county.pending import pending_by_township

    t = make_town("T01").enroll(county)
    stored = _held_behind_a_lost_stick(t, county, usb, tmp_path)
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))
    full = import_package(county, t.export(usb, full=True).path)
    assert full.status == "imported"
    [cleared] = full.released
    assert cleared.status == "duplicate" and "已由" in cleared.message and "乡镇 T01" in cleared.message
    assert not stored.exists()
    with county.reader() as s:
        [town] = pending_by_township(s)
    assert town.ok and not town.held
    assert {"甲", "乙"} <= member_names(county)


def test_held_packages_of_a_reinstalled_laptop_are_cleared_when_the_new_key_sends_their_numbers(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    from services.sync import enrollment

    t = make_town("T01").enroll(county)
    stored = _held_behind_a_lost_stick(t, county, usb, tmp_path)
    old_key = t.key
    t.key = Ed25519PrivateKey.generate()  # reinstalled: new key, same database file
    pkg = t.export(usb, full=True).path  # as the county asked: a full package fills the gap
    assert import_package(county, pkg).status == "pending"
    enrollment.replace(county, key_id(public_raw(old_key)), key_id(public_raw(t.key)))
    [again] = release_enrolled(county, key_id(public_raw(t.key)))
    assert again.status == "imported" and again.file_name == pkg.name and pkg.name in again.message
    [cleared] = again.released
    assert cleared.status == "duplicate"
    assert not stored.exists()
    assert {"甲", "乙"} <= member_names(county)


# --- a program upgrade that rewrites the database file -------------------------------------------


def test_an_upgrade_of_the_database_file_is_not_taken_for_a_copy(
    make_town, county: Database, usb: Path
) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from services.db import alembic_config

    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    with t.db.reader() as s:
        device, generation = state.device_id(s), state.generation(s)
    t.db.close()
    path = t.folder / "ledger.sqlite"
    engine = create_engine(f"sqlite:///{path}")  # the file as an older version of the program left it
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        command.downgrade(alembic_config(conn), "-1")
    engine.dispose()

    t.db = open_database(path)  # the new version upgrades it on a copy that replaces the file
    assert state.check_on_open(t.db) is None
    with t.db.reader() as s:
        assert (state.device_id(s), state.generation(s)) == (device, generation)
    add_member(t, "升级后登记")
    result = import_package(county, t.export(usb).path)
    assert result.status == "imported" and result.seq_from > 1  # continues, no full re-send


# --- a backup copied back over the ledger by hand ------------------------------------------------


def test_a_file_copied_back_over_the_ledger_by_hand_is_a_restore_of_the_same_laptop(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    path = t.folder / "ledger.sqlite"
    t.db.close()
    kept = tmp_path / "usb-copy.sqlite"
    shutil.copyfile(path, kept)  # the clerk's own "backup": the file copied to a stick
    t.db = open_database(path)
    with t.db.reader() as s:
        device, old = state.device_id(s), state.generation(s)
    lost = add_member(t, "恢复前已送达")
    sync_round(t, county, usb)
    t.db.close()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    incoming = t.folder / "ledger.sqlite.copying"  # the copy from the stick put in its place
    shutil.copyfile(kept, incoming)
    incoming.replace(path)

    t.db = open_database(path)
    assert state.check_on_open(t.db) == "restore"
    with t.db.reader() as s:
        assert state.device_id(s) == device and state.generation(s) != old
    result = import_package(county, t.export(usb).path)
    assert result.status == "imported" and "恢复备份后已没有 1 条" in result.message
    with county.reader() as s:
        assert [c.row_id for c in list_conflicts(s)] == [lost]


def test_a_copy_in_another_folder_is_still_another_laptop(make_town, county: Database, usb: Path) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    with t.db.reader() as s:
        device = state.device_id(s)
    t.db.close()
    other = t.folder / "elsewhere"
    other.mkdir()
    shutil.copyfile(t.folder / "ledger.sqlite", other / "ledger.sqlite")
    copy = open_database(other / "ledger.sqlite")
    try:
        assert state.check_on_open(copy) == "copy"
        with copy.reader() as s:
            assert state.device_id(s) != device
    finally:
        copy.close()
    t.db = open_database(t.folder / "ledger.sqlite")
    assert state.check_on_open(t.db) is None  # the original goes on as before


# --- held packages whose gap can no longer be filled ----------------------------------------------


def test_a_held_package_from_before_a_township_restore_is_named_as_unfillable_and_can_be_discarded(
    make_town, county: Database, usb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import main
    from services.county.mode import init_county
    from services.county.pending import pending_by_township
    from services.sync.keys import county_set

    init_county(county, name="青塬县", key_file=tmp_path / "county-key.json")
    t = make_town("T01").enroll(county)
    county_set(t.db, tmp_path / "county-key.json")
    saved = backup.backup_to(t.db, tmp_path / "b.sqlite")
    work = tmp_path / "work"
    work.mkdir()
    _held_behind_a_lost_stick(t, county, usb, work)
    backup.restore(t.db, saved)
    add_member(t, "恢复后登记")
    assert import_package(county, t.export(usb).path).status == "imported"  # everything, again

    with county.reader() as s:
        [town] = pending_by_township(s)
    [held] = town.held
    assert held.stuck == "superseded" and "无法再补" in held.waits_for
    assert "恢复备份" in town.instruction and "再导出一次" not in town.instruction
    assert "county held-discard" in town.instruction

    if county.path is None:  # the command line below is for a county file
        return
    county_path = str(county.path)
    assert main.main(["--db", county_path, "county", "held-discard", "不存在.ltpkg"]) != 0
    assert "county pending" in capsys.readouterr().err
    assert main.main(["--db", county_path, "county", "held-discard", held.file_name]) == 0
    assert "移出待补" in capsys.readouterr().out
    with county.reader() as s:
        [town] = pending_by_township(s)
    assert town.ok


def test_a_county_moved_then_restored_from_an_older_backup_still_writes_the_newer_acks(
    make_town, county_sqlite: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county_sqlite)
    sync_round(t, county_sqlite, usb)
    state.check_on_open(county_sqlite)
    saved = backup.backup_to(county_sqlite, tmp_path / "county-old.sqlite")
    source = Path(str(county_sqlite.path))
    county_sqlite.close()
    new_pc = tmp_path / "new-pc"
    new_pc.mkdir()
    shutil.copyfile(source, new_pc / "county.sqlite")
    county = open_database(new_pc / "county.sqlite")
    try:
        assert state.check_on_open(county) == "copy"
        _repin(t, county, tmp_path)
        add_member(t, "搬家后送达")
        sync_round(t, county, usb)
        with county.reader() as s:
            pinned, moved_generation = state.device_id(s), state.generation(s)
        backup.restore(county, saved)  # the backup from before the move: that package is lost
        with county.reader() as s:
            assert state.device_id(s) == pinned  # still the county database the township pinned
            assert moved_generation in [g for g, _fork in state.lineage(s)]
        add_member(t, "恢复后登记")
        held = import_package(county, t.export(usb).path)
        assert held.status == "held"
        asked = apply_ack(t.db, write_ack(county, held.device_id, usb).path)
        assert asked.acked < asked.previous and "重新发送" in asked.message
        assert sync_round(t, county, usb) == "imported"
        assert {"搬家后送达", "恢复后登记"} <= member_names(county)
    finally:
        county.close()


def test_restoring_the_same_old_backup_twice_lists_what_the_second_history_sent_once_each(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    saved = backup.backup_to(t.db, tmp_path / "old.sqlite")
    first_lost = add_member(t, "第一次恢复前送达")
    sync_round(t, county, usb)
    backup.restore(t.db, saved)
    second_lost = add_member(t, "两次恢复之间送达")
    sync_round(t, county, usb)
    backup.restore(t.db, saved)  # the same old backup again: the history in between is gone too
    add_member(t, "第二次恢复后登记")
    result = import_package(county, t.export(usb).path)
    assert result.status == "imported" and "恢复备份后已没有 1 条" in result.message
    with county.reader() as s:
        listed = sorted(c.row_id for c in list_conflicts(s))
    assert listed == sorted([first_lost, second_lost])  # each once


def test_a_backup_of_another_township_does_not_take_this_laptops_identity(
    make_town, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01")
    t.export(usb)  # this laptop has a device id and a generation
    other = make_town("T02", seed=2)  # another township's ledger, never exported
    saved = backup.backup_to(other.db, tmp_path / "t02.sqlite")
    backup.restore(t.db, saved)
    with t.db.reader() as s:
        assert state.device_id(s, create=False) == ""  # it starts as a laptop of its own


def test_a_ledger_cloned_with_its_whole_user_folder_is_another_laptop(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    with t.db.reader() as s:
        device = state.device_id(s)
    path = t.folder / "ledger.sqlite"
    t.db.close()
    # the second laptop: the same folders (and generations.json), a file copied from the first
    clone = t.folder / "ledger.sqlite.clone"
    shutil.copyfile(path, clone)
    clone.replace(path)
    t.db = open_database(path)
    assert state.check_on_open(t.db) == "copy"
    with t.db.reader() as s:
        assert state.device_id(s) != device


def test_a_key_revoked_after_the_county_backup_stays_revoked_when_the_county_restores_it(
    make_town, county_sqlite: Database, usb: Path, tmp_path: Path
) -> None:
    """A revocation is newer knowledge than any backup: a county restored from a backup taken before
    a lost laptop was revoked must not trust that laptop's key again."""
    from models import SyncEnrollment
    from services.sync import enrollment
    from services.sync.errors import PackageRejected

    county = county_sqlite
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    saved = backup.backup_to(county, tmp_path / "county-before.sqlite")
    stolen = key_id(public_raw(t.key))
    enrollment.revoke(county, stolen, user="县管理员")
    backup.restore(county, saved)
    add_member(t, "失窃后登记")
    with pytest.raises(PackageRejected, match="已注销"):
        import_package(county, t.export(usb).path)
    assert "失窃后登记" not in member_names(county)
    with county.reader() as s:
        assert [r.status for r in s.scalars(select(SyncEnrollment))] == ["revoked"]
