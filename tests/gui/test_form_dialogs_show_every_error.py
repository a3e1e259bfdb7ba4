"""The small record dialogs share one save path: every error of the form shows at once, each at its
field, and nothing is written until all are fixed."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from gui.org.dialogs import BranchDialog
from gui.org.setup import SeatDialog
from models import Branch, CommitteeSeat
from services.db import Database
from tests.conftest import Builder
from tests.gui.conftest import type_text


def _count(db: Database, model: type) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_seat_form_shows_the_missing_member_and_both_bad_dates_together(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch("B01", "一村党支部")  # nobody on the roll yet: no member to choose
    dialog = SeatDialog(None, db, branch.id, today=date(2025, 1, 1))
    qtbot.addWidget(dialog)
    dialog.start.setText("2024-02-30")
    dialog.end.setText("明年")
    dialog.save()
    assert dialog.support.message_for("member_id") == "请选择党员（只有正式党员可以任职）。"
    assert "2024-02-30" in dialog.support.message_for("start_on")
    assert "明年" in dialog.support.message_for("end_on")
    assert dialog.result_id is None and _count(db, CommitteeSeat) == 0


def test_branch_form_shows_a_bad_founding_date_and_a_bad_term_end_together_then_saves(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    township_id = build.township()
    dialog = BranchDialog(None, db, township_id, None)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.code, "B09")
    type_text(qtbot, dialog.name, "九村党支部")
    dialog.founded.setText("2001-13-01")
    dialog.term_end.setText("2027-02-30")
    dialog.save()
    assert "2001-13-01" in dialog.support.message_for("founded_on")
    assert "2027-02-30" in dialog.support.message_for("term_end")
    assert dialog.result_id is None and _count(db, Branch) == 0

    dialog.founded.setText("2001-12-01")
    dialog.term_end.clear()
    dialog.save()
    assert dialog.result_id is not None and _count(db, Branch) == 1
