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

from models.enums import LABELS, label
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
    Column("职业", lambda r: LABELS["Occupation"].get(r.occupation, r.occupation)),
    Column("农民工", lambda r: "是" if r.is_migrant_worker else ""),
    Column("困难党员", lambda r: "是" if r.is_hardship else ""),
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
        self.rows: list[RosterRow] = []  # the rows shown: every row, or those the search matched
        self._all: list[RosterRow] = []  # every row loaded, in the current sort order
        self._rank: list[int] = []
        self._search: list[str] = []
        self._initials: list[str] = []
        self._position: dict[str, int] = {}  # member id → index in _all
        self._shown: set[str] | None = None  # ids the search matched; None: no search
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
        self._all = rows
        self._rank = rank
        # Built on the first search (pinyin initials need pypinyin, ≈0.4 s): see _ensure_search.
        self._initials = []
        self._search = []
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
            keys = [col.key(r) if col.key else col.text(r) for r in self._all]
        # Ties keep pinyin order of names so a sort by branch lists each branch's members by name.
        perm = sorted(
            range(len(self._all)),
            key=lambda i: (keys[i], self._rank[i]),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        self._all = [self._all[i] for i in perm]
        self._rank = [self._rank[i] for i in perm]
        if self._search:
            self._search = [self._search[i] for i in perm]
            self._initials = [self._initials[i] for i in perm]
        self._position = {r.id: i for i, r in enumerate(self._all)}
        self._apply_filter()

    def _apply_filter(self) -> None:
        # Work in proportion to the matches (a dict lookup each), not to every loaded row.
        shown, position, rows = self._shown, self._position, self._all
        if shown is None:
            self.rows = rows
        else:
            self.rows = [rows[i] for i in sorted(position[k] for k in shown if k in position)]

    # --- search: the view asks the database (services.members.roster_ids) which rows match ----------
    def show_only(self, ids: set[str] | None) -> None:
        """Show only the rows whose member id is in ``ids`` (None: every row), in the current order.

        One model reset, no per-row filter callback: at 100,000 members a proxy's ``filterAcceptsRow``
        alone cost ~150 ms per keystroke."""
        self.beginResetModel()
        self._shown = ids
        self._apply_filter()
        self.endResetModel()

    def initials_matching(self, needle: str) -> set[str]:
        """Ids of loaded rows whose pinyin initials contain ``needle`` (lower-case ASCII letters), e.g.
        "zs" for 张三. The database has no initials column; this part of the search stays in memory."""
        if not needle.isascii() or not needle.isalpha():
            return set()
        needle = needle.lower()
        self._ensure_search()
        return {r.id for r, text in zip(self._all, self._initials, strict=True) if needle in text}

    def matching(self, needle: str) -> set[str]:
        """Ids of loaded rows whose name, ID number, phone or initials contain ``needle`` (no database:
        for a model on its own; the roster tab asks SQL and adds ``initials_matching``)."""
        needle = needle.strip().lower()
        self._ensure_search()
        return {r.id for r, text in zip(self._all, self._search, strict=True) if needle in text}

    def _ensure_search(self) -> None:
        """Initials and search texts of every loaded row (in ``_all``'s order), on first use."""
        if len(self._search) == len(self._all):
            return
        self._initials = [initials(r.name).lower() for r in self._all]
        self._search = [
            f"{r.name}\t{r.id_number}\t{r.phone}\t{i}".lower()
            for r, i in zip(self._all, self._initials, strict=True)
        ]

    @property
    def total(self) -> int:
        """Rows loaded (shown or not)."""
        return len(self._all)

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
    """Sorting is the model's, and so is filtering (``RosterModel.show_only``): the proxy adds no
    per-row Python callback. ``set_search`` filters a model on its own (no database) by the same rules."""

    def __init__(self, source: RosterModel) -> None:
        super().__init__()
        self.source = source
        self.setSourceModel(source)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.source.sort(column, order)

    def set_search(self, text: str) -> None:
        self.source.show_only(self.source.matching(text) if text.strip() else None)
