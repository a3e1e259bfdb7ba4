"""What the clerk cannot see in Excel is not imported silently; a 所在支部 column is checked."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

import main
from models import Member
from services.db import Database
from services.excel.errors import ExcelFileError
from services.excel.meeting_import import plan_meeting_import
from services.excel.roster_import import apply_roster_import, plan_roster_import
from tests.conftest import TODAY, Builder
from tests.excel.conftest import ROSTER_HEADER, person


def _township_list(path: Path, *, hide: str = "rows") -> Path:
    """A township roster filtered to one branch: the other branch's rows are hidden by the filter."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "花名册"
    ws.append([*ROSTER_HEADER, "所在支部"])
    ws.append(["张三", person(51), "2005-07-01", "", "", "", "一村党支部"])
    ws.append(["李四", person(53), "2005-07-01", "", "", "", "二村党支部"])
    ws.append(["王五", person(55), "2005-07-01", "", "", "", "二村党支部"])
    ws.auto_filter.ref = "A1:G4"
    if hide == "rows":
        ws.row_dimensions[3].hidden = True
        ws.row_dimensions[4].hidden = True
    wb.save(path)
    return path


def test_filtered_out_rows_are_refused_by_default_with_a_message(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch("B01", "一村党支部")
    with db.reader() as s:
        plan = plan_roster_import(s, branch.id, _township_list(tmp_path / "t.xlsx"), today=TODAY)
    assert not plan.ok
    assert "第 3、4 行在 Excel 中被隐藏或被筛选掉了" in plan.problems[0].message
    assert [r.row for r in plan.rows] == [2]  # the hidden rows are not read as data


def test_hidden_rows_excluded_on_request_import_only_what_the_clerk_saw(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch("B01", "一村党支部")
    with db.transaction("t") as s:
        plan = plan_roster_import(
            s, branch.id, _township_list(tmp_path / "t.xlsx"), today=TODAY, hidden_rows="exclude"
        )
        assert plan.ok and "跳过（2 行）" in plan.notices[0].message
        apply_roster_import(s, branch.id, plan, today=TODAY)
    with db.reader() as s:
        assert s.scalars(select(Member.name)).all() == ["张三"]


def test_rows_naming_another_branch_are_checked_against_the_target(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch("B01", "一村党支部")
    with db.reader() as s:
        plan = plan_roster_import(
            s, branch.id, _township_list(tmp_path / "t.xlsx"), today=TODAY, hidden_rows="include"
        )
    wrong = [(p.row, p.header) for p in plan.problems]
    assert wrong == [(3, "所在支部"), (4, "所在支部")]
    assert "不是导入目标“一村党支部”" in plan.problems[0].message


def test_hidden_sheet_is_not_imported_silently(db: Database, build: Builder, tmp_path: Path) -> None:
    branch = build.branch("B01", "一村党支部")
    wb = openpyxl.Workbook()
    visible = wb.active
    assert visible is not None
    visible.title = "说明"
    visible.append(["本表仅供参考"])
    hidden = wb.create_sheet("花名册")
    hidden.append(ROSTER_HEADER)
    hidden.append(["张三", person(57), "2005-07-01", "", "", ""])
    hidden.sheet_state = "hidden"
    path = tmp_path / "h.xlsx"
    wb.save(path)
    with db.reader() as s, pytest.raises(ExcelFileError, match="隐藏的工作表"):
        plan_roster_import(s, branch.id, path, today=TODAY)
    with db.reader() as s:
        assert plan_roster_import(s, branch.id, path, today=TODAY, hidden_rows="include").ok


def test_hidden_attendance_rows_of_a_meeting_import_are_reported(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch("B01", "一村党支部", members=3)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "会议"
    ws.append(["会议序号", "会议日期", "会议类型", "议题"])
    ws.append([1, "2026-10-10", "支部党员大会", "学习"])
    ws.append([2, "2026-10-11", "支部党员大会", "再学习"])
    ws.row_dimensions[3].hidden = True
    path = tmp_path / "m.xlsx"
    wb.save(path)
    with db.reader() as s:
        plan = plan_meeting_import(s, branch.id, path, today=TODAY)
    assert not plan.ok and "第 3 行" in plan.problems[0].message


def test_cli_import_refuses_hidden_rows_unless_told(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ["township", "add", "T01", "城关镇"],
        ["branch", "add", "B01", "一村党支部", "--township", "T01", "--founded", "2000-01-01"],
    ):
        assert main.main(["--db", str(db_path), *argv]) == 0
    path = _township_list(tmp_path / "t.xlsx")
    base = ["--db", str(db_path), "import-roster", str(path), "--branch", "B01", "--today", "2026-11-24"]
    capsys.readouterr()
    assert main.main(base) == 1
    assert "--hidden-rows" in capsys.readouterr().out
    assert main.main([*base, "--hidden-rows", "exclude"]) == 0
    assert "已导入" in capsys.readouterr().out


def test_meeting_rows_naming_another_branch_are_checked_against_the_target(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch("B01", "一村党支部", members=2)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "会议"
    ws.append(["会议序号", "会议日期", "会议类型", "议题", "支部"])
    ws.append([1, "2026-10-10", "支部党员大会", "学习", "城关镇一村党支部"])
    ws.append([2, "2026-10-11", "支部党员大会", "学习", "二村党支部"])
    path = tmp_path / "m.xlsx"
    wb.save(path)
    with db.reader() as s:
        plan = plan_meeting_import(s, branch.id, path, today=TODAY)
    assert [(p.row, p.column) for p in plan.problems] == [(3, "E")]
    assert [r.action for r in plan.rows] == ["create", "error"]
