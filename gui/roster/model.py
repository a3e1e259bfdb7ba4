"""Table model of the member roster (rows from ``services.members.roster``) and its search/sort proxy.

Names sort by pinyin: ranks come from ``QCollator(QLocale("zh_CN"))`` (ICU in the PySide6 wheel),
computed once per load. The model sorts its own rows in Python (one ``sorted`` call); letting the proxy
sort would call ``data()`` from C++ for every comparison, over a second for 3,000 rows. Search
matches name, ID number, phone and the pinyin initials of the name (``zs`` finds 张三).
"""

from __future__ import annotations

import functools
from datetime import date

from PySide6.QtCore import (
    QCollator,
    QLocale,
    QSortFilterProxyModel,
    Qt,
)

from gui.widgets.table_model import Column, RowTableModel
from models.enums import Education, Gender, MemberState, MemberStatus, Occupation, label
from services.members import RosterRow


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


COLUMNS: list[Column[RosterRow]] = [
    Column("姓名", lambda r: r.name),
    Column("性别", lambda r: label(Gender(r.gender))),
    Column("出生日期", lambda r: _day(r.birth_date)),
    Column("身份证号", lambda r: r.id_number),
    Column("学历", lambda r: label(Education(r.education)) if r.education else ""),
    Column("联系电话", lambda r: r.phone),
    Column("入党日期", lambda r: _day(r.joined_on)),
    Column("类别", lambda r: label(MemberStatus(r.status))),
    Column("所在支部", lambda r: r.branch_name),
    Column("党小组", lambda r: r.party_group),
    Column("流动党员", lambda r: "是" if r.is_flowing else ""),
    Column("状态", lambda r: label(MemberState(r.state))),
    Column("职业", lambda r: label(Occupation(r.occupation)) if r.occupation else ""),
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


class RosterModel(RowTableModel[RosterRow]):
    """The roster on the listing base; names sort by pinyin rank, ties of other columns too."""

    def __init__(self) -> None:
        super().__init__(COLUMNS, (NAME_COLUMN, Qt.SortOrder.AscendingOrder))
        self._rank: list[int] = []  # pinyin position of each row of _all
        self._search: list[str] = []
        self._initials: list[str] = []
        self._collator = pinyin_collator()

    def rows_loaded(self) -> None:
        rows = self._all
        keys = [self._collator.sortKey(r.name) for r in rows]

        def cmp(a: int, b: int) -> int:
            return keys[a].compare(keys[b])

        rank = [0] * len(rows)
        for position, i in enumerate(sorted(range(len(rows)), key=functools.cmp_to_key(cmp))):
            rank[i] = position
        self._rank = rank
        # Built on the first search (pinyin initials need pypinyin, ≈0.4 s): see _ensure_search.
        self._initials = []
        self._search = []

    def sort_order(self, column: int, order: Qt.SortOrder) -> list[int] | None:
        if not 0 <= column < len(COLUMNS):
            return None
        col = COLUMNS[column]
        if column == NAME_COLUMN:
            keys: list[object] = list(self._rank)
        else:
            keys = [col.key(r) if col.key else col.text(r) for r in self._all]
        # Ties keep pinyin order of names so a sort by branch lists each branch's members by name.
        return sorted(
            range(len(self._all)),
            key=lambda i: (keys[i], self._rank[i]),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )

    def reordered(self, perm: list[int]) -> None:
        self._rank = [self._rank[i] for i in perm]
        if self._search:
            self._search = [self._search[i] for i in perm]
            self._initials = [self._initials[i] for i in perm]

    def extra_data(self, row: RosterRow, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ToolTipRole and row.status == "probationary":
            return "预备党员：参加会议，没有表决权"
        return None

    # --- search: the view asks the database (services.members.roster_ids) which rows match ----------
    def initials_matching(self, needle: str) -> set[str]:
        """Ids of loaded rows whose pinyin initials contain ``needle`` (lower-case ASCII letters), e.g.
        "zs" for 张三. The database has no initials column; this part of the search stays in memory."""
        if not needle.isascii() or not needle.isalpha():
            return set()
        needle = needle.lower()
        self._ensure_search()
        return {r.id for r, text in zip(self._all, self._initials, strict=True) if needle in text}

    def text_matching(self, needle: str) -> set[str]:
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
        self.source.show_only(self.source.text_matching(text) if text.strip() else None)
