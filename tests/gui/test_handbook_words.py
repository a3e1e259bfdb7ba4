"""对标检查 says what it shows: the branch on the 3+7 目录 tab, a single click in 乡镇总览 picks the
branch, and rules carry their titles beside their codes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui.handbook.branch import rule_title
from gui.handbook.view import HandbookView
from main import main
from services.db import Database
from services.handbook.pack import PackHolder
from tests.conftest import Builder

TODAY = date(2026, 11, 24)


@pytest.fixture
def view(app: QApplication, qtbot: QtBot, db: Database, build: Builder) -> HandbookView:
    build.branch("B01", "一村党支部", members=3)
    build.branch("B02", "二村党支部", members=3)
    v = HandbookView(None, db, today=TODAY)
    qtbot.addWidget(v)
    v.show()
    v.refresh()
    return v


def test_single_click_in_the_overview_picks_the_branch(view: HandbookView, qtbot: QtBot) -> None:
    grid = view.grid
    rows = {grid.item(r, 0).text(): r for r in range(grid.rowCount())}  # type: ignore[union-attr]
    row = rows["二村党支部"]
    rect = grid.visualItemRect(grid.item(row, 0))
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.inner.currentWidget() is grid  # stays on the overview
    assert view.branch_view.heading.text().count("二村党支部") == 1
    catalog_tab = view.inner.tabText(view.inner.indexOf(view.catalog))
    assert catalog_tab == "3+7 目录 · 二村党支部"
    assert view.catalog.headerItem().text(0) == "二村党支部 的目录"  # type: ignore[union-attr]
    qtbot.keyClick(grid, Qt.Key.Key_Up)  # arrows pick too
    assert "一村党支部" in view.inner.tabText(view.inner.indexOf(view.catalog))


def test_rule_codes_come_with_their_titles(
    db_path: Path, build: Builder, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = PackHolder.default().pack
    assert rule_title(pack, "LIFE-05") == "LIFE-05「主题党日每月 1 次」"
    assert rule_title(pack, "NO-SUCH") == "NO-SUCH"
    build.branch(members=3)
    main(["--db", str(db_path), "check", "--period", "2026-07", "--as-of", "2026-08-01"])
    out = capsys.readouterr().out
    assert "LIFE-05「主题党日每月 1 次」" in out
