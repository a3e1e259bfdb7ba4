"""Bulk writer: SQLAlchemy Core ``insert()`` executemany, bypassing the ORM for speed.

The ORM's ``before_flush`` hook does not run for Core statements, so this fills what it would: the
timestamps, the acting user, the soft-delete columns and a change sequence number from
``allocate_seq`` for every row, in insertion order.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection

from models import Base
from services.db import allocate_seq

CHUNK = 20_000


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from the seeded generator, so a seed always gives the same keys."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


class BulkWriter:
    """Buffers rows per table and writes them in chunks inside the caller's transaction."""

    def __init__(self, conn: Connection, user: str) -> None:
        self.conn = conn
        self.user = user
        self.buffers: dict[str, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}

    def add(self, table: str, row: dict[str, Any], at: datetime) -> None:
        """Queue a row; ``at`` is when the clerk entered it (created and updated time)."""
        row["created_at"] = at
        row["updated_at"] = at
        row["created_by"] = self.user
        row["updated_by"] = self.user
        row["deleted"] = False
        row["deleted_at"] = None
        buf = self.buffers.setdefault(table, [])
        buf.append(row)
        if len(buf) >= CHUNK:
            # Everything buffered goes, parents first, so no chunk refers to an unwritten row.
            self.flush()

    def flush(self) -> None:
        """Write every buffered row, tables in foreign-key order."""
        for name in [t.name for t in Base.metadata.sorted_tables if t.name in self.buffers]:
            rows = self.buffers.get(name) or []
            if not rows:
                continue
            last = allocate_seq(self.conn, len(rows))
            first = last - len(rows) + 1
            for i, row in enumerate(rows):
                row["row_seq"] = first + i
            tbl: Table = Base.metadata.tables[name]
            self.conn.execute(insert(tbl), rows)
            self.counts[name] = self.counts.get(name, 0) + len(rows)
            self.buffers[name] = []


def at_time(day: date, rng: random.Random, start_hour: int = 8, end_hour: int = 18) -> datetime:
    """A working-hours moment on ``day`` (when a record was typed in)."""
    seconds = rng.randrange(start_hour * 3600, end_hour * 3600)
    return datetime(day.year, day.month, day.day, seconds // 3600, seconds // 60 % 60, seconds % 60)
