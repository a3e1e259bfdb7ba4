"""The one base of the read-only listings: rows of one record type under declared columns, sorted in the
model, filtered by a set of ids (which the screen gets from SQL), handed to the view in batches.

Why not a ``QSortFilterProxyModel`` for sorting and filtering: it calls ``data()`` (Python) per
comparison and ``filterAcceptsRow`` per row and keystroke — over a second for 3,000 members and
~150 ms per keystroke at 100,000. Here a sort is one ``sorted`` over precomputed keys, a filter one
pass over the matching ids, and the view lays out ``BATCH`` rows at a time (``fetchMore``) as it scrolls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

AnyIndex = QModelIndex | QPersistentModelIndex
ID_ROLE = Qt.ItemDataRole.UserRole + 12  # the row's record id, for views and tests


class HasId(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=HasId)


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column: its header, the text a row shows, and optionally a sort key (when it differs from
    the text, e.g. a date or a ratio), a tooltip and right alignment (numbers, money)."""

    title: str
    text: Callable[[R], str]
    key: Callable[[R], object] | None = None
    tooltip: Callable[[R], str | None] | None = None
    right: bool = False


class RowTableModel(QAbstractTableModel, Generic[R]):
    """``rows``: the rows shown (all loaded, or those ``show_only`` kept), in the current sort order;
    ``total``: rows loaded. ``rowCount()`` grows by ``BATCH`` as the view scrolls; ``index_of(id)``
    fetches as far as needed. Subclasses give ``columns`` and may override ``sort_order`` (e.g. pinyin
    ranks) or ``extra_data`` (roles other than text, tooltip, alignment and ``ID_ROLE``)."""

    BATCH = 2000

    def __init__(self, columns: Sequence[Column[R]], sort: tuple[int, Qt.SortOrder]) -> None:
        super().__init__()
        self.columns: list[Column[R]] = list(columns)
        self.rows: list[R] = []
        self._all: list[R] = []
        self._position: dict[str, int] = {}  # record id → index in _all
        self._shown_ids: set[str] | None = None
        self._sort = sort
        self._fetched = 0

    # --- loading, sorting, filtering -------------------------------------------------------------
    def set_rows(self, rows: Sequence[R]) -> None:
        """Load ``rows`` (any filter is dropped: the screen applies its search again)."""
        self.beginResetModel()
        self._all = list(rows)
        self._shown_ids = None
        self.rows_loaded()
        self._apply_sort()
        self.endResetModel()

    def rows_loaded(self) -> None:
        """Hook: ``_all`` was just replaced (precompute per-row sort keys here)."""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting happens here, in one Python ``sorted`` (a proxy would call ``data()`` per comparison)."""
        self._sort = (column, order)
        self.beginResetModel()
        self._apply_sort()
        self.endResetModel()

    def sort_order(self, column: int, order: Qt.SortOrder) -> list[int] | None:
        """Positions of ``_all`` in the order to show; None leaves the order as it is. By default the
        column's ``key`` (or its text), stable, so ties keep the previous order."""
        if not 0 <= column < len(self.columns):
            return None
        col = self.columns[column]
        keys: list[Any] = [col.key(r) if col.key else col.text(r) for r in self._all]
        return sorted(range(len(keys)), key=lambda i: keys[i], reverse=order == Qt.SortOrder.DescendingOrder)

    def reordered(self, perm: list[int]) -> None:
        """Hook: ``_all`` was just permuted by ``perm`` (reorder any per-row lists kept beside it)."""

    def _apply_sort(self) -> None:
        perm = self.sort_order(*self._sort)
        if perm is not None:
            self._all = [self._all[i] for i in perm]
            self.reordered(perm)
        self._position = {r.id: i for i, r in enumerate(self._all)}
        self._apply_filter()

    def _apply_filter(self) -> None:
        # Work in proportion to the matches (a dict lookup each), not to every loaded row.
        shown, position, rows = self._shown_ids, self._position, self._all
        if shown is None:
            self.rows = rows
        else:
            self.rows = [rows[i] for i in sorted(position[k] for k in shown if k in position)]
        self._fetched = min(len(self.rows), self.BATCH)

    def show_only(self, ids: set[str] | None) -> None:
        """Show only the rows whose id is in ``ids`` (None: every row), in the current order; one reset."""
        self.beginResetModel()
        self._shown_ids = ids
        self._apply_filter()
        self.endResetModel()

    def matching(self, accept: Callable[[R], bool]) -> set[str]:
        """Ids of the loaded rows ``accept`` keeps (for filters the database cannot answer)."""
        return {r.id for r in self._all if accept(r)}

    @property
    def total(self) -> int:
        """Rows loaded (shown or not)."""
        return len(self._all)

    def row_id(self, row: int) -> str:
        return self.rows[row].id

    def index_of(self, record_id: str, column: int = 0) -> QModelIndex:
        """The index of the shown row with ``record_id`` (fetching batches up to it); invalid if hidden."""
        for row, r in enumerate(self.rows):
            if r.id == record_id:
                while self._fetched <= row:
                    self.fetchMore()
                return self.index(row, column)
        return QModelIndex()

    # --- Qt model API ----------------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._fetched

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._fetched < len(self.rows)

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        more = 0 if parent.isValid() else min(self.BATCH, len(self.rows) - self._fetched)
        if more > 0:
            self.beginInsertRows(QModelIndex(), self._fetched, self._fetched + more - 1)
            self._fetched += more
            self.endInsertRows()

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return self.columns[section].title
            return str(section + 1)
        return None

    def data(self, index: AnyIndex, role: int = 0) -> object:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == ID_ROLE:
            return row.id
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return self.extra_data(row, index.column(), role)

    def extra_data(self, row: R, column: int, role: int) -> object:
        """Hook for other roles (colours …); None by default."""
        return None
