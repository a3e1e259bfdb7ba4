"""New township / new branch dialogs: inline errors, nothing written on bad input."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from gui.org.dialogs import BranchDialog, TownshipDialog
from models import Branch
from services.db import Database
from tests.conftest import Builder
from tests.gui.conftest import type_text


def test_branch_dialog_shows_duplicate_code_and_bad_date_at_the_field(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    build.branch("B01")
    dialog = BranchDialog(None, db, build.township_id, None)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.code, "B01")
    type_text(qtbot, dialog.name, "二村党支部")
    dialog.save()
    assert dialog.support.message_for("code") == "支部代码 B01 在本乡镇已存在。"

    dialog.code.setText("B02")
    qtbot.keyClicks(dialog.founded, "2001-02-30")
    dialog.save()
    assert "成立日期“2001-02-30”无法识别" in dialog.support.message_for("founded_on")
    assert dialog.result_id is None

    dialog.founded.setText("2001-02-28")
    dialog.save()
    with db.reader() as s:
        created = s.get(Branch, dialog.result_id)
        assert created is not None and created.name == "二村党支部"
        assert len(s.scalars(select(Branch)).all()) == 2


def test_township_dialog_requires_a_code(app: QApplication, qtbot: QtBot, db: Database) -> None:
    dialog = TownshipDialog(None, db, first_run=True)
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.name, "城关镇")
    dialog.save()
    assert dialog.support.message_for("code") == "乡镇代码不能为空。"
    assert dialog.result_id is None
