"""Year filters: every query that limits rows to a year does it with a half-open date range that an index
can serve (never STRFTIME/EXTRACT on the column), checked on SQLite's EXPLAIN QUERY PLAN."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from models import Branch, Meeting, Township
from services import dbstats, meetings, training
from services.dates import in_year, year_bounds
from services.db import Database
from services.excel.export import ExportTable, registry
from services.ledgers.catalog import LISTINGS
from services.printing.sections import BookletData
from services.printing.township import branches_to_print
from tests.conftest import TODAY, Builder

YEAR = 2025
FIRST, AFTER = year_bounds(YEAR)


def test_year_bounds_are_half_open_and_cover_the_last_day(db: Database, build: Builder) -> None:
    assert year_bounds(2024) == (date(2024, 1, 1), date(2025, 1, 1))
    branch = build.branch(members=2)
    with db.transaction("test") as s:
        for day in (date(2024, 12, 31), date(2025, 1, 1), date(2025, 12, 31), date(2026, 1, 1)):
            meetings.create_meeting(s, branch.id, meetings.MeetingInput("congress", day, "议题"), TODAY)
    with db.reader() as s:
        days = s.scalars(
            select(Meeting.held_on).where(*in_year(Meeting.held_on, 2025)).order_by(Meeting.held_on)
        )
        assert list(days) == [date(2025, 1, 1), date(2025, 12, 31)]


@pytest.fixture
def township(db: Database, build: Builder) -> list[str]:
    """Ten branches with members and four years of quarterly meetings (with attendance) and training:
    enough rows, after ANALYZE, for SQLite to plan as it does on a real township."""
    ids = []
    for n in range(10):
        branch = build.branch(f"B{n:02d}", f"{n}村党支部", members=3)
        ids.append(branch.id)
        with db.transaction("test") as s:
            for year in range(YEAR - 3, YEAR + 1):
                for month in range(1, 13, 3):
                    day = date(year, month, 10)
                    meetings.create_meeting(
                        s, branch.id, meetings.MeetingInput("congress", day, "议题"), TODAY
                    )
                    training.create_session(s, branch.id, training.TrainingInput("学习党章", day, 120), TODAY)
    dbstats.analyze(db.engine)
    return ids


@contextmanager
def year_queries(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """The SELECT statements run inside the block that carry this test's year range as parameters."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        values = list(params.values()) if isinstance(params, dict) else list(params or ())
        text = [str(v) for v in values]
        if statement.lstrip().upper().startswith("SELECT") and str(FIRST) in text and str(AFTER) in text:
            seen.append((statement, params))

    event.listen(Engine, "before_cursor_execute", capture)  # every engine: some callers open their own
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", capture)


def plan(db: Database, statement: str, params: Any) -> list[str]:
    with db.engine.connect() as conn:
        return [str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]


def date_table(statement: str) -> str:
    """The table whose date column the range is on: ``table.column >= ?`` in the SQL."""
    match = re.search(r"(\w+)\.\"?\w+\"? >= \?", statement)
    assert match, statement
    return match[1]


def assert_index_serves(db: Database, queries: list[tuple[str, Any]], what: str) -> None:
    assert queries, f"{what}: no query with the year range ran"
    for statement, params in queries:
        assert not re.search(r"strftime|extract\(", statement, re.I), f"{what}: {statement}"
        table = date_table(statement)
        steps = plan(db, statement, params)
        reached = [s for s in steps if re.match(rf"(SCAN|SEARCH) {table}\b", s)]
        assert reached, f"{what}: {table} not in plan {steps}"
        assert all(s.startswith("SEARCH") and "INDEX" in s for s in reached), f"{what}: {steps}"


def drain(result: ExportTable | list[ExportTable]) -> None:
    for table in result if isinstance(result, list) else [result]:
        list(table.rows)


def test_attendance_export_for_a_year_reads_meetings_through_the_branch_date_index(
    db: Database, township: list[str]
) -> None:
    spec = registry()["attendance"]
    for scope in (None, township[:1]):
        with db.reader() as s, year_queries(db) as queries:
            drain(spec.produce(s, scope, YEAR))
        assert_index_serves(db, queries, "attendance")
        for statement, params in queries:
            assert any(
                "ix_meeting_branch_date" in step and "held_on>? AND held_on<?" in step
                for step in plan(db, statement, params)
            )


def test_every_yearly_export_uses_an_index_for_its_year(db: Database, township: list[str]) -> None:
    yearly = [spec for spec in registry().values() if spec.uses_year]
    assert {"meetings", "attendance"} <= {spec.name for spec in yearly}
    ran = 0
    for spec in yearly:
        with db.reader() as s, year_queries(db) as queries:
            drain(spec.produce(s, township[:1], YEAR))
        if queries:  # an export whose table has no date column lists every row, with no year query
            assert_index_serves(db, queries, spec.name)
            ran += 1
    assert ran >= 2


def test_every_yearly_listing_uses_an_index_for_its_year(db: Database, township: list[str]) -> None:
    ran = 0
    for code, listing in LISTINGS.items():
        with db.reader() as s, year_queries(db) as queries:
            listing.load(s, township[:1], YEAR)
        if queries:
            assert_index_serves(db, queries, code)
            ran += 1
    assert ran >= 5


@pytest.mark.parametrize(
    "what",
    ["meeting list", "booklet meetings", "township booklets", "training hours"],
)
def test_year_queries_of_screens_and_booklets_use_an_index(
    db: Database, township: list[str], what: str
) -> None:
    def booklet(s: Any) -> None:
        branch = s.get(Branch, township[0])
        _ = BookletData(s, branch, s.get(Township, branch.township_id), YEAR).meetings

    def township_booklets(s: Any) -> None:
        tid = s.get(Branch, township[0]).township_id
        assert len(branches_to_print(str(db.engine.url), tid, YEAR)) == 10

    runs: dict[str, Callable[[Any], object]] = {
        "meeting list": lambda s: meetings.list_meetings(s, meetings.MeetingFilter(township[:1], year=YEAR)),
        "booklet meetings": booklet,
        "training hours": lambda s: training.yearly_hours(s, YEAR, 32, township[:1]),
        "township booklets": township_booklets,  # opens its own engine on the same file
    }
    with db.reader() as s, year_queries(db) as queries:
        runs[what](s)
    assert_index_serves(db, queries, what)
