"""Headless command line. Each module here registers its own subcommands (discovered at start).

A module defines ``register(sub)`` adding parsers to the argparse sub-parser group; each parser sets
``handler=fn`` where ``fn(args, ctx) -> int`` returns the exit code. Errors derived from
``LedgerError`` are printed to stderr by ``main.py`` and give exit code 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from services import localtime, textclean
from services.dates import parse_date as parse
from services.db import Database, open_database
from services.errors import ValidationError
from services.paths import default_db_path

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


def register_all(sub: argparse._SubParsersAction) -> None:
    for name in command_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(sub)


def parse_date(text: str, field_name: str = "date") -> date:
    """Dates on the command line: 2026-07-01, 2026.7.1, 2026/7/1, 2026年7月1日, today/今天 (the local
    date)."""
    value = localtime.local_today() if text.strip().lower() in ("today", "今天") else parse(text)
    if value is None:
        raise ValidationError(field_name, f"无法识别的日期：{text}（请用 2026-07-01 的格式）。")
    return value


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
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"文件不存在：{text}")
    return path
