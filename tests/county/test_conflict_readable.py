"""A county clerk reads a sync conflict without knowing the database: Chinese field names, codes as
labels, 是/否, local times labelled, the member's name, the two versions told apart, internal columns
hidden, and a warning when taking the other version deletes or restores the record."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

import main
from gui.county.screens import ConflictsTab
from gui.main_window import MainWindow
from models import Branch, Member, SyncConflict
from services import members
from services.county import conflict_text
from services.county.receive import receive as receive_usb
from services.sync.conflicts import list_conflicts
from tests.county.conftest import Desk
from tests.gui.conftest import Boxes

INTERNAL = ("name_key", "name_initials", "branch_id", "township_id", "created_at", "row_seq", "updated_at")


def run(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def phone_conflict(desk: Desk) -> int:
    with desk.db.reader() as s:
        for v in list_conflicts(s):
            if {v.winner.get("phone"), v.loser.get("phone")} == {"13800000001", "13800000002"}:
                return v.id
    raise AssertionError("the desk has no phone conflict")


def delete_conflict(desk: Desk, tmp_path: Path) -> int:
    """Laptop A moves the member to the recycle bin, laptop B (later) changes the phone again."""
    with desk.t02a.db.transaction("clerk") as s:
        members.delete_member(s, desk.conflict_member)
    with desk.t02b.db.transaction("clerk") as s:
        m = members.get_member(s, desk.conflict_member)
        from dataclasses import replace

        members.update_member(s, desk.conflict_member, replace(members.member_input(m), phone="13800000003"))
    usb = tmp_path / "usb-delete"
    usb.mkdir()
    desk.t02a.export(usb)
    desk.t02b.export(usb)
    receive_usb(desk.db, usb)
    with desk.db.reader() as s:
        for v in list_conflicts(s):
            if v.row_id == desk.conflict_member and any(k == "deleted" for k, _a, _b in v.differences):
                return v.id
    raise AssertionError("no conflict about the deletion")


def test_conflict_show_names_the_member_fields_in_chinese_and_tells_the_versions_apart(
    desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    path = desk.db.path
    assert path is not None
    cid = phone_conflict(desk)
    with desk.db.reader() as s:
        name = s.get(Member, desk.conflict_member).name
    code, out, err = run(path, capsys, "sync", "conflicts", "show", str(cid))
    assert code == 0, err
    assert f"党员“{name}”" in out and "表 member" not in out
    assert "联系电话" in out and "13800000001" in out and "13800000002" in out
    current = next(line for line in out.splitlines() if "当前版本：" in line)
    other = next(line for line in out.splitlines() if "另一版本：" in line)
    assert "（本地时间）" in current and "（本地时间）" in other
    assert "乡镇 T02" in current and "指纹" in current
    assert current.split("：", 1)[1] != other.split("：", 1)[1]  # device, generation or time differ
    for internal in INTERNAL:
        assert internal not in out.replace("--field phone", "")
    code, out, _err = run(path, capsys, "sync", "conflicts", "list")
    assert code == 0 and f"党员 {name}" in out and "联系电话" in out and "phone" not in out


def test_codes_and_flags_are_shown_as_labels_and_stored_utc_times_in_local_time(desk: Desk) -> None:
    cid = phone_conflict(desk)
    with desk.db.reader() as s:
        v = next(v for v in list_conflicts(s) if v.id == cid)
        lines = {line.key: line for line in conflict_text.field_lines(s, v)}
        branch = s.get(Branch, s.get(Member, desk.conflict_member).branch_id)
        branch_id, branch_name = branch.id, branch.name
    assert lines["phone"].differs and lines["phone"].label == "联系电话"
    assert next(iter(lines)) == "phone"  # differing fields first
    assert lines["state"].current == "在册" and lines["gender"].current in ("男", "女")
    assert lines["is_flowing"].current in ("是", "否") and lines["deleted"].current == "否"
    assert lines["deleted"].label == "在回收站"
    assert "name_key" not in lines and "created_at" not in lines and "id" not in lines
    assert lines["branch_id"].current == branch_name  # references by name, never the id
    assert branch_id not in {line.current for line in lines.values()}


def test_taking_the_version_that_deletes_the_member_warns_first_and_says_so_after(
    desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = delete_conflict(desk, tmp_path)
    path = desk.db.path
    assert path is not None
    with desk.db.reader() as s:
        v = s.get(SyncConflict, cid)
        name = s.get(Member, desk.conflict_member).name
        view = next(x for x in list_conflicts(s) if x.id == cid)
        loser_deleted = bool(view.loser.get("deleted"))
    code, out, _err = run(path, capsys, "sync", "conflicts", "show", str(cid))
    assert code == 0 and v is not None
    verb = "移入回收站" if loser_deleted else "恢复"
    assert "注意：改用另一版本会把" in out and f"“{name}”" in out and verb in out
    code, out, err = run(path, capsys, "sync", "conflicts", "resolve", str(cid), "--keep", "other")
    assert code == 0, err
    assert verb in out and name in out


def test_conflict_tab_shows_labels_names_version_titles_and_asks_before_deleting(
    app: QApplication, qtbot: QtBot, desk: Desk, tmp_path: Path, boxes: Boxes
) -> None:
    cid = delete_conflict(desk, tmp_path)
    window = MainWindow(desk.db)
    qtbot.addWidget(window)
    assert window.select_tab_title("冲突")
    tab = window.tabs.currentWidget()
    assert isinstance(tab, ConflictsTab)
    row = next(r for r in range(tab.queue.rowCount()) if tab.queue.item(r, 0).text() == f"#{cid}")
    tab.queue.selectRow(row)
    with desk.db.reader() as s:
        name = s.get(Member, desk.conflict_member).name
    assert tab.queue.item(row, 2).text() == name
    labels = [tab.sides.item(r, 0).text() for r in range(tab.sides.rowCount())]
    assert "在回收站" in labels and "姓名" in labels and "联系电话" in labels
    for internal in INTERNAL:
        assert internal not in labels
    assert "当前版本：" in tab.versions.text() and "另一版本：" in tab.versions.text()
    assert "（本地时间）" in tab.versions.text()
    assert "改用另一版本会把" in tab.warning.text()
    header = [tab.sides.horizontalHeaderItem(c).text() for c in range(3)]
    assert header == ["字段", "当前版本", "另一版本"]  # short: the full titles are above the table
    boxes.answer = QMessageBox.StandardButton.No
    qtbot.mouseClick(tab.other_button, Qt.MouseButton.LeftButton)
    assert any("改用另一版本会把" in t for t in boxes.texts())
    with desk.db.reader() as s:
        assert s.get(SyncConflict, cid).status == "open"  # declined: nothing written
    boxes.answer = QMessageBox.StandardButton.Yes
    qtbot.mouseClick(tab.other_button, Qt.MouseButton.LeftButton)
    with desk.db.reader() as s:
        assert s.get(SyncConflict, cid).status == "swapped"
        assert s.scalars(select(SyncConflict.id).where(SyncConflict.id == cid)).one() == cid
