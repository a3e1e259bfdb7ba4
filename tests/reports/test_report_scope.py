"""Reports over a database of several townships (a county database): without ``--branch`` every township
is covered, ``--township`` picks one, and branches whose codes and names repeat across townships stay
apart (qualified as 乡镇代码/支部代码 and 乡镇 支部)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from services.db import Database
from services.errors import NotFound, ValidationError
from services.reports.birthdays import birthdays
from services.reports.monthly import month_report
from services.reports.quarterly import quarter_report
from services.reports.statistics import statistics
from tests.conftest import Builder
from tests.reports.conftest import TODAY, People, meeting, run


@pytest.fixture
def county(build: Builder, people: People, db: Database) -> dict[str, str]:
    """Two townships, each with a branch coded B01 named 一村党支部: 2 members in T01, 3 in T02."""
    with db.transaction("test") as s:
        from services import org

        org.create_township(s, "T01", "城关镇", county="镇原县")
    build.township_id = ""
    with db.reader() as s:
        from services import org

        build.township_id = org.township_by_code(s, "T01").id
    a = build.branch("B01", "一村党支部").id
    ids = {
        "甲": people.add(a, "甲", date(2000, 12, 1), birth=date(1970, 1, 1)).id,
        "乙": people.add(a, "乙", date(2010, 5, 1), birth=date(1980, 1, 1), male=False).id,
    }
    with db.transaction("test") as s:
        from services import org

        build.township_id = org.create_township(s, "T02", "屯字镇", county="镇原县").id
    b = build.branch("B01", "一村党支部").id
    ids |= {
        "丙": people.add(b, "丙", date(1990, 12, 9), birth=date(1960, 1, 1)).id,
        "丁": people.add(b, "丁", date(2001, 3, 1), birth=date(1975, 1, 1)).id,
        "戊": people.add(b, "戊", date(2012, 3, 1), birth=date(1985, 1, 1), male=False).id,
    }
    meeting(db, a, "congress", date(2026, 10, 10), {ids["甲"]: "present", ids["乙"]: "absent"})
    meeting(db, b, "congress", date(2026, 10, 12), {ids["丙"]: "present"})
    return {"A": a, "B": b} | ids


def test_statistics_without_branch_cover_every_township(db: Database, county: dict[str, str]) -> None:
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    assert report.title == "镇原县（2个乡镇）"
    assert report.table("basic").value("党员总数", "合计") == 5
    assert report.members_of("basic", "党员总数", "女") == ["城关镇 一村党支部 乙", "屯字镇 一村党支部 戊"]
    assert report.failures == []


def test_statistics_of_one_township_with_the_township_option(db: Database, county: dict[str, str]) -> None:
    with db.reader() as s:
        one = statistics(s, 2025, today=TODAY, township_code="T02")
    assert one.title == "屯字镇"
    assert one.table("basic").value("党员总数", "合计") == 3
    assert one.members_of("basic", "党员总数", "女") == ["一村党支部 戊"]


def test_month_report_keeps_branches_of_the_same_code_apart(db: Database, county: dict[str, str]) -> None:
    with db.reader() as s:
        report = month_report(s, "2026-10", today=TODAY)
    rows = {b.code: (b.name, b.meetings["congress"], b.present, b.expected) for b in report.branches}
    assert rows == {
        "T01/B01": ("城关镇 一村党支部", 1, 1, 2),
        "T02/B01": ("屯字镇 一村党支部", 1, 1, 1),
    }
    with db.reader() as s:
        one = month_report(s, "2026-10", today=TODAY, township_code="T01")
    assert [(b.code, b.name) for b in one.branches] == [("B01", "一村党支部")]
    assert all(f["branch_id"] == county["A"] for f in one.findings)


def test_quarter_and_birthdays_cover_every_township(db: Database, county: dict[str, str]) -> None:
    with db.reader() as s:
        q = quarter_report(s, "2026Q4", today=TODAY)
        bd = birthdays(s, "2026-12", today=TODAY)
        bd_one = birthdays(s, "2026-12", "B01", today=TODAY, township_code="T01")
    assert [t.code for t in q.branches] == ["T01/B01", "T02/B01"]
    assert [(r.branch_name, r.name) for r in bd.rows] == [
        ("城关镇 一村党支部", "甲"),
        ("屯字镇 一村党支部", "丙"),
    ]
    assert [r.name for r in bd_one.rows] == ["甲"]


def test_a_bare_branch_code_used_by_two_townships_is_refused(db: Database, county: dict[str, str]) -> None:
    with db.reader() as s, pytest.raises(ValidationError) as err:
        statistics(s, 2025, "B01", today=TODAY)
    assert err.value.field == "branch" and "T01/B01" in err.value.message
    with db.reader() as s, pytest.raises(NotFound) as missing:
        statistics(s, 2025, today=TODAY, township_code="T09")
    assert "T09" in str(missing.value)


def test_report_cli_township_option(
    db_path: Path, county: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(db_path, capsys, "report", "stats", "--year", "2025", "--json")
    assert code == 0
    whole = json.loads(out)
    assert whole["tables"][1]["rows"][0][:2] == ["党员总数", 5]
    code, out, _ = run(db_path, capsys, "report", "stats", "--year", "2025", "--township", "T01", "--json")
    assert code == 0 and json.loads(out)["tables"][1]["rows"][0][:2] == ["党员总数", 2]
    code, out, _ = run(
        db_path,
        capsys,
        "report",
        "month",
        "--period",
        "2026-10",
        "--branch",
        "B01",
        "--township",
        "T02",
        "--json",
    )
    assert code == 0 and [b["name"] for b in json.loads(out)["branches"]] == ["一村党支部"]
    target = db_path.parent / "不应生成.xlsx"
    code, out, err = run(
        db_path, capsys, "report", "stats", "--year", "2025", "--township", "T09", "--xlsx", str(target)
    )
    assert code != 0 and "T09" in out + err and not target.exists()
