"""Headless command line. Each module here registers its own subcommands.

A module defines ``register(sub)`` adding parsers to the argparse sub-parser group; each parser sets
``handler=fn`` where ``fn(args, ctx) -> int`` returns the exit code. Errors derived from
``LedgerError`` are printed to stderr by ``main.py`` and give exit code 1.

Nothing is reported before it is committed: handlers print after their ``with ….transaction()``
block (checked for every module by tests/trust/test_cli_commit_output.py), and as a second line of
defence ``main.py`` runs every handler under an ``OutputGate``: whatever is written to stdout while a
write transaction is open is held back, shown only once that transaction has committed, and dropped
if it rolls back or the process dies first.

Commands are registered lazily: ``COMMANDS`` names every top-level command, its module and help line,
so ``--help`` lists them all and a run imports only the module of the command given (printing,
Excel and the handbook pack load only for the commands that use them). A module missing from
``COMMANDS`` is still registered, eagerly; ``tests/test_cli.py`` keeps the table and the modules in step.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import pkgutil
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services import localtime, textclean
from services.dates import parse_date as parse
from services.errors import LedgerError, ValidationError, ValidationErrors
from services.paths import default_db_path

if TYPE_CHECKING:  # SQLAlchemy and the models load when a command opens the database, not for --help
    from services.db import Database

Handler = Callable[[argparse.Namespace, "Context"], int]


class OutputGate:
    """A stand-in for ``sys.stdout`` that holds back what is written inside write transactions.

    ``transaction()`` is installed as ``Database.around_transaction``: text written while one (or
    nested ones) is open is kept in memory and written through after the outermost one has committed;
    on an exception (rollback) it is dropped. Outside transactions text passes straight through.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._held: list[str] = []
        self._depth = 0

    def write(self, text: str) -> int:
        if self._depth:
            self._held.append(text)
        else:
            self._stream.write(text)
        return len(text)

    def flush(self) -> None:
        if not self._depth:
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # encoding, isatty, buffer … of the real stream
        return getattr(self._stream, name)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self._depth += 1
        committed = False
        try:
            yield
            committed = True
        finally:
            self._depth -= 1
            if not self._depth:
                held, self._held = self._held, []
                if committed:
                    self._stream.write("".join(held))
                    self._stream.flush()

    @contextlib.contextmanager
    def installed(self) -> Iterator[OutputGate]:
        """Put the gate in place of ``sys.stdout`` for the duration of a command."""
        previous = sys.stdout
        sys.stdout = self
        try:
            yield self
        finally:
            sys.stdout = previous


@dataclass
class Context:
    """What every command gets: the database target (opened lazily) and the acting user."""

    db_target: str
    user: str = "cli"
    password_file: str | None = None
    local_admin: bool = False
    command: str = ""  # the command line, recorded when --local-admin is used
    gate: OutputGate | None = None  # holds stdout back until each write transaction has committed
    new_ledger: bool = False  # --new-ledger: an empty file may become a new ledger
    _db: Database | None = field(default=None, repr=False)

    def db(self) -> Database:
        if self._db is None:
            from services.cli._auth import resolve_actor
            from services.db import open_database
            from services.sync import state as sync_state

            database = open_database(self.db_target, create_if_empty=self.new_ledger)
            if self.gate is not None:
                database.around_transaction = self.gate.transaction
            # a restored or copied file starts a new sync generation; a copy is also said at once
            if not database.read_only and sync_state.check_on_open(database) == "copy":
                with database.reader() as s:
                    print(f"注意：{sync_state.copy_warning(s)}", file=sys.stderr)
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
    "backup-auto": (
        "backup",
        "立即做一次自动备份（按日期轮换：近 7 天每天、近一月每周、近一年每月各留一份）",
    ),
    "restore": ("backup", "从备份恢复（管理员；先校验备份并自动备份当前数据库）"),
    "county": ("county", "县级接收：建库、接收整个文件夹、待补、全县总览、下发手册包和通知"),
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
    "exempt": ("ledgers", "请假、年老体弱、免交/少交党费登记"),
    "talk": ("ledgers", "谈心谈话、民主评议等次、流动党员联系"),
    "file-evidence": ("ledgers", "资料归档到目录"),
    "ledger": ("ledger", "任一台账：列出记录或执行登记操作"),
    "meeting": ("meetings", "会议记录"),
    "notice": ("notice", "县里发来的通知（随回执送达）"),
    "member": ("members", "党员"),
    "township": ("org", "乡镇"),
    "branch": ("org", "党组织"),
    "group": ("org", "党小组"),
    "committee": ("org", "支部委员会"),
    "election": ("org", "换届选举"),
    "print-archive": ("printing", "打印支部年度台账（封面、目录清单、各台账、会议记录）为 PDF"),
    "print-meeting": ("printing", "打印一次会议的会议记录表为 PDF"),
    "recycle": ("recycle", "回收站"),
    "report": ("reports", "乡镇报表：政治生日名单、一月一分析、党内统计年报"),
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
    if command is not None and command not in COMMANDS:  # a ledger declared with a new command group
        register_declared(sub)
    for name, (_module, helptext) in COMMANDS.items():
        if name not in sub.choices:
            stub = sub.add_parser(name, help=helptext, add_help=False)
            stub.set_defaults(handler=_unregistered)


def register_declared(sub: argparse._SubParsersAction) -> None:
    """The command groups of ledgers declared with an old-style ``command`` that ``COMMANDS`` does not
    list (imports the declarations: only when the command line names no known command)."""
    importlib.import_module(f"{__name__}.ledger").declared_groups(sub, set(COMMANDS))


def register_every(sub: argparse._SubParsersAction) -> None:
    """Every command module for real (the self-test and the test of ``COMMANDS``)."""
    for name in command_modules():
        importlib.import_module(f"{__name__}.{name}").register(sub)


def coded(enum: type[StrEnum], help: str = "", only: Iterable[str] | None = None) -> dict[str, Any]:
    """``add_argument`` keywords for an option that takes one member of ``enum``: its stable code
    (``rural``), its Chinese label (``农村``) as a clerk reads it on screen, a common word for it
    (``models.enums.ALIASES``, shared with the roster import: ``本科``), or a part of a label only
    one member's label contains (``党员大会`` for ``支部党员大会``); the value stored in the namespace is
    always the code. An unknown or ambiguous word exits 2 with the choices, code and label.

    ``help`` goes before the list of choices; its first words (up to “（” or “；”) name the option in
    the error. ``only``: the codes this option offers, when not every member. Example:
    ``add.add_argument("--domain", default="rural", **coded(BranchDomain, "领域"))``."""
    from models.enums import ALIASES, label

    # the words the roster import also reads (``models.enums.ALIASES``: 本科, 研究生, 农民 …)
    offered = [m for m in enum if only is None or m.value in set(only)]
    codes = {m.value for m in offered}
    table = (
        {m.value: m.value for m in offered}
        | {label(m): m.value for m in offered}
        | {k: v for k, v in ALIASES.get(enum.__name__, {}).items() if k and v in codes}
    )
    listing = "、".join(f"{m.value}={label(m)}" for m in offered)
    what = help.split("；")[0].split("（")[0].strip()

    def convert(text: str) -> str:
        key = text.strip()
        if key in table:
            return table[key]
        # a shortened label, as clerks say it: 党员大会 for 支部党员大会, 支委 for 支委会 — if only one fits
        near = {m.value for m in offered if key and key in label(m)}
        if len(near) == 1:
            return near.pop()
        raise argparse.ArgumentTypeError(f"{what + '：' if what else ''}无法识别“{text}”，可选：{listing}")

    convert.__name__ = enum.__name__
    return {
        "type": convert,
        "choices": [m.value for m in offered],
        "help": f"{help}（{listing}）" if help else listing,
    }


def parse_date(text: str, field_name: str = "date") -> date:
    """Dates on the command line: 2026-07-01, 2026.7.1, 2026/7/1, 2026年7月1日, today/今天 (the local
    date)."""
    value = localtime.local_today() if text.strip().lower() in ("today", "今天") else parse(text)
    if value is None:
        raise ValidationError(field_name, f"无法识别的日期：{text}（请用 2026-07-01 的格式）。")
    return value


def error_text(exc: LedgerError) -> str:
    """The text ``main.py`` prints after "错误：" for a failed command.

    A ``ValidationError`` names its field: the field's Chinese name (``services.audit_labels``) is put
    before each message that does not already start with it (``出生日期：无法识别的日期：…``), one line
    per problem of a ``ValidationErrors``. Other errors print their message unchanged."""
    if not isinstance(exc, ValidationError):
        return exc.message
    from services.audit_labels import field_label  # only on the error path

    errors = exc.errors if isinstance(exc, ValidationErrors) else [exc]
    lines = []
    for err in errors:
        name = field_label(err.field)
        message = err.message
        if name != err.field and message.startswith(f"{err.field}："):  # the code, not the name
            message = message[len(err.field) + 1 :]
        known = name != err.field and "（--" not in message.split("：", 1)[0]  # already named
        lines.append(message if not known or message.startswith(name) else f"{name}：{message}")
    return "\n".join(lines)


def _json_default(value: object) -> str:
    if isinstance(value, datetime):  # stored timestamps are naive UTC: say so ("Z")
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return textclean.for_output(str(value))


def emit(data: Any, as_json: bool) -> None:
    """Print a result: JSON (machine-readable; timestamps ISO 8601 UTC with "Z") or a plain line per
    item (text defended by ``textclean.for_output``)."""
    if as_json:
        json.dump(
            textclean.output_value(data), sys.stdout, ensure_ascii=False, indent=2, default=_json_default
        )
        sys.stdout.write("\n")
    elif isinstance(data, list):
        for item in data:
            line = str(item) if not isinstance(item, dict) else "  ".join(str(v) for v in item.values())
            print(textclean.for_output(line))
    else:
        print(textclean.for_output(str(data)))


def existing_file(text: str) -> Path:
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} 是文件夹，这里需要一个文件")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"路径不存在：{text}")
    return path


def existing_path(text: str) -> Path:
    """An argument that takes a file or a folder (the USB stick): it must exist."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"路径不存在：{text}")
    return path
