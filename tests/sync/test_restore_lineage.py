"""A laptop restored from a backup that does not know everything it has sent — made before its first
sync, two restores ago, or on the township's other laptop — keeps its identity: the county lists every
record it had received from this laptop that the restored ledger no longer has, and records the other
laptop still has are not called lost."""

from __future__ import annotations

import shutil
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services import backup
from services.db import Database, open_database
from services.sync import enrollment, state
from services.sync.conflicts import list_conflicts
from services.sync.receiver import import_package, release_enrolled
from services.sync.signing import b64, key_id, public_raw
from tests.sync.conftest import Town
from tests.sync.test_trust import add_member, member_names, sync_round


def _listed(county: Database) -> set[str]:
    with county.reader() as s:
        return {c.row_id for c in list_conflicts(s)}


def test_rows_sent_after_a_backup_from_before_the_first_sync_are_listed_when_it_is_restored(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    saved = backup.backup_to(t.db, tmp_path / "before-first-sync.sqlite")
    sent = add_member(t, "首次同步前登记")
    sync_round(t, county, usb)
    with t.db.reader() as s:
        device = state.device_id(s, create=False)
    backup.restore(t.db, saved)
    with t.db.reader() as s:
        assert state.device_id(s, create=False) == device  # still this laptop
    after = add_member(t, "恢复后登记")
    assert sync_round(t, county, usb) == "imported"
    assert {"首次同步前登记", "恢复后登记"} <= member_names(county)
    assert sent in _listed(county) and after not in _listed(county)


def test_an_old_backup_restored_after_two_generations_lists_what_the_later_one_sent(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    oldest = backup.backup_to(t.db, tmp_path / "oldest.sqlite")
    first = add_member(t, "第一次登记")
    sync_round(t, county, usb)
    middle = backup.backup_to(t.db, tmp_path / "middle.sqlite")
    backup.restore(t.db, middle)  # a second generation …
    second = add_member(t, "第二代登记")
    sync_round(t, county, usb)  # … whose rows reach the county
    backup.restore(t.db, oldest)  # then the oldest backup: neither member is on the laptop now
    assert sync_round(t, county, usb) == "imported"
    listed = _listed(county)
    assert first in listed and second in listed


def test_restoring_the_other_laptops_backup_keeps_this_laptops_identity(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    a = make_town("T01").enroll(county)
    sync_round(a, county, usb)
    a.db.close()
    folder = tmp_path / "second"
    folder.mkdir()
    shutil.copyfile(a.folder / "ledger.sqlite", folder / "ledger.sqlite")
    a.db = open_database(a.folder / "ledger.sqlite")
    b = Town("T01", open_database(folder / "ledger.sqlite"), Ed25519PrivateKey.generate(), folder)
    try:
        with b.db.reader() as s:
            town_id = state.township(s).id
        enrollment.register(county, b64(public_raw(b.key)), "T01", town_id, user="县管理员")
        mine = add_member(b, "二号电脑登记")
        assert sync_round(b, county, usb) == "imported"
        with b.db.reader() as s:
            b_device = state.device_id(s, create=False)
        theirs = add_member(a, "一号电脑登记")
        sync_round(a, county, usb)
        a_backup = backup.backup_to(a.db, tmp_path / "laptop-a.sqlite")
        backup.restore(b.db, a_backup)  # the second laptop takes the first one's backup
        with b.db.reader() as s:
            assert state.device_id(s, create=False) == b_device
        result = import_package(county, b.export(usb).path)
        assert result.status == "imported", result.message
        listed = _listed(county)
        assert mine in listed  # sent by this laptop, gone from it: listed
        assert theirs not in listed  # the first laptop still has it: not called lost
    finally:
        b.db.close()


def test_a_copy_first_noticed_at_export_sends_under_its_own_device_id(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    """The app checks for a copied file when it opens it; a file it could not check then (read-only)
    is checked at export: the package must already carry the copy's own device id, or the county
    files it under the original laptop (whose later records it then calls lost) and the copy can never
    take its acknowledgement."""
    a = make_town("T01").enroll(county)
    sync_round(a, county, usb)
    a.db.close()
    folder = tmp_path / "copy"
    folder.mkdir()
    shutil.copyfile(a.folder / "ledger.sqlite", folder / "ledger.sqlite")
    a.db = open_database(a.folder / "ledger.sqlite")
    b = Town("T01", open_database(folder / "ledger.sqlite"), a.key, folder)  # same key: a plain copy
    try:
        with a.db.reader() as s:
            original = state.device_id(s, create=False)
        add_member(b, "副本登记")
        package = b.export(usb)
        with b.db.reader() as s:
            assert package.device_id == state.device_id(s, create=False) != original
        result = import_package(county, package.path)
        assert result.status == "imported" and result.device_id.startswith(package.device_id)
        later = add_member(a, "原电脑之后登记")
        assert sync_round(a, county, usb) == "imported"
        assert later not in _listed(county)
        assert sync_round(b, county, usb) in ("imported", "duplicate")  # its acknowledgement applies
    finally:
        b.db.close()


def _reinstalled_from_backup_file(t: Town, saved: Path) -> str:
    """The system reinstalled (new key) and the ledger put back by copying a backup file into place;
    returns the old key's fingerprint."""
    path = t.folder / "ledger.sqlite"
    t.db.close()
    aside = t.folder / "old-disk"
    aside.mkdir()
    for suffix in ("", "-wal", "-shm"):  # the old drive's file is still somewhere: another inode
        if Path(str(path) + suffix).exists():
            Path(str(path) + suffix).rename(aside / f"ledger.sqlite{suffix}")
    shutil.copyfile(saved, path)
    t.db = open_database(path)
    # a copy (another computer) or, with this computer's user folder still there, a restore by hand
    assert state.check_on_open(t.db) in ("copy", "restore")
    old = key_id(public_raw(t.key))
    t.key = Ed25519PrivateKey.generate()
    return old


def test_a_laptop_reinstalled_from_a_backup_file_has_what_it_lost_listed_once_re_registered(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    saved = backup.backup_to(t.db, tmp_path / "backup.sqlite")
    lost = add_member(t, "备份后登记")
    sync_round(t, county, usb)
    old = _reinstalled_from_backup_file(t, saved)
    assert import_package(county, t.export(usb).path).status == "pending"
    new = key_id(public_raw(t.key))
    enrollment.replace(county, old, new, user="县管理员")
    [released] = release_enrolled(county, new)
    assert released.status == "imported", released.message
    assert lost in _listed(county) and "没有" in released.message


def test_a_laptop_registered_in_advance_after_a_reinstall_from_a_backup_file_lists_what_it_lost(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    saved = backup.backup_to(t.db, tmp_path / "backup.sqlite")
    lost = add_member(t, "备份后登记")
    sync_round(t, county, usb)
    old = _reinstalled_from_backup_file(t, saved)
    with t.db.reader() as s:
        town_id = state.township(s).id
    enrollment.register(county, b64(public_raw(t.key)), "T01", town_id, user="县管理员")
    enrollment.revoke(county, old, user="县管理员")
    assert sync_round(t, county, usb) == "imported"
    assert lost in _listed(county)


def test_a_second_laptop_in_use_never_has_the_first_ones_records_called_lost(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    a = make_town("T01").enroll(county)
    sync_round(a, county, usb)
    saved = backup.backup_to(a.db, tmp_path / "backup.sqlite")
    kept = add_member(a, "一号电脑登记")
    sync_round(a, county, usb)
    folder = tmp_path / "second"
    folder.mkdir()
    shutil.copyfile(saved, folder / "ledger.sqlite")  # the second laptop starts from the backup
    b = Town("T01", open_database(folder / "ledger.sqlite"), Ed25519PrivateKey.generate(), folder)
    try:
        assert state.check_on_open(b.db) == "copy"
        assert import_package(county, b.export(usb).path).status == "pending"
        fp = key_id(public_raw(b.key))
        enrollment.approve_additional(county, fp, user="县管理员")
        [released] = release_enrolled(county, fp)
        assert released.status == "imported", released.message
        assert kept not in _listed(county)
    finally:
        b.db.close()
