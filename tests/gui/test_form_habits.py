"""Forms behave as a clerk expects: every mistake shown in one save, no false 未保存 prompt after only
tabbing through, several 议题 on separate lines, and nobody marked present until the clerk says so."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from gui.meetings.form import MeetingForm
from gui.roster.member_form import MemberForm
from models import Meeting, Member
from services import meetings
from services.db import Database
from tests.conftest import TODAY, Builder
from tests.gui.conftest import Boxes, show_active, type_text


def count(db: Database, model: type) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.display
def test_member_form_shows_every_bad_field_in_one_save(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch()
    form = MemberForm(None, db, branch.id)
    qtbot.addWidget(form)
    show_active(qtbot, form)
    type_text(qtbot, form.name, "王小明")
    qtbot.keyClicks(form.id_number, "110105194912310021")  # wrong check character
    type_text(qtbot, form.phone, "电话138")  # not digits
    # 入党日期 left empty
    assert not form.save()
    shown = form.support.messages()
    assert "请填写入党日期" in shown["joined_on"]
    assert "校验" in shown["id_number"] or "身份证" in shown["id_number"]
    assert "联系电话" in shown["phone"]
    assert QApplication.focusWidget() is form.id_number  # the first bad field in form order
    assert count(db, Member) == 0


def test_member_form_shows_service_errors_together(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch()
    form = MemberForm(None, db, branch.id)
    qtbot.addWidget(form)
    qtbot.keyClicks(form.id_number, "11010519491231002X")
    qtbot.keyClicks(form.joined_on, "2099-01-01")  # in the future; 姓名 empty too
    assert not form.save()
    shown = form.support.messages()
    assert shown.keys() >= {"name", "joined_on"}
    assert count(db, Member) == 0


def open_meeting(qtbot: QtBot, db: Database, branch_id: str, meeting_id: str | None = None) -> MeetingForm:
    form = MeetingForm(None, db, branch_id, meeting_id, today=TODAY)
    qtbot.addWidget(form)
    show_active(qtbot, form)
    return form


@pytest.mark.display
def test_meeting_form_shows_every_bad_field_in_one_save(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=3)
    form = open_meeting(qtbot, db, branch.id)
    form.held_on.setText("2026-13-45")
    form.end_time.setText("25:99")
    # 议题 empty, attendance unmarked
    assert not form.save()
    shown = form.support.messages()
    assert "无法识别" in shown["held_on"]
    assert "无法识别" in shown["end_time"]
    assert shown["topics"] == "请填写会议议题。"
    assert "还有 3 人未登记出席情况" in shown["attendance"]
    assert count(db, Meeting) == 0


@pytest.mark.display
def test_attendees_start_unmarked_and_cannot_be_saved_unmarked(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=3)
    form = open_meeting(qtbot, db, branch.id)
    assert [r.status for r in form.attendance.rows] == ["", "", ""]
    assert form.attendance.data(form.attendance.index(0, 2)) == "（未登记）"
    assert "实到 0 人" in form.quorum_label.text()
    type_text(qtbot, form.topics, "学习党章")
    assert not form.save()
    assert "全部出席" in form.support.message_for("attendance")
    form.table.selectRow(0)
    qtbot.keyClick(form.table, Qt.Key.Key_3)  # 缺席
    assert "还有 2 人" in (form.save() or form.support.message_for("attendance"))
    qtbot.mouseClick(form.all_present, Qt.MouseButton.LeftButton)
    assert form.save()
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Meeting)) == 1


@pytest.mark.display
def test_topics_take_several_lines(app: QApplication, qtbot: QtBot, db: Database, build: Builder) -> None:
    branch = build.branch(members=2)
    form = open_meeting(qtbot, db, branch.id)
    form.topics.setFocus()
    type_text(qtbot, form.topics, "学习党章")
    qtbot.keyClick(form.topics, Qt.Key.Key_Return)  # a new line, not the next field and not save
    type_text(qtbot, form.topics, "讨论发展党员")
    assert QApplication.focusWidget() is form.topics
    form.attendance.mark_all_present()
    assert form.save()
    with db.reader() as s:
        assert s.scalars(select(Meeting)).one().topics == "学习党章\n讨论发展党员"


def tab_through(qtbot: QtBot, form: MeetingForm) -> None:
    form.type.setFocus()
    for _ in range(20):
        widget = QApplication.focusWidget()
        assert widget is not None
        qtbot.keyClick(widget, Qt.Key.Key_Tab)


@pytest.mark.display
def test_tabbing_through_a_saved_meeting_asks_nothing_and_keeps_its_attendance(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, boxes: Boxes
) -> None:
    branch = build.branch(members=3)
    observer = build.branch("B02", "二村党支部", members=1)
    guest = build.member(observer.id, "列席人")
    with db.transaction("test") as s:
        people = [m.id for m in meetings.expected_attendees(s, branch.id, "congress", TODAY)]
        data = meetings.MeetingInput(
            type="congress",
            held_on=TODAY,
            topics="学习",
            attendance=[meetings.AttendanceInput(p) for p in people]
            + [meetings.AttendanceInput(guest.id, "observer")],
        )
        meeting_id = meetings.create_meeting(s, branch.id, data, TODAY).id
    form = open_meeting(qtbot, db, branch.id, meeting_id)
    assert len(form.attendance.rows) == 4
    tab_through(qtbot, form)
    assert not form.support.dirty
    assert len(form.attendance.rows) == 4  # the 列席 guest was not replaced by the expected list
    form.reject()
    assert not boxes.shown and not form.isVisible()


@pytest.mark.display
def test_tabbing_through_a_new_meeting_asks_nothing(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, boxes: Boxes
) -> None:
    branch = build.branch(members=3)
    form = open_meeting(qtbot, db, branch.id)
    tab_through(qtbot, form)
    form.reject()
    assert not boxes.shown and not form.isVisible()


@pytest.mark.display
def test_a_real_change_of_date_still_counts_as_unsaved(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, boxes: Boxes
) -> None:
    branch = build.branch(members=3)
    form = open_meeting(qtbot, db, branch.id)
    form.held_on.setFocus()
    form.held_on.selectAll()
    qtbot.keyClicks(form.held_on, "2026-11-01")
    qtbot.keyClick(form.held_on, Qt.Key.Key_Tab)
    assert form.support.dirty
    boxes.answer = boxes.answer.Cancel
    form.reject()
    assert any("尚未保存" in t for t in boxes.texts()) and form.isVisible()
    form.support.set_clean()


def test_ledger_action_form_shows_every_bad_field_in_one_save(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    from gui.ledgers_view import ActionDialog
    from services.ledgers.actions import ACTIONS, Target

    branch = build.branch(members=1)
    action = next(a for a in ACTIONS["funds"] if a.title == "登记收支")
    dialog = ActionDialog(None, db, action, Target(branch.id, None), [])  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.widgets["on"].setText("2026-99-99")  # type: ignore[attr-defined]
    dialog.widgets["amount_fen"].setText("")  # type: ignore[attr-defined]
    dialog.save()
    shown = dialog.support.messages()
    assert "无法识别" in shown["on"] and "金额" in shown["amount_fen"] and "类别" in shown["category"]
    assert dialog.result_value is None
