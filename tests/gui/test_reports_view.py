"""数据 → 乡镇报表: the same reports as `report birthdays|month|stats`, shown and saved from the GUI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow
from gui.reports import view as reports_view
from gui.reports.view import ReportsDialog
from gui.widgets import files
from services import members
from services.db import Database
from tests.conftest import TODAY, Builder


@pytest.fixture
def window(qtbot: QtBot, app: QApplication, db: Database, build: Builder) -> MainWindow:
    branch = build.branch("B01", "一村党支部", founded_on=date(2000, 1, 1))
    for i in range(3):
        m = build.member(branch.id, f"党员{i}", joined_on=date(2005, 7, 1))
        with db.transaction("test") as s:  # the 职业 and 学历 the yearly tables count
            data = members.member_input(members.get_member(s, m.id))
            data.occupation = "farmer"
            data.education = "senior"
            members.update_member(s, m.id, data, today=TODAY)
    win = MainWindow(db, screens=[reports_view.install])
    qtbot.addWidget(win)
    return win


def test_menu_offers_the_reports_and_the_yearly_tables_show_and_save(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [a.text() for a in window.menus["数据"].actions()]
    assert "乡镇报表（政治生日、一月一分析、一季一调度、统计年报）…" in texts
    dialog = ReportsDialog(window)
    qtbot.addWidget(dialog)
    assert dialog.xlsx_button.isEnabled() is False
    dialog.kind.setCurrentIndex(3)  # 党内统计年报
    dialog.period.setText("2025")
    dialog.make()
    text = dialog.text.toPlainText()
    assert "【党员数量变化】  上年末  发展党员  转入  转出  死亡  出党  本年末" in text
    assert "  党员数  3  0  0  0  0  0  3" in text and "核对全部通过。" in text
    target = tmp_path / "年报.xlsx"
    monkeypatch.setattr(files, "save_file", lambda *a, **k: str(target))
    dialog.save(".xlsx")
    assert load_workbook(target).sheetnames[0] == "党员数量变化"


def test_bad_period_is_shown_under_the_field_and_nothing_is_shown(qtbot: QtBot, window: MainWindow) -> None:
    dialog = ReportsDialog(window)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(1)  # 一月一分析
    dialog.period.setText("1999-12")
    dialog.make()
    assert dialog.period_error.text().startswith("1999年12月早于测试镇建立的时间（2000-01-01）")
    assert dialog.text.toPlainText() == ""
    assert dialog.pdf_button.isEnabled() is False


def test_each_report_kind_fills_its_own_default_period(qtbot: QtBot, window: MainWindow) -> None:
    dialog = ReportsDialog(window)
    qtbot.addWidget(dialog)
    shown = []
    for i in range(dialog.kind.count()):
        dialog.kind.setCurrentIndex(i)
        shown.append(
            (dialog.kind.currentText(), dialog.period.text() == dialog.defaults[dialog.kind.currentData()])
        )
    assert shown == [
        ("政治生日名单", True),
        ("一月一分析", True),
        ("一季一调度", True),
        ("党内统计年报", True),
    ]
    dialog.kind.setCurrentIndex(2)
    dialog.make()
    assert "一季一调度" in dialog.text.toPlainText().splitlines()[0]
