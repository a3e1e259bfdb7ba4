"""What a township gets back after a restore (a record the county already had is never silently
missing on the township), copies of a database file (no false conflicts, said on both sides), and
what a restore says happens next."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from models import AuditEntry, Branch, Member, Township
from services import backup
from services.db import Database
from services.sync.ack import apply_ack, write_ack
from services.sync.conflicts import list_conflicts, resolve
from services.sync.receiver import import_package
from services.sync.status import sync_status
from tests.conftest import Builder
from tests.sync.conftest import Town, touch_member


def _builder(town: Town, seq: int) -> tuple[Builder, str]:
    b = Builder(town.db)
    with town.db.reader() as s:
        b.township_id = s.scalars(select(Township.id)).one()
        branch = s.scalars(select(Branch.id).order_by(Branch.id)).first()
    b._seq = seq
    assert branch is not None
    return b, branch


def add_member(town: Town, name: str, seq: int, *, id_number: str = "") -> str:
    b, branch = _builder(town, seq)
    member_id = b.member(branch, name, birth=date(1979, 3, 3)).id
    if id_number:
        with town.db.transaction("clerk") as s:
            m = s.get(Member, member_id)
            assert m is not None
            m.id_number = id_number
    return member_id


def id_number_of(db: Database, member_id: str) -> str:
    with db.reader() as s:
        m = s.get(Member, member_id)
        assert m is not None
        return m.id_number


def sync_round(town: Town, county: Database, usb: Path) -> None:
    result = import_package(county, town.export(usb).path)
    apply_ack(town.db, write_ack(county, result.device_id, usb).path)


def events(db: Database, name: str) -> list[AuditEntry]:
    """The audit log's entries for one named event."""
    with db.reader() as s:
        return [
            e for e in s.scalars(select(AuditEntry)) if json.loads(e.changes).get("event") == [None, name]
        ]


def live(db: Database, member_id: str) -> bool:
    with db.reader() as s:
        m = s.get(Member, member_id)
        return m is not None and not m.deleted


def _restored_township(make_town, county: Database, usb: Path, tmp_path: Path) -> tuple[Town, str]:
    """A township that sent 孙八 to the county, then restored a backup from before 孙八."""
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    saved = backup.backup_to(t.db, tmp_path / "before.sqlite")
    lost = add_member(t, "孙八", 9001)
    sync_round(t, county, usb)
    backup.restore(t.db, saved)
    assert not live(t.db, lost)
    return t, lost


def test_a_record_the_restored_township_lost_comes_back_with_the_next_acknowledgement(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t, lost = _restored_township(make_town, county, usb, tmp_path)
    add_member(t, "吴九", 9101)
    result = import_package(county, t.export(usb).path)
    assert "恢复备份后已没有 1 条" in result.message
    applied = apply_ack(t.db, write_ack(county, result.device_id, usb).path)
    assert live(t.db, lost), applied.message
    assert "已补回 1 条本机缺少、县里仍保留的记录" in applied.message
    assert "未采用" not in applied.message
    assert [e.row_id for e in events(t.db, "county_record_restored")] == [lost]
    # the restored record counts as a change to send: the status never shows 0 with it missing
    assert sum(sync_status(t.db)["pending"].values()) >= 1
    # the next round brings nothing new to the county and no new conflict
    before = len(list_conflicts_all(county))
    again = import_package(county, t.export(usb).path)
    assert again.conflicts == 0 and len(list_conflicts_all(county)) == before


def list_conflicts_all(county: Database) -> list[object]:
    with county.reader() as s:
        return list(list_conflicts(s, include_resolved=True))


def test_keeping_the_county_version_of_a_record_the_township_lacks_writes_it_there(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t, lost = _restored_township(make_town, county, usb, tmp_path)
    add_member(t, "吴九", 9101)
    result = import_package(county, t.export(usb).path)
    with county.reader() as s:
        [gone] = [c for c in list_conflicts(s) if c.row_id == lost]
    resolve(county, gone.id, "current", user="county-admin")
    applied = apply_ack(t.db, write_ack(county, result.device_id, usb).path)
    assert live(t.db, lost)
    assert "未采用" not in applied.message
    with t.db.reader() as s:
        m = s.get(Member, lost)
        assert m is not None and m.name == "孙八"


def test_choosing_to_drop_a_record_the_township_lacks_does_not_bring_it_back(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t, lost = _restored_township(make_town, county, usb, tmp_path)
    result = import_package(county, t.export(usb).path)
    with county.reader() as s:
        [gone] = [c for c in list_conflicts(s) if c.row_id == lost]
    resolve(county, gone.id, "other", user="county-admin")  # the township's version: deleted
    apply_ack(t.db, write_ack(county, result.device_id, usb).path)
    assert not live(t.db, lost) and not live(county, lost)


def test_a_lost_branch_and_the_members_in_it_come_back_parents_first(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    saved = backup.backup_to(t.db, tmp_path / "before.sqlite")
    b, _branch = _builder(t, 9401)
    branch = b.branch("B99", "新建村党支部")
    people = [b.member(branch.id, f"新支部党员{n}").id for n in range(3)]
    sync_round(t, county, usb)
    backup.restore(t.db, saved)

    result = import_package(county, t.export(usb).path)
    assert "恢复备份后已没有 4 条" in result.message
    applied = apply_ack(t.db, write_ack(county, result.device_id, usb).path)
    assert "已补回 4 条" in applied.message and "未采用" not in applied.message
    with t.db.reader() as s:
        back = s.get(Branch, branch.id)
        assert back is not None and back.name == "新建村党支部"
    assert all(live(t.db, m) for m in people)
    assert sync_status(t.db)["skipped_decisions"] == []


def test_two_people_of_one_township_with_one_id_number_are_named_at_the_county(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t, lost = _restored_township(make_town, county, usb, tmp_path)
    number = id_number_of(county, lost)
    again = add_member(t, "吴九", 9101, id_number=number)  # the same person typed again
    result = import_package(county, t.export(usb).path)
    assert result.status == "imported"
    assert f"身份证号 {number}" in result.message and "孙八" in result.message and "吴九" in result.message
    assert live(county, again) and live(county, lost)
    # the township gets 孙八 back and is told he shares the number with 吴九
    applied = apply_ack(t.db, write_ack(county, result.device_id, usb).path)
    assert live(t.db, lost) and live(t.db, again)
    assert f"注意：补回的 孙八（{lost[:8]}）与本机的 吴九（{again[:8]}）身份证号相同" in applied.message
    assert len(events(county, "sync_duplicate_id_number")) == 1


def test_distinct_id_numbers_after_a_restore_give_no_duplicate_warning(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t, _lost = _restored_township(make_town, county, usb, tmp_path)
    add_member(t, "吴九", 9101)
    result = import_package(county, t.export(usb).path)
    assert "身份证号" not in result.message


# --- copies of a database file ------------------------------------------------------------------


def _copy_of(t: Town, tmp_path: Path) -> Town:
    """The township's database file copied to another folder and opened there (same laptop key)."""
    from services.db import open_database
    from services.sync import state

    t.db.close()
    folder = tmp_path / "copy"
    folder.mkdir()
    shutil.copyfile(t.folder / "ledger.sqlite", folder / "ledger.sqlite")
    t.db = open_database(t.folder / "ledger.sqlite")
    copy = Town(code=t.code, db=open_database(folder / "ledger.sqlite"), key=t.key, folder=folder)
    assert state.check_on_open(copy.db) == "copy"
    return copy


def _two_members(t: Town) -> tuple[str, str]:
    with t.db.reader() as s:
        a, b = s.scalars(select(Member.id).where(Member.deleted.is_(False)).order_by(Member.id).limit(2))
    return a, b


@pytest.mark.parametrize("original_first", [True, False])
def test_a_copy_resending_a_record_it_never_changed_is_no_conflict(
    make_town, county: Database, usb: Path, tmp_path: Path, original_first: bool
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    copy = _copy_of(t, tmp_path)
    try:
        a, b = _two_members(t)
        touch_member(t.db, a, phone="13900000001")  # edited on the original laptop only
        touch_member(copy.db, b, phone="13900000002")  # edited on the copy only
        packages = [t.export(usb).path, copy.export(usb).path]
        results = [import_package(county, p) for p in (packages if original_first else packages[::-1])]
        assert [r.conflicts for r in results] == [0, 0], [r.message for r in results]
        assert all("两处都被修改过" not in r.message for r in results)
        with county.reader() as s:
            assert s.get(Member, a).phone == "13900000001"  # type: ignore[union-attr]
            assert s.get(Member, b).phone == "13900000002"  # type: ignore[union-attr]
            assert list_conflicts(s) == []
    finally:
        copy.db.close()


def test_a_copy_and_the_original_changing_the_same_record_is_still_a_conflict(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    copy = _copy_of(t, tmp_path)
    try:
        a, _b = _two_members(t)
        touch_member(t.db, a, phone="13900000001")
        touch_member(copy.db, a, phone="13900000003")
        import_package(county, t.export(usb).path)
        result = import_package(county, copy.export(usb).path)
        assert result.conflicts == 1
        with county.reader() as s:
            [c] = list_conflicts(s)
        assert c.row_id == a and {"13900000001", "13900000003"} == {c.winner["phone"], c.loser["phone"]}
    finally:
        copy.db.close()


def test_a_copy_resending_a_record_the_county_has_since_decided_is_no_conflict(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    first = _copy_of(t, tmp_path)
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    shutil.copyfile(first.folder / "ledger.sqlite", second_dir / "ledger.sqlite")
    try:
        a, _b = _two_members(t)
        touch_member(t.db, a, phone="13900000001")
        touch_member(first.db, a, phone="13900000003")
        import_package(county, t.export(usb).path)
        assert import_package(county, first.export(usb).path).conflicts == 1
        with county.reader() as s:
            [c] = list_conflicts(s)
        resolve(county, c.id, "other", user="county-admin")  # the county writes the row itself
        from services.db import open_database
        from services.sync import state

        second = Town(
            code="T01", db=open_database(second_dir / "ledger.sqlite"), key=t.key, folder=second_dir
        )
        try:
            assert state.check_on_open(second.db) == "copy"
            result = import_package(county, second.export(usb).path)  # never touched the member
            assert result.conflicts == 0, result.message
        finally:
            second.db.close()
        with county.reader() as s:
            assert s.get(Member, a).phone == c.loser["phone"]  # type: ignore[union-attr]
    finally:
        first.db.close()


def test_a_copied_database_file_is_named_on_opening_and_in_sync_status(
    make_town, usb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import main

    t = make_town("T01")
    t.export(usb)  # the file has synced: it has a device id and a generation
    t.db.close()
    copy = tmp_path / "copied.sqlite"
    shutil.copyfile(t.folder / "ledger.sqlite", copy)

    code = main.main(["--db", str(copy), "sync", "status"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "注意：本库是另一个数据库文件的副本" in err  # said once, on the opening that found it
    assert "注意：本库是另一个数据库文件的副本" in out and "只在一个文件上继续录入" in out
    code = main.main(["--db", str(copy), "sync", "status", "--json"])
    out, err = capsys.readouterr()
    assert (
        code == 0 and err == "" and json.loads(out)["warnings"][0].startswith("本库是另一个数据库文件的副本")
    )

    code = main.main(["--db", str(t.folder / "ledger.sqlite"), "sync", "status"])
    out, err = capsys.readouterr()
    assert code == 0 and "副本" not in out + err  # the original is not a copy


def test_the_county_names_two_database_files_sending_for_one_laptop(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    from services.sync import state
    from services.sync.status import last_ack_text

    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    copy = _copy_of(t, tmp_path)
    try:
        assert "复制来的数据库文件" in last_ack_text(copy.db)
        add_member(t, "原文件登记", 9201)
        add_member(copy, "副本登记", 9301)
        first = import_package(county, t.export(usb).path)
        assert "同一个数据库文件" not in first.message
        result = import_package(county, copy.export(usb).path)
        assert result.status == "imported"
        with t.db.reader() as s:
            original = state.device_id(s)
        assert "出自同一个数据库文件" in result.message and original[:8] in result.message
        assert len(events(county, "sync_second_database")) == 1
        # once the county has acknowledged the copy as its own device, the copy stops warning
        apply_ack(copy.db, write_ack(county, result.device_id, usb).path)
        assert sync_status(copy.db)["warnings"] == []
        assert "复制" not in last_ack_text(copy.db)
    finally:
        copy.db.close()


def test_a_restore_or_another_township_is_not_called_a_copy(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t, _lost = _restored_township(make_town, county, usb, tmp_path)
    result = import_package(county, t.export(usb).path)
    other = make_town("T02", seed=2).enroll(county)
    second = import_package(county, other.export(usb).path)
    assert "同一个数据库文件" not in result.message + second.message
    assert events(county, "sync_second_database") == []
    assert sync_status(t.db)["warnings"] == []


# --- restore messages ---------------------------------------------------------------------------


def test_restoring_into_a_new_database_file_does_not_claim_to_have_kept_an_earlier_one(
    make_town, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import main

    t = make_town("T01")
    saved = backup.backup_to(t.db, tmp_path / "t01.sqlite")
    fresh = tmp_path / "new-laptop" / "ledger.sqlite"
    fresh.parent.mkdir()
    code = main.main(["--db", str(fresh), "restore", str(saved)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "已备份到" not in out and "恢复前这里还没有数据" in out
    assert not list((fresh.parent / "backups").glob("*before-restore*"))

    code = main.main(["--db", str(fresh), "restore", str(saved)])  # now there is data to keep
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "恢复前的数据库已备份到" in out


def test_restoring_a_county_database_says_the_townships_next_packages_fill_the_gap(
    make_town, county_sqlite: Database, usb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import main
    from services.county import mode
    from services.sync import keys

    mode.init_county(county_sqlite, key_file=tmp_path / "county-key.json", user="county-admin")
    saved = backup.backup_to(county_sqlite, tmp_path / "county-backup.sqlite")
    t = make_town("T01")
    keys.county_set(t.db, tmp_path / "county-key.json", user="clerk")
    import_package(county_sqlite, t.enroll(county_sqlite).export(usb).path)
    path = Path(str(county_sqlite.engine.url.database))
    county_sqlite.close()
    code = main.main(["--db", str(path), "restore", str(saved)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "恢复前的数据库已备份到" in out
    assert "县级汇总库" in out and "下次送来的同步包会补上缺少的部分" in out and "county acks" in out


def test_the_sync_screen_of_a_copied_database_file_says_it_is_a_copy(
    qapp, qtbot, make_town, usb: Path, tmp_path: Path
) -> None:
    from gui.app import create_app
    from gui.sync.dialog import SyncDialog
    from services.db import open_database
    from services.sync import state

    create_app()
    t = make_town("T01")
    t.export(usb)
    t.db.close()
    copied = tmp_path / "copied.sqlite"
    shutil.copyfile(t.folder / "ledger.sqlite", copied)
    db = open_database(copied)
    try:
        assert state.check_on_open(db) == "copy"
        dialog = SyncDialog(db)
        qtbot.addWidget(dialog)
        assert "注意：本库是另一个数据库文件的副本" in dialog.status_label.text()
        t.db = open_database(t.folder / "ledger.sqlite")
        original = SyncDialog(t.db)
        qtbot.addWidget(original)
        assert "副本" not in original.status_label.text()
    finally:
        db.close()
