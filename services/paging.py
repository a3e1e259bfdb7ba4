"""Listings read a page at a time, in an order and under a filter the database applies: the screens'
table base (``gui/widgets/table_model.py``) asks for ``count`` and ``page(sort, descending, offset,
limit)`` and never sorts or filters rows itself. No Qt.

``SqlRows`` is a SELECT with named sort keys (``ORDER BY`` expressions) and a tie-break, so the first
page of a sort is the globally first rows and a filter (a ``WHERE`` built by the caller) finds rows the
view has not fetched yet. ``LoadedRows`` is the same protocol over rows a service computed in Python
(a ledger whose rows are derived, e.g. the 四议两公开 progress): all of them are loaded, so sorting them
in memory is still global.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class RowSource(Protocol[R_co]):
    """What a listing screen reads: how many rows match, and a page of them in an order."""

    def count(self, session: Session | None) -> int:
        """Rows matching the source's filter (``session`` None only for rows already in memory)."""
        ...

    def page(
        self, session: Session | None, sort: str | None, descending: bool, offset: int, limit: int
    ) -> Sequence[R_co]:
        """Rows ``offset`` … ``offset + limit - 1`` in the order of sort key ``sort`` (None: the
        source's default order), ties broken the same way every time so pages never overlap."""
        ...

    def position(
        self, session: Session | None, sort: str | None, descending: bool, row_id: str
    ) -> int | None:
        """Where the row with ``row_id`` stands in that order (None: not among the matching rows)."""
        ...


def _ordered(exprs: Sequence[Any], descending: bool) -> list[Any]:
    return [e.desc() if descending else e.asc() for e in exprs]


class SqlRows(Generic[R]):
    """``stmt`` (columns selected, joins and WHERE already applied, no ORDER BY) read in pages.

    ``sorts``: sort key → expressions (e.g. ``"name"`` → ``[Member.name_key]``); ``default``: the key
    used when none is chosen; ``tiebreak``: expressions ending in a unique column (the id), appended to
    every order; ``make``: one result row → the screen's row object; ``id_column``: the id expression
    (for ``position``). Text keys that must compare byte-wise (the stored pinyin keys) are listed in
    ``binary`` and compared under the C collation on PostgreSQL. ``counted``: a narrower statement with
    the same rows for ``count`` (e.g. without the joins that only add columns)."""

    def __init__(
        self,
        stmt: Select[Any],
        make: Callable[[Any], R],
        *,
        sorts: Mapping[str, Sequence[Any]],
        default: str,
        tiebreak: Sequence[Any],
        id_column: Any,
        binary: Sequence[Any] = (),
        counted: Select[Any] | None = None,
    ) -> None:
        self.stmt, self.make, self.sorts, self.default = stmt, make, dict(sorts), default
        self.tiebreak, self.id_column, self.binary = list(tiebreak), id_column, list(binary)
        self.counted = counted

    def _order(self, session: Session | None, sort: str | None, descending: bool) -> list[Any]:
        if session is None:
            raise ValueError("SqlRows needs a session")
        exprs = [*self.sorts.get(sort or self.default, self.sorts[self.default]), *self.tiebreak]
        if session.get_bind().dialect.name == "postgresql":
            exprs = [e.collate("C") if any(e is b for b in self.binary) else e for e in exprs]
        return _ordered(exprs, descending)

    def count(self, session: Session | None) -> int:
        """Matching rows: one ``SELECT count(*)`` over the statement."""
        if session is None:
            raise ValueError("SqlRows needs a session")
        inner = (
            self.counted if self.counted is not None else self.stmt.with_only_columns(self.id_column)
        ).subquery()
        return int(session.scalar(select(func.count()).select_from(inner)) or 0)

    def page(
        self, session: Session | None, sort: str | None, descending: bool, offset: int, limit: int
    ) -> list[R]:
        """One ``ORDER BY … LIMIT … OFFSET`` query."""
        order = self._order(session, sort, descending)
        assert session is not None
        stmt = self.stmt.order_by(*order).offset(offset).limit(limit)
        return [self.make(row) for row in session.execute(stmt)]

    def position(
        self, session: Session | None, sort: str | None, descending: bool, row_id: str
    ) -> int | None:
        """The index of ``row_id`` in that order: the ids alone, in order (one narrow query)."""
        order = self._order(session, sort, descending)
        assert session is not None
        stmt = self.stmt.with_only_columns(self.id_column).order_by(*order)
        for i, found in enumerate(session.scalars(stmt)):
            if found == row_id:
                return i
        return None


class LoadedRows(Generic[R]):
    """Rows computed in Python (all of them), sorted by ``keys[sort]`` (stable; ``default`` first),
    kept only where ``accept`` says so. ``row_id`` gives a row's id."""

    def __init__(
        self,
        rows: Sequence[R],
        keys: Mapping[str, Callable[[R], Any]],
        row_id: Callable[[R], str],
        *,
        accept: Callable[[R], bool] | None = None,
    ) -> None:
        self.rows = [r for r in rows if accept is None or accept(r)]
        self.keys, self.row_id = dict(keys), row_id
        self._sorted: tuple[str | None, bool, list[R]] | None = None

    def _in_order(self, sort: str | None, descending: bool) -> list[R]:
        if self._sorted is None or self._sorted[:2] != (sort, descending):
            key = self.keys.get(sort) if sort is not None else None
            rows = self.rows if key is None else sorted(self.rows, key=_none_last(key), reverse=descending)
            self._sorted = (sort, descending, rows)
        return self._sorted[2]

    def count(self, session: Session | None) -> int:
        return len(self.rows)

    def page(
        self, session: Session | None, sort: str | None, descending: bool, offset: int, limit: int
    ) -> list[R]:
        return self._in_order(sort, descending)[offset : offset + limit]

    def position(
        self, session: Session | None, sort: str | None, descending: bool, row_id: str
    ) -> int | None:
        for i, r in enumerate(self._in_order(sort, descending)):
            if self.row_id(r) == row_id:
                return i
        return None


def _none_last(key: Callable[[R], Any]) -> Callable[[R], tuple[bool, Any]]:
    """Empty values (None, "") sort after the others, whatever their type would compare with."""

    def wrapped(row: R) -> tuple[bool, Any]:
        value = key(row)
        return (value is None or value == "", value if value is not None else "")

    return wrapped
