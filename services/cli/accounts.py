"""`account init|add|list|passwd|role|disable|enable|unlock|reset-password`: user accounts.

Passwords are never taken on the command line (they would land in shell history): they come from
``--password-file`` of the subcommand, or are asked for interactively.
"""

from __future__ import annotations

import argparse
import getpass
from dataclasses import asdict
from pathlib import Path

from models.enums import Role
from services import accounts, localtime
from services.cli import Context, coded, emit
from services.errors import ValidationError


def _password(args: argparse.Namespace, attr: str = "new_password_file", prompt: str = "新密码：") -> str:
    path = getattr(args, attr, None)
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError("password", f"无法读取密码文件 {path}：{exc}") from exc
        return text.splitlines()[0] if text else ""
    first = getpass.getpass(prompt)
    if getpass.getpass("再输入一次：") != first:
        raise ValidationError("password", "两次输入的密码不一致。")
    return first


def register(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("account", help="账号与角色").add_subparsers(dest="action", required=True)

    init = a.add_parser("init", help="创建首个管理员（数据库还没有账号时）")
    init.add_argument("username")
    init.add_argument("--display-name", default="")
    init.add_argument("--new-password-file", default=None, help="新密码文件（不给则交互输入）")
    init.set_defaults(handler=account_init)

    add = a.add_parser("add", help="添加用户（管理员）")
    add.add_argument("username")
    add.add_argument("--role", required=True, **coded(Role, "角色"))
    add.add_argument("--display-name", default="")
    add.add_argument("--new-password-file", default=None)
    add.set_defaults(handler=account_add)

    ls = a.add_parser("list", help="用户列表（管理员）")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=account_list)

    pw = a.add_parser("passwd", help="修改自己的密码")
    pw.add_argument("--old-password-file", default=None)
    pw.add_argument("--new-password-file", default=None)
    pw.set_defaults(handler=account_passwd)

    role = a.add_parser("role", help="修改角色（管理员）")
    role.add_argument("username")
    role.add_argument("role", **coded(Role, "角色"))
    role.set_defaults(handler=account_role)

    for name, active, text in (("disable", False, "停用账号"), ("enable", True, "启用账号")):
        p = a.add_parser(name, help=f"{text}（管理员）")
        p.add_argument("username")
        p.set_defaults(handler=account_active, active=active)

    un = a.add_parser("unlock", help="解除登录锁定（管理员）")
    un.add_argument("username")
    un.set_defaults(handler=account_unlock)

    rp = a.add_parser("reset-password", help="为用户重设密码（管理员）")
    rp.add_argument("username")
    rp.add_argument("--new-password-file", default=None)
    rp.set_defaults(handler=account_reset)


def account_init(args: argparse.Namespace, ctx: Context) -> int:
    password = _password(args)
    with ctx.db().transaction(args.username) as s:
        user = accounts.create_first_admin(s, args.username, args.display_name, password)
    print(f"已创建管理员 {user.username}。以后命令行需加 --user {user.username} --password-file 文件。")
    return 0


def account_add(args: argparse.Namespace, ctx: Context) -> int:
    password = _password(args)
    with ctx.db().transaction(ctx.user) as s:
        user = accounts.create_user(s, args.username, args.display_name, args.role, password)
    print(f"已添加用户 {user.username}")
    return 0


def account_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        rows = accounts.list_users(s)
    if args.json:
        emit([asdict(r) for r in rows], True)
        return 0
    if not rows:
        print("无账号（未设置账号时不需登录，操作只记录用户名）。")
    for r in rows:
        state = "启用" if r.active else "停用"
        locked = f"  锁定至 {localtime.show(r.locked_until)}" if r.locked_until else ""
        print(f"{r.username}\t{r.display_name}\t{r.role_label}\t{state}{locked}")
    return 0


def account_passwd(args: argparse.Namespace, ctx: Context) -> int:
    old = (
        _password(args, "old_password_file", "原密码：")
        if args.old_password_file
        else getpass.getpass("原密码：")
    )
    new = _password(args)
    with ctx.db().transaction(ctx.user) as s:
        accounts.change_password(s, ctx.user, old, new)
    print("密码已修改")
    return 0


def account_role(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        user = accounts.set_role(s, args.username, args.role)
    print(f"{user.username} 的角色已改为 {args.role}")
    return 0


def account_active(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        accounts.set_active(s, args.username, args.active)
    print("已启用" if args.active else "已停用")
    return 0


def account_unlock(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        accounts.unlock(s, args.username)
    print("已解锁")
    return 0


def account_reset(args: argparse.Namespace, ctx: Context) -> int:
    password = _password(args)
    with ctx.db().transaction(ctx.user) as s:
        accounts.reset_password(s, args.username, password)
    print("密码已重设")
    return 0
