"""The 其他台账 tab: record through the declared forms, errors at the field, nothing written on error."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from gui.ledgers_view import LedgersView
from models import DevelopmentRecord, FeeDue, Rectification
from services import fees, idcard
from services.ledgers.actions import ACTIONS
from tests.conftest import Builder
from tests.gui.conftest import Boxes, type_text


def _view(qtbot: QtBot, build: Builder, branch_id: str) -> LedgersView:
    view = LedgersView(None, build.db)
    qtbot.addWidget(view)
    view.set_branches([branch_id])
    return view


def _action(code: str, title: str):  # type: ignore[no-untyped-def]
    return next(a for a in ACTIONS[code] if a.title == title)


def test_register_applicant_through_the_form(qtbot: QtBot, app: QApplication, build: Builder) -> None:
    branch = build.branch()
    view = _view(qtbot, build, branch.id)
    view.select_ledger("development")
    dialog = view.dialog_for(_action("development", "登记入党申请人"))
    assert dialog is not None
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.widgets["name"], "王小明")
    number = idcard.make("620421", date(2000, 1, 1), 11)
    qtbot.keyClicks(dialog.widgets["id_number"], number)
    applied = dialog.widgets["applied_on"]
    assert isinstance(applied, QLineEdit)
    applied.setText("2024年1月5日")
    dialog.save()
    assert dialog.result() == dialog.DialogCode.Accepted
    view.refresh()
    assert view.model.rowCount() == 1
    assert view.model.data(view.model.index(0, 1)) == "王小明"


def test_bad_id_shows_message_at_field_and_writes_nothing(
    qtbot: QtBot, app: QApplication, build: Builder
) -> None:
    branch = build.branch()
    view = _view(qtbot, build, branch.id)
    dialog = view.dialog_for(_action("development", "登记入党申请人"))
    assert dialog is not None
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.widgets["name"], "王小明")
    qtbot.keyClicks(dialog.widgets["id_number"], "620421200001010110")
    dialog.save()
    assert "校验位" in dialog.support.message_for("id_number")
    assert dialog.result() != dialog.DialogCode.Accepted
    with build.db.reader() as s:
        assert s.scalar(select(DevelopmentRecord.id)) is None


def test_pay_selected_due_in_yuan(qtbot: QtBot, app: QApplication, build: Builder) -> None:
    branch = build.branch()
    member = build.member(branch.id, joined_on=date(2020, 1, 1))
    this_month = date.today().strftime("%Y-%m")
    with build.db.transaction("t") as s:
        fees.set_due(s, member.id, this_month, "salaried", 456_700)
    view = _view(qtbot, build, branch.id)
    view.select_ledger("fees")
    assert view.model.rowCount() == 1
    view.table.selectRow(0)
    dialog = view.dialog_for(_action("fees", "登记交纳"))
    assert dialog is not None
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.widgets["paid_fen"], "45.67")
    dialog.save()
    assert dialog.result() == dialog.DialogCode.Accepted
    with build.db.reader() as s:
        due = s.scalars(select(FeeDue)).one()
        assert due.paid_fen == 4567 and due.paid_on == date.today()


def test_actions_needing_a_row_ask_for_one(
    qtbot: QtBot, app: QApplication, build: Builder, boxes: Boxes
) -> None:
    branch = build.branch()
    view = _view(qtbot, build, branch.id)
    view.select_ledger("rectification")
    assert view.dialog_for(_action("rectification", "整改销号")) is None
    assert any("选择要操作的记录" in t for t in boxes.texts())
    dialog = view.dialog_for(_action("rectification", "登记问题"))
    assert dialog is not None
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.widgets["category"], "台账不全")
    dialog.save()  # no description: refused at the field, nothing written
    assert dialog.support.message_for("description") == "请填写问题描述。"
    with build.db.reader() as s:
        assert s.scalar(select(Rectification.id)) is None
    combo = dialog.widgets.get("category")
    assert not isinstance(combo, QComboBox)


def test_closing_a_form_with_typed_text_asks_first(
    qtbot: QtBot, app: QApplication, build: Builder, boxes: Boxes
) -> None:
    branch = build.branch()
    view = _view(qtbot, build, branch.id)
    dialog = view.dialog_for(_action("rectification", "登记问题"))
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(qtbot, dialog.widgets["category"], "台账不全")
    boxes.answer = QMessageBox.StandardButton.Cancel
    dialog.reject()
    assert dialog.isVisible() and any("尚未保存" in t for _k, t, _x in boxes.shown)
    boxes.answer = QMessageBox.StandardButton.Discard
    dialog.reject()
    assert not dialog.isVisible()
    with build.db.reader() as s:
        assert s.scalar(select(Rectification.id)) is None
