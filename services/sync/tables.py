"""Which tables sync, in which order, and how their rows become JSON and back.

Derived from the models: every table mapped by a ``Tracked`` subclass, in foreign-key dependency
order (``Base.metadata.sorted_tables``), so tables added later sync without touching this code.

Values travel in one canonical text form (docs/sync-package.md): timestamps
``YYYY-MM-DD HH:MM:SS.ffffff``, dates ``YYYY-MM-DD``, times ``HH:MM:SS.ffffff``, booleans
``true``/``false``. That is exactly how SQLAlchemy stores them in SQLite, so a township's SQLite file
is turned into JSON by SQLite itself and a SQLite receiver stores the validated text unchanged.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, LargeBinary, Numeric, Table, Time

import models
from models import Base, Tracked

Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]
LOCAL_COLUMNS = frozenset({"row_seq"})  # the change number is per database, never compared

DATETIME_RE = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}"
DATE_RE = r"\d{4}-\d\d-\d\d"
TIME_RE = r"\d\d:\d\d:\d\d\.\d{6}"


_SYNCED: tuple[int, int, list[Table], dict[str, Table]] | None = None


def synced_tables() -> list[Table]:
    """Every synced table in foreign-key dependency order (a new list each call; derived once per
    set of mapped classes: sorting the metadata costs milliseconds, and a receiver asks per table)."""
    return list(_synced()[2])


def table_by_name() -> dict[str, Table]:
    """Synced tables by name, in dependency order (a new dict each call)."""
    return dict(_synced()[3])


def _synced() -> tuple[int, int, list[Table], dict[str, Table]]:
    global _SYNCED
    assert models.__all__  # importing models registers every table
    key = (len(Base.registry.mappers), len(Base.metadata.tables))
    if _SYNCED is None or _SYNCED[:2] != key:
        tracked = {
            mapper.local_table.name
            for mapper in Base.registry.mappers
            if issubclass(mapper.class_, Tracked) and isinstance(mapper.local_table, Table)
        }
        ordered = [t for t in Base.metadata.sorted_tables if t.name in tracked]
        _SYNCED = (*key, ordered, {t.name: t for t in ordered})
    return _SYNCED


def _none(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: None if v is None else fn(v)


def _codec(col_type: Any) -> Codec:
    if isinstance(col_type, DateTime):
        return _none(lambda v: v.isoformat(sep=" ", timespec="microseconds")), _none(datetime.fromisoformat)
    if isinstance(col_type, Date):
        return _none(lambda v: v.isoformat()), _none(date.fromisoformat)
    if isinstance(col_type, Time):
        return _none(lambda v: v.isoformat(timespec="microseconds")), _none(time.fromisoformat)
    if isinstance(col_type, Boolean):
        return _none(bool), _none(bool)
    if isinstance(col_type, Numeric) and col_type.asdecimal:
        return _none(str), _none(Decimal)
    if isinstance(col_type, LargeBinary):
        return _none(lambda v: base64.b64encode(v).decode("ascii")), _none(base64.b64decode)
    return (lambda v: v), (lambda v: v)


def text_pattern(col_type: Any) -> str | None:
    """The canonical text form a column's values must match (None: no text form)."""
    if isinstance(col_type, DateTime):
        return DATETIME_RE
    if isinstance(col_type, Date):
        return DATE_RE
    if isinstance(col_type, Time):
        return TIME_RE
    return None


_CODECS: dict[str, dict[str, Codec]] = {}


def codecs(table: Table) -> dict[str, Codec]:
    found = _CODECS.get(table.name)
    if found is None:
        found = {c.name: _codec(c.type) for c in table.columns}
        _CODECS[table.name] = found
    return found


def encode_row(table: Table, row: Mapping[str, Any] | Any) -> dict[str, Any]:
    """A database row (Python values) in canonical JSON form."""
    return {name: enc(row[name]) for name, (enc, _dec) in codecs(table).items()}


def encode_values(table: Table, columns: Sequence[str], row: Mapping[str, Any] | Any) -> list[Any]:
    cs = codecs(table)
    return [cs[c][0](row[c]) for c in columns]


def decode_row(table: Table, data: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical JSON back to Python values; only the columns present."""
    cs = codecs(table)
    return {name: cs[name][1](value) for name, value in data.items() if name in cs}


def comparable(encoded: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in encoded.items() if k not in LOCAL_COLUMNS}


def sqlite_json_select(table: Table) -> str:
    """SQL that makes SQLite emit each row as the canonical JSON array (column order of the table)."""
    parts = []
    for c in table.columns:
        name = f'"{c.name}"'
        if isinstance(c.type, Boolean):
            parts.append(
                f"CASE WHEN {name} IS NULL THEN NULL WHEN {name} THEN json('true') ELSE json('false') END"
            )
        else:
            parts.append(name)
    return f'SELECT json_array({", ".join(parts)}) FROM "{table.name}"'


def check_text_column(values: Sequence[Any], pattern: str) -> int | None:
    """Index of the first value not in canonical form (None: all fine). One regex pass per column."""
    try:  # each distinct value once (timestamps and dates repeat); one regex over all of them, in C
        present = set(values)
    except TypeError:  # an unhashable value (a list where text belongs): found by the loop below
        present = None
    if present is not None:
        present.discard(None)
        if not present:
            return None
        if set(map(type, present)) == {str} and re.fullmatch(f"(?:{pattern}\n)*", "\n".join(present) + "\n"):
            return None
    rx = re.compile(pattern)
    for i, v in enumerate(values):
        if v is not None and not (isinstance(v, str) and rx.fullmatch(v)):
            return i
    return None


def default_for(table: Table, column: str) -> tuple[bool, Any]:
    """Whether a column missing from an older package can be filled, and with what (canonical form)."""
    col = table.c[column]
    if col.default is not None and getattr(col.default, "is_scalar", False):
        return True, codecs(table)[column][0](col.default.arg)  # type: ignore[attr-defined]
    if col.nullable:
        return True, None
    return False, None


def self_fk_columns(table: Table) -> list[str]:
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def json_list(values: Sequence[Any]) -> str:
    """``values`` (ids: text, or None) as a JSON array in a ``str`` (SQLite's ``json_each`` takes text;
    bytes would be read as its binary JSONB). msgspec writes it ~10x faster than ``json.dumps``; a
    value it cannot write (a lone surrogate) falls back to the standard library."""
    import msgspec

    try:
        return msgspec.json.encode(list(values)).decode("utf-8")
    except (msgspec.EncodeError, UnicodeError, TypeError):
        import json

        return json.dumps(list(values), ensure_ascii=False)


def in_values(session: Any, column: Any, values: Sequence[Any]) -> Any:
    """``column IN values`` for look-ups of many ids with ONE parameter, so the statement is compiled
    (and, on PostgreSQL, planned) once whatever the number of values: on PostgreSQL an array
    (``= ANY(%s::VARCHAR(36)[])``), on SQLite a JSON array expanded by ``json_each`` (no limit on the
    number of values, no expanding ``IN`` list rendered per call). Other dialects: the usual ``IN``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy import any_, literal
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(literal(list(values), type_=ARRAY(column.type)))
    if dialect == "sqlite":
        from sqlalchemy import String, func, literal, select

        doc = json_list(values)
        each = func.json_each(literal(doc, type_=String())).table_valued("value")
        return column.in_(select(each.c.value))
    return column.in_(values)
