"""Table model of the member roster (rows from ``services.members.roster``) and its search/sort proxy.

Names sort by pinyin: ranks come from ``QCollator(QLocale("zh_CN"))`` (ICU in the PySide6 wheel),
computed once per load. The model sorts its own rows in Python (one ``sorted`` call); letting the proxy
sort would call ``data()`` from C++ for every comparison, over a second for 3,000 rows. Search
matches name, ID number, phone and the pinyin initials of the name (``zs`` finds 张三).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import (
    QAbstractTableModel,
    QCollator,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from models.enums import label
from services.members import RosterRow

ID_ROLE = Qt.ItemDataRole.UserRole + 12

AnyIndex = QModelIndex | QPersistentModelIndex


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[RosterRow], str]
    key: Callable[[RosterRow], object] | None = None  # sort value when it differs from the text


COLUMNS: list[Column] = [
    Column("姓名", lambda r: r.name),
    Column("性别", lambda r: label(r.gender)),
    Column("出生日期", lambda r: _day(r.birth_date)),
    Column("身份证号", lambda r: r.id_number),
    Column("学历", lambda r: label(r.education) if r.education else ""),
    Column("联系电话", lambda r: r.phone),
    Column("入党日期", lambda r: _day(r.joined_on)),
    Column("类别", lambda r: label(r.status)),
    Column("所在支部", lambda r: r.branch_name),
    Column("党小组", lambda r: r.party_group),
    Column("流动党员", lambda r: "是" if r.is_flowing else ""),
    Column("状态", lambda r: label(r.state)),
]
NAME_COLUMN = 0


def pinyin_collator() -> QCollator:
    collator = QCollator(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    collator.setNumericMode(True)
    return collator


@functools.lru_cache(maxsize=8192)
def _initial(char: str) -> str:
    # pypinyin loads its phrase tables on import (≈0.4 s): only when a search first needs initials.
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(char, style=Style.FIRST_LETTER, errors="ignore"))


def initials(name: str) -> str:
    """Pinyin initials (张三 → zs), per character and cached: names repeat their characters a lot."""
    return "".join(_initial(c) for c in name)


class RosterModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RosterRow] = []
        self._rank: list[int] = []
        self._search: list[str] = []
        self._collator = pinyin_collator()
        self._sort: tuple[int, Qt.SortOrder] = (NAME_COLUMN, Qt.SortOrder.AscendingOrder)

    def set_rows(self, rows: list[RosterRow]) -> None:
        keys = [self._collator.sortKey(r.name) for r in rows]

        def cmp(a: int, b: int) -> int:
            return keys[a].compare(keys[b])

        rank = [0] * len(rows)
        for position, i in enumerate(sorted(range(len(rows)), key=functools.cmp_to_key(cmp))):
            rank[i] = position
        self.beginResetModel()
        self.rows = rows
        self._rank = rank
        self._search = []  # built on the first search (pinyin initials need pypinyin): see search_text
        self._apply_sort()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting happens here, in Python, once: a proxy would call ``data()`` per comparison."""
        self._sort = (column, order)
        self.beginResetModel()
        self._apply_sort()
        self.endResetModel()

    def _apply_sort(self) -> None:
        column, order = self._sort
        if not 0 <= column < len(COLUMNS):
            return
        col = COLUMNS[column]
        if column == NAME_COLUMN:
            keys: list[object] = list(self._rank)
        else:
            keys = [col.key(r) if col.key else col.text(r) for r in self.rows]
        # Ties keep pinyin order of names so a sort by branch lists each branch's members by name.
        perm = sorted(
            range(len(self.rows)),
            key=lambda i: (keys[i], self._rank[i]),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        self.rows = [self.rows[i] for i in perm]
        self._rank = [self._rank[i] for i in perm]
        if self._search:
            self._search = [self._search[i] for i in perm]

    def search_text(self, row: int) -> str:
        """Name, ID number, phone and pinyin initials, lower-case; built for all rows on first use."""
        if len(self._search) != len(self.rows):
            self._search = [
                f"{r.name}\t{r.id_number}\t{r.phone}\t{initials(r.name)}".lower() for r in self.rows
            ]
        return self._search[row]

    def row_id(self, row: int) -> str:
        return self.rows[row].id

    # --- Qt model API ---------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return COLUMNS[section].title
            return str(section + 1)
        return None

    def data(self, index: AnyIndex, role: int = 0) -> object:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == ID_ROLE:
            return row.id
        if role == Qt.ItemDataRole.ToolTipRole and row.status == "probationary":
            return "预备党员：参加会议，没有表决权"
        return None


class RosterProxy(QSortFilterProxyModel):
    """Instant search (case-insensitive substring over name/ID/phone/initials); sorting is the model's."""

    def __init__(self, source: RosterModel) -> None:
        super().__init__()
        self.source = source
        self._needle = ""
        self.setSourceModel(source)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.source.sort(column, order)

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self._needle = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        # Reads the model's prepared search text directly: no QModelIndex/data() round trip per row.
        return not self._needle or self._needle in self.source.search_text(source_row)
