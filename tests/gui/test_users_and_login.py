"""用户管理 shows every account; the login offers the name last used on this computer."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QDialog, QInputDialog
from pytestqt.qtbot import QtBot

from gui.admin import login as login_dialog
from gui.admin.login import LoginDialog, sign_in
from gui.admin.users import UsersDialog
from services import accounts
from services.accounts import Actor
from services.db import Database
from services.roles import Role

PASSWORD = "Sicherheit-2026"
ADMIN = Actor("admin", Role.ADMIN, "管理员")


@pytest.fixture
def people(db: Database) -> None:
    with db.transaction("setup") as s:
        accounts.create_first_admin(s, "admin", "管理员", PASSWORD)
        accounts.create_user(s, "editor", "录入员甲", Role.EDITOR, PASSWORD)
        accounts.create_user(s, "viewer", "查阅员乙", Role.VIEWER, PASSWORD)


def test_user_management_lists_every_user_with_role_and_state(
    app: QApplication, qtbot: QtBot, db: Database, people: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_dialog.become(db, ADMIN)
    dialog = UsersDialog(db)
    qtbot.addWidget(dialog)
    shown = {
        dialog.table.item(r, 0).text(): [dialog.table.item(r, c).text() for c in range(1, 5)]  # type: ignore[union-attr]
        for r in range(dialog.table.rowCount())
    }
    assert set(shown) == {"admin", "editor", "viewer"}
    assert shown["editor"][:3] == ["录入员甲", "录入员", "正常"]
    assert not dialog.buttons["修改角色…"].isEnabled()  # nothing selected yet
    row = list(shown).index("viewer")
    dialog.table.selectRow(row)
    assert dialog.buttons["停用/启用"].text() == "停用账号"
    dialog.toggle_active()
    assert dialog.table.item(row, 3).text() == "已停用"  # type: ignore[union-attr]
    dialog.table.selectRow(row)
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: ("录入员", True)))
    dialog.change_role()
    assert dialog.table.item(row, 2).text() == "录入员"  # type: ignore[union-attr]


def test_login_offers_the_last_user_name(
    app: QApplication, qtbot: QtBot, db: Database, people: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    offered: list[str] = []

    def fake_exec(self: LoginDialog) -> int:
        offered.append(self.username.text())
        if not self.username.text():
            self.username.setText("editor")
        self.password.setText(PASSWORD)
        self.try_login()
        return int(self.result())

    monkeypatch.setattr(LoginDialog, "exec", fake_exec)
    assert sign_in(db) is not None
    assert sign_in(db) is not None
    assert offered == ["", "editor"]  # the second start offers the name used before
    dialog = LoginDialog(db, username=login_dialog.last_username())
    qtbot.addWidget(dialog)
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_user_management_shows_the_last_login_in_local_time(
    app: QApplication, qtbot: QtBot, db: Database, people: None
) -> None:
    import os
    import time
    from datetime import datetime

    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    try:
        accounts.login(db, "editor", PASSWORD, now=datetime(2026, 11, 30, 4, 49, 29))  # stored UTC
        login_dialog.become(db, ADMIN)
        dialog = UsersDialog(db)
        qtbot.addWidget(dialog)
        row = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())].index("editor")  # type: ignore[union-attr]
        assert dialog.table.item(row, 4).text() == "2026-11-30 12:49"  # type: ignore[union-attr]
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()
