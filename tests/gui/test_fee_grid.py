"""党费 as a member × month grid, the way clerks keep it on paper."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui.fee_grid_view import FeeGridDialog
from models.enums import FeeCategory
from services import fees, members
from services.db import Database
from services.fee_grid import fee_grid
from tests.conftest import Builder


def test_fee_grid_shows_members_by_month_with_paid_and_owed(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch("B01", "一村党支部")
    zhao = build.member(branch.id, "赵敏")
    an = build.member(branch.id, "安娜")
    with db.transaction("test") as s:
        for m in ("2026-01", "2026-02"):
            fees.set_due(s, zhao.id, m, FeeCategory.FARMER)
            fees.set_due(s, an.id, m, FeeCategory.FARMER)
        due = fees.set_due(s, zhao.id, "2026-03", FeeCategory.FARMER).due_fen
        fees.record_payment(s, zhao.id, "2026-01", due, date(2026, 1, 10), today=date(2026, 11, 24))
    with db.reader() as s:
        rows = fee_grid(s, [branch.id], 2026)
        assert [r.name for r in rows] == ["安娜", "赵敏"]  # pinyin order, as on the roster
        zhao_row = rows[1]
        assert zhao_row.months[1].state == "paid" and zhao_row.months[2].state == "unpaid"
        assert 4 not in zhao_row.months and zhao_row.paid_fen == due
        assert members.roster(s, [branch.id])
    dialog = FeeGridDialog(None, db, [branch.id], 2026)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 2
    assert dialog.table.item(1, 2).text() == fees.yuan(due)  # type: ignore[union-attr]  # 1月 paid
    assert dialog.table.item(1, 3).text().startswith("欠")  # type: ignore[union-attr]
    assert dialog.table.item(1, 5).text() == "—"  # type: ignore[union-attr]  # 4月 not set
    assert "欠交合计" in dialog.summary.text()
