"""Recording a meeting through the form, as a clerk does with the keyboard."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from gui.meetings.form import MeetingForm
from models import Attachment, Attendance, Meeting
from services import attachments
from services.db import Database
from tests.conftest import TODAY, Builder
from tests.gui.conftest import show_active, type_text


def tiny_png(path: Path) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = zlib.compress(b"\x00\xff\x00\x00")  # one red pixel
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    path.write_bytes(png + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
    return path


def open_form(qtbot: QtBot, db: Database, branch_id: str) -> MeetingForm:
    form = MeetingForm(None, db, branch_id, today=TODAY)
    qtbot.addWidget(form)
    show_active(qtbot, form)
    return form


@pytest.mark.display
def test_record_meeting_with_leave_and_photo(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch(members=5, probationary=1)
    form = open_form(qtbot, db, branch.id)
    assert len(form.attendance.rows) == 5  # pre-filled with the branch's members

    form.held_on.setFocus()
    form.held_on.clear()
    qtbot.keyClicks(form.held_on, "2026.11.20")
    qtbot.keyClick(form.held_on, Qt.Key.Key_Return)  # Enter moves on, it does not save a half form
    assert QApplication.focusWidget() is form.start_time
    assert form.support.general.isHidden() and not form.support.message_for("topics")
    qtbot.keyClicks(form.start_time, "9:00")
    qtbot.keyClicks(form.end_time, "11:30")
    type_text(qtbot, form.place, "村委会会议室")
    type_text(qtbot, form.host, "张书记")
    type_text(qtbot, form.recorder, "李四")
    type_text(qtbot, form.topics, "学习党章；讨论发展党员")
    type_text(qtbot, form.resolutions, "同意接收王五为入党积极分子")

    # Nobody is marked yet: one click marks everyone present, then the exceptions.
    assert {r.status for r in form.attendance.rows} == {""}
    qtbot.mouseClick(form.all_present, Qt.MouseButton.LeftButton)
    # Second person asks for leave: select the row, press 2, type the reason.
    names = [r.name for r in form.attendance.rows]
    form.table.selectRow(1)
    qtbot.keyClick(form.table, Qt.Key.Key_2)
    assert form.attendance.rows[1].status == "leave"
    form.attendance.setData(form.attendance.index(1, 3), "外出务工")
    form.table.selectRow(2)
    qtbot.keyClick(form.table, Qt.Key.Key_3)
    assert "实到 3 人" in form.quorum_label.text()

    form.add_files([tiny_png(tmp_path / "现场.png")])
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.result() == form.DialogCode.Accepted.value

    with db.reader() as s:
        meeting = s.scalars(select(Meeting)).one()
        assert meeting.topics == "学习党章；讨论发展党员"
        assert meeting.place == "村委会会议室"
        assert meeting.held_on.isoformat() == "2026-11-20"
        assert meeting.start_time is not None and meeting.start_time.hour == 9
        rows = s.scalars(select(Attendance).order_by(Attendance.sort_order)).all()
        assert [r.status for r in rows] == ["present", "leave", "absent", "present", "present"]
        assert rows[1].reason == "外出务工"
        assert len(names) == 5
        photo = s.scalars(select(Attachment)).one()
        assert photo.owner_id == meeting.id and photo.mime == "image/png"
        assert attachments.file_of(s, photo).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.display
def test_leave_without_reason_is_shown_at_attendance_and_nothing_saved(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=3)
    form = open_form(qtbot, db, branch.id)
    type_text(qtbot, form.topics, "学习")
    form.table.selectRow(0)
    qtbot.keyClick(form.table, Qt.Key.Key_2)
    qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert "请假须填写原因" in form.support.message_for("attendance")
    assert form.isVisible()
    with db.reader() as s:
        assert s.scalars(select(Meeting)).first() is None


@pytest.mark.display
def test_missing_topics_and_bad_date_are_shown_next_to_the_fields(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=3)
    form = open_form(qtbot, db, branch.id)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.support.message_for("topics") == "请填写会议议题。"

    type_text(qtbot, form.topics, "学习")
    form.held_on.clear()
    qtbot.keyClicks(form.held_on, "2026-13-45")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert "无法识别" in form.support.message_for("held_on")

    form.held_on.setText("1999-05-01")  # before the branch was founded (2000-01-01)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert "早于支部成立日期" in form.support.message_for("held_on")
    with db.reader() as s:
        assert s.scalars(select(Meeting)).first() is None


@pytest.mark.display
def test_probationary_members_do_not_count_towards_quorum(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=4, probationary=2)  # 2 voting members
    form = open_form(qtbot, db, branch.id)
    voting = [i for i, r in enumerate(form.attendance.rows) if r.can_vote]
    form.attendance.mark_all_present()
    form.attendance.set_status([voting[0]], "absent")
    assert "有表决权 2 人" in form.quorum_label.text()
    assert "不符合" in form.quorum_label.text()  # 1 of 2 voting present is not more than half


@pytest.mark.display
def test_editing_a_meeting_keeps_its_attendance(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=3)
    form = open_form(qtbot, db, branch.id)
    type_text(qtbot, form.topics, "学习")
    form.attendance.mark_all_present()
    form.attendance.set_status([0], "absent")
    assert form.save()
    meeting_id = form.meeting_id
    assert meeting_id is not None

    again = MeetingForm(None, db, branch.id, meeting_id, today=TODAY)
    qtbot.addWidget(again)
    assert [r.status for r in again.attendance.rows] == ["absent", "present", "present"]
    assert not again.support.dirty
    type_text(qtbot, again.place, "活动室")
    assert again.save()
    with db.reader() as s:
        assert s.get(Meeting, meeting_id).place == "活动室"  # type: ignore[union-attr]
