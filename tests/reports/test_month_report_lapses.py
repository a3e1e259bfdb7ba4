"""一月一分析: the 到期事项 list and the handbook check (MGT-01…04, 党章第九条) judge the same dues and
organisational-life runs — the same members, the same lengths, the same payments known on the report day —
on a small township built through the services."""

from __future__ import annotations

import re
from datetime import date

import pytest

from services import fees
from services.db import Database
from services.handbook.pack import LapseRule, load_pack
from services.reports.monthly import MonthReport, month_report
from tests.conftest import Builder
from tests.reports.conftest import TODAY, People, meeting

MONTHS = [f"2026-{m:02d}" for m in range(1, 11)]
# "欠二" … : dues unpaid for the last 2, 4, 5 and 7 months up to October; "缺二" … : absent from the
# branch's monthly 主题党日 for the last 2, 4 and 6 months; "晚交" paid July–October on 20 November.
UNPAID = {"欠二": 2, "欠四": 4, "欠五": 5, "欠七": 7}
ABSENT = {"缺二": 2, "缺四": 4, "缺六": 6}


@pytest.fixture
def town(db: Database, build: Builder, people: People) -> dict[str, str]:
    return build_town(db, build, people)


def build_town(db: Database, build: Builder, people: People) -> dict[str, str]:
    """One branch with a 主题党日 each month January–October 2026 and the dues and absences above."""
    one = build.branch("B01", "一村党支部", founded_on=date(2000, 1, 1))
    names = ["甲", "乙", "丙", *UNPAID, *ABSENT, "晚交"]
    ids = {n: people.add(one.id, n, date(2005, 7, 1)).id for n in names}
    for i in range(1, len(MONTHS) + 1):
        att = {
            mid: "absent" if ABSENT.get(name, 0) > len(MONTHS) - i else "present" for name, mid in ids.items()
        }
        meeting(db, one.id, "theme_day", date(2026, i, 12), att)
    with db.transaction("test") as s:
        for name, unpaid in [*UNPAID.items(), ("晚交", 4)]:
            for i, month in enumerate(MONTHS, start=1):
                fees.set_due(s, ids[name], month, "farmer")
                if i <= len(MONTHS) - unpaid:
                    fees.record_payment(s, ids[name], month, 50, date(2026, i, 15), today=TODAY)
        for month in MONTHS[-4:]:
            fees.record_payment(s, ids["晚交"], month, 50, date(2026, 11, 20), today=TODAY)
    return ids


def _check_runs(report: MonthReport) -> dict[tuple[str, str], int]:
    """(dues/life, name) → months of the runs the check's lapse findings name ("欠四（4 个月）")."""
    kind = {r.id: r.check for r in load_pack().rule if isinstance(r, LapseRule)}
    out: dict[tuple[str, str], int] = {}
    for f in report.findings:
        if f["rule_id"] in kind:
            for name, months in re.findall(r"([^：、（]+)（(\d+) 个月）", f["message"]):
                out[(kind[f["rule_id"]], name)] = int(months)
    return out


def _due_runs(report: MonthReport) -> dict[tuple[str, str], int]:
    """(dues/life, name) → months of the runs the 到期事项 list states ("已连续 4 个月")."""
    out: dict[tuple[str, str], int] = {}
    for d in report.due:
        if d.kind in ("dues", "life"):
            found = re.search(r"已连续 (\d+) 个月", d.what)
            assert found is not None, d.what
            out[(d.kind, d.who)] = int(found[1])
    return out


def _agree(check: dict[tuple[str, str], int], due: dict[tuple[str, str], int]) -> None:
    """Every run both could name has one length; the list names each run the check names that reaches
    3, 5 or 6 months next month, and the check names each run of the list already 3 months long."""
    for key, months in due.items():
        if months >= 3:
            assert check.get(key) == months, key
    for key, months in check.items():
        if months + 1 in (3, 5, 6):
            assert due.get(key) == months, key


def test_due_list_and_check_name_the_same_lapse_runs(db: Database, town: dict[str, str]) -> None:
    with db.reader() as s:
        report = month_report(s, "2026-10", today=TODAY)
    check, due = _check_runs(report), _due_runs(report)
    assert check == {
        ("dues", "欠四"): 4,
        ("dues", "欠五"): 5,
        ("dues", "欠七"): 7,
        ("life", "缺四"): 4,
        ("life", "缺六"): 6,
    }
    assert due == {
        ("dues", "欠二"): 2,
        ("dues", "欠四"): 4,
        ("dues", "欠五"): 5,
        ("life", "缺二"): 2,
        ("life", "缺四"): 4,
    }
    _agree(check, due)
    urgent = [(d.urgency, d.who) for d in report.due if d.kind in ("dues", "life")]
    assert sorted(urgent) == [(1, "欠五"), (2, "欠四"), (2, "缺四"), (3, "欠二"), (3, "缺二")]


def test_a_payment_after_the_report_day_is_unknown_to_both(db: Database, town: dict[str, str]) -> None:
    """Seen on 10 November, 晚交's payments of 20 November are not made yet: both name a 4-month run;
    seen on 24 November, neither names one."""
    with db.reader() as s:
        before = month_report(s, "2026-10", today=date(2026, 11, 10))
        after = month_report(s, "2026-10", today=TODAY)
    check, due = _check_runs(before), _due_runs(before)
    assert (check[("dues", "晚交")], due[("dues", "晚交")]) == (4, 4)
    _agree(check, due)
    assert ("dues", "晚交") not in _check_runs(after) | _due_runs(after)


def test_lapse_runs_are_computed_once_inside_a_report_block_and_afresh_after_it(
    db: Database, town: dict[str, str]
) -> None:
    """Inside ``shared_lapse_runs`` a repeated call returns the first result (the block is for reports,
    which write nothing); after the block the runs are read again and a new payment is seen."""
    with db.transaction("test") as s:
        with fees.shared_lapse_runs(s):
            first = fees.unpaid_runs(s, "2026-10", None, paid_by=TODAY)
            fees.record_payment(s, town["欠二"], "2026-10", 50, TODAY, today=TODAY)
            s.flush()
            assert fees.unpaid_runs(s, "2026-10", None, paid_by=TODAY) == first
            other = fees.unpaid_runs(s, "2026-10", None)  # another key: every payment on record
        later = {r.name: r.months for r in fees.unpaid_runs(s, "2026-10", None, paid_by=TODAY)}
    assert {r.name: r.months for r in first}["欠二"] == 2
    assert "欠二" not in {r.name for r in other}
    assert "欠二" not in later and later["欠四"] == 4


def test_due_list_and_check_agree_on_postgresql(pg_database: Database) -> None:
    build = Builder(pg_database)
    build_town(pg_database, build, People(build, pg_database))
    with pg_database.reader() as s:
        before = month_report(s, "2026-10", today=date(2026, 11, 10))
    check, due = _check_runs(before), _due_runs(before)
    assert check == {
        ("dues", "欠四"): 4,
        ("dues", "欠五"): 5,
        ("dues", "欠七"): 7,
        ("dues", "晚交"): 4,
        ("life", "缺四"): 4,
        ("life", "缺六"): 6,
    }
    assert due == {
        ("dues", "欠二"): 2,
        ("dues", "欠四"): 4,
        ("dues", "欠五"): 5,
        ("dues", "晚交"): 4,
        ("life", "缺二"): 2,
        ("life", "缺四"): 4,
    }
    _agree(check, due)
