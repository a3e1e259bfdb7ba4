"""Table model of the member roster (rows from ``services.members.roster``) and its search/sort proxy.

Names sort by pinyin: ranks come from ``QCollator(QLocale("zh_CN"))`` (ICU in the PySide6 wheel),
computed once per load, so the proxy compares integers and sorting 3,000 rows stays instant. Search
matches name, ID number, phone and the pinyin initials of the name (``zs`` finds 张三).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from pypinyin import Style, lazy_pinyin
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

SORT_ROLE = Qt.ItemDataRole.UserRole + 10
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 11
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


def initials(name: str) -> str:
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore"))


class RosterModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RosterRow] = []
        self._rank: list[int] = []
        self._search: list[str] = []
        self._collator = pinyin_collator()

    def set_rows(self, rows: list[RosterRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        keys = [self._collator.sortKey(r.name) for r in rows]

        def cmp(a: int, b: int) -> int:
            return keys[a].compare(keys[b])

        order = sorted(range(len(rows)), key=functools.cmp_to_key(cmp))
        self._rank = [0] * len(rows)
        for rank, i in enumerate(order):
            self._rank[i] = rank
        self._search = [f"{r.name}\t{r.id_number}\t{r.phone}\t{initials(r.name)}" for r in rows]
        self.endResetModel()

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
        if role == SORT_ROLE:
            if index.column() == NAME_COLUMN:
                return self._rank[index.row()]
            return column.key(row) if column.key else column.text(row)
        if role == SEARCH_ROLE:
            return self._search[index.row()]
        if role == ID_ROLE:
            return row.id
        if role == Qt.ItemDataRole.ToolTipRole and row.status == "probationary":
            return "预备党员：参加会议，没有表决权"
        return None


class RosterProxy(QSortFilterProxyModel):
    """Instant search (case-insensitive substring over name/ID/phone/initials) and pinyin sort."""

    def __init__(self, source: RosterModel) -> None:
        super().__init__()
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.setFilterRole(SEARCH_ROLE)
        self.setFilterKeyColumn(NAME_COLUMN)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def set_search(self, text: str) -> None:
        self.setFilterFixedString(text.strip())
