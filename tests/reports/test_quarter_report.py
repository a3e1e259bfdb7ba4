"""一季一调度: each branch's trend over the quarter's months and the quarter's own findings."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from services.db import Database
from services.errors import ValidationError
from services.handbook.pack import load_pack
from services.handbook.service import run_check
from services.reports.quarterly import quarter_report
from tests.conftest import Builder
from tests.reports.conftest import TODAY, People, meeting, run


@pytest.fixture
def town(db: Database, build: Builder, people: People) -> list[str]:
    one = build.branch("B01", "一村党支部", founded_on=date(2026, 8, 15))
    ids = [people.add(one.id, n, date(2005, 7, 1)).id for n in ("甲", "乙", "丙", "丁")]
    meeting(db, one.id, "theme_day", date(2026, 8, 20), dict.fromkeys(ids, "present"))
    att = dict.fromkeys(ids, "present")
    att[ids[0]] = "absent"
    meeting(db, one.id, "congress", date(2026, 9, 10), att)
    meeting(db, one.id, "theme_day", date(2026, 9, 20), att)
    return ids


def test_trend_over_the_quarter_months(db: Database, town: list[str]) -> None:
    with db.reader() as s:
        report = quarter_report(s, "2026Q3", today=TODAY)
        months = [run_check(s, load_pack(), f"2026-{m:02d}", as_of=TODAY) for m in (7, 8, 9)]
        quarter = run_check(s, load_pack(), "2026Q3", as_of=TODAY)
    (b,) = report.branches
    assert [str(m) for m in report.months] == ["2026-07", "2026-08", "2026-09"]
    assert b.meetings() == [0, 1, 2]
    assert [m.rate_text() for m in b.months] == ["—", "100.0%", "75.0%"]
    assert b.errors == [sum(f.importance == "error" for f in r.findings) for r in months]
    assert b.warnings == [sum(f.importance == "warning" for f in r.findings) for r in months]
    assert sorted(f["rule_id"] for f in report.findings) == sorted(
        f.rule_id for f in quarter.findings if f.period == "2026Q3"
    )


def test_quarter_in_progress_is_allowed_and_future_months_are_empty(db: Database, town: list[str]) -> None:
    with db.reader() as s:
        report = quarter_report(s, "2026Q4", today=TODAY)
    assert report.branches[0].meetings() == [0, 0, 0]
    assert report.branches[0].errors[2] == 0 and report.branches[0].warnings[2] == 0


@pytest.mark.parametrize(
    ("period", "words"),
    [
        ("2027Q1", "2027年1月还没有到"),
        ("2026Q2", "2026年6月早于测试镇建立的时间（2026-08-15）"),
        ("2026-09", "无法识别的季度“2026-09”"),
    ],
)
def test_bad_quarter_is_refused(db: Database, town: list[str], period: str, words: str) -> None:
    with db.reader() as s, pytest.raises(ValidationError) as err:
        quarter_report(s, period, today=TODAY)
    assert err.value.field == "period" and words in err.value.message


def test_cli_json_and_xlsx(
    db_path: Path, town: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(db_path, capsys, "report", "quarter", "--period", "2026Q3", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["branches"][0]["meetings"] == [0, 1, 2]
    assert data["branches"][0]["attendance_rate"] == [None, 1.0, 0.75]
    xlsx = tmp_path / "q.xlsx"
    code, out, _ = run(db_path, capsys, "report", "quarter", "--period", "2026Q3", "--xlsx", str(xlsx))
    assert code == 0 and out.startswith(f"已保存 {xlsx}")
    rows = list(load_workbook(xlsx)["各支部逐月情况"].iter_rows(values_only=True))
    assert rows[1][:7] == ("一村党支部", 0, "—", rows[1][3], 1, "100.0%", rows[1][6])
