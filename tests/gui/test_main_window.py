"""Main window, start-up font, screens and the screenshot command."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QFontInfo, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import main
from gui.main_window import MENU_TITLES, MainWindow
from gui.screens import SCREENS
from services.db import Database
from tests.conftest import Builder

pytestmark = pytest.mark.display  # real-display behaviour: also run under xcb (Makefile)


def test_app_font_is_the_embedded_wenquanyi(app: QApplication) -> None:
    assert app.font().family() == "WenQuanYi Micro Hei"
    assert QFontInfo(app.font()).family() == "WenQuanYi Micro Hei"  # resolved, not a fallback


def test_window_tree_tabs_menus_and_selection(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    one = build.branch(members=3)
    two = build.branch("B02", "二村党支部", members=2)
    window = MainWindow(db)
    qtbot.addWidget(window)
    assert window.extension_errors == []
    assert list(window.menus) == list(MENU_TITLES)
    assert [window.tabs.tabText(i) for i in range(2)] == ["党员名册", "会议记录"]
    assert len(SCREENS) >= 2
    assert "在册党员 5 人" in window.counts_label.text()
    assert sorted(window.current_branch_ids() or []) == sorted([one.id, two.id])  # township selected

    with qtbot.waitSignal(window.selectionChanged) as signal:
        assert window.select_branch_code("B02")
    assert signal.args == [[two.id]]
    assert window.current_branch_id() == two.id
    assert window.tabs.widget(0).model.rowCount() == 2  # type: ignore[attr-defined]
    assert window.select_tab("会议记录")


def test_screenshot_command_writes_png(db_path: Path, build: Builder, tmp_path: Path) -> None:
    build.branch(members=2)
    out = tmp_path / "shots" / "main.png"
    code = main.main(["--db", str(db_path), "screenshot", str(out), "--tab", "会议记录", "--branch", "B01"])
    assert code == 0
    image = QImage(str(out))
    assert out.stat().st_size > 1000
    assert (image.width(), image.height()) == (1280, 800)


def test_screenshot_with_unknown_branch_fails_with_message(
    db_path: Path, build: Builder, tmp_path: Path, capsys: object
) -> None:
    build.branch()
    code = main.main(["--db", str(db_path), "screenshot", str(tmp_path / "x.png"), "--branch", "NOPE"])
    assert code == 1
    assert not (tmp_path / "x.png").exists()
