"""The 数据同步 dialog, driven offscreen: pending changes, export with progress, acknowledgement."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from gui import ops
from gui.app import create_app
from gui.sync import dialog as sync_dialog
from gui.sync.dialog import SyncDialog
from models import Township
from services.sync.ack import write_ack
from services.sync.receiver import import_package
from tests.conftest import fresh_database


def test_dialog_exports_and_takes_the_acknowledgement(
    qapp: QApplication, qtbot: QtBot, make_town, tmp_path: Path
) -> None:
    create_app()
    town = make_town("T01")
    dialog = SyncDialog(town.db)
    qtbot.addWidget(dialog)
    pending = dialog.pending()
    assert pending["member"] > 0 and pending["meeting"] > 0
    assert "上次回执：无" in dialog.status_label.text()

    usb = tmp_path / "usb"
    usb.mkdir()
    seen: list[int] = []
    dialog.progress.valueChanged.connect(seen.append)
    dialog.folder_edit.setText(str(usb))
    with qtbot.waitSignal(dialog.exported, timeout=60_000) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        ops.wait_idle()
    result = blocker.args[0]
    assert result.path.exists() and result.file_name in dialog.result_label.text()
    assert dialog.progress.value() == dialog.progress.maximum() and len(seen) > 2

    county = fresh_database(tmp_path / "county.sqlite")
    try:
        from services.sync.enrollment import register
        from services.sync.signing import b64, device_key, public_raw

        with town.db.reader() as s:
            township = s.scalars(select(Township)).one()
        register(county, b64(public_raw(device_key())), township.code, township.id)
        import_package(county, result.path)
        ack = write_ack(county, result.device_id, usb)
    finally:
        county.close()
    with qtbot.waitSignal(dialog.acknowledged, timeout=10_000):
        dialog.import_ack(str(ack.path))
    assert f"第 {result.seq_to} 号" in dialog.result_label.text()
    assert dialog.pending() == {}
    assert not dialog.export_button.isEnabled()  # nothing left to send
    dialog.full_check.setChecked(True)
    assert dialog.export_button.isEnabled()


def test_dialog_without_folder_says_what_to_do(qapp: QApplication, qtbot: QtBot, make_town) -> None:
    create_app()
    town = make_town("T01")
    dialog = SyncDialog(town.db)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert "请先选择" in dialog.result_label.text()


def test_installed_in_the_main_window(qapp: QApplication, qtbot: QtBot, make_town) -> None:
    from gui.main_window import MainWindow

    create_app()
    town = make_town("T01")
    window = MainWindow(town.db, screens=[sync_dialog.install])
    qtbot.addWidget(window)
    assert "尚未收到县里回执" in window.sync_status_label.text()  # type: ignore[attr-defined]
    actions = [a.text() for a in window.menus["数据"].actions()]
    assert "数据同步…" in actions
    dialog = window.open_sync_dialog()  # type: ignore[attr-defined]
    assert dialog.isVisible()
    dialog.close()
