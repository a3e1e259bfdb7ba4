"""The lock covers every open window — forms included — and gives them back untouched after the password."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from gui.admin import login as login_dialog
from gui.admin.lock import IdleLock
from gui.admin.login import LoginDialog
from gui.main_window import MainWindow
from gui.roster.member_form import MemberForm
from services import accounts
from services.accounts import Actor
from services.db import Database
from services.roles import Role
from tests.conftest import Builder
from tests.gui.conftest import Boxes, type_text

pytestmark = pytest.mark.display  # real-display behaviour: also run under xcb (Makefile)

PASSWORD = "Sicherheit-2026"
REAL_ASK = IdleLock._ask


@pytest.fixture
def setup(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> Iterator[tuple[MainWindow, MemberForm]]:
    with db.transaction("setup") as s:
        accounts.create_first_admin(s, "admin", "管理员", PASSWORD)
    login_dialog.become(db, Actor("admin", Role.ADMIN, "管理员"))
    branch = build.branch(members=2)
    window = MainWindow(db, screens=[])
    qtbot.addWidget(window)
    window.show()
    form = MemberForm(window, db, branch.id)
    qtbot.addWidget(form)
    form.show()
    type_text(qtbot, form.name, "赵敏")
    form.id_number.setFocus()
    qtbot.keyClicks(form.id_number, "62042119800517")
    yield window, form
    if shiboken6.isValid(form):
        form.support.set_clean()  # closing at teardown must not ask 要保存吗？ with no box recorder left


def answer_login(monkeypatch: pytest.MonkeyPatch, password: str | None) -> list[str]:
    """The lock's login dialog answers with ``password`` (None: the clerk presses 退出)."""
    messages: list[str] = []

    def fake_exec(self: LoginDialog) -> int:
        messages.append(self.message.text())
        if password is None:
            return int(QDialog.DialogCode.Rejected.value)
        self.password.setText(password)
        self.try_login()
        return int(self.result())

    monkeypatch.setattr(LoginDialog, "exec", fake_exec)
    return messages


def test_lock_covers_every_open_window_and_restores_unsaved_text(
    setup: tuple[MainWindow, MemberForm], monkeypatch: pytest.MonkeyPatch, qtbot: QtBot
) -> None:
    window, form = setup
    title = form.windowTitle()
    lock = IdleLock(window, window.db, 0)
    monkeypatch.setattr(IdleLock, "_ask", lambda self: None)  # look at the locked state first
    lock.lock()
    for w in (window, form):
        cover = lock.covers[id(w)]
        assert cover.isVisible() and cover.geometry() == w.rect()
        assert w.windowTitle() == "支部台账已锁定"  # the form's title named the branch / person
    form.resize(form.width() + 40, form.height() + 30)  # the cover follows the window
    QApplication.processEvents()
    assert lock.covers[id(form)].geometry() == form.rect()
    assert "赵敏" not in form.windowTitle()

    monkeypatch.setattr(IdleLock, "_ask", REAL_ASK)
    messages = answer_login(monkeypatch, PASSWORD)
    lock._ask()
    assert not lock.locked and messages
    assert form.isVisible() and form.windowTitle() == title
    assert form.name.text() == "赵敏" and form.id_number.text() == "62042119800517"
    assert not [c for c in form.findChildren(type(lock.cover or form.name)) if c.objectName() == "lockCover"]


def test_quit_from_the_lock_screen_keeps_a_draft_and_never_shows_its_save_prompt(
    setup: tuple[MainWindow, MemberForm], monkeypatch: pytest.MonkeyPatch, boxes: Boxes
) -> None:
    window, form = setup
    lock = IdleLock(window, window.db, 0)
    monkeypatch.setattr(IdleLock, "_ask", lambda self: None)
    lock.lock()
    monkeypatch.setattr(IdleLock, "_ask", REAL_ASK)
    answer_login(monkeypatch, None)  # 退出
    lock.ask_again = False
    lock._ask()
    assert lock.locked  # still locked: no password was given
    assert window.isVisible() and form.isVisible() and form.name.text() == "赵敏"
    assert not any("要保存吗" in text for text in boxes.texts())  # the form's prompt was not reachable
    assert any("尚未保存" in text and "输入密码" in text for text in boxes.texts())


def test_quit_from_the_lock_screen_closes_every_window_when_nothing_is_unsaved(
    setup: tuple[MainWindow, MemberForm], monkeypatch: pytest.MonkeyPatch, boxes: Boxes
) -> None:
    window, form = setup
    form.support.set_clean()
    lock = IdleLock(window, window.db, 0)
    monkeypatch.setattr(IdleLock, "_ask", lambda self: None)
    lock.lock()
    monkeypatch.setattr(IdleLock, "_ask", REAL_ASK)
    answer_login(monkeypatch, None)
    lock._ask()
    assert not window.isVisible() and not form.isVisible()
    assert not boxes.shown


def test_ctrl_l_in_a_form_locks_and_does_not_blame_idleness(
    setup: tuple[MainWindow, MemberForm], monkeypatch: pytest.MonkeyPatch, qtbot: QtBot
) -> None:
    window, form = setup
    lock = IdleLock(window, window.db, 5)
    messages = answer_login(monkeypatch, PASSWORD)
    form.name.setFocus()
    qtbot.keyClick(form.name, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(messages), timeout=2000)
    assert messages[0] == "窗口已锁定，请输入密码继续。"
    assert not lock.locked and form.name.text() == "赵敏"


def test_idle_lock_says_it_locked_for_idleness(
    setup: tuple[MainWindow, MemberForm], monkeypatch: pytest.MonkeyPatch, qtbot: QtBot
) -> None:
    window, _form = setup
    lock = IdleLock(window, window.db, 1)
    messages = answer_login(monkeypatch, PASSWORD)
    lock.lock()  # what the timer calls
    qtbot.waitUntil(lambda: bool(messages), timeout=2000)
    assert "长时间未操作" in messages[0]
