"""Meeting import: one row per meeting, and a second sheet listing only who was away."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Meeting
from services import meetings
from services.db import Database
from services.excel.errors import ImportRefused
from services.excel.meeting_import import apply_meeting_import, plan_meeting_import
from tests.conftest import TODAY, Builder

Book = Callable[..., Path]
HEADER = ["会议序号", "会议日期", "会议类型", "议题", "地点", "授课人"]
PEOPLE = ["会议序号", "姓名", "出席情况", "原因"]


@pytest.fixture
def branch(build: Builder) -> str:
    return build.branch("B01", "一村党支部", members=5).id


def plan(db: Database, branch_id: str, path: Path):  # type: ignore[no-untyped-def]
    with db.reader() as s:
        return plan_meeting_import(s, branch_id, path, today=TODAY)


def test_meetings_with_exceptions_to_attendance_are_imported(db: Database, branch: str, book: Book) -> None:
    path = book(
        [
            ["一村党支部 2026 年会议记录"],
            HEADER,
            [1, "2026-10-10", "支部党员大会", "学习党章", "村委会", ""],
            [2, "2026.9.5", "党课", "党史学习", "村委会", "党员B0100"],
        ],
        sheet="会议",
        extra_sheets={
            "出席情况": [
                PEOPLE,
                [1, "党员B0101", "请假", "外出务工"],
                [1, "党员 B0102", "缺席", ""],
            ]
        },
    )
    p = plan(db, branch, path)
    assert p.problems == []
    assert [r.action for r in p.rows] == ["create", "create"]
    with db.transaction("t") as s:
        result = apply_meeting_import(s, branch, p, today=TODAY)
    assert result.created == 2
    with db.reader() as s:
        rows = meetings.list_meetings(s, meetings.MeetingFilter([branch]))
    congress = next(r for r in rows if r.type == "congress")
    assert (congress.present, congress.expected) == (3, 5)
    # Importing the same file again records nothing twice.
    p = plan(db, branch, path)
    assert [r.action for r in p.rows] == ["unchanged", "unchanged"]


def test_meeting_problems_are_located_on_both_sheets(db: Database, branch: str, book: Book) -> None:
    path = book(
        [
            HEADER,
            [1, "2026-10-10", "支部大会", "学习党章"],  # unknown type
            [2, "2026-09-05", "党课", "党史学习", "村委会", ""],  # lecture without lecturer
            [3, "2027-01-01", "支委会", "部署工作"],  # in the future
            [4, "2026-08-01", "主题党日", ""],  # no topics
            [5, "2026-07-01", "主题党日", "七一活动"],
        ],
        sheet="会议",
        extra_sheets={
            "出席情况": [
                PEOPLE,
                [5, "党员B0101", "请假", ""],  # leave without reason
                [5, "不存在的人", "缺席", ""],
                [9, "党员B0102", "缺席", ""],  # no such meeting
            ]
        },
    )
    p = plan(db, branch, path)
    assert [(pr.sheet, pr.row, pr.column) for pr in p.problems] == [
        ("会议", 2, "C"),
        ("会议", 3, "F"),
        ("会议", 4, "B"),
        ("会议", 5, "D"),
        ("出席情况", 2, "D"),
        ("出席情况", 3, "B"),
        ("出席情况", 4, "A"),
    ]
    assert all(r.action == "error" for r in p.rows)
    with pytest.raises(ImportRefused), db.transaction("t") as s:
        apply_meeting_import(s, branch, p, today=TODAY)
    with db.reader() as s:
        assert meetings.list_meetings(s, meetings.MeetingFilter([branch])) == []


def test_valid_only_imports_the_good_meetings(db: Database, branch: str, book: Book) -> None:
    path = book(
        [HEADER, [1, "2026-10-10", "支部党员大会", "学习党章"], [2, "2026-10-11", "党课", "党史"]],
        sheet="会议",
    )
    p = plan(db, branch, path)
    with db.transaction("t") as s:
        result = apply_meeting_import(s, branch, p, valid_only=True, today=TODAY)
    assert (result.created, result.skipped_errors) == (1, 1)


def test_meetings_export_round_trip_records_nothing_twice(
    db: Database, branch: str, book: Book, tmp_path: Path
) -> None:
    from services.excel.export import export_xlsx

    path = book(
        [
            HEADER,
            [1, "2026-10-10", "支部党员大会", "学习党章"],
            [2, "2026-09-05", "党课", "党史", "村委会", "党员B0100"],
        ],
        sheet="会议",
    )
    with db.transaction("t") as s:
        apply_meeting_import(s, branch, plan(db, branch, path), today=TODAY)
    with db.reader() as s:
        export_xlsx(s, "meetings", tmp_path / "meetings.xlsx", branch_ids=[branch])
    again = plan(db, branch, tmp_path / "meetings.xlsx")
    assert again.problems == []
    assert [r.action for r in again.rows] == ["unchanged", "unchanged"]


def test_observers_same_names_and_repeated_people(
    db: Database, build: Builder, branch: str, book: Book
) -> None:
    other = build.branch("B02", "二村党支部")
    guest = build.member(other.id, "镇领导")
    twin_a = build.member(branch, "张三")
    build.member(branch, "张三")
    path = book(
        [HEADER, [1, "2026-10-10", "支部党员大会", "学习党章"]],
        sheet="会议",
        extra_sheets={
            "出席情况": [
                [*PEOPLE, "身份证号"],
                [1, "镇领导", "列席", "", ""],  # from another branch: may observe
                [1, "张三", "请假", "生病", ""],  # two members share the name
                [1, "张三", "请假", "生病", twin_a.id_number],
                [1, "党员B0101", "缺席", "", ""],
                [1, "党员B0101", "出席", "", ""],
            ]
        },
    )
    p = plan(db, branch, path)
    assert [(pr.sheet, pr.row, pr.column) for pr in p.problems] == [
        ("出席情况", 3, "B"),
        ("出席情况", 6, "B"),
    ]
    assert "同名" in p.problems[0].message and "重复" in p.problems[1].message
    assert guest.id  # resolved as observer without a problem


def test_decorated_headers_are_recognised(db: Database, branch: str, book: Book) -> None:
    path = book(
        [["会议日期（必填）", "会议类型*", " 会议 主题 ", "地点"], ["2026-10-10", "主题党日", "学习", ""]],
        sheet="Sheet1",
    )
    p = plan(db, branch, path)
    assert p.problems == [] and [r.action for r in p.rows] == ["create"]


def test_import_carries_other_kinds_and_the_paper_date_of_a_backfilled_record(
    db: Database, branch: str, book: Book
) -> None:
    header = ["会议序号", "会议日期", "会议类型", "兼作", "议题", "记录日期", "补录"]
    path = book(
        [
            header,
            [1, "2025-12-20", "组织生活会", "民主评议党员", "组织生活会暨民主评议党员", "2025-12-22", "是"],
            [2, "2025-12-25", "支部党员大会", "支委会", "学习", "", ""],
            [3, "2025-12-26", "支部党员大会", "", "学习", "", "是"],
        ],
        sheet="会议",
    )
    result = plan(db, branch, path)
    problems = [(p.row, p.header, p.message) for p in result.problems]
    assert problems == [
        (3, "兼作", "支部党员大会和支委会是不同的会议，不能记为同一次会议，请分别记录。"),
        (4, "记录日期", "补录的会议须填写纸质记录上的记录日期。"),
    ]
    with db.transaction("t") as s:
        apply_meeting_import(s, branch, result, valid_only=True, today=TODAY)
    with db.reader() as s:
        (m,) = s.scalars(select(Meeting).where(Meeting.deleted.is_(False)))
        assert (m.type, m.also_types, m.recorded_on, m.backfilled) == (
            "life",
            "appraisal",
            date(2025, 12, 22),
            True,
        )
