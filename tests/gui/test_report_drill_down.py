"""乡镇报表 drill-down: each report section is a table; clicking a counted cell lists the members or
meetings it counts — as many as the number in the cell, for every cell. The charts show on a 图表 tab."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtWidgets import QApplication, QTableWidget
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow
from gui.reports import view as reports_view
from gui.reports.view import ReportsDialog
from services import members
from services.db import Database
from tests.conftest import TODAY, Builder
from tests.reports.conftest import meeting


@pytest.fixture
def window(qtbot: QtBot, app: QApplication, db: Database, build: Builder) -> MainWindow:
    one = build.branch("B01", "一村党支部", founded_on=date(2000, 1, 1))
    ids = [
        build.member(one.id, f"党员{i}", joined_on=date(2005 + i, 7, 1), birth=date(1950 + 10 * i, 1, 1)).id
        for i in range(4)
    ]
    with db.transaction("test") as s:
        data = members.MemberInput(
            name="李芳",
            id_number=build.id_number(date(1990, 3, 3), male=False),
            joined_on=date(2015, 7, 1),
            occupation="worker",
            is_migrant_worker=True,
        )
        ids.append(members.create_member(s, one.id, data, today=TODAY).id)
    meeting(db, one.id, "congress", date(2026, 10, 10), dict.fromkeys(ids, "present"))
    meeting(db, one.id, "theme_day", date(2026, 10, 20), dict.fromkeys(ids[:3], "present"))
    win = MainWindow(db, screens=[reports_view.install])
    qtbot.addWidget(win)
    return win


def _every_counted_cell(dialog: ReportsDialog) -> int:
    """Click every cell of every table: a counted cell lists exactly its number of items. Returns how many."""
    checked = 0
    for index, table in enumerate(dialog.tables):
        assert isinstance(table, QTableWidget)
        section = dialog.document.sections[index]
        for r in range(table.rowCount()):
            for c in range(table.columnCount()):
                table.setCurrentCell(r, c)
                shown = [dialog.drill.item(i).text() for i in range(dialog.drill.count())]
                if (r, c) in section.items:
                    assert len(shown) == int(table.item(r, c).text()), (section.title, r, c)
                    assert f"共 {len(shown)} 项" in dialog.drill_title.text()
                    checked += 1
                else:
                    assert shown == []
    return checked


def test_statistics_cells_list_the_members_they_count(qtbot: QtBot, window: MainWindow) -> None:
    dialog = ReportsDialog(window)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(3)  # 党内统计年报
    dialog.period.setText("2025")
    dialog.make()
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert titles[:3] == ["全文", "党员数量变化", "党员基本情况"]
    assert _every_counted_cell(dialog) > 40
    occupation = titles.index("党员职业") - 1
    table = dialog.tables[occupation]
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert dialog.show_cell(occupation, 0, headers.index("农民工")) == ["一村党支部 李芳"]
    assert "党员职业 · 党员总数 × 农民工：共 1 项" in dialog.drill_title.text()


def test_month_meeting_cells_list_the_meetings_they_count(qtbot: QtBot, window: MainWindow) -> None:
    dialog = ReportsDialog(window)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(1)  # 一月一分析
    dialog.period.setText("2026-10")
    dialog.make()
    assert _every_counted_cell(dialog) >= 2
    records = dialog.document.sections[0]
    column = list(records.columns).index("主题党日")
    assert dialog.show_cell(0, 0, column) == ["2026-10-20 主题党日 议题"]
    rate = list(records.columns).index("出勤率")
    assert dialog.show_cell(0, 0, rate) == [] and "没有明细" in dialog.drill_title.text()


def test_charts_tab_draws_the_reports_charts(qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtSvgWidgets import QSvgWidget

    dialog = ReportsDialog(window)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(3)  # 党内统计年报
    dialog.period.setText("2025")
    dialog.make()
    assert dialog.tabs.tabText(dialog.tabs.count() - 1) == "图表"
    assert dialog.charts is not None
    views = dialog.charts.findChildren(QSvgWidget, "chart")
    assert [v.toolTip() for v in views] == [c.title for c in dialog.document.charts]
    assert len(views) == 15 and all(v.renderer().isValid() for v in views)
    titles = [v.toolTip() for v in views]
    assert any("发展党员工作进度" in t for t in titles)  # the pipeline on 31 December
    assert any("各支部逐月问题数" in t for t in titles)  # the year's monthly check results per branch
