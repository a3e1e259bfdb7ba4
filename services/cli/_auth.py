"""Who runs a CLI command: an account (same credentials as the GUI), or the local administrator.

- A database without accounts (never set up in the GUI, or a fresh file) runs every command as an
  administrator named by ``--user`` — there is nobody to log in as yet.
- Once accounts exist: ``--user NAME`` with ``--password-file FILE`` or the ``LEDGER_PASSWORD``
  environment variable; the account's role applies exactly as in the GUI.
- ``--local-admin``: the operating-system owner of the database file acts as administrator without
  a password (they can copy the file anyway; this is for a forgotten admin password). Refused for
  anyone else, and recorded in the audit log as ``local-admin:<os user>``.
"""

from __future__ import annotations

import getpass
import os
import stat
from pathlib import Path

from models.enums import Role
from services import accounts, audit
from services.db import Database
from services.errors import PermissionDenied
from services.roles import Actor

PASSWORD_ENV = "LEDGER_PASSWORD"


def read_password(password_file: str | None) -> str | None:
    if password_file:
        path = Path(password_file)
        try:
            if os.name == "posix" and path.stat().st_mode & stat.S_IROTH:
                raise PermissionDenied(
                    f"密码文件 {password_file} 所有人都能读取，不安全，已拒绝。请先运行 chmod 600 {password_file}。"
                )
            # utf-8-sig: a file saved by Windows Notepad starts with a BOM that is not part of the password
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise PermissionDenied(f"无法读取密码文件 {password_file}：{exc}") from exc
        return text.splitlines()[0] if text else ""
    return os.environ.get(PASSWORD_ENV)


def local_admin(db: Database, command: str = "") -> Actor:
    path = db.path
    if path is not None and os.name == "posix" and path.exists() and path.stat().st_uid != os.getuid():
        raise PermissionDenied("--local-admin 只能由数据库文件的所有者使用。")
    if db.read_only:  # nothing can be changed (or logged) on read-only media: view only
        return Actor(f"local-admin:{getpass.getuser()}", Role.VIEWER, "本机查看（只读）")
    actor = Actor(f"local-admin:{getpass.getuser()}", Role.ADMIN, "本机管理员")
    with db.transaction(actor.username) as s:
        audit.record_event(s, "local_admin", {"command": command[:500]})
    return actor


def resolve_actor(
    db: Database, user: str, password_file: str | None, use_local_admin: bool, command: str = ""
) -> Actor:
    if use_local_admin:
        return local_admin(db, command)
    with db.reader() as s:
        has = accounts.has_accounts(s)
    if not has:
        return Actor(user, Role.VIEWER if db.read_only else Role.ADMIN, "未设置账号")
    password = read_password(password_file)
    if password is None:
        raise PermissionDenied(
            "本数据库已设置账号，命令行也需要登录：请加上 --user 用户名 --password-file 密码文件"
            f"（或设置环境变量 {PASSWORD_ENV}）；忘记管理员密码时由数据库文件所有者使用 --local-admin。"
        )
    return accounts.login(db, user, password)
