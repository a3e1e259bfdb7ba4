"""The 其他台账 screen on the shared bases, as a clerk sees it: a header click orders the whole ledger
(not the rows the view has fetched), and an action's form shows every bad field at once at its field,
writes nothing then, and says 已保存 only once the record is committed."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from gui.ledgers_view import ActionDialog, LedgersView
from gui.widgets.table_model import RowTableModel
from models import AppraisalGrade, FundEntry
from services import fees
from services.db import Database
from services.ledgers.actions import ACTIONS, Target
from services.members import members_on
from tests.conftest import Builder
from tests.gui.conftest import show_active, type_text

YEAR = date.today().year
# (category, yuan): text order by character code differs from pinyin, amounts from their text order.
ENTRIES = [
    ("慰问困难党员", 900),
    ("订阅报刊", 10000),
    ("办公用品", 1250),
    ("活动场地", 300),
    ("慰问老党员", 45000),
    ("资料印刷", 2000),
    ("报刊", 99),
    ("党员教育", 5000),
    ("会议茶水", 700),
    ("阿里木书记培训", 1000),
    ("水电", 7000),
    ("宣传栏", 60000),
]


def _click_header(qtbot: QtBot, view: LedgersView, column: int) -> None:
    header = view.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def _column(view: LedgersView, title: str) -> int:
    return next(
        i
        for i in range(view.model.columnCount())
        if view.model.headerData(i, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) == title
    )


def _shown(view: LedgersView, column: int) -> list[str]:
    return [view.model.index(r, column).data() for r in range(view.model.rowCount())]


def _count(db: Database, model: type) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_header_click_orders_the_whole_ledger_by_pinyin_or_by_amount_not_the_fetched_rows(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RowTableModel, "BATCH", 5)
    branch = build.branch()
    with db.transaction("test") as s:
        for day, (category, fen) in enumerate(ENTRIES, start=1):
            fees.add_fund_entry(s, branch.id, date(YEAR, 1, day), "expense", category, fen, "", "")
    view = LedgersView(None, db)
    qtbot.addWidget(view)
    view.resize(1300, 700)
    view.show()
    view.set_branches([branch.id])
    view.select_ledger("funds")
    qtbot.waitUntil(lambda: view.model.total == len(ENTRIES), timeout=3000)
    category, amount = _column(view, "类别"), _column(view, "金额（元）")
    assert view.model.rowCount() == 5 and _shown(view, category)[0] == "慰问困难党员"  # by date at first

    _click_header(qtbot, view, category)
    names = [c for c, _f in ENTRIES]
    from services.collation import pinyin_key

    by_pinyin = sorted(names, key=pinyin_key)
    first = _shown(view, category)
    assert first in (by_pinyin[:5], by_pinyin[::-1][:5])
    assert by_pinyin[0] == "阿里木书记培训" and by_pinyin[-1] == "资料印刷"

    _click_header(qtbot, view, amount)
    _click_header(qtbot, view, amount)  # both ways: the largest and the smallest of all twelve
    ends = {_shown(view, amount)[0]}
    _click_header(qtbot, view, amount)
    ends.add(_shown(view, amount)[0])
    assert ends == {"600.00", "0.99"}  # not "99.00"/"0.99" as text order would give


def test_the_ledger_form_shows_every_bad_field_at_once_and_writes_nothing(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch()
    action = next(a for a in ACTIONS["funds"] if a.title == "登记收支")
    dialog = ActionDialog(None, db, action, Target(branch.id, None), [])  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    assert dialog.save_button.text() == "保存 (Ctrl+S)"  # the form base's buttons
    dialog.widgets["on"].setText("")  # type: ignore[attr-defined]
    type_text(qtbot, dialog.widgets["on"], "2026-13-45")
    type_text(qtbot, dialog.widgets["amount_fen"], "十块")
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    shown = dialog.support.messages()
    assert set(shown) == {"on", "category", "amount_fen"}
    assert "无法识别" in shown["on"] and "请填写类别" in shown["category"] and "金额" in shown["amount_fen"]
    assert dialog.isVisible() and _count(db, FundEntry) == 0

    dialog.widgets["on"].setText(f"{YEAR}-03-01")  # type: ignore[attr-defined]
    type_text(qtbot, dialog.widgets["category"], "办公用品")
    dialog.widgets["amount_fen"].setText("12.50")  # type: ignore[attr-defined]
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.support.messages() == {} and _count(db, FundEntry) == 1
    assert dialog.result() == dialog.DialogCode.Accepted


def test_already_saved_is_said_only_after_the_commit(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    branch = build.branch(members=2)
    with db.reader() as s:
        people = [(m.id, m.name) for m in members_on(s, branch.id, date.today())]
    action = next(a for a in ACTIONS["grades"] if a.title == "评定民主评议等次")
    said: list[tuple[str, int]] = []

    def warning(_parent: object, _title: str, text: str, *_a: object) -> QMessageBox.StandardButton:
        said.append((text, _count(db, AppraisalGrade)))  # what the database holds when it is said
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    dialog = ActionDialog(None, db, action, Target(branch.id, None), people)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.widgets["year"].setValue(YEAR - 1)  # type: ignore[attr-defined]
    combo = dialog.widgets["grade"]
    combo.setCurrentIndex(combo.findData("excellent"))  # type: ignore[attr-defined]
    dialog.save()
    assert said and said[0][0].startswith("已保存。") and said[0][1] == 1
