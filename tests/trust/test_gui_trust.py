"""The trust screens, driven like a clerk would: first administrator, login, idle lock, the 操作日志
viewer and the 回收站 (pytest-qt, offscreen)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from gui import ops
from gui.admin import actions as admin_actions
from gui.admin import login as login_dialog
from gui.admin.audit import AuditDialog
from gui.admin.lock import IdleLock
from gui.admin.login import FirstAdminDialog, LoginDialog
from gui.admin.recycle import RecycleDialog
from gui.app import create_app
from gui.main_window import MainWindow
from models import Member
from services import accounts, backup, members
from services.db import Database
from tests.conftest import Builder
from tests.trust.conftest import PASSWORD, People


@pytest.fixture
def app(qapp: QApplication) -> QApplication:
    return create_app()


@pytest.fixture(autouse=True)
def boxes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    shown: list[str] = []

    def record(_parent, _title, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        shown.append(str(text))
        return QMessageBox.StandardButton.Ok

    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(record))
    yield shown
    ops.set_user("")


def test_first_start_creates_the_administrator_and_signs_in(
    app: QApplication, qtbot: QtBot, db: Database
) -> None:
    dialog = FirstAdminDialog(db)
    qtbot.addWidget(dialog)
    dialog.display_name.setText("王书记")
    dialog.password.setText(PASSWORD)
    dialog.confirm.setText(PASSWORD + "x")
    dialog.create_admin()
    assert "不一致" in dialog.message.text() and dialog.actor is None
    dialog.confirm.setText(PASSWORD)
    dialog.create_admin()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.actor is not None and dialog.actor.role == "admin"
    with db.reader() as s:
        assert accounts.has_accounts(s)


def test_login_shows_the_refusal_and_holds_the_button_during_the_delay(
    app: QApplication, qtbot: QtBot, db: Database, people: People
) -> None:
    dialog = LoginDialog(db)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.username, "editor")
    qtbot.keyClicks(dialog.password, "wrong-password")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert "用户名或密码不正确" in dialog.message.text()
    assert not dialog.ok.isEnabled() and dialog.password.text() == ""
    qtbot.waitUntil(dialog.ok.isEnabled, timeout=3000)  # 1 s after the first failure
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert dialog.actor is not None and dialog.actor.username == "editor"


def test_idle_window_locks_and_unlocks_only_with_the_password(
    app: QApplication, qtbot: QtBot, db: Database, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_dialog.become(db, people.editor)
    window = MainWindow(db, screens=[])
    qtbot.addWidget(window)
    window.show()
    lock = IdleLock(window, db, 1)
    lock.timer.setInterval(50)  # one minute is the smallest setting; the test does not wait that long
    lock.timer.start()
    attempts: list[str] = []

    def fake_exec(self: LoginDialog) -> int:
        self.password.setText(attempts.pop(0))
        self.try_login()
        return int(self.result())

    monkeypatch.setattr(LoginDialog, "exec", fake_exec)
    monkeypatch.setattr(IdleLock, "_ask", lambda self: None)  # first look at the locked state
    qtbot.waitUntil(lambda: lock.locked, timeout=2000)
    assert lock.cover is not None and lock.cover.isVisible()
    assert not window.menuBar().isEnabled()
    monkeypatch.undo()
    monkeypatch.setattr(LoginDialog, "exec", fake_exec)
    attempts[:] = ["wrong-password"]
    lock._ask()  # wrong password: the dialog is rejected and the window closes, never unlocked
    assert lock.locked
    db.actor = people.admin  # an administrator lifts the one-second delay of the failed attempt
    with db.transaction() as s:
        accounts.unlock(s, "editor")
    lock2 = IdleLock(window, db, 0)
    lock2.lock()
    attempts[:] = [PASSWORD]
    qtbot.waitUntil(lambda: not lock2.locked, timeout=2000)
    assert window.menuBar().isEnabled() and lock2.cover is None


def test_audit_viewer_filters_pages_and_verifies(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, boxes: list[str]
) -> None:
    build.branch(members=3)
    dialog = AuditDialog(db)
    qtbot.addWidget(dialog)
    everything = dialog.total
    assert everything >= 5 and dialog.grid.rowCount() == everything
    dialog.table_box.setCurrentIndex(dialog.table_box.findData("member"))
    dialog.first_page()
    assert dialog.total == 3
    assert {dialog.grid.item(i, 4).text() for i in range(3)} == {"党员"}  # type: ignore[union-attr]
    dialog.verify()
    assert "校验通过" in boxes[-1]


def test_recycle_bin_restores_the_selected_record(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    build.branch(members=2)
    with db.transaction("x") as s:
        victim = s.scalars(select(Member)).first()
        assert victim is not None
        members.delete_member(s, victim.id)
    dialog = RecycleDialog(db)
    qtbot.addWidget(dialog)
    assert dialog.grid.rowCount() == 1 and dialog.grid.item(0, 1).text() == victim.name  # type: ignore[union-attr]
    dialog.grid.selectRow(0)
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert dialog.grid.rowCount() == 0
    with db.reader() as s:
        assert s.get(Member, victim.id).deleted is False  # type: ignore[union-attr]


def test_main_window_has_the_trust_menu_actions(
    app: QApplication, qtbot: QtBot, db: Database, people: People
) -> None:
    login_dialog.become(db, people.viewer)
    window = MainWindow(db, screens=[admin_actions.install])
    qtbot.addWidget(window)
    assert window.extension_errors == []
    texts = {a.text() for m in window.menus.values() for a in m.actions()}
    assert {"备份到…", "从备份恢复…", "锁定", "回收站…", "操作日志…", "用户管理…", "安全设置…"} <= texts
    who = window.findChild(QLabel, "currentUser")
    assert who is not None and "查阅" in who.text()
    assert backup.daily_due(db) is True  # a 查阅 account's sign-in makes no backup: it is write-side
    login_dialog.become(db, people.editor)
    editor_window = MainWindow(db, screens=[admin_actions.install])
    qtbot.addWidget(editor_window)
    assert backup.daily_due(db) is False  # an editor's first sign-in of the day made today's backup


def test_a_failed_daily_or_exit_backup_is_told_to_the_clerk(
    app: QApplication, db: Database, people: People, boxes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gui.admin import actions as trust_actions
    from services import security_settings

    def full_disk(*_args: object, **_kw: object) -> None:
        raise backup.BackupError("无法写入备份：磁盘空间已满。")

    monkeypatch.setattr(backup, "auto_backup", full_disk)
    login_dialog.become(db, people.editor)
    assert trust_actions.daily_backup(db, security_settings.SecuritySettings()) is None
    assert trust_actions.exit_backup(db) is None
    assert len(boxes) == 2 and all("磁盘空间已满" in text for text in boxes)
    assert "今天" in boxes[0] and "退出" in boxes[1]


def test_an_unexpected_database_error_in_the_window_is_told_plainly_without_data(
    app: QApplication, boxes: list[str]
) -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    exc = OperationalError(
        "UPDATE member SET phone=?", ("13912345678",), sqlite3.OperationalError("database or disk is full")
    )
    ops.show_error(None, exc)
    assert len(boxes) == 1 and "磁盘空间已满" in boxes[0]
    assert "13912345678" not in boxes[0] and "UPDATE" not in boxes[0]
