"""Build a database at an old schema revision with a few rows, by plain SQL (the ORM is at head)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Connection, create_engine, inspect, text

from services.db import alembic_config

FILLER = {"VARCHAR": "x", "TEXT": "", "INTEGER": 0, "BIGINT": 0, "BOOLEAN": 0, "DATE": "2020-01-01"}


def _insert(conn: Connection, table: str, **given: Any) -> str:
    values: dict[str, Any] = {"id": str(uuid.uuid4())}
    for col in inspect(conn).get_columns(table):
        name, kind = col["name"], str(col["type"]).split("(")[0]
        if name in values or name in given or col["nullable"]:
            continue
        values[name] = "2020-01-01 00:00:00" if kind == "DATETIME" else FILLER.get(kind, "x")
    values.update(given)
    cols = ", ".join(f'"{c}"' for c in values)
    conn.execute(text(f"INSERT INTO {table} ({cols}) VALUES ({', '.join(':' + c for c in values)})"), values)
    return str(values["id"])


def make_old_database(path: Path, revision: str = "0001") -> dict[str, list[str]]:
    """A database at ``revision`` holding townships, branches, members, a meeting and attendance."""
    engine = create_engine(f"sqlite:///{path}")
    ids: dict[str, list[str]] = {}
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
        conn.execute(text("UPDATE change_counter SET value = 100"))
        t = _insert(conn, "township", code="T01", name="老库镇")
        b = _insert(conn, "branch", township_id=t, code="B01", name="老库村党支部", parent_id=None)
        ms = [
            _insert(
                conn,
                "member",
                township_id=t,
                branch_id=b,
                name=f"老党员{i}",
                id_number=f"62042119800101{i:03d}X",
                party_group_id=None,
            )
            for i in range(5)
        ]
        m = _insert(conn, "meeting", branch_id=b, type="congress", topics="老会议", party_group_id=None)
        att = [_insert(conn, "attendance", meeting_id=m, member_id=x, status="present") for x in ms]
        ids = {"township": [t], "branch": [b], "member": ms, "meeting": [m], "attendance": att}
    engine.dispose()
    return ids
