"""The roster fields the 党内统计年报 counts — 职业 (the 党内统计 categories), 农民工, 困难党员 — entered
through the service, the CLI, the Excel roster import and export, and counted in the 党员职业 table with
its cross-check (every member counted once; a member without a 职业 named as 无法统计)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

import main
from models import Member
from services import members
from services.db import Database
from services.errors import ValidationError
from services.excel.export import export_xlsx
from services.excel.roster_import import apply_roster_import, plan_roster_import
from services.handbook.errors import PackError
from services.reports.statistics import default_stats_path, parse_stats_pack, statistics
from tests.conftest import TODAY, Builder
from tests.reports.conftest import People


def count(db: Database) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(Member).where(Member.deleted.is_(False))) or 0)


@pytest.fixture
def town(build: Builder, people: People) -> dict[str, str]:
    b = build.branch("B01", "一村党支部").id
    c = build.branch("B02", "城关社区党支部", domain="community").id
    return {
        "B01": b,
        "B02": c,
        "甲": people.add(b, "甲", date(2000, 7, 1), birth=date(1950, 1, 1), hardship=True).id,
        "乙": people.add(
            b,
            "乙",
            date(2010, 7, 1),
            birth=date(1985, 1, 1),
            male=False,
            occupation="worker",
            migrant_worker=True,
            flowing=True,
        ).id,
        "丙": people.add(b, "丙", date(2012, 7, 1), birth=date(1988, 1, 1), occupation="worker").id,
        "丁": people.add(
            c, "丁", date(1990, 7, 1), birth=date(1955, 1, 1), occupation="retired", male=False, hardship=True
        ).id,
        "戊": people.add(c, "戊", date(2015, 7, 1), birth=date(1990, 1, 1), occupation="professional").id,
    }


def test_occupation_table_counts_each_category_and_its_columns(db: Database, town: dict[str, str]) -> None:
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    occ = report.table("occupation")
    assert occ.columns == ["合计", "女", "流动党员", "农民工", "困难党员"]
    assert occ.matrix() == [
        ["党员总数", 5, 2, 1, 1, 2],
        ["工人（工勤技能人员）", 2, 1, 1, 1, 0],
        ["农牧渔民", 1, 0, 0, 0, 1],
        ["专业技术人员", 1, 0, 0, 0, 0],
        ["企事业单位、社会组织管理人员", 0, 0, 0, 0, 0],
        ["党政机关工作人员", 0, 0, 0, 0, 0],
        ["学生", 0, 0, 0, 0, 0],
        ["其他职业人员", 0, 0, 0, 0, 0],
        ["离退休人员", 1, 1, 0, 0, 1],
    ]
    assert report.members_of("occupation", "党员总数", "困难党员") == ["一村党支部 甲", "城关社区党支部 丁"]
    assert report.failures == [] and report.uncountable == []
    # the categories add up to the total in every column (the partition cross-check, recomputed here)
    for col in occ.columns:
        assert sum(occ.value(r, col) for r in occ.rows[1:]) == occ.value("党员总数", col)


def test_member_without_occupation_is_named_as_uncountable(
    db: Database, town: dict[str, str], people: People
) -> None:
    people.add(town["B01"], "己", date(2001, 7, 1), birth=date(1970, 1, 1), occupation="")
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    assert report.uncountable == ["一村党支部 己（缺职业）"]
    [fail] = [f for f in report.failures if f.table == "党员职业"]
    assert fail.cell == "党员职业 · 党员总数 × 合计"
    assert "无法统计" in fail.message and fail.members == ("一村党支部 己",)
    assert report.table("occupation").value("党员总数", "合计") == 6


def test_unknown_occupation_is_refused_at_the_field_and_nothing_is_written(
    db: Database, build: Builder
) -> None:
    branch = build.branch()
    data = members.MemberInput(
        name="王五", id_number=build.id_number(), joined_on=date(2005, 7, 1), occupation="pilot"
    )
    with pytest.raises(ValidationError) as err, db.transaction("t") as s:
        members.create_member(s, branch.id, data, today=TODAY)
    assert err.value.field == "occupation" and "未知的职业" in err.value.message
    assert "农牧渔民" in err.value.message
    assert count(db) == 0


def test_a_statistics_pack_with_an_unknown_occupation_code_is_refused() -> None:
    text = (
        default_stats_path().read_text(encoding="utf-8").replace('values = ["farmer"]', 'values = ["farmar"]')
    )
    with pytest.raises(PackError) as err:
        parse_stats_pack(text, "x.toml")
    assert any("农牧渔民" in p and "farmar" in p and "farmer" in p for p in err.value.problems)


def test_cli_member_add_with_occupation_migrant_worker_and_hardship(
    db_path: Path, db: Database, build: Builder, capsys: pytest.CaptureFixture[str]
) -> None:
    build.branch("B01")
    args = [
        "--db",
        str(db_path),
        "member",
        "add",
        "--branch",
        "B01",
        "--name",
        "赵六",
        "--joined",
        "2005-07-01",
    ]
    code = main.main(
        [
            *args,
            "--id-number",
            build.id_number(),
            "--occupation",
            "农牧渔民",
            "--migrant-worker",
            "--hardship",
        ]
    )
    assert code == 0
    capsys.readouterr()
    assert main.main(["--db", str(db_path), "member", "list", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["occupation"], row["is_migrant_worker"], row["is_hardship"]) == ("farmer", True, True)
    with pytest.raises(SystemExit) as exited:  # refused by the option, naming 职业 and the choices
        main.main([*args, "--id-number", build.id_number(), "--occupation", "飞行员"])
    _out, err = capsys.readouterr()
    assert exited.value.code == 2 and "职业" in err and "飞行员" in err and "农牧渔民" in err
    assert count(db) == 1


def test_excel_roster_round_trip_and_import_of_the_new_columns(
    db: Database, town: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "roster.xlsx"
    with db.reader() as s:
        export_xlsx(s, "members", path)
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    headers = [c.value for c in ws[1]]
    rows = {r[0]: dict(zip(headers, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert (rows["乙"]["职业"], rows["乙"]["农民工"], rows["乙"]["困难党员"]) == (
        "工人（工勤技能人员）",
        "是",
        "否",
    )
    assert (rows["甲"]["职业"], rows["甲"]["困难党员"]) == ("农牧渔民", "是")
    # a branch's own rows re-imported: nothing changes
    b01_only = tmp_path / "b01.xlsx"
    wb = openpyxl.Workbook()
    out = wb.active
    assert out is not None
    out.append(headers)
    for r in ws.iter_rows(min_row=2, values_only=True):
        if r[headers.index("所在支部")] == "一村党支部":
            out.append(list(r))
    wb.save(b01_only)
    with db.reader() as s:
        plan = plan_roster_import(s, town["B01"], b01_only, today=TODAY)
    assert plan.problems == [] and [r.action for r in plan.rows] == ["unchanged"] * 3
    # a clerk's sheet: 工作岗位 with a short label, 是否农民工; a value that is no category is refused at its cell
    sheet = tmp_path / "clerk.xlsx"
    wb = openpyxl.Workbook()
    ws2 = wb.active
    assert ws2 is not None
    ws2.append(["姓名", "公民身份号码", "入党日期", "工作岗位", "是否农民工", "是否困难党员"])
    with db.reader() as s:
        number = members.get_member(s, town["丙"]).id_number
    ws2.append(["丙", number, "2012-07-01", "农民", "是", "否"])
    wb.save(sheet)
    with db.reader() as s:
        plan = plan_roster_import(s, town["B01"], sheet, today=TODAY)
    assert plan.problems == []
    [row] = plan.rows
    assert row.action == "update"
    assert {(c.field, c.old, c.new) for c in row.changes} == {
        ("职业", "工人（工勤技能人员）", "农牧渔民"),
        ("农民工", "否", "是"),
    }
    with db.transaction("t") as s:
        apply_roster_import(s, town["B01"], plan, confirm_updates=True, today=TODAY)
    with db.reader() as s:
        m = members.get_member(s, town["丙"])
        assert (m.occupation, m.is_migrant_worker) == ("farmer", True)
    ws2.cell(2, 4, "飞行员")
    wb.save(sheet)
    with db.reader() as s:
        bad = plan_roster_import(s, town["B01"], sheet, today=TODAY)
    [problem] = bad.problems
    assert (problem.column, problem.header) == ("D", "工作岗位") and "农牧渔民" in problem.message
