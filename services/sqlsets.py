"""``column IN (ids)`` for long id lists (every branch of a county, every member of a check).

SQLAlchemy renders an expanding IN with one bound parameter per value; on PostgreSQL a county's 720
branch ids become 720 ``%(…)s::VARCHAR`` placeholders per statement, which psycopg re-parses on every
execution (statements over 4 KB are not cached) and the server plans one by one. There the same test
is written ``column = ANY(%(ids)s)`` with a single array parameter: the same rows, one parameter.
SQLite keeps the plain IN (it has no arrays); callers with more values than SQLite binds at once
(32,766) chunk themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def among(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values`` for ``session``'s database: one array parameter on PostgreSQL
    (``= ANY``), an expanding IN elsewhere. An empty ``values`` matches nothing on both."""
    items = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, items, type_=ARRAY(column.type)))
    return column.in_(items)


def plain_rows(session: Session, statement: Any) -> Sequence[Any]:
    """Execute a select of plain columns on ``session``'s connection and return all its rows (one
    ``fetchall``): the same rows as ``session.execute`` (pending changes are flushed first, as autoflush
    would) without the ORM's per-row processing, which dominates when a county's check reads 100,000."""
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()
    return session.connection().execute(statement).all()
