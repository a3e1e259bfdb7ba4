"""`backup OUT`, `restore FILE`, `backup-auto`: copies of the database and restoring one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from services import backup, security_settings
from services.backup import BackupError
from services.cli import Context
from services.cli._auth import read_password
from services.errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("backup", help="备份数据库到文件夹（如 U 盘）或 .sqlite 文件")
    b.add_argument("out", help="目标文件夹或 .sqlite 文件")
    b.set_defaults(handler=backup_out)
    a = sub.add_parser(
        "backup-auto", help="立即做一次自动备份（按日期轮换：近 7 天每天、近一月每周、近一年每月各留一份）"
    )
    a.set_defaults(handler=backup_auto)
    r = sub.add_parser("restore", help="从备份恢复（管理员；先校验备份并自动备份当前数据库）")
    r.add_argument("file", help="备份文件")
    r.add_argument(
        "--without-opening",
        action="store_true",
        help="数据库打不开时（如升级失败）：不打开当前文件，直接换成备份（仅限文件所有者；原文件另存到 backups）",
    )
    r.add_argument("--new-admin", default=None, help="备份里没有账号时：同时创建的管理员用户名")
    r.add_argument("--new-password-file", default=None, help="该管理员的密码文件（第一行为密码）")
    r.add_argument(
        "--accept-broken-log",
        action="store_true",
        help="备份的操作日志不完整时，确认仍要恢复（记入操作日志）",
    )
    r.set_defaults(handler=restore_file)


def backup_out(args: argparse.Namespace, ctx: Context) -> int:
    db = ctx.db()
    path = backup.backup_to(db, Path(args.out), db.actor)
    print(f"已备份到 {path}")
    return 0


def backup_auto(args: argparse.Namespace, ctx: Context) -> int:
    db = ctx.db()
    with db.reader() as s:
        keep = security_settings.load(s).backup_keep
    made = backup.auto_backup(db, keep, db.actor)
    for warning in made.warnings if made else ():
        print(f"警告：{warning}", file=sys.stderr)
    print(f"已备份到 {made.path}" if made else "数据库文件不存在，未备份")
    return 0


def restore_file(args: argparse.Namespace, ctx: Context) -> int:
    if args.without_opening:
        path = Path(ctx.db_target)
        if "://" in ctx.db_target:
            raise BackupError("--without-opening 只用于本机 SQLite 数据库文件。")
        result = backup.replace_without_opening(path, Path(args.file))
        print(f"已从 {result.restored_from} 恢复。原数据库文件已另存到 {result.safety_copy}")
        return 0
    db = ctx.db()
    new_admin = None
    if args.new_admin:
        password = read_password(args.new_password_file) if args.new_password_file else None
        if not password:
            raise ValidationError("new_password_file", "创建管理员需要 --new-password-file 密码文件。")
        new_admin = backup.NewAdmin(args.new_admin, password)
    result = backup.restore(
        db, Path(args.file), db.actor, new_admin=new_admin, accept_broken_log=args.accept_broken_log
    )
    print(result.message())
    return 0
