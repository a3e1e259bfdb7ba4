"""Warnings at entry that the clerk confirms (paper records may really be like that): a meeting with
nobody present, and a second meeting of the same type on the same day (same group for 党小组会). The
form asks and, declined, shows the warning at its field; `meeting add` refuses without --force and
writes nothing; the Excel meeting import shows the same words as notices in its preview."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

import main
from gui.meetings.form import MeetingForm
from models import Meeting
from services import groups, meetings
from services.db import Database
from services.excel.meeting_import import plan_meeting_import
from services.members import members_on
from tests.conftest import TODAY, Builder
from tests.excel.conftest import write_book
from tests.gui.conftest import Boxes, show_active, type_text

DAY = date(2026, 10, 12)


def _meeting(
    db: Database, branch_id: str, type: str = "congress", topics: str = "研究十月工作", **kw: object
) -> str:
    with db.transaction("t") as s:
        data = meetings.MeetingInput(type, DAY, topics, **kw)  # type: ignore[arg-type]
        return meetings.create_meeting(s, branch_id, data, today=TODAY).id


def _count(db: Database) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(Meeting).where(Meeting.deleted.is_(False))) or 0)


def test_nobody_present_and_same_day_same_type_are_warned_not_refused(db: Database, build: Builder) -> None:
    branch = build.branch(members=4).id
    with db.reader() as s:
        everyone = [m.id for m in members_on(s, branch, DAY)]
        all_away = [meetings.AttendanceInput(m, "absent") for m in everyone]
        data = meetings.MeetingInput("congress", DAY, "学习", attendance=all_away)
        warned = meetings.entry_warnings(s, branch, data)
    assert [(w.code, w.field) for w in warned] == [("nobody_present", "attendance")]
    assert "应到 4 人，实到 0 人" in warned[0].message
    first = _meeting(db, branch)
    with db.reader() as s:
        again = meetings.MeetingInput("congress", DAY, "另一个议题")
        warned = meetings.entry_warnings(s, branch, again)
        assert [(w.code, w.field) for w in warned] == [("duplicate", "held_on")]
        assert warned[0].message.startswith(
            "本支部 2026-10-12 已有一次支部党员大会记录（议题：研究十月工作）"
        )
        assert meetings.entry_warnings(s, branch, again, meeting_id=first) == []  # editing that record
        assert (
            meetings.entry_warnings(s, branch, meetings.MeetingInput("lecture", DAY, "党课", lecturer="书记"))
            == []
        )
        other_day = meetings.MeetingInput("congress", date(2026, 10, 13), "研究")
        assert meetings.entry_warnings(s, branch, other_day) == []


def test_two_party_groups_meeting_the_same_day_are_not_duplicates(db: Database, build: Builder) -> None:
    branch = build.branch(members=4).id
    with db.transaction("t") as s:
        one = groups.create_group(s, branch, "一组", founded_on=date(2026, 1, 1), today=TODAY).id
        two = groups.create_group(s, branch, "二组", founded_on=date(2026, 1, 1), today=TODAY).id
        people = [m.id for m in members_on(s, branch, DAY)]
        groups.assign_members(s, one, people[:2])
        groups.assign_members(s, two, people[2:])
    _meeting(db, branch, "group", "学习", party_group_id=one)
    with db.reader() as s:
        assert (
            meetings.entry_warnings(
                s, branch, meetings.MeetingInput("group", DAY, "学习", party_group_id=two)
            )
            == []
        )
        same = meetings.entry_warnings(
            s, branch, meetings.MeetingInput("group", DAY, "学", party_group_id=one)
        )
        assert [w.code for w in same] == ["duplicate"]


def _cli(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_meeting_add_refuses_a_duplicate_without_force_and_writes_nothing(
    db: Database, build: Builder, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build.branch("B01", members=3)
    db.close()
    add = ["meeting", "add", "--branch", "B01", "--type", "congress", "--date", "2026-10-12"]
    assert _cli(db_path, capsys, *add, "--topics", "研究十月工作")[0] == 0
    code, out, err = _cli(db_path, capsys, *add, "--topics", "又一次")
    assert code == 1 and out == ""
    assert "已有一次支部党员大会记录（议题：研究十月工作）" in err and "--force" in err and "没有保存" in err
    code, out, _err = _cli(db_path, capsys, *add, "--topics", "又一次", "--force")
    assert code == 0 and "已按 --force 保存。提示：本支部 2026-10-12 已有一次支部党员大会记录" in out
    code, out, _err = _cli(db_path, capsys, "meeting", "list", "--branch", "B01")
    assert "共 2 次" in out


def test_meeting_add_with_everyone_absent_needs_force(
    db: Database, build: Builder, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    branch = build.branch("B01", members=2)
    with db.reader() as s:
        names = [m.name for m in members_on(s, branch.id, DAY)]
    db.close()
    add = [
        "meeting",
        "add",
        "--branch",
        "B01",
        "--type",
        "congress",
        "--date",
        "2026-10-12",
        "--topics",
        "学习",
    ]
    absent = [arg for name in names for arg in ("--absent", name)]
    code, _out, err = _cli(db_path, capsys, *add, *absent)
    assert code == 1 and "本次会议没有党员出席（应到 2 人，实到 0 人）" in err and "--force" in err
    assert "共 0 次" in _cli(db_path, capsys, "meeting", "list", "--branch", "B01")[1]
    code, out, _err = _cli(db_path, capsys, *add, *absent, "--force")
    assert code == 0 and "已按 --force 保存。提示：本次会议没有党员出席" in out
    assert "共 1 次" in _cli(db_path, capsys, "meeting", "list", "--branch", "B01")[1]


def _form(qtbot: QtBot, db: Database, branch_id: str) -> MeetingForm:
    form = MeetingForm(None, db, branch_id, today=TODAY)
    qtbot.addWidget(form)
    show_active(qtbot, form)
    form.held_on.clear()
    qtbot.keyClicks(form.held_on, DAY.isoformat())
    type_text(qtbot, form.topics, "学习党章")
    return form


def test_form_asks_before_saving_a_meeting_nobody_attended_and_shows_it_at_the_field_if_declined(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, boxes: Boxes
) -> None:
    branch = build.branch(members=3).id
    form = _form(qtbot, db, branch)
    form.attendance.set_status(list(range(len(form.attendance.rows))), "absent")
    boxes.answer = QMessageBox.StandardButton.No
    assert form.save() is False
    assert boxes.shown[-1][0] == "question" and "实到 0 人" in boxes.shown[-1][2]
    assert "本次会议没有党员出席（应到 3 人，实到 0 人）" in form.support.message_for("attendance")
    assert _count(db) == 0
    boxes.answer = QMessageBox.StandardButton.Yes
    qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert form.result() == form.DialogCode.Accepted.value and _count(db) == 1


def test_form_asks_before_saving_a_second_meeting_of_the_same_type_that_day(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, boxes: Boxes
) -> None:
    branch = build.branch(members=3).id
    _meeting(db, branch, "congress", "学习党章", attendance=None)
    form = _form(qtbot, db, branch)
    form.attendance.mark_all_present()
    boxes.answer = QMessageBox.StandardButton.No
    assert form.save() is False
    assert form.support.message_for("held_on").startswith("本支部 2026-10-12 已有一次支部党员大会记录")
    assert _count(db) == 1


def test_excel_meeting_import_shows_the_same_warnings_as_notices(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch("B01", "一村党支部", members=3).id
    _meeting(db, branch, "congress", "学习党章", attendance=None)
    with db.reader() as s:
        names = [m.name for m in members_on(s, branch, DAY)]
    path = write_book(
        tmp_path / "会议.xlsx",
        [
            ["会议序号", "会议日期", "会议类型", "议题"],
            [1, "2026-10-12", "支部党员大会", "另一个议题"],
            [2, "2026-10-20", "支部党员大会", "研究"],
            [3, "2026-10-20", "支部党员大会", "又研究"],
            [4, "2026-10-25", "支部党员大会", "党史"],
        ],
        sheet="会议",
        extra_sheets={
            "出席情况": [["会议序号", "姓名", "出席情况", "原因"], *[[4, n, "缺席", ""] for n in names]]
        },
    )
    with db.reader() as s:
        plan = plan_meeting_import(s, branch, path, today=TODAY)
    notes = {(n.row, n.message.split("，")[0]) for n in plan.notices}
    assert (2, "本支部 2026-10-12 已有一次支部党员大会记录（议题：学习党章）") in notes
    assert (4, "与第 3 行同一天、同为支部党员大会") in notes
    assert any(row == 5 and text.startswith("本次会议没有党员出席") for row, text in notes)
    assert [r.action for r in plan.rows][:3] == ["create", "create", "create"]  # warned, still importable
