"""Bulk writer: SQLAlchemy Core ``insert()`` executemany, bypassing the ORM for speed.

The ORM's ``before_flush`` hook does not run for Core statements, so this fills what it would: the
timestamps, the acting user, the soft-delete columns and a change sequence number from
``allocate_seq`` for every row, in insertion order.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Time, column, insert, table
from sqlalchemy.engine import Connection

from models import Base
from services import collation
from services.db import allocate_seq

CHUNK = 20_000


class DemoRandom(random.Random):
    """The seeded generator, plus time-ordered keys.

    Keys are UUID version 7 (RFC 9562) whose timestamp is a counter from a fixed start: the same seed
    gives the same keys, and each new key sorts after the last, so the bulk load appends to the
    primary-key and foreign-key indexes instead of splitting pages all over them.
    """

    def __init__(self, seed: int, start_ms: int) -> None:
        super().__init__(seed)
        self.next_ms = start_ms

    def uuid7(self) -> str:
        ms = self.next_ms
        self.next_ms += 1
        value = (ms << 80) | _V7 | self.getrandbits(62) | (self.getrandbits(12) << 64)
        h = f"{value:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_V7 = (0x7 << 76) | (0b10 << 62)  # version 7, RFC 4122 variant


def new_uuid(rng: DemoRandom) -> str:
    return rng.uuid7()


class BulkWriter:
    """Buffers rows per table and writes them in chunks inside the caller's transaction."""

    def __init__(self, conn: Connection, user: str, today: date | None = None) -> None:
        self.conn = conn
        self.user = user
        self.buffers: dict[str, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}
        # SQLite: values go in already in SQLAlchemy's storage format through an untyped table(),
        # which skips per-value bind processing (the bulk of Core's cost here).
        self.raw = conn.dialect.name == "sqlite"
        self._at: tuple[datetime, object] | None = None
        # No row is stamped after the demo's ``today`` began, nor after the moment it is written (stored
        # times are UTC): a county's receiver refuses records that claim to come from the future (#15,
        # time bounds). The start of ``today`` keeps a demo written for a past day reproducible.
        now = datetime.now(UTC).replace(tzinfo=None)
        self.latest = min(now, datetime.combine(today, time())) if today is not None else now

    def _stamp(self, at: datetime) -> object:
        if not self.raw:
            return at
        if self._at is None or self._at[0] is not at:
            self._at = (at, at.strftime("%Y-%m-%d %H:%M:%S.%f"))
        return self._at[1]

    def add(self, table: str, row: dict[str, Any], at: datetime) -> None:
        """Queue a row; ``at`` is when the clerk entered it (created and updated time; a moment after
        the demo is written is stamped as now). Columns derived from another (``collation.DERIVED``: the
        roster's pinyin sort key) are computed here, as ``members.stored_values`` does for a clerk."""
        for (name, col), (source, fn) in collation.DERIVED.items():
            if name == table and col not in row and isinstance(row.get(source), str):
                row[col] = fn(row[source])
        stamp = self._stamp(at if at <= self.latest else self.latest)
        row["created_at"] = stamp
        row["updated_at"] = stamp
        row["created_by"] = self.user
        row["updated_by"] = self.user
        row["deleted"] = 0 if self.raw else False
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
            tbl = Base.metadata.tables[name]
            if self.raw:
                _to_storage(tbl.columns, rows)
                self.conn.execute(insert(table(name, *(column(c.name) for c in tbl.columns))), rows)
            else:
                self.conn.execute(insert(tbl), rows)
            self.counts[name] = self.counts.get(name, 0) + len(rows)
            self.buffers[name] = []


def _to_storage(columns: Any, rows: list[dict[str, Any]]) -> None:
    """Dates, times and booleans as SQLAlchemy's SQLite types store them (so the ORM reads them back)."""
    kinds: list[tuple[str, Callable[[Any], object]]] = []
    for c in columns:
        if c.name in ("created_at", "updated_at", "deleted"):
            continue  # already in storage form (see add)
        if isinstance(c.type, DateTime):
            kinds.append((c.name, _datetime))
        elif isinstance(c.type, Date):
            kinds.append((c.name, _date))
        elif isinstance(c.type, Time):
            kinds.append((c.name, _time))
        elif isinstance(c.type, Boolean):
            kinds.append((c.name, int))
    for row in rows:
        for name, convert in kinds:
            value = row.get(name)
            if value is not None and not isinstance(value, str | int):
                row[name] = convert(value)


def _datetime(v: datetime) -> str:
    return v.strftime("%Y-%m-%d %H:%M:%S.%f")


def _date(v: date) -> str:
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}"


def _time(v: time) -> str:
    return f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"


def at_time(day: date, rng: random.Random, start_hour: int = 8, end_hour: int = 18) -> datetime:
    """A working-hours moment on ``day`` (when a record was typed in)."""
    seconds = rng.randrange(start_hour * 3600, end_hour * 3600)
    return datetime(day.year, day.month, day.day, seconds // 3600, seconds // 60 % 60, seconds % 60)
