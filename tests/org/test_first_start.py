"""The first-start path after 新建乡镇: branches typed or imported from a sheet (all rows or none)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from gui.org.first_start import FirstStartDialog
from models import Branch
from services.db import Database
from tests.conftest import Builder
from tests.excel.conftest import write_book

HEADER = ["代码", "名称", "类别", "领域", "成立日期", "上级代码"]


def test_branches_come_from_a_sheet_with_parents_and_a_bad_row_writes_nothing(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, tmp_path: Path
) -> None:
    township_id = build.township()
    dialog = FirstStartDialog(None, db, township_id)
    qtbot.addWidget(dialog)
    assert dialog.branches.count() == 0

    bad = write_book(
        tmp_path / "bad.xlsx",
        [
            HEADER,
            ["Z01", "红旗村党总支", "党总支", "农村", "2000-01-01", ""],
            ["Z02", "", "党支部", "火星", "", ""],
        ],
    )
    dialog.load_branch_file(bad)
    assert (
        "第 3 行" in dialog.message.text() and "领域" not in dialog.message.text()
    ) or "不是可选的值" in dialog.message.text()
    with db.reader() as s:
        assert s.scalars(select(Branch)).all() == []

    good = write_book(
        tmp_path / "good.xlsx",
        [
            HEADER,
            ["Z11", "红旗村一组党支部", "党支部", "农村", "2001-01-01", "Z10"],
            ["Z10", "红旗村党总支", "党总支", "农村", "2000-01-01", ""],
            ["J01", "镇机关党支部", "党支部", "机关", "2000-01-01", ""],
        ],
    )
    dialog.load_branch_file(good)
    assert dialog.message.text() == "已导入 3 个党组织。"
    assert dialog.branches.count() == 3
    with db.reader() as s:
        by_code = {b.code: b for b in s.scalars(select(Branch))}
    assert by_code["Z11"].parent_id == by_code["Z10"].id
    assert (by_code["Z10"].kind, by_code["J01"].domain) == ("general", "organ")
