"""用户管理: every account in a list (用户名, 姓名, 角色, 状态, 上次登录) with the actions beside it,
instead of a pick-one box that showed nobody until chosen. Administrators only (the services check)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from models import utcnow
from services import accounts, localtime
from services.db import Database

COLUMNS = ("用户名", "姓名", "角色", "状态", "上次登录")
ROLE_CHOICES = (("editor", "录入员"), ("viewer", "查阅"), ("admin", "管理员"))


class UsersDialog(QDialog):
    """``add_user`` is called for 添加用户… (the caller's form); the other actions act on the selected row."""

    def __init__(
        self, db: Database, parent: QWidget | None = None, add_user: Callable[[], None] | None = None
    ):
        super().__init__(parent)
        self.db = db
        self.add_user = add_user
        self.rows: list[accounts.UserRow] = []
        self.setWindowTitle("用户管理")
        self.resize(720, 420)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("usersTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        bar = QHBoxLayout()
        for text, slot in (
            ("添加用户…", self._add),
            ("修改角色…", self.change_role),
            ("重设密码…", self.reset_password),
            ("解除锁定", self.unlock),
            ("停用/启用", self.toggle_active),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            bar.addWidget(button)
            self.buttons[text] = button
        bar.addStretch(1)
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        bar.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.message)
        lay.addLayout(bar)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.load()

    def load(self) -> None:
        rows = ops.run_read(self, self.db, accounts.list_users)
        self.rows = rows or []
        now = utcnow()
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            locked = r.locked_until is not None and r.locked_until.replace(tzinfo=None) > now.replace(
                tzinfo=None
            )
            state = "已停用" if not r.active else ("已锁定" if locked else "正常")
            last = localtime.show(r.last_login_at) if r.last_login_at else "从未登录"  # stored UTC
            for j, value in enumerate((r.username, r.display_name, r.role_label, state, last)):
                self.table.setItem(i, j, QTableWidgetItem(value))
        self.message.setText(f"共 {len(self.rows)} 个用户")
        self._update_buttons()

    def selected(self) -> accounts.UserRow | None:
        picked = self.table.selectionModel().selectedRows()
        return self.rows[picked[0].row()] if picked else None

    def _update_buttons(self) -> None:
        chosen = self.selected()
        for text, button in self.buttons.items():
            if text != "添加用户…":
                button.setEnabled(chosen is not None)
        if chosen is not None:
            self.buttons["停用/启用"].setText("启用账号" if not chosen.active else "停用账号")

    def _run(self, fn: Callable[[Session], object], done: str) -> None:
        if ops.run_write(self, self.db, fn) is not None:
            self.load()
            self.message.setText(done)

    def _add(self) -> None:
        if self.add_user is not None:
            self.add_user()
            self.load()

    def change_role(self) -> None:
        user = self.selected()
        if user is None:
            return
        labels = [t for _c, t in ROLE_CHOICES]
        current = next((i for i, (c, _t) in enumerate(ROLE_CHOICES) if c == user.role), 0)
        text, ok = QInputDialog.getItem(self, user.username, "新角色：", labels, current, False)
        if ok:
            role = ROLE_CHOICES[labels.index(text)][0]
            self._run(
                lambda s: accounts.set_role(s, user.username, role), f"已把 {user.username} 改为{text}。"
            )

    def reset_password(self) -> None:
        user = self.selected()
        if user is None:
            return
        password, ok = QInputDialog.getText(
            self, user.username, "新密码（至少 8 位）：", QLineEdit.EchoMode.Password
        )
        if ok:
            self._run(
                lambda s: accounts.reset_password(s, user.username, password),
                f"已重设 {user.username} 的密码。",
            )

    def unlock(self) -> None:
        user = self.selected()
        if user is not None:
            self._run(lambda s: accounts.unlock(s, user.username), f"已解除 {user.username} 的锁定。")

    def toggle_active(self) -> None:
        user = self.selected()
        if user is not None:
            word = "启用" if not user.active else "停用"
            self._run(
                lambda s: accounts.set_active(s, user.username, not user.active),
                f"已{word} {user.username}。",
            )
