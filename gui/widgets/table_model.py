"""The one base of the read-only listings: rows of one record type under declared columns, read from a
``services.paging.RowSource`` a batch at a time as the view scrolls, in the order and under the filter
the source applies — in SQL for the roster (``ORDER BY``/``WHERE``/``LIMIT``), so a click on a header
shows the globally first rows and a search finds rows the view has not fetched yet.

Why not a ``QSortFilterProxyModel``: it sorts and filters only the rows already fetched, and calls
``data()`` (Python) per comparison. Here a header click re-reads the first batch in the new order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from sqlalchemy.orm import Session

from gui import ops
from services.db import Database
from services.paging import LoadedRows, RowSource

AnyIndex = QModelIndex | QPersistentModelIndex
ID_ROLE = Qt.ItemDataRole.UserRole + 12  # the row's record id, for views and tests


R = TypeVar("R")


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column: its header, the text a row shows, the source's sort key for it (None: the header
    does not sort), optionally a tooltip and right alignment (numbers, money)."""

    title: str
    text: Callable[[R], str]
    sort: str | None = None
    tooltip: Callable[[R], str | None] | None = None
    right: bool = False


def _record_id(row: Any) -> str:
    return str(row["id"] if isinstance(row, dict) else row.id)


class RowTableModel(QAbstractTableModel, Generic[R]):
    """``rows``: the rows fetched so far, in the source's order; ``count``: rows the source matches.
    ``set_source(db, source)`` shows a new scope or filter; ``sort()`` (a header click) re-reads in the
    new order; ``fetchMore`` reads the next ``BATCH``; ``index_of(id)`` reads as far as that row.
    Subclasses give ``columns`` and may add roles in ``extra_data``. A row's id is ``row.id`` (or
    ``row["id"]`` for dict rows)."""

    BATCH = 500  # rows per read: a header click or a search reads one batch (the view shows ~30)

    def __init__(self, columns: Sequence[Column[R]], sort: tuple[int, Qt.SortOrder]) -> None:
        super().__init__()
        self.columns: list[Column[R]] = list(columns)
        self.rows: list[R] = []
        self.count = 0
        self.db: Database | None = None
        self.source: RowSource[R] | None = None
        self._sort = sort

    # --- reading ---------------------------------------------------------------------------------
    def _read(self, fn: Callable[[Session | None], Any]) -> Any:
        if self.db is None or isinstance(self.source, LoadedRows):
            return fn(None)  # rows already in memory: no session needed
        return ops.query(self.db, fn)

    def _sort_key(self) -> tuple[str | None, bool]:
        column, order = self._sort
        key = self.columns[column].sort if 0 <= column < len(self.columns) else None
        return key, order == Qt.SortOrder.DescendingOrder

    def set_source(self, db: Database | None, source: RowSource[R]) -> None:
        """Show ``source``'s rows (a new scope or filter): count them and read the first batch; one reset.
        ``db`` may be None for a ``LoadedRows``. A database error is raised to the caller."""
        self.beginResetModel()
        try:
            self.db, self.source = db, source
            key, descending = self._sort_key()
            self.count, self.rows = self._read(
                lambda s: (source.count(s), list(source.page(s, key, descending, 0, self.BATCH)))
            )
        except Exception:
            self.count, self.rows = 0, []
            raise
        finally:
            self.endResetModel()

    def set_rows(self, rows: Sequence[R], keys: dict[str, Callable[[R], Any]] | None = None) -> None:
        """Show rows computed in memory (all of them), sorted by the columns' keys in ``keys`` (by
        default each column's text under its sort key)."""
        known = keys or {c.sort: c.text for c in self.columns if c.sort}
        self.set_source(None, LoadedRows(rows, known, self.record_id))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """A header click: the first batch again, in the order the source gives for that column."""
        if 0 <= column < len(self.columns) and self.columns[column].sort is None:
            return
        self._sort = (column, order)
        if self.source is None:
            return
        self.beginResetModel()
        try:
            source, (key, descending) = self.source, self._sort_key()
            self.rows = self._read(lambda s: list(source.page(s, key, descending, 0, self.BATCH)))
        except Exception as exc:
            self.rows = []
            ops.show_error(None, exc)
        finally:
            self.endResetModel()

    @property
    def total(self) -> int:
        """Rows the source matches (fetched or not)."""
        return self.count

    def record_id(self, row: R) -> str:
        """A row's id: ``row.id`` or ``row["id"]`` (override for rows keyed otherwise)."""
        return _record_id(row)

    def row_id(self, row: int) -> str:
        return self.record_id(self.rows[row])

    def index_of(self, record_id: str, column: int = 0) -> QModelIndex:
        """The index of the row with ``record_id`` (reading batches up to it); invalid if not matched."""
        for row, r in enumerate(self.rows):
            if self.record_id(r) == record_id:
                return self.index(row, column)
        if self.source is None:
            return QModelIndex()
        source, (key, descending) = self.source, self._sort_key()
        at = self._read(lambda s: source.position(s, key, descending, record_id))
        if at is None:
            return QModelIndex()
        while len(self.rows) <= at and self.canFetchMore():
            self.fetchMore()
        return self.index(at, column) if at < len(self.rows) else QModelIndex()

    # --- Qt model API ----------------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self.rows) < self.count

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self.source is None or len(self.rows) >= self.count:
            return
        source, (key, descending), start = self.source, self._sort_key(), len(self.rows)
        try:
            more = self._read(lambda s: list(source.page(s, key, descending, start, self.BATCH)))
        except Exception as exc:
            ops.show_error(None, exc)
            return
        if not more:
            self.count = start  # rows went away since the count: stop asking
            return
        self.beginInsertRows(QModelIndex(), start, start + len(more) - 1)
        self.rows.extend(more)
        self.endInsertRows()

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return self.columns[section].title if 0 <= section < len(self.columns) else None
            return str(section + 1)
        return None

    def data(self, index: AnyIndex, role: int = 0) -> object:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == ID_ROLE:
            return self.record_id(row)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return self.extra_data(row, index.column(), role)

    def extra_data(self, row: R, column: int, role: int) -> object:
        """Hook for other roles (colours …); None by default."""
        return None
