"""A roster sheet's 党小组 column: existing groups are assigned by name; missing ones are a problem
unless the clerk confirms creating them, then they are created in the same transaction."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from gui import ops
from gui.excel.import_dialog import ExcelImportDialog
from models import Member, PartyGroup
from services import groups
from services.db import Database
from services.excel.roster_import import apply_roster_import, plan_roster_import
from tests.conftest import TODAY, Builder
from tests.excel.conftest import person, write_book
from tests.gui.conftest import show_active

HEADER = ["姓名", "公民身份号码", "入党日期", "党小组"]


def book(tmp_path: Path) -> Path:
    rows = [
        HEADER,
        ["张三", person(11), "2005-07-01", "第一党小组"],
        ["李四", person(13), "2005-07-01", "东片党小组"],
        ["王五", person(15), "2005-07-01", "东片党小组"],
    ]
    return write_book(tmp_path / "roster.xlsx", rows)


def test_missing_group_is_a_problem_unless_creation_is_confirmed(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch()
    with db.transaction("test") as s:
        groups.create_group(s, branch.id, "第一党小组")
    path = book(tmp_path)
    with db.reader() as s:
        plan = plan_roster_import(s, branch.id, path, today=TODAY)
    assert [(p.row, p.message) for p in plan.problems] == [
        (row, "本支部没有这个党小组。请改正名称，或选择“新建表中的党小组”在导入时建立。") for row in (3, 4)
    ]
    assert len(plan.problems) == 2 and plan.new_groups == []

    with db.transaction("test") as s:
        plan = plan_roster_import(s, branch.id, path, today=TODAY, create_groups=True)
        assert plan.ok and plan.new_groups == ["东片党小组"] and "将新建党小组：东片党小组" in plan.summary()
        apply_roster_import(s, branch.id, plan, today=TODAY)
    with db.reader() as s:
        by_name = {g.name: g.id for g in s.scalars(select(PartyGroup))}
        placed = {m.name: m.party_group_id for m in s.scalars(select(Member))}
    assert placed == {
        "张三": by_name["第一党小组"],
        "李四": by_name["东片党小组"],
        "王五": by_name["东片党小组"],
    }


def test_import_dialog_offers_to_create_the_missing_groups(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch()
    dialog = ExcelImportDialog(db, "roster", branch_id=branch.id, today=TODAY)
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    dialog.path_edit.setText(str(book(tmp_path)))
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    ops.wait_idle()
    assert dialog.problem_model.rowCount() == 3 and not dialog.import_button.isEnabled()
    dialog.create_groups.setFocus()
    qtbot.keyClick(dialog.create_groups, Qt.Key.Key_Space)
    ops.wait_idle()
    assert "将新建党小组：第一党小组、东片党小组" in dialog.summary.text()
    with qtbot.waitSignal(dialog.imported):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    ops.wait_idle()
    with db.reader() as s:
        assert sorted(g.name for g in s.scalars(select(PartyGroup))) == ["东片党小组", "第一党小组"]


def test_a_group_created_by_a_roster_import_takes_the_group_meetings_of_before_the_import(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    from datetime import date

    from services import meetings

    branch = build.branch()
    with db.transaction("test") as s:
        plan = plan_roster_import(s, branch.id, book(tmp_path), today=TODAY, create_groups=True)
        apply_roster_import(s, branch.id, plan, today=TODAY)
    with db.transaction("test") as s:
        east = s.scalars(select(PartyGroup).where(PartyGroup.name == "东片党小组")).one()
        assert east.founded_on is None  # a roster says who is in a group, not since when
        data = meetings.MeetingInput("group", date(2024, 3, 5), "学习党章", party_group_id=east.id)
        saved = meetings.create_meeting(s, branch.id, data, today=TODAY)
        assert sorted(a.member_id for a in saved.attendance) == sorted(
            m.id for m in s.scalars(select(Member).where(Member.party_group_id == east.id))
        )
