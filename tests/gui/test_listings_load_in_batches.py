"""Listings (roster, meetings) share one table-model base: read a batch at a time as the clerk scrolls,
in the order a header click asks for and under the search — both applied by the database (the roster)
or over every loaded row (meetings), never over the rows the view happens to have fetched."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui.meetings.view import MeetingsView
from gui.roster.model import NAME_COLUMN
from gui.roster.view import RosterView
from gui.widgets.table_model import RowTableModel
from services import meetings, members
from services.collation import pinyin_key
from services.db import Database
from tests.conftest import Builder
from tests.gui.conftest import type_text

BIRTH_COLUMN = 2


def _names(view: RosterView) -> list[str]:
    return [view.model.index(r, NAME_COLUMN).data() for r in range(view.model.rowCount())]


def _click_header(qtbot: QtBot, view: RosterView, column: int) -> None:
    header = view.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


@pytest.fixture
def long_roster(build: Builder, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[str]]:
    """25 members whose character order differs from pinyin order, those first by pinyin entered last,
    and a fetch batch of 10."""
    monkeypatch.setattr(RowTableModel, "BATCH", 10)
    branch = build.branch("B01", "一村党支部")
    names = [f"张{c}" for c in "一二三四五六七八九十"] + [f"赵{c}" for c in "甲乙丙丁戊己庚辛壬癸"]
    names += ["欧阳明", "李四", "白云", "曹操", "阿大"]  # 阿 (U+963F) > 张 (U+5F20) by code, first by pinyin
    for i, name in enumerate(names):
        build.member(branch.id, name, birth=date(1960 + i, 1, 1))
    return branch.id, sorted(names, key=pinyin_key)


def test_a_header_click_on_a_roster_longer_than_a_batch_shows_the_globally_first_names_by_pinyin(
    app: QApplication, qtbot: QtBot, db: Database, long_roster: tuple[str, list[str]]
) -> None:
    branch_id, by_pinyin = long_roster
    view = RosterView(None, db)
    qtbot.addWidget(view)
    view.resize(1200, 600)
    view.show()
    view.set_branches([branch_id])
    assert view.model.total == 25 and view.model.rowCount() == 10 and view.model.canFetchMore()
    assert _names(view) == by_pinyin[:10]  # 阿大, 白云, 曹操 … although entered last

    _click_header(qtbot, view, BIRTH_COLUMN)  # by birth date: the youngest were entered last
    assert view.model.rowCount() == 10 and _names(view)[0] == "张一"
    _click_header(qtbot, view, NAME_COLUMN)
    assert view.table.horizontalHeader().sortIndicatorSection() == NAME_COLUMN
    order = view.table.horizontalHeader().sortIndicatorOrder()
    expected = by_pinyin if order == Qt.SortOrder.AscendingOrder else by_pinyin[::-1]
    assert _names(view) == expected[:10]
    _click_header(qtbot, view, NAME_COLUMN)  # and the other way round: the last by pinyin first
    assert _names(view) == expected[::-1][:10]

    while view.model.canFetchMore():  # scrolling on reads the next batches, without overlap or gap
        view.model.fetchMore()
    assert _names(view) == expected[::-1]


def test_a_search_finds_a_member_the_view_has_not_fetched_yet(
    app: QApplication, qtbot: QtBot, db: Database, long_roster: tuple[str, list[str]]
) -> None:
    branch_id, _by_pinyin = long_roster
    view = RosterView(None, db)
    qtbot.addWidget(view)
    view.set_branches([branch_id])
    fetched = set(_names(view))
    assert "赵癸" not in fetched and "张十" not in fetched  # beyond the first batch

    type_text(qtbot, view.search, "赵癸")
    qtbot.waitUntil(lambda: _names(view) == ["赵癸"], timeout=2000)
    view.search.clear()
    type_text(qtbot, view.search, "zs")  # pinyin initials, in SQL
    qtbot.waitUntil(lambda: view.model.count == 3, timeout=2000)
    assert _names(view) == ["张三", "张十", "张四"]  # still by pinyin: san < shi < si
    view.search.clear()
    qtbot.waitUntil(lambda: view.model.count == 25, timeout=2000)


def test_a_member_far_down_the_list_can_be_selected_after_a_save(
    app: QApplication, qtbot: QtBot, db: Database, long_roster: tuple[str, list[str]]
) -> None:
    branch_id, by_pinyin = long_roster
    view = RosterView(None, db)
    qtbot.addWidget(view)
    view.set_branches([branch_id])
    with db.reader() as s:
        last = next(r for r in members.roster(s, [branch_id]) if r.name == by_pinyin[-1])

    view._select_member(last.id)  # what a save of that member does: the list goes to it

    current = view.current_row()
    assert current is not None and current.id == last.id
    assert view.model.rowCount() == 25  # the batches up to that row were read


def test_meeting_search_filters_the_list_and_the_status_line_counts_what_it_found(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch("B01", "一村党支部", members=3)
    today = date(2025, 6, 1)
    with db.transaction("test") as s:
        for held_on, topics in ((date(2025, 3, 1), "学习党章"), (date(2025, 4, 1), "秋收安排")):
            meetings.create_meeting(s, branch.id, meetings.MeetingInput("congress", held_on, topics), today)
    view = MeetingsView(None, db, today=today)
    qtbot.addWidget(view)
    view.set_branches([branch.id])
    assert [r.topics for r in view.model.rows] == ["秋收安排", "学习党章"]  # newest first

    type_text(qtbot, view.search, "党章")
    assert [r.topics for r in view.model.rows] == ["学习党章"] and view.model.rowCount() == 1
    view.search.clear()
    assert view.model.rowCount() == 2
