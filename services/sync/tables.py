"""Which tables sync, in which order, and how their rows become JSON and back.

Derived from the models: every table mapped by a ``Tracked`` subclass, in foreign-key dependency
order (``Base.metadata.sorted_tables``), so tables added later sync without touching this code.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, LargeBinary, Numeric, Table, Time

import models
from models import Base, Tracked

Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]
LOCAL_COLUMNS = frozenset({"row_seq"})  # the change number is per database, never copied


def synced_tables() -> list[Table]:
    assert models.__all__  # importing models registers every table
    tracked = {
        mapper.local_table.name
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, Tracked) and isinstance(mapper.local_table, Table)
    }
    return [t for t in Base.metadata.sorted_tables if t.name in tracked]


def table_by_name() -> dict[str, Table]:
    return {t.name: t for t in synced_tables()}


def _iso(v: Any) -> Any:
    return None if v is None else v.isoformat()


def _codec(col_type: Any) -> Codec:
    if isinstance(col_type, DateTime):
        return _iso, lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(col_type, Date):
        return _iso, lambda v: None if v is None else date.fromisoformat(v)
    if isinstance(col_type, Time):
        return _iso, lambda v: None if v is None else time.fromisoformat(v)
    if isinstance(col_type, Numeric) and col_type.asdecimal:
        return (lambda v: None if v is None else str(v)), (lambda v: None if v is None else Decimal(v))
    if isinstance(col_type, LargeBinary):
        return (
            lambda v: None if v is None else base64.b64encode(v).decode("ascii"),
            lambda v: None if v is None else base64.b64decode(v),
        )
    return (lambda v: v), (lambda v: v)


_CODECS: dict[str, dict[str, Codec]] = {}


def codecs(table: Table) -> dict[str, Codec]:
    found = _CODECS.get(table.name)
    if found is None:
        found = {c.name: _codec(c.type) for c in table.columns}
        _CODECS[table.name] = found
    return found


def encode_row(table: Table, row: Mapping[str, Any] | Any) -> dict[str, Any]:
    """A database row as a JSON-ready dict (dates as ISO text)."""
    return {name: enc(row[name]) for name, (enc, _dec) in codecs(table).items()}


def decode_row(table: Table, data: Mapping[str, Any]) -> dict[str, Any]:
    """Package JSON back to column values; only the columns present (defaults are filled by the caller)."""
    cs = codecs(table)
    return {name: cs[name][1](value) for name, value in data.items() if name in cs}


def comparable(encoded: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in encoded.items() if k not in LOCAL_COLUMNS}


def default_for(table: Table, column: str) -> tuple[bool, Any]:
    """Whether a column missing from an older package can be filled, and with what."""
    col = table.c[column]
    if col.default is not None and getattr(col.default, "is_scalar", False):
        return True, col.default.arg  # type: ignore[attr-defined]
    if col.server_default is not None:
        return True, None  # let the database fill it
    if col.nullable:
        return True, None
    return False, None


def self_fk_columns(table: Table) -> list[str]:
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
