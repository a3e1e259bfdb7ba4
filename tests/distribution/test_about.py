"""The About dialog and the window title show the app version."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow
from services.db import Database
from services.version import APP_VERSION


def test_about_dialog_shows_the_app_version(qtbot: QtBot, db: Database) -> None:
    window = MainWindow(db)
    qtbot.addWidget(window)
    assert APP_VERSION in window.windowTitle()
    shown: list[str] = []

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        shown.append(f"{box.windowTitle()}|{box.text()}")
        box.accept()

    QTimer.singleShot(0, read_and_close)
    window.show_about()
    assert len(shown) == 1
    assert shown[0].startswith("关于支部台账|")
    assert f"支部台账 {APP_VERSION}" in shown[0]
