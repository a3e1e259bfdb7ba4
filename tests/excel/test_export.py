"""Exports: styled header, real dates, IDs as text, no formula can run, and a lossless round trip."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from models import Member
from services import groups, members
from services.db import Database
from services.excel.errors import ExcelFileError
from services.excel.export import ExportColumn, ExportTable, export_names, export_xlsx, write_xlsx
from services.excel.roster_import import apply_roster_import, plan_roster_import
from services.excel.templates import write_template
from tests.conftest import TODAY, Builder

Book = Callable[..., Path]


def test_registry_lists_every_table() -> None:
    assert {"members", "meetings", "attendance", "committee", "party-groups", "branches"} <= set(
        export_names()
    )


def test_user_text_that_looks_like_a_formula_is_written_as_text(tmp_path: Path) -> None:
    risky = ['=HYPERLINK("http://x","点我")', "+1+2", "-3", "@SUM(A1)", "\t=1", "\r=1", "正常"]
    path = tmp_path / "risky.xlsx"
    write_xlsx(ExportTable("测试", [ExportColumn("备注")], [[v] for v in risky]), path)
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    # Without lxml a lone CR comes back as LF (XML line-end rules); the text stays text either way.
    got = [ws.cell(r, 1).value for r in range(2, 9)]
    assert [g.replace("\r", "\n") for g in got] == [v.replace("\r", "\n") for v in risky]
    assert all(ws.cell(r, 1).data_type == "s" for r in range(2, 9))


def test_roster_export_layout(db: Database, build: Builder, tmp_path: Path) -> None:
    branch = build.branch("B01", members=3)
    with db.transaction("t") as s:
        m = members.get_member(s, build.member(branch.id, "=cmd|' /C calc'!A0").id)
        m.notes = "@备注"
    path = tmp_path / "roster.xlsx"
    with db.reader() as s:
        report = export_xlsx(s, "members", path)
    assert report.rows == 4
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:S5"
    assert ws["A1"].font.b and ws["A1"].value == "姓名"
    assert ws.column_dimensions["E"].width == 21
    headers = [c.value for c in ws[1]]
    id_col, joined_col = headers.index("公民身份号码") + 1, headers.index("入党日期") + 1
    for r in range(2, 6):
        assert ws.cell(r, id_col).data_type == "s" and len(ws.cell(r, id_col).value) == 18
        assert ws.cell(r, joined_col).is_date
    names = [ws.cell(r, 1).value for r in range(2, 6)]
    assert "=cmd|' /C calc'!A0" in names
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml


def test_export_round_trip_changes_nothing(db: Database, build: Builder, tmp_path: Path) -> None:
    branch = build.branch("B01", members=6, probationary=2)
    with db.transaction("t") as s:
        group = groups.create_group(s, branch.id, "第一党小组")
        first = members.roster(s)[0]
        data = members.member_input(members.get_member(s, first.id))
        data.phone, data.education, data.party_group_id, data.is_flowing = (
            "13800138000",
            "bachelor",
            group.id,
            True,
        )
        data.notes, data.ethnicity = "-负数开头的备注", "回族"
        members.update_member(s, first.id, data, today=TODAY)
    with db.reader() as s:
        before = [(r.id, r.row_seq) for r in s.scalars(select(Member))]
        export_xlsx(s, "members", tmp_path / "roster.xlsx")
        p = plan_roster_import(s, branch.id, tmp_path / "roster.xlsx", today=TODAY)
    assert p.problems == []
    assert [r.action for r in p.rows] == ["unchanged"] * 6
    with db.transaction("t") as s:
        result = apply_roster_import(s, branch.id, p, confirm_updates=True, today=TODAY)
    assert (result.unchanged, result.created, result.updated) == (6, 0, 0)
    with db.reader() as s:
        after = [(r.id, r.row_seq) for r in s.scalars(select(Member))]
    assert after == before


def test_atomic_write_replaces_the_file_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"old")
    write_xlsx(ExportTable("表", [ExportColumn("日期")], [[date(2020, 7, 1)]]), path)
    assert openpyxl.load_workbook(path).active["A2"].value.date() == date(2020, 7, 1)  # type: ignore[index,union-attr]
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]
    with pytest.raises(ExcelFileError, match="文件夹不存在"):
        write_xlsx(ExportTable("表", [ExportColumn("x")], []), tmp_path / "missing" / "out.xlsx")


def test_roster_template_has_dropdowns_notes_and_formats(tmp_path: Path) -> None:
    path = write_template("roster", tmp_path / "模板.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["党员花名册"]
    headers = [c.value for c in ws[1]]
    assert headers[:5] == ["姓名", "性别", "民族", "出生日期", "公民身份号码"]
    lists = {
        next(iter(dv.sqref.ranges)).coord.split(":")[0].rstrip("0123456789"): dv.formula1
        for dv in ws.data_validations.dataValidation
    }
    letter = {h: openpyxl.utils.get_column_letter(i + 1) for i, h in enumerate(headers)}
    assert lists[letter["性别"]] == '"男,女"'
    assert "正式党员" in lists[letter["党员类别"]] and "大学本科" in lists[letter["学历"]]
    assert ws[f"{letter['公民身份号码']}2"].number_format == "@"
    assert ws[f"{letter['入党日期']}2"].number_format == "yyyy-mm-dd"
    assert "文本" in ws[f"{letter['公民身份号码']}1"].comment.text
    assert ws.freeze_panes == "A2"
    assert "填写说明" in wb.sheetnames


def test_meetings_template_has_meeting_type_and_attendance_lists(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(write_template("meetings", tmp_path / "会议模板.xlsx"))
    meeting_lists = [dv.formula1 for dv in wb["会议"].data_validations.dataValidation]
    people_lists = [dv.formula1 for dv in wb["出席情况"].data_validations.dataValidation]
    assert any("主题党日" in f for f in meeting_lists)
    assert any("请假" in f and "列席" in f for f in people_lists)


def test_filled_template_imports(db: Database, branch_id: str, tmp_path: Path) -> None:
    from services import idcard

    path = write_template("roster", tmp_path / "模板.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["党员花名册"]
    headers = [c.value for c in ws[1]]
    row = {
        "姓名": "张三",
        "公民身份号码": idcard.make("620421", date(1980, 5, 17), 11),
        "入党日期": date(2005, 7, 1),
    }
    row |= {"党员类别": "正式党员", "学历": "高中", "流动党员": "否"}
    for h, v in row.items():
        ws.cell(2, headers.index(h) + 1, v)
    wb.save(path)
    with db.reader() as s:
        p = plan_roster_import(s, branch_id, path, today=TODAY)
    assert p.problems == [] and [r.row for r in p.rows] == [2]


def test_every_registered_export_writes_a_verified_workbook_on_demo_data(
    db: Database, tmp_path: Path
) -> None:
    from python_calamine import CalamineWorkbook

    from services import demo
    from services.excel.export import registry

    demo.generate(db, "small", seed=7, today=TODAY)
    specs = registry()
    assert {"ledger-team", "ledger-org-life", "ledger-support"} <= set(specs)
    with db.reader() as s:
        for name, spec in specs.items():
            report = export_xlsx(s, name, tmp_path / f"{name}.xlsx", year=2025 if spec.uses_year else None)
            book = CalamineWorkbook.from_path(str(report.path))
            assert book.sheet_names, name
    ledger = CalamineWorkbook.from_path(str(tmp_path / "ledger-support.xlsx"))
    fees = ledger.get_sheet_by_name(ledger.sheet_names[0]).to_python()
    money = [r[3] for r in fees[1:] if isinstance(r[3], float)]
    assert money and all(round(m, 2) == m for m in money)  # fen written as yuan


def test_party_groups_export_names_each_groups_leader(db: Database, build: Builder, tmp_path: Path) -> None:
    branch = build.branch("B01", members=0)
    lead = build.member(branch.id, "王组长")
    other = build.member(branch.id, "李党员")
    with db.transaction("t") as s:
        first = groups.create_group(s, branch.id, "第一党小组", leader_id=lead.id)
        groups.create_group(s, branch.id, "第二党小组")
        groups.assign_members(s, first.id, [lead.id, other.id])
    path = tmp_path / "groups.xlsx"
    with db.reader() as s:
        export_xlsx(s, "party-groups", path)
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0] == ("支部", "党小组", "组长", "党员人数")
    assert sorted(rows[1:]) == sorted(
        [(branch.name, "第一党小组", "王组长", 2), (branch.name, "第二党小组", None, 0)]
    )
