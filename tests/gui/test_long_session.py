"""A clerk's long day in the real main window: hundreds of branch selections and tab switches, then a clean
exit with the exit backup written. PySide6 6.12 on Python 3.11 dropped one reference to None per call that
returned None, and such a session ended in ``Fatal Python error: none_dealloc`` instead (README, "Python
version"); the runtime is Python 3.12+, where None is immortal."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QTabWidget, QTreeWidgetItem, QWidget
from pytestqt.qtbot import QtBot

from services import accounts, security_settings
from services.backup import auto_backups
from services.db import Database
from tests.conftest import Builder

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 300

DRIVER = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QApplication

    from gui import app as gui_app, ops
    from gui.admin.login import become
    from gui.main_window import MainWindow
    from services import accounts
    from services.backup import auto_backups

    db_path, rounds, codes = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")


    def sign_in(db, parent=None):  # the login dialog's work, without typing into it
        actor = accounts.login(db, "admin", "Ledger-2026!")
        become(db, actor)
        QTimer.singleShot(0, drive)  # runs once the main window is up and the event loop turns
        return actor


    def drive():
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
        tabs = window.tabs.count()
        for i in range(rounds):
            assert window.select_branch_code(codes[i % len(codes)]), codes[i % len(codes)]
            window.select_tab(i % tabs)
            QCoreApplication.processEvents()
        ops.wait_idle()
        QCoreApplication.processEvents()
        print("backups before exit", len(auto_backups(window.db)), flush=True)
        window.close()


    gui_app.sign_in = sign_in
    sys.exit(gui_app.run_gui(db_path))
    """
)


@pytest.mark.slow
def test_hundreds_of_branch_selections_and_tab_switches_end_in_a_clean_exit_with_backup(
    db: Database, build: Builder, db_path: Path
) -> None:
    codes = [build.branch(f"B{n:02d}", f"{n}村党支部", members=4).code for n in range(4)]
    with db.transaction("test") as s:
        accounts.create_first_admin(s, "admin", "管理员", "Ledger-2026!")
        # The driver sends no keyboard or mouse input, so on a loaded machine (minutes for the 300 rounds)
        # the idle lock would rightly cover the window and wait for a password that nobody types.
        security_settings.save(s, security_settings.SecuritySettings(lock_minutes=0))
    db.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", DRIVER, str(db_path), str(ROUNDS), ",".join(codes)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "none_dealloc" not in done.stderr
    before = int(done.stdout.split("backups before exit", 1)[1].split()[0])
    from services.db import open_database

    reopened = open_database(db_path)
    try:
        assert len(auto_backups(reopened)) == before + 1  # the exit backup
    finally:
        reopened.close()


def _none_immortal() -> bool:
    """True where None's reference count is fixed (Python 3.12+, PEP 683): nothing can be lost then."""
    before = sys.getrefcount(None)
    held = [None] * 1000
    moved = sys.getrefcount(None) != before
    del held
    return not moved


def test_pyside_calls_returning_none_keep_none_referenced(qtbot: QtBot) -> None:
    if _none_immortal():
        reason = f"None is immortal on Python {sys.version.split()[0]}: its reference count cannot fall"
        print(reason)
        pytest.skip(reason)
    host = QWidget()
    qtbot.addWidget(host)
    line, label, combo, tabs = QLineEdit(host), QLabel(host), QComboBox(host), QTabWidget(host)
    tabs.addTab(QWidget(), "一")
    model = QStandardItemModel(2, 2)
    model.setItem(0, 0, QStandardItem("张三"))
    index = model.index(0, 0)
    tree_item = QTreeWidgetItem(["一村党支部"])
    calls = {
        "QLineEdit.setText": lambda: line.setText("张三"),
        "QLabel.setText": lambda: label.setText("共 3 人"),
        "QWidget.setEnabled": lambda: line.setEnabled(True),
        "QWidget.setToolTip": lambda: line.setToolTip("请填写"),
        "QWidget.setVisible": lambda: label.setVisible(True),
        "QComboBox.addItem/clear": lambda: (combo.addItem("甲", "a"), combo.clear()),
        "QComboBox.currentData (no item)": lambda: combo.currentData(),
        "QTabWidget.setCurrentIndex": lambda: tabs.setCurrentIndex(0),
        "QStandardItemModel.data (unset role)": lambda: model.data(index, Qt.ItemDataRole.UserRole + 7),
        "QStandardItem.setData": lambda: model.item(0, 0).setData("x", Qt.ItemDataRole.UserRole),
        "QTreeWidgetItem.data (unset role)": lambda: tree_item.data(0, Qt.ItemDataRole.UserRole + 3),
        "QTreeWidgetItem.setData": lambda: tree_item.setData(0, Qt.ItemDataRole.UserRole, "b"),
        "QAbstractItemModel.data (invalid index)": lambda: model.data(QModelIndex()),
    }
    lost = {}
    for name, call in calls.items():
        call()  # first call may cache things
        before = sys.getrefcount(None)
        for _ in range(1000):
            call()
        if sys.getrefcount(None) < before:
            lost[name] = before - sys.getrefcount(None)
    assert not lost, f"references to None lost per 1,000 calls: {lost}"
