"""The member form's 职业, 农民工 and 困难党员: chosen, saved, and shown again when the member is reopened."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui.roster.member_form import MemberForm
from services import members
from services.db import Database
from tests.conftest import Builder
from tests.gui.test_member_form import GOOD_ID, fill


def test_occupation_migrant_worker_and_hardship_are_saved_and_reloaded(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch()
    form = MemberForm(None, db, branch.id)
    qtbot.addWidget(form)
    fill(qtbot, form, GOOD_ID)
    assert form.occupation.currentText() == "（未填）"
    form.occupation.setCurrentIndex(form.occupation.findText("农牧渔民"))
    form.is_migrant_worker.setChecked(True)
    form.is_hardship.setChecked(True)
    assert form.save()
    with db.reader() as s:
        [row] = members.roster(s)
        stored = members.get_member(s, row.id)
        assert (stored.occupation, stored.is_migrant_worker, stored.is_hardship) == ("farmer", True, True)
    again = MemberForm(None, db, branch.id, row.id)
    qtbot.addWidget(again)
    assert again.occupation.currentText() == "农牧渔民"
    assert again.is_migrant_worker.isChecked() and again.is_hardship.isChecked()
