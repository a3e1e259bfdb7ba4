"""Listings (roster, meetings) share one table-model base: sorted in the model, filtered by the ids a
search found, and laid out a batch at a time as the clerk scrolls."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui.meetings.view import MeetingsView
from gui.roster.model import NAME_COLUMN, RosterModel
from gui.roster.view import RosterView
from gui.widgets.table_model import RowTableModel
from services import meetings, members
from services.db import Database
from tests.conftest import Builder
from tests.gui.conftest import type_text


def test_a_long_roster_is_laid_out_a_batch_at_a_time_and_a_member_far_down_can_be_selected(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RowTableModel, "BATCH", 10)
    branch = build.branch("B01", "一村党支部", members=25)
    view = RosterView(None, db)
    qtbot.addWidget(view)
    view.set_branches([branch.id])
    assert view.model.total == 25 and view.proxy.rowCount() == 10 and view.model.canFetchMore()
    with db.reader() as s:
        last = sorted(members.roster(s, [branch.id]), key=lambda r: r.name)[-1]

    view.table.sortByColumn(NAME_COLUMN, Qt.SortOrder.AscendingOrder)
    view._select_member(last.id)  # what a save of that member does: the list goes to it

    current = view.current_row()
    assert current is not None and current.id == last.id
    assert view.proxy.rowCount() >= 20  # the batches up to that row were fetched


def test_a_search_shows_only_the_matching_rows_in_the_current_order(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch("B01", "一村党支部")
    for name in ("张三", "张四", "李四", "王五"):
        build.member(branch.id, name)
    model = RosterModel()
    with db.reader() as s:
        model.set_rows(members.roster(s, [branch.id]))
    model.sort(NAME_COLUMN, Qt.SortOrder.DescendingOrder)
    model.show_only(model.text_matching("张"))
    assert [r.name for r in model.rows] == ["张四", "张三"] and model.rowCount() == 2
    model.sort(NAME_COLUMN, Qt.SortOrder.AscendingOrder)  # a new order keeps the search
    assert [r.name for r in model.rows] == ["张三", "张四"]
    model.show_only(None)
    assert model.rowCount() == 4 == model.total


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
