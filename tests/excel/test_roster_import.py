"""Roster import: messy but readable sheets go in; every problem is reported where the clerk sees it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Member, PartyGroup
from services import groups, members
from services.db import Database
from services.excel.errors import ImportRefused
from services.excel.roster_import import apply_roster_import, plan_roster_import
from tests.conftest import TODAY, Builder
from tests.excel.conftest import ROSTER_HEADER, person

Book = Callable[..., Path]


def plan(db: Database, branch_id: str, path: Path):  # type: ignore[no-untyped-def]
    with db.reader() as s:
        return plan_roster_import(s, branch_id, path, today=TODAY)


def member_count(db: Database) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(Member).where(Member.deleted.is_(False))) or 0)


def where(p) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    return (p.row, p.column)


def test_title_rows_synonyms_date_shapes_fullwidth_and_spaces_are_read(
    db: Database, branch_id: str, book: Book
) -> None:
    path = book(
        [
            ["一村党支部党员花名册"],
            [],
            ["序号", "名字", "身份证号码", "入党时间", "文化程度", "类别", "手机号"],
            [1, "张　三 ", person(11), "2005-07-01", "大学本科", "正式党员", 13800138000],
            [
                2,
                " 李四",
                " " + person(13).lower()[:-1] + person(13)[-1].lower(),
                "2006.7.1",
                "高中",
                "正式",
                "",
            ],
            [3, "王五", person(15), "2007/07/01", "", "", None],
            [4, "赵六", person(17), "２００８年７月１日", "", "", None],
            [5, "钱七", person(19), date(2009, 7, 1), "", "", None],
            [6, "孙八", person(21), 40360, "", "", None],  # Excel day number of 2010-07-01
            [7, "周九", person(23), "20110701", "", "预备党员", None],
        ],
        merges=["A1:G1"],
    )
    p = plan(db, branch_id, path)
    assert p.problems == []
    assert p.header_row == 3
    assert [r.row for r in p.rows] == [4, 5, 6, 7, 8, 9, 10]
    assert all(r.action == "create" for r in p.rows)
    with db.transaction("t") as s:
        result = apply_roster_import(s, branch_id, p, today=TODAY)
    assert result.created == 7
    with db.reader() as s:
        rows = {r.name: r for r in members.roster(s)}
    assert rows["张三"].phone == "13800138000"
    assert rows["张三"].education == "bachelor"
    assert rows["李四"].education == "senior"
    assert [rows[n].joined_on.year for n in ("王五", "赵六", "钱七", "孙八", "周九")] == [
        2007,
        2008,
        2009,
        2010,
        2011,
    ]
    assert all(rows[n].joined_on == date(rows[n].joined_on.year, 7, 1) for n in rows)
    assert rows["周九"].status == "probationary"


def test_every_problem_is_listed_with_its_excel_row_and_column(
    db: Database, branch_id: str, book: Book
) -> None:
    path = book(
        [
            ["党员花名册（2026年）"],
            ROSTER_HEADER,
            ["张三", person(11), "2005-07-01", "本科", "正式党员", ""],
            ["", person(13), "2005-07-01", "", "", ""],  # no name
            ["王五", person(15)[:-1] + "0" if person(15)[-1] != "0" else person(15)[:-1] + "1", "2005-07-01"],
            ["赵六", person(17), "2020年13月1日", "博士后", "党员", "138-abc"],
            ["钱七", person(19, date(2010, 1, 1)), "2020-07-01"],  # joined at 10
            ["孙八", person(21), "2030-01-01"],  # in the future
        ],
    )
    p = plan(db, branch_id, path)
    assert [(pr.row, pr.column, pr.header) for pr in p.problems] == [
        (4, "A", "姓名"),
        (5, "B", "公民身份号码"),
        (6, "C", "入党日期"),
        (6, "D", "学历"),
        (6, "E", "党员类别"),
        (6, "F", "联系电话"),
        (7, "C", "入党日期"),
        (8, "C", "入党日期"),
    ]
    messages = [pr.message for pr in p.problems]
    assert "不能为空" in messages[0]
    assert "校验位" in messages[1]
    assert "无法识别的日期" in messages[2]
    assert "可选：" in messages[3] and "大学本科" in messages[3]
    assert "十八岁" in messages[6]
    assert "晚于今天" in messages[7]
    assert all(pr.sheet == "花名册" for pr in p.problems)
    assert [r.action for r in p.rows] == ["create", "error", "error", "error", "error", "error"]


def test_footer_lines_under_the_table_are_not_rows(db: Database, branch_id: str, book: Book) -> None:
    path = book(
        [
            ROSTER_HEADER,
            ["张三", person(11), "2005-07-01"],
            [],
            ["合计：1 人"],
            ["填表人：李四", None, None, None, None, None],
        ]
    )
    p = plan(db, branch_id, path)
    assert p.problems == [] and [r.row for r in p.rows] == [2]


def test_year_or_month_only_dates_ask_for_the_day(db: Database, branch_id: str, book: Book) -> None:
    path = book(
        [
            ["姓名", "公民身份号码", "入党日期"],
            ["张三", person(11), "2005.07"],
            ["李四", person(13), 2005],  # a year typed into a number cell (not Excel day 2005)
            ["王五", person(15), "2005年7月"],
        ]
    )
    p = plan(db, branch_id, path)
    assert [where(pr) for pr in p.problems] == [(2, "C"), (3, "C"), (4, "C")]
    assert "2005-07-01" in p.problems[0].message and "具体到日" in p.problems[0].message
    assert "年份" in p.problems[1].message


def test_ids_mangled_by_excel_say_how_to_fix_the_column(db: Database, branch_id: str, book: Book) -> None:
    good = person(11)
    zeroed = good[:15] + "000"
    path = book(
        [
            ["姓名", "身份证号", "入党日期"],
            ["张三", int(good[:17] + "1"), "2005-07-01"],  # typed into a number cell
            ["李四", "6.21027E+17", "2005-07-01"],  # pasted from a sheet showing scientific notation
            ["王五", zeroed, "2005-07-01"],  # re-typed as text after Excel zeroed the digits
        ]
    )
    p = plan(db, branch_id, path)
    assert [where(pr) for pr in p.problems] == [(2, "B"), (3, "B"), (4, "B")]
    assert p.problems[0].value == "6.20421E+17"
    for pr in p.problems:
        assert "文本" in pr.message
    assert "15 位有效数字" in p.problems[0].message
    assert f"（{good[:15]}000）" in p.problems[0].message  # the number as Excel shows it
    assert "科学计数法" in p.problems[1].message
    assert "000 结尾" in p.problems[2].message


def test_duplicate_ids_inside_the_file_are_flagged_on_every_row(
    db: Database, branch_id: str, book: Book
) -> None:
    path = book(
        [
            ["姓名", "公民身份号码", "入党日期"],
            ["张三", person(11), "2005-07-01"],
            ["李四", person(13), "2005-07-01"],
            ["张三", person(11), "2006-07-01"],
        ]
    )
    p = plan(db, branch_id, path)
    assert [where(pr) for pr in p.problems] == [(2, "B"), (4, "B")]
    assert "第 4 行" in p.problems[0].message and "第 2 行" in p.problems[1].message
    assert [r.action for r in p.rows] == ["error", "create", "error"]


def test_problems_refuse_the_whole_import_by_default(db: Database, branch_id: str, book: Book) -> None:
    path = book([ROSTER_HEADER, ["张三", person(11), "2005-07-01"], ["李四", "123", "2005-07-01"]])
    p = plan(db, branch_id, path)
    with pytest.raises(ImportRefused, match="没有导入任何数据"), db.transaction("t") as s:
        apply_roster_import(s, branch_id, p, today=TODAY)
    assert member_count(db) == 0


def test_valid_only_imports_the_good_rows_and_reports_the_rest(
    db: Database, branch_id: str, book: Book
) -> None:
    path = book([ROSTER_HEADER, ["张三", person(11), "2005-07-01"], ["李四", "123", "2005-07-01"]])
    p = plan(db, branch_id, path)
    with db.transaction("t") as s:
        result = apply_roster_import(s, branch_id, p, valid_only=True, today=TODAY)
    assert (result.created, result.skipped_errors) == (1, 1)
    assert member_count(db) == 1


def test_existing_member_is_an_update_applied_only_when_confirmed(
    db: Database, build: Builder, branch_id: str, book: Book
) -> None:
    existing = build.member(branch_id, "张三", joined_on=date(2005, 7, 1))
    path = book(
        [
            ["姓名", "公民身份号码", "入党日期", "学历", "联系电话"],
            ["张三", existing.id_number, "2005-07-01", "大专", "13900001111"],
            ["李四", person(101), "2010-07-01", "", ""],
        ]
    )
    p = plan(db, branch_id, path)
    update = p.rows[0]
    assert update.action == "update" and update.target_id == existing.id
    assert [(c.field, c.old, c.new) for c in update.changes] == [
        ("学历", "", "大专"),
        ("联系电话", "", "13900001111"),
    ]
    with db.transaction("t") as s:
        first = apply_roster_import(s, branch_id, p, today=TODAY)
    assert (first.created, first.updated, first.skipped_updates) == (1, 0, 1)
    with db.reader() as s:
        assert members.get_member(s, existing.id).phone == ""
    p = plan(db, branch_id, path)
    assert [r.action for r in p.rows] == ["update", "unchanged"]
    with db.transaction("t") as s:
        second = apply_roster_import(s, branch_id, p, confirm_updates=True, today=TODAY)
    assert (second.updated, second.unchanged) == (1, 1)
    with db.reader() as s:
        stored = members.get_member(s, existing.id)
        assert (stored.phone, stored.education) == ("13900001111", "college")


def test_member_registered_in_another_branch_is_a_problem(
    db: Database, build: Builder, branch_id: str, book: Book
) -> None:
    other = build.branch("B02", "二村党支部")
    elsewhere = build.member(other.id, "李四")
    path = book([ROSTER_HEADER, ["李四", elsewhere.id_number, "2005-07-01"]])
    p = plan(db, branch_id, path)
    assert [where(pr) for pr in p.problems] == [(2, "B")]
    assert "二村党支部" in p.problems[0].message


def test_gender_and_birth_date_columns_are_checked_against_the_id(
    db: Database, branch_id: str, book: Book
) -> None:
    path = book(
        [
            ["姓名", "性别", "出生日期", "公民身份号码", "入党日期"],
            ["张三", "女", "1980-05-17", person(11), "2005-07-01"],
            ["李四", "男", "1981-01-01", person(13), "2005-07-01"],
            ["王五", "男", "1980.05", person(15), "2005-07-01"],  # 出生年月 kept to the month: fine
            ["赵六", "男", "1980.06", person(17), "2005-07-01"],
        ]
    )
    p = plan(db, branch_id, path)
    assert [where(pr) for pr in p.problems] == [(2, "B"), (3, "C"), (5, "C")]
    assert "1980.05" in p.problems[2].message


def test_unknown_party_group_is_named(db: Database, branch_id: str, book: Book) -> None:
    path = book(
        [["姓名", "公民身份号码", "入党日期", "党小组"], ["张三", person(11), "2005-07-01", "第九小组"]]
    )
    p = plan(db, branch_id, path)
    assert [where(pr) for pr in p.problems] == [(2, "D")]
    assert "党小组" in p.problems[0].message


def test_what_changed_since_the_preview_refuses_the_whole_import(
    db: Database, build: Builder, branch_id: str, book: Book
) -> None:
    """An ID registered meanwhile, a party group deleted meanwhile: named by row, nothing written."""
    from services import org

    with db.transaction("t") as s:
        group_id = groups.create_group(s, branch_id, "第一党小组").id
    path = book(
        [
            ["姓名", "公民身份号码", "入党日期", "党小组"],
            ["张三", person(11), "2005-07-01", ""],
            ["李四", person(13), "2005-07-01", "第一党小组"],
        ]
    )
    p = plan(db, branch_id, path)
    assert not p.problems
    other = build.branch("B02", "二村党支部")
    with db.transaction("t") as s:
        members.create_member(
            s, other.id, members.MemberInput("张三", person(11), date(2005, 7, 1)), today=TODAY
        )
    with (
        pytest.raises(ImportRefused, match=r"第 2 行（公民身份号码）.*二村党支部.*没有导入任何数据"),
        db.transaction("t") as s,
    ):
        apply_roster_import(s, branch_id, p, today=TODAY)
    assert member_count(db) == 1
    p = plan(
        db,
        branch_id,
        book(
            [["姓名", "公民身份号码", "入党日期", "党小组"], ["李四", person(13), "2005-07-01", "第一党小组"]]
        ),
    )
    with db.transaction("t") as s:
        group = s.get(PartyGroup, group_id)
        assert group is not None
        org.soft_delete(group)
    with pytest.raises(ImportRefused, match=r"第 2 行（党小组）"), db.transaction("t") as s:
        apply_roster_import(s, branch_id, p, today=TODAY)
    assert member_count(db) == 1
