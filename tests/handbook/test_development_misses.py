"""Development misses (发展党员): admission and conversion with no 支部党员大会 on record, conversion
before the probation ends, no 政治审查 before admission, 公示 shorter than 5 working days, no 上级党委
approval within 3 months, no 入党宣誓; the 转正日期 is the end of probation, not the meeting's date."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models import DevelopmentRecord, Member
from services import development, meetings
from services.errors import ValidationError
from services.meetings import MeetingInput
from services.workdays import WorkingDays, covered_years, working_days
from tests.handbook.conftest import LATER, Kit, Unit, of_rule

ADMITTED = date(2025, 6, 3)  # a Tuesday


def _candidate(kit: Kit, unit: Unit, *, review: date | None = date(2025, 3, 1)) -> str:
    with kit.db.transaction("t") as s:
        rec = development.create_applicant(
            s,
            unit.branch.id,
            development.ApplicantInput("李发展", kit.build.id_number(), date(2023, 1, 5)),
            today=LATER,
        )
        development.record_talk(s, rec.id, date(2023, 1, 20), today=LATER)
        development.make_activist(s, rec.id, date(2023, 3, 1), today=LATER)
        development.make_candidate(s, rec.id, date(2025, 2, 1), today=LATER)
        development.record_training(s, rec.id, 3, 24, review, today=LATER)
        return rec.id


def _admit(
    kit: Kit, unit: Unit, rid: str, *, publicity: tuple[date, date] | None, meeting: bool = True
) -> None:
    if meeting:
        kit.meeting(unit, "congress", ADMITTED)
    with kit.db.transaction("t") as s:
        if publicity:
            development.record_publicity(s, rid, *publicity, today=LATER)
        development.admit(s, rid, ADMITTED, (unit.members[0].id, unit.members[1].id), today=LATER)


def _codes(kit: Kit, period: str, as_of: date) -> dict[str, list[str]]:
    result = kit.check(period, as_of)
    rules = ("DEV-07", "DEV-08", "DEV-09", "DEV-10", "DEV-11", "DEV-12", "DEV-13")
    return {r: [f.branch_code for f in of_rule(result, r)] for r in rules if of_rule(result, r)}


def test_a_complete_file_raises_nothing(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    rid = _candidate(kit, unit)
    _admit(kit, unit, rid, publicity=(date(2025, 5, 19), date(2025, 5, 23)))  # Mon–Fri: 5 working days
    with kit.db.transaction("t") as s:
        development.record_approval(s, rid, date(2025, 8, 1), today=LATER)
        development.record_oath(s, rid, date(2025, 8, 10), today=LATER)
    assert _codes(kit, "2025", date(2026, 1, 5)) == {}


def test_each_missing_step_is_reported(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    rid = _candidate(kit, unit, review=None)
    # 公示 Tuesday to Friday: 4 working days; no 党员大会 that day; no approval within 3 months.
    _admit(kit, unit, rid, publicity=(date(2025, 5, 20), date(2025, 5, 23)), meeting=False)
    found = kit.check("2025", date(2026, 1, 5))
    assert [f.branch_code for f in of_rule(found, "DEV-07")] == ["B01"]
    assert "不足 5 个工作日" in of_rule(found, "DEV-08")[0].message
    assert "没有当天的支部党员大会记录" in of_rule(found, "DEV-10")[0].message
    assert "3 个月内没有上级党委审批记录" in of_rule(found, "DEV-12")[0].message
    assert of_rule(found, "DEV-13") == []  # no approval yet, so no oath is expected


def test_approval_within_three_months_boundary(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    rid = _candidate(kit, unit)
    _admit(kit, unit, rid, publicity=(date(2025, 5, 19), date(2025, 5, 23)))
    assert "DEV-12" not in _codes(kit, "2025", date(2025, 9, 3))  # exactly three months: still in time
    assert _codes(kit, "2025", date(2025, 9, 4))["DEV-12"] == ["B01"]
    with kit.db.transaction("t") as s:
        development.record_approval(s, rid, date(2025, 9, 3), today=LATER)
    assert "DEV-12" not in _codes(kit, "2025", date(2026, 1, 5))
    # approved but no oath for more than three months: an info
    assert _codes(kit, "2025", date(2026, 1, 5))["DEV-13"] == ["B01"]


def test_conversion_before_probation_ends_and_without_meeting(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    rid = _candidate(kit, unit)
    _admit(kit, unit, rid, publicity=(date(2025, 5, 19), date(2025, 5, 23)))
    with kit.db.transaction("t") as s:
        development.record_approval(s, rid, date(2025, 7, 1), today=LATER)
        development.record_oath(s, rid, date(2025, 7, 10), today=LATER)
        development.convert(s, rid, date(2026, 5, 20), today=LATER)  # probation ends 2026-06-03
    codes = _codes(kit, "2026", date(2027, 1, 5))
    assert codes == {"DEV-09": ["B01"], "DEV-11": ["B01"]}
    with kit.db.reader() as s:
        record = s.scalar(select(DevelopmentRecord))
        assert record is not None
        member = s.get(Member, record.member_id)
        # 转正日期 (party age counts from it) is the end of probation; the meeting keeps its own date.
        assert member is not None and member.full_member_on == date(2026, 6, 3)
        assert record.converted_on == date(2026, 5, 20)


def test_conversion_at_a_congress_after_probation_is_clean(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    rid = _candidate(kit, unit)
    _admit(kit, unit, rid, publicity=(date(2025, 5, 19), date(2025, 5, 23)))
    meeting = kit.meeting(unit, "congress", date(2026, 6, 10))
    with kit.db.transaction("t") as s:
        development.record_approval(s, rid, date(2025, 7, 1), today=LATER)
        development.record_oath(s, rid, date(2025, 7, 10), today=LATER)
        development.convert(s, rid, date(2026, 6, 10), today=LATER, meeting_id=meeting)
    assert _codes(kit, "2026", date(2027, 1, 5)) == {}


def test_bad_publicity_and_conversion_meeting_are_refused(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    rid = _candidate(kit, unit)
    with pytest.raises(ValidationError) as err, kit.db.transaction("t") as s:
        development.record_publicity(s, rid, date(2025, 5, 23), date(2025, 5, 19), today=LATER)
    assert err.value.field == "publicity_to"
    _admit(kit, unit, rid, publicity=(date(2025, 5, 19), date(2025, 5, 23)))
    other_day = kit.meeting(unit, "congress", date(2026, 6, 10))
    with pytest.raises(ValidationError) as err, kit.db.transaction("t") as s:
        development.convert(s, rid, date(2026, 6, 12), today=LATER, meeting_id=other_day)
    assert err.value.field == "converted_on" and "2026-06-10" in err.value.message
    with kit.db.reader() as s:
        assert s.get(DevelopmentRecord, rid).converted_on is None  # type: ignore[union-attr]


def test_working_days_follow_the_state_council_holiday_calendar() -> None:
    assert working_days(date(2025, 5, 19), date(2025, 5, 23)) == WorkingDays(5, True, 5)
    assert working_days(date(2025, 5, 20), date(2025, 5, 26)).count == 5  # over a weekend
    assert working_days(date(2025, 5, 24), date(2025, 5, 25)).count == 0
    # 2025 国庆节、中秋节: 10月1日–8日 off, Saturday 10月11日 worked (国办发明电〔2024〕12号)
    assert working_days(date(2025, 9, 29), date(2025, 10, 10)).count == 4  # 9-29, 9-30, 10-9, 10-10
    assert working_days(date(2025, 10, 9), date(2025, 10, 14)).count == 5  # the worked Saturday counts
    assert working_days(date(2025, 5, 23), date(2025, 5, 19)).count == 0


def test_working_days_beyond_the_calendar_are_marked_unknown_with_a_safe_upper_bound() -> None:
    first, last = covered_years()
    assert first <= 2025 <= last
    beyond = last + 1
    start = date(beyond, 3, 1)
    while start.weekday() != 3:  # a Thursday
        start = date(beyond, 3, start.day + 1)
    days = working_days(start, date(beyond, 3, start.day + 4))  # Thursday to Monday
    assert (days.count, days.known, days.at_most, days.missing_years) == (3, False, 5, (beyond,))
    assert "按周一至周五计 3 个工作日" in days.describe() and f"{beyond} 年" in days.describe()


def _admit_after_publicity(kit: Kit, unit: Unit, rid: str, start: date, end: date, on: date) -> None:
    """公示 ``start``–``end``, then the 党员大会 admits on ``on`` (all recorded as of the year after)."""
    today = date(on.year + 1, 12, 31)
    with kit.db.transaction("t") as s:
        meetings.create_meeting(s, unit.branch.id, MeetingInput("congress", on, "接收预备党员"), today=today)
        development.record_publicity(s, rid, start, end, today=today)
        development.admit(s, rid, on, (unit.members[0].id, unit.members[1].id), today=today)


def _publicity_issue(kit: Kit, rid: str, as_of: date) -> development.PipelineIssue | None:
    with kit.db.reader() as s:
        record = s.get(DevelopmentRecord, rid)
        assert record is not None
        issues = development.pipeline_issues([record], as_of)
    return next((i for i in issues if i.code == "publicity"), None)


def test_publicity_over_a_holiday_is_short(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    rid = _candidate(kit, unit)
    # Monday 9-29 to Friday 10-10: ten weekdays, four worked (国庆节、中秋节 10月1日–8日)
    _admit_after_publicity(kit, unit, rid, date(2025, 9, 29), date(2025, 10, 10), date(2025, 10, 20))
    found = of_rule(kit.check("2025", date(2026, 1, 5)), "DEV-08")
    assert [f.branch_code for f in found] == ["B01"]
    assert "4 个工作日" in found[0].message and "不足 5 个工作日" in found[0].message


def test_publicity_over_a_worked_saturday_is_long_enough(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    rid = _candidate(kit, unit)
    # Thursday 10-9 to Tuesday 10-14: four weekdays and Saturday 10-11, a 调休 working day
    _admit_after_publicity(kit, unit, rid, date(2025, 10, 9), date(2025, 10, 14), date(2025, 10, 20))
    assert of_rule(kit.check("2025", date(2026, 1, 5)), "DEV-08") == []


def _thursday_beyond_calendar() -> date:
    day = date(covered_years()[1] + 1, 3, 1)
    while day.weekday() != 3:
        day = date(day.year, 3, day.day + 1)
    return day


def test_publicity_beyond_the_calendar_is_a_hint_not_a_finding(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    rid = _candidate(kit, unit)
    thursday = _thursday_beyond_calendar()
    # Thursday to Monday: three weekdays, five if that weekend was 调休 — unknown, so never a finding
    end, on = date(thursday.year, 3, thursday.day + 4), date(thursday.year, 3, 25)
    _admit_after_publicity(kit, unit, rid, thursday, end, on)
    assert of_rule(kit.check(str(thursday.year), date(thursday.year + 1, 1, 5)), "DEV-08") == []
    hint = _publicity_issue(kit, rid, date(thursday.year + 1, 1, 5))
    assert hint is not None and hint.level == "info" and "请人工核对" in hint.message


def test_publicity_beyond_the_calendar_shorter_than_five_days_on_any_reading_is_a_finding(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    rid = _candidate(kit, unit)
    thursday = _thursday_beyond_calendar()
    end, on = date(thursday.year, 3, thursday.day + 2), date(thursday.year, 3, 25)  # 3 calendar days
    _admit_after_publicity(kit, unit, rid, thursday, end, on)
    found = of_rule(kit.check(str(thursday.year), date(thursday.year + 1, 1, 5)), "DEV-08")
    assert [f.branch_code for f in found] == ["B01"]
