"""The county's 待补 tab lets the clerk read the whole instruction for a township (wrapped, in a
tooltip and in full below the table), and the 接收 results name the township of a refused package
when its file name says it."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui.county.screens import PendingTab
from gui.main_window import MainWindow
from services.county.receive import receive as receive_usb
from tests.county.conftest import Desk


def test_pending_instruction_is_wrapped_with_a_tooltip_and_shown_in_full(
    app: QApplication, qtbot: QtBot, shared_desk: Desk
) -> None:
    window = MainWindow(shared_desk.db)
    qtbot.addWidget(window)
    assert window.select_tab_title("待补")
    tab = window.tabs.currentWidget()
    assert isinstance(tab, PendingTab)
    last = tab.table.columnCount() - 1
    assert tab.table.wordWrap() and tab.table.rowCount() >= 1
    for row in range(tab.table.rowCount()):
        item = tab.table.item(row, last)
        assert item is not None and item.toolTip() == item.text()
    longest = max(range(tab.table.rowCount()), key=lambda r: len(tab.table.item(r, last).text()))
    tab.table.selectRow(longest)
    full = tab.table.item(longest, last).text()
    assert len(full) > 30 and full in tab.detail.text()
    assert tab.table.item(longest, 0).text() in tab.detail.text()


def test_a_refused_package_names_its_township_from_the_file_name(desk: Desk, tmp_path: Path) -> None:
    package = sorted(desk.usb.glob("*.ltpkg"))[0]
    stick = tmp_path / "broken"
    stick.mkdir()
    broken = stick / package.name
    shutil.copyfile(package, broken)
    broken.write_bytes(broken.read_bytes()[: broken.stat().st_size // 2])  # a copy cut short
    receipt = receive_usb(desk.db, stick)
    [result] = receipt.packages
    assert result.status == "rejected"
    assert result.township_code == package.name.split("_")[0]


def test_a_device_approved_on_the_command_line_shows_a_readable_handler(
    app: QApplication, qtbot: QtBot, desk: Desk
) -> None:
    import main
    from gui.county.screens import DevicesTab
    from services.sync import enrollment

    pending = next(v for v in enrollment.list_devices(desk.db) if v.status == "pending")
    path = desk.db.path
    assert path is not None
    assert main.main(["--db", str(path), "sync", "device", "approve", pending.key_id]) == 0
    window = MainWindow(desk.db)
    qtbot.addWidget(window)
    assert window.select_tab_title("设备登记")
    tab = window.tabs.currentWidget()
    assert isinstance(tab, DevicesTab)
    header = [tab.table.horizontalHeaderItem(c).text() for c in range(tab.table.columnCount())]
    column = header.index("处理人")
    row = next(r for r in range(tab.table.rowCount()) if tab.table.item(r, 0).text() == pending.key_id)
    assert tab.table.item(row, column).text() == "命令行（未登录）"
