"""The member form: inline validation, derived birth date, unsaved-changes prompt."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from gui.roster.member_form import MemberForm
from models import Member
from services import idcard
from services.db import Database
from tests.conftest import Builder
from tests.gui.conftest import Boxes, show_active, type_text

GOOD_ID = "11010519491231002X"


def member_count(db: Database) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(Member)) or 0)


def fill(qtbot: QtBot, form: MemberForm, id_number: str) -> None:
    type_text(qtbot, form.name, "王小明")
    qtbot.keyClicks(form.id_number, id_number)
    qtbot.keyClicks(form.joined_on, "2005-07-01")


@pytest.mark.display
def test_bad_id_number_shows_chinese_message_at_the_field_and_saves_nothing(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch()
    form = MemberForm(None, db, branch.id)
    qtbot.addWidget(form)
    show_active(qtbot, form)
    fill(qtbot, form, GOOD_ID[:-1] + "1")  # wrong check character
    qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    message = form.support.message_for("id_number")
    assert "校验位错误" in message and "应为 X" in message
    assert form.findChild(QLabel, "error_id_number").isVisible()
    assert form.isVisible()
    assert member_count(db) == 0


def test_id_number_shows_birth_date_and_gender_while_typing(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch()
    form = MemberForm(None, db, branch.id)
    qtbot.addWidget(form)
    qtbot.keyClicks(form.id_number, GOOD_ID[:10])
    assert form.derived.text() == "10/18 位"
    qtbot.keyClicks(form.id_number, GOOD_ID[10:])
    assert form.derived.text() == "出生 1949-12-31 · 女"


def test_valid_member_is_saved(app: QApplication, qtbot: QtBot, db: Database, build: Builder) -> None:
    branch = build.branch()
    form = MemberForm(None, db, branch.id)
    qtbot.addWidget(form)
    fill(qtbot, form, idcard.make("620421", date(1980, 1, 2), 11))
    qtbot.keyClicks(form.phone, "13800000000")
    assert form.save()
    with db.reader() as s:
        member = s.scalars(select(Member)).one()
        assert (member.name, member.phone, member.gender) == ("王小明", "13800000000", "male")


@pytest.mark.display
def test_unsaved_changes_prompt_cancel_keeps_form_discard_closes(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, boxes: Boxes
) -> None:
    branch = build.branch()
    form = MemberForm(None, db, branch.id)
    qtbot.addWidget(form)
    show_active(qtbot, form)
    form.reject()  # nothing typed: closes without asking
    assert boxes.shown == []

    form = MemberForm(None, db, branch.id)
    qtbot.addWidget(form)
    show_active(qtbot, form)
    type_text(qtbot, form.name, "王")
    boxes.answer = QMessageBox.StandardButton.Cancel
    qtbot.keyClick(form, Qt.Key.Key_Escape)
    assert boxes.shown[-1][1] == "尚未保存"
    assert form.isVisible()

    boxes.answer = QMessageBox.StandardButton.Save  # save fails validation: stays open with the message
    form.reject()
    assert form.isVisible()
    assert form.support.message_for("joined_on") == "请填写入党日期。"

    boxes.answer = QMessageBox.StandardButton.Discard
    form.reject()
    assert not form.isVisible()
    assert member_count(db) == 0


def test_duplicate_id_number_in_township_is_refused(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch()
    other = build.branch("B02", "二村党支部")
    existing = build.member(branch.id, "张三")
    form = MemberForm(None, db, other.id)
    qtbot.addWidget(form)
    fill(qtbot, form, existing.id_number)
    assert not form.save()
    assert "已登记在一村党支部的党员“张三”名下" in form.support.message_for("id_number")
    assert member_count(db) == 1
