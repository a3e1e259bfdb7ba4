"""Menu actions of the trust features (backup, restore, recycle bin, audit log, users, settings,
lock) and the session hooks of start-up and exit (daily and on-exit rolling backups).

Installed through ``MainWindow`` ``EXTENSIONS``; every action calls a service that checks the role
itself, so a hidden or visible button never decides what is allowed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from gui.admin.lock import IdleLock
from gui.widgets import files
from services import accounts, backup, security_settings
from services.db import Database, OpChanges
from services.errors import LedgerError

if TYPE_CHECKING:
    from gui.main_window import MainWindow

log = logging.getLogger(__name__)
ALL_CHANGES = {"member", "meeting", "township", "branch", "recycle", "restore"}


def install(window: MainWindow) -> None:
    db = window.db
    window.add_action("文件", "备份到…", lambda: backup_to(window))
    window.add_action("文件", "从备份恢复…", lambda: restore_from(window))
    window.add_action("文件", "锁定", lambda: lock_now(window), "Ctrl+L")
    window.add_action("文件", "修改密码…", lambda: change_password(window))
    window.add_action("数据", "回收站…", lambda: open_recycle(window))
    window.add_action("工具", "操作日志…", lambda: open_audit(window))
    window.add_action("工具", "用户管理…", lambda: open_users(window))
    window.add_action("工具", "安全设置…", lambda: open_settings(window))
    if db.actor is not None:  # signed in (not for screenshots): who, lock when idle, daily backup
        who = QLabel(f"当前用户：{db.actor.display_name or db.actor.username}（{db.actor.role_label}）")
        who.setObjectName("currentUser")
        window.statusBar().addPermanentWidget(who)
        settings = ops.query(db, security_settings.load)
        window.idle_lock = IdleLock(window, db, settings.lock_minutes)  # type: ignore[attr-defined]
        daily_backup(db, settings)


def daily_backup(db: Database, settings: security_settings.SecuritySettings) -> Path | None:
    """The first start of a day makes an automatic backup (not for a 查阅 account: it cannot change
    anything). Failures never block the start; they are logged and told to the clerk."""
    if db.actor is not None and db.actor.role == "viewer":
        return None
    try:
        if db.path is not None and settings.backup_daily and backup.daily_due(db):
            made = backup.auto_backup(db, settings.backup_keep, db.actor)
            if made is not None and made.warnings:
                QMessageBox.warning(None, "操作日志校验", "\n".join(made.warnings))
            return made.path if made else None
    except LedgerError as exc:
        log.exception("daily backup failed")
        QMessageBox.warning(None, "今日自动备份失败", f"今天的自动备份没有做成：{exc.message}")
    return None


def exit_backup(db: Database) -> Path | None:
    """On exit: one rolling backup (called by ``gui.app.run_gui`` before the database closes)."""
    if db.path is None or db.actor is None or db.actor.role == "viewer":
        return None
    try:
        keep = ops.query(db, security_settings.load).backup_keep
        made = backup.auto_backup(db, keep, db.actor)
        if made is not None and made.warnings:
            QMessageBox.warning(None, "操作日志校验", "\n".join(made.warnings))
        return made.path if made else None
    except LedgerError as exc:
        log.exception("backup on exit failed")
        QMessageBox.warning(None, "退出时自动备份失败", f"退出时的自动备份没有做成：{exc.message}")
        return None


def lock_now(window: MainWindow) -> None:
    lock = getattr(window, "idle_lock", None)
    if lock is None:
        lock = window.idle_lock = IdleLock(window, window.db, 0)  # type: ignore[attr-defined]
    lock.lock(idle=False)  # Ctrl+L / 文件 → 锁定: not "因长时间未操作"


def backup_to(window: MainWindow) -> None:
    folder = files.choose_folder(window, "选择备份位置（如 U 盘）", kind="backup")
    if not folder:
        return
    path = ops.run_job(
        window, lambda: backup.backup_to(window.db, Path(folder), window.db.actor), background=False
    )
    if path is not None:
        QMessageBox.information(window, "备份完成", f"已备份到：\n{path}\n\n备份文件含个人信息，请妥善保管。")


def restore_from(window: MainWindow) -> None:
    name = files.open_file(
        window, "选择要恢复的备份", "数据库备份 (*.sqlite *.db);;所有文件 (*)", kind="backup"
    )
    if not name:
        return
    sure = QMessageBox.question(
        window,
        "从备份恢复",
        f"用备份\n{name}\n替换当前全部数据？\n\n当前数据会先自动备份，恢复后需要重新登录。",
    )
    if sure != QMessageBox.StandardButton.Yes:
        return
    db = window.db
    try:
        backup.inspect_backup(Path(name))
        needs = backup.restore_needs(db, Path(name))
    except LedgerError as exc:
        QMessageBox.warning(window, "不能恢复", exc.message)
        return
    accept_log = False
    if needs.log_problem:
        answer = QMessageBox.question(
            window,
            "确认日志状态",
            f"这份备份的操作日志不完整：{needs.log_problem}\n\n恢复后当前的日志将被它取代。仍要恢复吗？"
            "（这一确认会记入操作日志）",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        accept_log = True
    new_admin = None
    if needs.new_admin:
        new_admin = _ask_new_admin(window)
        if new_admin is None:
            return
    result = ops.run_job(
        window,
        lambda: backup.restore(db, Path(name), db.actor, new_admin=new_admin, accept_broken_log=accept_log),
        background=False,
    )
    if result is None:
        return
    ops.bus().changed.emit(OpChanges(ALL_CHANGES, everything=True))  # a whole other file
    window.reload_tree()
    QMessageBox.information(window, "恢复完成", result.message())
    lock_now(window)  # the restored file has its own accounts: sign in again


def _ask_new_admin(window: MainWindow) -> backup.NewAdmin | None:
    """A backup without accounts: the administrator to create in it (refused without one)."""
    dialog = QDialog(window)
    dialog.setWindowTitle("备份里没有账号")
    form = QFormLayout(dialog)
    form.addRow(QLabel("这份备份里没有任何账号，恢复后任何人都能以管理员身份操作。\n请同时创建一个管理员："))
    name, first, second = QLineEdit("admin"), QLineEdit(), QLineEdit()
    for field in (first, second):
        field.setEchoMode(QLineEdit.EchoMode.Password)
    form.addRow("用户名", name)
    form.addRow("密码", first)
    form.addRow("再输入一次", second)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    while dialog.exec() == QDialog.DialogCode.Accepted:
        if first.text() != second.text():
            QMessageBox.warning(window, "密码不一致", "两次输入的密码不一样，请重新输入。")
            continue
        return backup.NewAdmin(name.text().strip(), first.text())
    return None


def change_password(window: MainWindow) -> None:
    db = window.db
    if db.actor is None:
        QMessageBox.information(window, "修改密码", "当前没有登录的账号。")
        return
    dialog = QDialog(window)
    dialog.setWindowTitle("修改密码")
    fields = [QLineEdit() for _ in range(3)]
    form = QFormLayout(dialog)
    for text, field in zip(("原密码", "新密码", "再输入一次"), fields, strict=True):
        field.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(text, field)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    old, new, again = (f.text() for f in fields)
    if new != again:
        QMessageBox.warning(window, "修改密码", "两次输入的新密码不一致。")
        return
    user = db.actor.username

    def save(s: Session) -> bool:
        accounts.change_password(s, user, old, new)
        return True

    if ops.run_write(window, db, save):
        QMessageBox.information(window, "修改密码", "密码已修改。")


def open_recycle(window: MainWindow) -> None:
    from gui.admin.recycle import RecycleDialog

    RecycleDialog(window.db, window).exec()
    window.reload_tree()


def open_audit(window: MainWindow) -> None:
    from gui.admin.audit import AuditDialog

    AuditDialog(window.db, window).exec()


def open_settings(window: MainWindow) -> None:
    db = window.db
    current = ops.run_read(window, db, security_settings.load)
    if current is None:
        return
    dialog = QDialog(window)
    dialog.setWindowTitle("安全设置")
    keep = QSpinBox()
    keep.setRange(1, 365)
    keep.setValue(current.backup_keep)
    daily = QCheckBox("每天第一次打开时自动备份")
    daily.setChecked(current.backup_daily)
    minutes = QSpinBox()
    minutes.setRange(0, 1440)
    minutes.setSuffix(" 分钟（0 = 不锁定）")
    minutes.setValue(current.lock_minutes)
    form = QFormLayout(dialog)
    form.addRow("自动备份至少保留最近份数", keep)
    form.addRow("", daily)
    form.addRow("无操作自动锁定", minutes)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    wanted = security_settings.SecuritySettings(keep.value(), daily.isChecked(), minutes.value())
    saved = ops.run_write(window, db, lambda s: security_settings.save(s, wanted))
    lock = getattr(window, "idle_lock", None)
    if saved is not None and lock is not None:
        lock.set_minutes(saved.lock_minutes)


def open_users(window: MainWindow) -> None:
    """Administrators: every user in a list, with add, change role, reset password, unlock and
    disable/enable beside it (``gui.admin.users.UsersDialog``)."""
    from gui.admin.users import UsersDialog

    UsersDialog(window.db, window, add_user=lambda: _add_user(window)).exec()


def _add_user(window: QWidget) -> None:
    db = window.db  # type: ignore[attr-defined]
    dialog = QDialog(window)
    dialog.setWindowTitle("添加用户")
    username, display, password = QLineEdit(), QLineEdit(), QLineEdit()
    password.setEchoMode(QLineEdit.EchoMode.Password)
    role = QComboBox()
    for code, text in (("editor", "录入员"), ("viewer", "查阅"), ("admin", "管理员")):
        role.addItem(text, code)
    form = QFormLayout(dialog)
    form.addRow("用户名", username)
    form.addRow("姓名", display)
    form.addRow("角色", role)
    form.addRow("初始密码", password)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        ops.run_write(
            window,
            db,
            lambda s: accounts.create_user(
                s, username.text(), display.text(), str(role.currentData()), password.text()
            ),
        )
