"""Login dialog, first-start administrator dialog, and the sign-in flow at start-up.

The services decide (``services.accounts``); these dialogs only collect the name and password and
show the refusal. A failed login keeps the button disabled for the delay the service asks for.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from gui import ops
from gui.widgets import fit
from services import accounts
from services.db import Database
from services.errors import LedgerError
from services.roles import Actor


def _password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class LoginDialog(QDialog):
    """Name and password; ``actor`` is set when the service accepted them."""

    def __init__(
        self,
        db: Database,
        parent: QWidget | None = None,
        *,
        username: str = "",
        locked: bool = False,
        idle: bool = True,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.actor: Actor | None = None
        self.setWindowTitle("已锁定 — 请重新登录" if locked else "登录 支部台账")
        self.username = QLineEdit(username)
        self.username.setObjectName("loginUsername")
        self.password = _password_field()
        self.password.setObjectName("loginPassword")
        why = "窗口因长时间未操作已锁定" if idle else "窗口已锁定"
        self.message = QLabel(f"{why}，请输入密码继续。" if locked else "")
        self.message.setObjectName("loginMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020")
        form = QFormLayout()
        form.addRow("用户名", self.username)
        form.addRow("密码", self.password)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("登录")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("退出" if locked else "取消")
        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        (self.password if username else self.username).setFocus()
        self._wait = QTimer(self)
        self._wait.setSingleShot(True)
        self._wait.timeout.connect(lambda: self.ok.setEnabled(True))

    def try_login(self) -> None:
        try:
            self.actor = accounts.login(self.db, self.username.text().strip(), self.password.text())
        except accounts.LoginRefused as exc:
            self.message.setText(exc.message)
            self.password.clear()
            if exc.wait_seconds > 0:  # growing delay: the button comes back when the service allows
                self.ok.setEnabled(False)
                self._wait.start(min(exc.wait_seconds, 3600) * 1000 + 250)
            return
        except LedgerError as exc:
            self.message.setText(exc.message)
            return
        self.accept()


class FirstAdminDialog(QDialog):
    """First start: the database has no account yet, so the clerk creates the administrator."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor: Actor | None = None
        self.setWindowTitle("首次使用 — 创建管理员账号")
        intro = QLabel(
            "本机数据包含党员身份证号等个人信息。请先创建管理员账号：以后打开程序需要登录，"
            "管理员可以再添加“录入员”和“查阅”账号。密码至少 8 位，请妥善保管。"
        )
        intro.setWordWrap(True)
        self.username = QLineEdit("admin")
        self.username.setObjectName("adminUsername")
        self.display_name = QLineEdit()
        self.display_name.setObjectName("adminDisplayName")
        self.password = _password_field()
        self.password.setObjectName("adminPassword")
        self.confirm = _password_field()
        self.confirm.setObjectName("adminConfirm")
        self.message = QLabel()
        self.message.setObjectName("adminMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020")
        form = QFormLayout()
        form.addRow("用户名", self.username)
        form.addRow("姓名", self.display_name)
        form.addRow("密码", self.password)
        form.addRow("再输入一次", self.confirm)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("创建并登录")
        buttons.accepted.connect(self.create_admin)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def create_admin(self) -> None:
        if self.password.text() != self.confirm.text():
            self.message.setText("两次输入的密码不一致。")
            return
        name, password = self.username.text().strip(), self.password.text()
        made = ops.run_write(
            self,
            self.db,
            lambda s: accounts.create_first_admin(s, name, self.display_name.text(), password),
            on_invalid=lambda exc: self.message.setText(exc.message),
            user=name,
        )
        if made is None:
            return
        try:
            self.actor = accounts.login(self.db, name, password)
        except LedgerError as exc:
            self.message.setText(exc.message)
            return
        self.accept()


def become(db: Database, actor: Actor) -> None:
    """From now on every write of this window is done as ``actor`` (role checked by the services)."""
    db.actor = actor
    ops.set_user(actor.username)


def sign_in(db: Database, parent: QWidget | None = None) -> Actor | None:
    """At start-up: first-start administrator, else the login dialog. ``None``: the user gave up."""
    first = not ops.query(db, accounts.has_accounts)
    dialog: FirstAdminDialog | LoginDialog = (
        FirstAdminDialog(db, parent) if first else LoginDialog(db, parent, username=last_username())
    )
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.actor is None:
        return None
    become(db, dialog.actor)
    remember_username(dialog.actor.username)
    return dialog.actor


_LAST_USER_KEY = "login/last_user"


def last_username() -> str:
    """The name last signed in with on this computer (the password field then has the focus)."""
    return str(fit.settings().value(_LAST_USER_KEY, "") or "")


def remember_username(username: str) -> None:
    store = fit.settings()
    store.setValue(_LAST_USER_KEY, username)
    store.sync()
