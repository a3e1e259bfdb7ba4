"""Start-up touches of the bundle: Qt's own dialogs in Chinese (qtbase_zh_CN.qm) and the app icon."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from gui.app import create_app
from gui.widgets.translations import install_qt_translations, qt_ok_text


def test_standard_buttons_are_chinese_after_start_up(qtbot: QtBot) -> None:
    app = create_app()
    box = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok
        | QDialogButtonBox.StandardButton.Cancel
        | QDialogButtonBox.StandardButton.Yes
    )
    qtbot.addWidget(box)
    assert sorted(b.text().replace("(&Y)", "") for b in box.buttons()) == sorted(["确定", "取消", "是"])
    assert qt_ok_text() == "确定"
    assert install_qt_translations(app)  # a second call keeps the one translator


def test_the_app_has_its_icon(qtbot: QtBot) -> None:
    app = create_app()
    icon = app.windowIcon()
    assert not icon.isNull()
    assert not icon.pixmap(32, 32).isNull()
