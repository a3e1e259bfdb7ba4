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
from datetime import date
from pathlib import Path
from typing import Any

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
            from services.sync import state as sync_state

            database = open_database(self.db_target)
            sync_state.check_on_open(database)  # a restored or copied file starts a new sync generation
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
