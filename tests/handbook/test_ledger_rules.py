"""Rule types over the other ledgers, at their boundaries, through the default pack."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services import decisions, development, fees, rectification, training, venue
from services.handbook.errors import PackError
from services.handbook.pack import default_pack_path, parse_pack
from tests.handbook.conftest import LATER, Kit, of_rule

TODAY = date(2026, 11, 24)


def _dues(kit: Kit, unpaid: int) -> None:
    unit = kit.branch("B01", full=3)
    member = unit.members[0]
    months = [f"2026-{m:02d}" for m in range(1, 11)]
    with kit.db.transaction("t") as s:
        for m in unit.members:
            for month in months:
                fees.set_due(s, m.id, month, "farmer")
                if m.id != member.id or month < months[10 - unpaid]:
                    fees.record_payment(s, m.id, month, 50, date(2026, 10, 31), today=LATER)


@pytest.mark.parametrize(
    ("unpaid", "warning", "error"), [(2, 0, 0), (3, 1, 0), (5, 1, 0), (6, 0, 1), (9, 0, 1)]
)
def test_sixth_unpaid_month_is_an_error_the_fifth_a_warning(
    kit: Kit, unpaid: int, warning: int, error: int
) -> None:
    _dues(kit, unpaid)
    result = kit.check("2026", as_of=date(2026, 11, 15))  # November is open: October is the last month judged
    assert len(of_rule(result, "MGT-01")) == warning
    assert len(of_rule(result, "MGT-02")) == error
    if error:
        (f,) = of_rule(result, "MGT-02")
        assert f.importance == "error" and f"（{unpaid} 个月）" in f.message and "2026-10" in f.message


def _activist(kit: Kit, days: int) -> None:
    unit = kit.branch("B01", full=3)
    with kit.db.transaction("t") as s:
        number = kit.build.id_number(date(1998, 3, 3))
        rec = development.create_applicant(
            s, unit.branch.id, development.ApplicantInput("王小明", number, date(2025, 1, 2)), today=LATER
        )
        development.record_talk(s, rec.id, date(2025, 1, 15), today=LATER)
        development.make_activist(s, rec.id, date(2025, 2, 1), today=LATER)
        development.make_candidate(s, rec.id, date(2025, 2, 1) + timedelta(days=days), today=LATER)


@pytest.mark.parametrize(("days", "fires"), [(364, True), (365, False)])
def test_364_days_as_activist_fails_365_passes(kit: Kit, days: int, fires: bool) -> None:
    _activist(kit, days)
    result = kit.check("2026", as_of=TODAY)
    assert bool(of_rule(result, "DEV-03")) is fires
    assert not of_rule(kit.check("2025", as_of=TODAY), "DEV-03")  # judged in the year it happened


def test_conversion_warning_30_days_ahead_and_error_rule_when_overdue(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    with kit.db.transaction("t") as s:
        rec = development.create_applicant(
            s,
            unit.branch.id,
            development.ApplicantInput("李娜", kit.build.id_number(), date(2023, 1, 5)),
            today=LATER,
        )
        development.record_talk(s, rec.id, date(2023, 1, 20), today=LATER)
        development.make_activist(s, rec.id, date(2023, 3, 1), today=LATER)
        development.make_candidate(s, rec.id, date(2024, 3, 1), today=LATER)
        development.record_training(s, rec.id, 3, 24, today=LATER)
        ids = (unit.members[0].id, unit.members[1].id)
        development.admit(s, rec.id, date(2025, 12, 10), ids, today=LATER)
    assert of_rule(kit.check("2026", as_of=date(2026, 11, 9)), "DEV-05") == []
    assert len(of_rule(kit.check("2026", as_of=date(2026, 11, 10)), "DEV-05")) == 1
    late = kit.check("2026", as_of=date(2026, 12, 11))
    assert of_rule(late, "DEV-05") == [] and len(of_rule(late, "TEAM-01")) == 1


def test_six_months_without_organisational_life(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    kit.meeting(unit, "congress", date(2026, 4, 20), attendees=unit.members)
    kit.meeting(unit, "congress", date(2026, 5, 20), attendees=unit.members[1:])
    for month in range(6, 11):  # the branch meets every month; nobody comes from June on
        kit.meeting(unit, "theme_day", date(2026, month, 20), absent=3)
    result = kit.check("2026", as_of=date(2026, 11, 15))
    (err,) = of_rule(result, "MGT-04")
    assert unit.members[0].name in err.message and "6 个月" in err.message
    (warn,) = of_rule(result, "MGT-03")  # the others' run is 5 months (June–October): a warning
    assert "（5 个月）" in warn.message and unit.members[0].name not in warn.message
    kit_check = kit.check("2026", as_of=date(2026, 10, 15))
    assert of_rule(kit_check, "MGT-04") == [] and len(of_rule(kit_check, "MGT-03")) == 1


def test_yearly_hours_judged_once_the_year_ended(kit: Kit) -> None:
    unit = kit.branch("B01", full=2)
    with kit.db.transaction("t") as s:
        training.create_session(
            s,
            unit.branch.id,
            training.TrainingInput("学习", date(2025, 5, 1), 32 * 60, attendee_ids=[unit.members[0].id]),
            today=LATER,
        )
    assert of_rule(kit.check("2025", as_of=date(2025, 12, 31)), "EDU-02") == []
    (f,) = of_rule(kit.check("2025", as_of=date(2026, 1, 1)), "EDU-02")
    assert unit.members[1].name in f.message and unit.members[0].name not in f.message


def test_decisions_venue_and_rectification(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    bid = unit.branch.id
    with kit.db.transaction("t") as s:
        decisions.create_decision(s, bid, "道路硬化", date(2026, 3, 1), today=LATER)
        for item in ("site", "signs", "activity_room", "service_center", "office", "library", "notice_board"):
            venue.record_check(s, bid, item, date(2026, 5, 1), True, today=LATER)
        venue.record_check(s, bid, "square", date(2026, 5, 1), False, today=LATER)
        rectification.open_problem(
            s, bid, "台账不全", "缺签到表", date(2026, 5, 1), date(2026, 6, 30), today=LATER
        )
        rectification.flag_weak(s, bid, date(2026, 2, 1), "班子软弱", today=LATER)
    result = kit.check("2026", as_of=date(2026, 7, 1))
    assert "道路硬化" in of_rule(result, "SYS-03")[0].message
    assert "有室外活动广场（未达标）" in of_rule(result, "VEN-02")[0].message
    assert of_rule(result, "REC-01")[0].importance == "error"
    assert of_rule(result, "REC-02")
    assert of_rule(kit.check("2026", as_of=date(2026, 5, 29)), "SYS-03") == []  # within 90 days
    assert of_rule(kit.check("2026-06", as_of=date(2026, 6, 30)), "REC-01") == []  # deadline not passed


def test_unknown_pipeline_check_is_refused_with_its_name() -> None:
    text = (
        default_pack_path()
        .read_text(encoding="utf-8")
        .replace('check = "activist_year"', 'check = "activist_years"')
    )
    with pytest.raises(PackError) as err:
        parse_pack(text, "broken.toml")
    assert "DEV-03" in str(err.value) and "broken.toml" in str(err.value)
