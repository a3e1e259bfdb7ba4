"""Applying a roster import writes in bulk, yet stores exactly what entering the members one by one
stores: the same rows and change numbers, and an audit summary of who imported how many from which
file; a refused import writes nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from models import AuditEntry, Member, PartyGroup
from services import groups, members, org
from services.db import Database, current_seq, open_database
from services.errors import ValidationError
from services.excel.errors import ImportRefused
from services.excel.roster_import import apply_roster_import, plan_roster_import
from tests.conftest import TODAY
from tests.excel.conftest import person

Book = Callable[..., Path]

HEADER = [
    "姓名", "民族", "公民身份号码", "学历", "联系电话", "入党日期", "转正日期", "党员类别", "处分",
    "党小组", "流动党员", "转入本支部日期", "备注",
]  # fmt: skip

# What a clerk types, messy as it comes: full-width spaces and digits, a name dot variant, an invisible
# zero-width space, a blank 民族 (汉族), a probationary member, groups, flowing, notes with a line break.
PEOPLE: list[dict[str, Any]] = [
    dict(name="张　三 ", ethnicity="", id=person(11), education="本科", phone="１３９００００１１１１",
         joined="2005-07-01", full="2006-07-01", status="正式党员", discipline="无", group="第一党小组",
         flowing="否", since="", notes=""),
    dict(name="阿依古丽•买买提", ethnicity="维吾尔族", id=person(13, date(1990, 3, 2)), education="大专",
         phone="0931-8123456", joined="2015-06-30", full="", status="预备党员", discipline="无", group="",
         flowing="是", since="2020-01-15", notes="外出务工\r\n兰州"),
    dict(name="李\u200b四", ethnicity="回族", id=person(15, date(1970, 1, 1)), education="",
         phone="", joined="1995-07-01", full="1996-07-01", status="正式党员", discipline="无",
         group="第二党小组", flowing="否", since="", notes="退休教师"),
]  # fmt: skip
CODES = {
    "本科": "bachelor",
    "大专": "college",
    "": "",
    "正式党员": "full",
    "预备党员": "probationary",
    "无": "none",
}


def seed(path: Path) -> tuple[str, dict[str, str]]:
    """An empty database with one township, one branch and two party groups (built through services)."""
    db = open_database(path)
    try:
        with db.transaction("clerk") as s:
            town = org.create_township(s, "T01", "城关镇")
            branch = org.create_branch(
                s, town.id, "B01", "一村党支部", founded_on=date(2000, 1, 1), today=TODAY
            )
            ids = {name: groups.create_group(s, branch.id, name).id for name in ("第一党小组", "第二党小组")}
            return branch.id, ids
    finally:
        db.close()


def enter_one_by_one(db: Database, branch_id: str, group_ids: dict[str, str]) -> None:
    """The same people typed into the member form, one save each (one transaction each)."""
    for p in PEOPLE:
        data = members.MemberInput(
            name=p["name"],
            id_number=p["id"],
            joined_on=date.fromisoformat(p["joined"]),
            ethnicity=p["ethnicity"],
            education=CODES[p["education"]],
            phone=p["phone"],
            full_member_on=date.fromisoformat(p["full"]) if p["full"] else None,
            status=CODES[p["status"]],
            discipline=CODES[p["discipline"]],
            is_flowing=p["flowing"] == "是",
            party_group_id=group_ids[p["group"]] if p["group"] else None,
            branch_since=date.fromisoformat(p["since"]) if p["since"] else None,
            notes=p["notes"],
        )
        with db.transaction("clerk") as s:
            members.create_member(s, branch_id, data, today=TODAY)


def import_in_bulk(db: Database, branch_id: str, book: Book) -> None:
    rows = [
        [p["name"], p["ethnicity"], p["id"], p["education"], p["phone"], p["joined"], p["full"],
         p["status"], p["discipline"], p["group"], p["flowing"], p["since"], p["notes"]]
        for p in PEOPLE
    ]  # fmt: skip
    with db.reader() as s:
        plan = plan_roster_import(s, branch_id, book([HEADER, *rows]), today=TODAY)
    assert plan.problems == [] and plan.count("create") == len(PEOPLE)
    with db.transaction("clerk") as s:
        result = apply_roster_import(s, branch_id, plan, today=TODAY)
    assert result.created == len(PEOPLE)


def stored(db: Database) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]], int]:
    """Member rows (every column but the key and the times), audit entries of the member table (key
    replaced by the ID number, so the two databases compare) and the change counter."""
    with db.reader() as s:
        rows = [
            {k: v for k, v in r._mapping.items() if k not in ("id", "created_at", "updated_at")}
            for r in s.execute(text("SELECT * FROM member ORDER BY row_seq"))
        ]
        number = {r.id: r.id_number for r in s.execute(select(Member.id, Member.id_number))}
        entries = [
            (e.action, e.table_name, number.get(e.row_id, e.row_id), json.loads(e.changes), e.user)
            for e in s.scalars(
                select(AuditEntry).where(AuditEntry.table_name == "member").order_by(AuditEntry.id)
            )
        ]
        return rows, entries, current_seq(s)


def test_bulk_import_stores_the_same_rows_and_change_numbers_as_entering_one_by_one(
    tmp_path: Path, book: Book
) -> None:
    branch_id, group_ids = seed(tmp_path / "seed.sqlite")
    for name in ("typed.sqlite", "imported.sqlite"):
        shutil.copyfile(tmp_path / "seed.sqlite", tmp_path / name)
    typed, imported = open_database(tmp_path / "typed.sqlite"), open_database(tmp_path / "imported.sqlite")
    try:
        enter_one_by_one(typed, branch_id, group_ids)
        import_in_bulk(imported, branch_id, book)
        one_by_one, bulk = stored(typed), stored(imported)
    finally:
        typed.close()
        imported.close()
    assert len(bulk[0]) == len(PEOPLE)
    assert bulk[0] == one_by_one[0]  # the same member rows, change numbers included
    assert [r["name"] for r in bulk[0]] == ["张三", "阿依古丽·买买提", "李四"]  # cleaned like the form
    assert bulk[0][1]["notes"] == "外出务工\n兰州"
    assert bulk[2] == one_by_one[2]  # the change counter ends at the same number
    # entered one by one: an entry per member; imported: one summary by the same clerk
    assert [(e[0], e[2], e[4]) for e in one_by_one[1]] == [("insert", p["id"], "clerk") for p in PEOPLE]
    [(action, table, _row, changes, user)] = bulk[1]
    assert (action, table, user, changes["rows"]) == ("bulk", "member", "clerk", [None, len(PEOPLE)])
    assert "花名册导入" in changes["note"][1] and "一村党支部" in changes["note"][1]


def test_the_imported_members_are_listed_searchable_and_their_log_verifies(
    db: Database, branch_id: str, book: Book
) -> None:
    with db.transaction("clerk") as s:
        for name in ("第一党小组", "第二党小组"):
            groups.create_group(s, branch_id, name)
    import_in_bulk(db, branch_id, book)
    with db.reader() as s:
        assert {r.name for r in members.roster(s, search="阿依古丽")} == {"阿依古丽·买买提"}
        from services import audit

        assert audit.verify(s).ok
        member_id = s.scalar(select(Member.id).where(Member.name == "李四"))
        assert member_id is not None
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "bulk")) == 1


def test_a_refused_import_writes_nothing_not_even_its_new_groups(
    db: Database, branch_id: str, book: Book
) -> None:
    """A party group dissolved between preview and apply: the import names the row and the column,
    and neither the new group nor any member, change number or audit entry is written."""
    with db.transaction("clerk") as s:
        first = groups.create_group(s, branch_id, "第一党小组", founded_on=date(2020, 1, 1)).id
    path = book(
        [
            ["姓名", "公民身份号码", "入党日期", "党小组"],
            ["张三", person(11), "2005-07-01", "第三党小组"],  # created by the import
            ["李四", person(13), "2005-07-01", ""],
            ["王五", person(15), "2005-07-01", "第一党小组"],
        ]
    )
    with db.reader() as s:
        plan = plan_roster_import(s, branch_id, path, today=TODAY, create_groups=True)
    assert plan.problems == [] and plan.new_groups == ["第三党小组"]
    with db.transaction("clerk") as s:
        groups.dissolve_group(s, first, date(2026, 1, 1), today=TODAY)
    with db.reader() as s:
        before = (
            s.scalar(select(func.count()).select_from(AuditEntry)),
            current_seq(s),
            s.scalar(select(func.count()).select_from(PartyGroup)),
        )
    with (
        pytest.raises(
            ImportRefused, match=r"第 4 行（党小组）：第一党小组已于 2026-01-01 撤销.*没有导入任何数据"
        ),
        db.transaction("clerk") as s,
    ):
        apply_roster_import(s, branch_id, plan, today=TODAY)
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 0
        after = (
            s.scalar(select(func.count()).select_from(AuditEntry)),
            current_seq(s),
            s.scalar(select(func.count()).select_from(PartyGroup)),
        )
    assert after == before


@pytest.mark.parametrize(
    ("cells", "column", "entry"),
    [
        # 预备党员 with a 转正日期
        (["张三", person(11), "2005-07-01", "预备党员", "2006-07-01", ""], "E", {"status": "probationary",
         "full_member_on": date(2006, 7, 1)}),
        # 转正日期 before 入党日期
        (["张三", person(11), "2005-07-01", "正式党员", "2004-07-01", ""], "E", {"full_member_on": date(2004, 7, 1)}),
        # a note longer than the column holds
        (["张三", person(11), "2005-07-01", "正式党员", "", "备" * 501], "F", {"notes": "备" * 501}),
    ],
)  # fmt: skip
def test_the_preview_refuses_what_the_member_form_refuses_with_the_same_message(
    db: Database, branch_id: str, book: Book, cells: list[Any], column: str, entry: dict[str, Any]
) -> None:
    header = ["姓名", "公民身份号码", "入党日期", "党员类别", "转正日期", "备注"]
    with db.reader() as s:
        plan = plan_roster_import(s, branch_id, book([header, cells]), today=TODAY)
    data = members.MemberInput("张三", person(11), date(2005, 7, 1), **entry)
    with pytest.raises(ValidationError) as typed, db.transaction("clerk") as s:
        members.create_member(s, branch_id, data, today=TODAY)
    assert [(p.column, p.message) for p in plan.problems] == [(column, typed.value.message)]
    assert [r.action for r in plan.rows] == ["error"]


def test_bulk_import_on_postgresql_stores_what_it_stores_on_sqlite(
    pg_database: Database,
    db: Database,
    tmp_path: Path,
    book: Book,
) -> None:
    """The same import into PostgreSQL (the county's server) and SQLite: the same member values."""

    def imported(target: Database) -> list[tuple[Any, ...]]:
        with target.transaction("clerk") as s:
            town = org.create_township(s, "T01", "城关镇")
            branch = org.create_branch(
                s, town.id, "B01", "一村党支部", founded_on=date(2000, 1, 1), today=TODAY
            )
            for name in ("第一党小组", "第二党小组"):
                groups.create_group(s, branch.id, name)
            branch_id = branch.id
        import_in_bulk(target, branch_id, book)
        with target.reader() as s:
            return [
                (m.name, m.gender, m.ethnicity, m.birth_date, m.id_number, m.education, m.phone, m.joined_on,
                 m.full_member_on, m.status, m.discipline, m.is_flowing, m.state, m.branch_since, m.notes,
                 m.row_seq, m.created_by, m.deleted)
                for m in s.scalars(select(Member).order_by(Member.row_seq))
            ]  # fmt: skip

    assert imported(pg_database) == imported(db)
