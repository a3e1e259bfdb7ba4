"""党费: rates by band in fen, payments, and the 3/5/6-month unpaid and no-organisational-life rules."""

from __future__ import annotations

from datetime import date

import pytest

from services import fees
from services.errors import ValidationError
from services.meetings import AttendanceInput, MeetingInput, create_meeting
from tests.conftest import TODAY, Builder


@pytest.mark.parametrize(
    ("category", "income_fen", "due"),
    [
        ("salaried", 300_000, 1_500),  # 3,000.00 yuan × 0.5 %
        ("salaried", 300_001, 3_000),  # just over 3,000: 1 %, rounded half up to the fen
        ("salaried", 500_000, 5_000),
        ("salaried", 1_000_000, 15_000),
        ("salaried", 1_000_100, 20_002),
        ("retired", 500_000, 2_500),
        ("retired", 600_000, 6_000),
        ("farmer", 0, 50),
        ("student", 0, 20),
    ],
)
def test_rates_by_band_in_fen(category: str, income_fen: int, due: int) -> None:
    assert fees.DEFAULT_SCHEDULE.due_fen(category, income_fen) == due


def test_yuan_round_trip_is_exact() -> None:
    assert fees.parse_yuan("12.5") == 1250
    assert fees.parse_yuan("１２．０５元") == 1205
    assert fees.yuan(1205) == "12.05"
    with pytest.raises(ValidationError):
        fees.parse_yuan("1.234")


def _member_with_dues(build: Builder, months: list[str], paid: list[str]) -> str:
    branch = build.branch(members=0)
    member = build.member(branch.id, joined_on=date(2020, 1, 1))
    with build.db.transaction("t") as s:
        for m in months:
            fees.set_due(s, member.id, m, "farmer")
        for m in paid:
            fees.record_payment(s, member.id, m, 50, date(2026, 6, 30), today=TODAY)
    return member.id


@pytest.mark.parametrize(("unpaid", "level"), [(2, None), (3, "warning"), (5, "warning"), (6, "error")])
def test_consecutive_unpaid_months(build: Builder, unpaid: int, level: str | None) -> None:
    months = [f"2026-{m:02d}" for m in range(1, 11)]
    _member_with_dues(build, months, paid=months[: 10 - unpaid])
    with build.db.reader() as s:
        runs = fees.unpaid_runs(s, "2026-10")
    got = runs[0].level() if runs else None
    assert got == level
    if runs:
        assert runs[0].months == unpaid and runs[0].since == months[10 - unpaid]


def test_advance_payment_beyond_six_months_is_refused(build: Builder) -> None:
    member_id = _member_with_dues(build, ["2027-05", "2027-06"], paid=[])
    with build.db.transaction("t") as s:
        fees.record_payment(s, member_id, "2027-05", 50, date(2026, 11, 20), today=TODAY)
    with pytest.raises(ValidationError, match="最多预交 6 个月"), build.db.transaction("t") as s:
        fees.record_payment(s, member_id, "2027-06", 50, date(2026, 11, 20), today=TODAY)


def test_months_without_organisational_life(build: Builder) -> None:
    branch = build.branch(members=0)
    m = build.member(branch.id, joined_on=date(2026, 1, 1))
    other = build.member(branch.id, "李四", joined_on=date(2026, 1, 1))
    with build.db.transaction("t") as s:
        create_meeting(
            s,
            branch.id,
            MeetingInput(
                "congress",
                date(2026, 4, 15),
                "学习",
                attendance=[AttendanceInput(m.id), AttendanceInput(other.id, "leave", "外出务工")],
            ),
            today=TODAY,
        )
        for month in range(5, 11):  # then a 主题党日 every month, which neither attends
            create_meeting(
                s,
                branch.id,
                MeetingInput(
                    "theme_day",
                    date(2026, month, 15),
                    "学习",
                    attendance=[AttendanceInput(m.id, "absent"), AttendanceInput(other.id, "absent")],
                ),
                today=TODAY,
            )
    with build.db.reader() as s:
        runs = {r.name: r for r in fees.life_gap_runs(s, "2026-10")}
    assert runs["张三"].months == 6 and runs["张三"].level() == "error"
    # 请假 at the April meeting is a good reason for April: the run starts in May.
    assert runs["李四"].months == 6 and runs["李四"].since == "2026-05"


def test_fund_balance_in_fen(build: Builder) -> None:
    branch = build.branch()
    with build.db.transaction("t") as s:
        fees.add_fund_entry(s, branch.id, date(2026, 3, 1), "income", "活动经费", 300_000, today=TODAY)
        fees.add_fund_entry(s, branch.id, date(2026, 4, 1), "expense", "购买学习资料", 12_345, today=TODAY)
    with build.db.reader() as s:
        assert fees.fund_balance_fen(s, branch.id) == 287_655
    with pytest.raises(ValidationError), build.db.transaction("t") as s:
        fees.add_fund_entry(s, branch.id, date(2026, 4, 1), "expense", "x", 0, today=TODAY)


def test_runs_reach_back_as_far_as_each_members_last_good_month(build: Builder) -> None:
    """Lately active members and members gone quiet long ago in one check: each run is measured from
    the member's own last month, however far back (the 36 months the rules look at)."""
    branch = build.branch(members=0)
    names = ("全到", "三月起缺", "去年三月后缺", "九月到过")
    people = {n: build.member(branch.id, n, joined_on=date(2024, 1, 1)).id for n in names}
    months = [(2025 + (i // 12), i % 12 + 1) for i in range(22)]  # 2025-01 … 2026-10
    came = {
        "全到": set(months),
        "三月起缺": {ym for ym in months if ym <= (2026, 2)},
        "去年三月后缺": {(2025, 3)},
        "九月到过": {(2026, 9)},
    }
    with build.db.transaction("t") as s:
        for y, m in months:
            attendance = [
                AttendanceInput(people[n], "present" if (y, m) in came[n] else "absent") for n in names
            ]
            create_meeting(
                s,
                branch.id,
                MeetingInput("theme_day", date(y, m, 15), "学习", attendance=attendance),
                today=TODAY,
            )
            for n in names:
                fees.set_due(s, people[n], f"{y}-{m:02d}", "farmer")
                if (y, m) in came[n]:
                    fees.record_payment(s, people[n], f"{y}-{m:02d}", 50, date(y, m, 20), today=TODAY)
    expected = {"三月起缺": (8, "2026-03"), "去年三月后缺": (19, "2025-04"), "九月到过": (1, "2026-10")}
    with build.db.reader() as s:
        life = {r.name: (r.months, r.since) for r in fees.life_gap_runs(s, "2026-10")}
        dues = {r.name: (r.months, r.since) for r in fees.unpaid_runs(s, "2026-10", [branch.id])}
    assert life == expected
    assert dues == expected
