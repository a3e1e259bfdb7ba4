"""Headless command line. Each module here registers its own subcommands.

A module defines ``register(sub)`` adding parsers to the argparse sub-parser group; each parser sets
``handler=fn`` where ``fn(args, ctx) -> int`` returns the exit code. Errors derived from
``LedgerError`` are printed to stderr by ``main.py`` and give exit code 1.

Commands are registered lazily: ``COMMANDS`` names every top-level command, its module and help line,
so ``--help`` lists them all and a run imports only the module of the command given (printing,
Excel and the handbook pack load only for the commands that use them). A module missing from
``COMMANDS`` is still registered, eagerly; ``tests/test_cli.py`` keeps the table and the modules in step.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.dates import parse_date as parse
from services.errors import LedgerError, ValidationError
from services.paths import default_db_path

if TYPE_CHECKING:  # SQLAlchemy and the models load when a command opens the database, not for --help
    from services.db import Database

Handler = Callable[[argparse.Namespace, "Context"], int]


@dataclass
class Context:
    """What every command gets: the database target (opened lazily) and the acting user."""

    db_target: str
    user: str = "cli"
    password_file: str | None = None
    local_admin: bool = False
    command: str = ""  # the command line, recorded when --local-admin is used
    _db: Database | None = field(default=None, repr=False)

    def db(self) -> Database:
        if self._db is None:
            from services.cli._auth import resolve_actor
            from services.db import open_database

            database = open_database(self.db_target)
            try:
                database.actor = resolve_actor(
                    database, self.user, self.password_file, self.local_admin, self.command
                )
            except BaseException:
                database.close()
                raise
            self.user = database.actor.username
            self._db = database
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def default_target() -> str:
    return str(default_db_path())


def command_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


# Top-level command → (module in services/cli, help line), in the order ``--help`` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "account": ("accounts", "账号与角色"),
    "attach": ("attachments", "会议附件（照片、签到表）"),
    "audit": ("audit", "操作日志"),
    "backup": ("backup", "备份数据库到文件夹（如 U 盘）或 .sqlite 文件"),
    "backup-auto": ("backup", "立即做一次滚动自动备份（保留最近 N 份）"),
    "restore": ("backup", "从备份恢复（管理员；先校验备份并自动备份当前数据库）"),
    "demo": ("demo", "生成演示数据（乡镇、支部、党员、十年会议记录）"),
    "dev": ("development", "发展党员"),
    "template": ("excel", "生成 Excel 导入模板"),
    "import-roster": ("excel", "从 Excel 导入党员花名册"),
    "import-meetings": ("excel", "从 Excel 导入会议记录"),
    "export-xlsx": ("excel", "导出 Excel"),
    "fee": ("fees", "党费"),
    "fund": ("fees", "活动经费"),
    "check": ("handbook", "对标检查：列出问题和星级（有“错误”时退出码为 1）"),
    "handbook": ("handbook", "手册包"),
    "transfer": ("ledgers", "组织关系转接与流动党员"),
    "training": ("ledgers", "教育培训"),
    "decision": ("ledgers", "决策（四议两公开）"),
    "venue": ("ledgers", "阵地建设（八有）"),
    "problem": ("ledgers", "督查与整改"),
    "file-evidence": ("ledgers", "资料归档到目录"),
    "meeting": ("meetings", "会议记录"),
    "member": ("members", "党员"),
    "township": ("org", "乡镇"),
    "branch": ("org", "党组织"),
    "group": ("org", "党小组"),
    "print-archive": ("printing", "打印支部年度台账（封面、目录清单、各台账、会议记录）为 PDF"),
    "print-meeting": ("printing", "打印一次会议的会议记录表为 PDF"),
    "recycle": ("recycle", "回收站"),
    "sync": ("sync", "数据同步（同步包、回执、冲突、密钥）"),
}


def _unregistered(_args: argparse.Namespace, _ctx: Context) -> int:
    raise LedgerError("内部错误：该命令没有注册，请联系技术支持。")


def register_all(sub: argparse._SubParsersAction, command: str | None = None) -> None:
    """Register ``command``'s module for real and every other command as a stub with its help line.

    ``command`` None registers only stubs (enough to list them, or to find which command a command
    line names: ``main.build_parser``). Modules not named in ``COMMANDS`` are registered for real.
    """
    listed = {module for module, _help in COMMANDS.values()}
    real = [m for m in command_modules() if m not in listed]
    if command in COMMANDS:
        real.append(COMMANDS[command][0])
    for name in real:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    for name, (_module, helptext) in COMMANDS.items():
        if name not in sub.choices:
            stub = sub.add_parser(name, help=helptext, add_help=False)
            stub.set_defaults(handler=_unregistered)


def register_every(sub: argparse._SubParsersAction) -> None:
    """Every command module for real (the self-test and the test of ``COMMANDS``)."""
    for name in command_modules():
        importlib.import_module(f"{__name__}.{name}").register(sub)


def parse_date(text: str, field_name: str = "date") -> date:
    """Dates on the command line: 2026-07-01, 2026.7.1, 2026/7/1, 2026年7月1日."""
    value = parse(text)
    if value is None:
        raise ValidationError(field_name, f"无法识别的日期：{text}（请用 2026-07-01 的格式）。")
    return value


def emit(data: Any, as_json: bool) -> None:
    """Print a result: JSON (machine-readable) or a plain line per item."""
    if as_json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    elif isinstance(data, list):
        for item in data:
            print(item if not isinstance(item, dict) else "  ".join(str(v) for v in item.values()))
    else:
        print(data)


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"文件不存在：{text}")
    return path
