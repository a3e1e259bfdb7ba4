"""发展党员 pipeline: steps in order, the 细则's timing rules at their boundaries, member creation."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models import DevelopmentRecord, Member
from services import development as dev
from services.errors import ValidationError
from tests.conftest import TODAY, Builder


def _applicant(
    build: Builder, branch_id: str, applied: date = date(2023, 3, 1), birth: date = date(2000, 1, 1)
) -> str:
    with build.db.transaction("t") as s:
        data = dev.ApplicantInput(name="王小明", id_number=build.id_number(birth), applied_on=applied)
        return dev.create_applicant(s, branch_id, data, today=TODAY).id


def _issues(build: Builder, today: date = TODAY) -> dict[str, str]:
    with build.db.reader() as s:
        records = list(s.scalars(select(DevelopmentRecord)))
        return {i.code: i.level for i in dev.pipeline_issues(records, today)}


def test_applicant_under_18_is_refused_and_nothing_written(build: Builder) -> None:
    branch = build.branch()
    with pytest.raises(ValidationError) as err, build.db.transaction("t") as s:
        data = dev.ApplicantInput("李娜", build.id_number(date(2006, 6, 1)), applied_on=date(2024, 5, 31))
        dev.create_applicant(s, branch.id, data, today=TODAY)
    assert err.value.field == "applied_on" and "十八岁" in err.value.message
    with build.db.reader() as s:
        assert s.scalar(select(DevelopmentRecord.id)) is None


@pytest.mark.parametrize(
    ("candidate_on", "fires"),
    # A calendar year, not 365 days: 2024 is a leap year, so 365 days after 2023-04-01 is 2024-03-31.
    [(date(2024, 3, 31), True), (date(2024, 4, 1), False)],
)
def test_activist_needs_a_full_calendar_year(build: Builder, candidate_on: date, fires: bool) -> None:
    branch = build.branch()
    rid = _applicant(build, branch.id)
    with build.db.transaction("t") as s:
        dev.record_talk(s, rid, date(2023, 3, 10), today=TODAY)
        dev.make_activist(s, rid, date(2023, 4, 1), today=TODAY)
        dev.make_candidate(s, rid, candidate_on, today=TODAY)
    assert ("activist_year" in _issues(build)) is fires


def test_talk_later_than_one_month_is_flagged(build: Builder) -> None:
    branch = build.branch()
    rid = _applicant(build, branch.id, applied=date(2026, 1, 31))
    assert _issues(build, date(2026, 2, 28)) == {}  # one month after 1-31 is 2-28: not yet late
    assert _issues(build, date(2026, 3, 1))["talk"] == "error"
    with build.db.transaction("t") as s:
        dev.record_talk(s, rid, date(2026, 3, 2), today=TODAY)
    assert _issues(build)["talk"] == "warning"


def _to_candidate(build: Builder, branch_id: str) -> str:
    rid = _applicant(build, branch_id, applied=date(2022, 1, 5))
    with build.db.transaction("t") as s:
        dev.record_talk(s, rid, date(2022, 1, 20), today=TODAY)
        dev.make_activist(s, rid, date(2022, 3, 1), today=TODAY)
        dev.make_candidate(s, rid, date(2023, 3, 1), today=TODAY)
    return rid


def test_admission_creates_probationary_member_and_needs_two_full_introducers(build: Builder) -> None:
    branch = build.branch(members=3, probationary=1)
    rid = _to_candidate(build, branch.id)
    with build.db.reader() as s:
        people = list(s.scalars(select(Member).order_by(Member.name)))
    probationary = next(m for m in people if m.status == "probationary")
    full = [m for m in people if m.status == "full"]
    with pytest.raises(ValidationError, match="正式党员"), build.db.transaction("t") as s:
        dev.record_training(s, rid, days=3, hours=24, today=TODAY)
        dev.admit(s, rid, date(2024, 6, 1), (full[0].id, probationary.id), today=TODAY)
    with build.db.reader() as s:  # the failed admission wrote nothing, training included
        assert s.get(DevelopmentRecord, rid).training_days == 0  # type: ignore[union-attr]
    with build.db.transaction("t") as s:
        dev.record_training(s, rid, days=3, hours=24, today=TODAY)
        member = dev.admit(s, rid, date(2024, 6, 1), (full[0].id, full[1].id), today=TODAY)
        assert member.status == "probationary" and member.joined_on == date(2024, 6, 1)
    with build.db.reader() as s:
        assert s.get(DevelopmentRecord, rid).stage == "probationary"  # type: ignore[union-attr]


def test_conversion_warns_30_days_ahead_and_errors_when_overdue(build: Builder) -> None:
    branch = build.branch(members=2)
    rid = _to_candidate(build, branch.id)
    with build.db.reader() as s:
        a, b = (m.id for m in s.scalars(select(Member)))
    with build.db.transaction("t") as s:
        dev.record_training(s, rid, days=0, hours=24, today=TODAY)
        dev.admit(s, rid, date(2025, 6, 1), (a, b), today=TODAY)
    assert "conversion" not in _issues(build, date(2026, 5, 1))
    assert _issues(build, date(2026, 5, 2))["conversion"] == "warning"
    assert _issues(build, date(2026, 6, 1))["conversion"] == "warning"
    assert _issues(build, date(2026, 6, 2))["conversion"] == "error"
    with build.db.transaction("t") as s:
        dev.extend_probation(s, rid, 6)
    assert "conversion" not in _issues(build, date(2026, 6, 2))
    with pytest.raises(ValidationError, match="只能延长一次"), build.db.transaction("t") as s:
        dev.extend_probation(s, rid, 6)
    with build.db.transaction("t") as s:
        dev.convert(s, rid, date(2026, 11, 1), today=TODAY)
    with build.db.reader() as s:
        record = s.get(DevelopmentRecord, rid)
        member = s.get(Member, record.member_id)  # type: ignore[union-attr]
        # 转正日期 is the end of the (extended) probation, not the date of the meeting
        assert member is not None and member.status == "full" and member.full_member_on == date(2026, 12, 1)
        assert record is not None and record.converted_on == date(2026, 11, 1)


def test_training_short_of_three_days_and_24_hours_is_an_error(build: Builder) -> None:
    branch = build.branch(members=2)
    rid = _to_candidate(build, branch.id)
    with build.db.reader() as s:
        a, b = (m.id for m in s.scalars(select(Member)))
    with build.db.transaction("t") as s:
        dev.record_training(s, rid, days=2, hours=23, today=TODAY)
        dev.admit(s, rid, date(2025, 6, 1), (a, b), today=TODAY)
    assert _issues(build)["training"] == "error"


def test_steps_out_of_order_are_refused(build: Builder) -> None:
    branch = build.branch()
    rid = _applicant(build, branch.id)
    with pytest.raises(ValidationError, match="不能进行这一步"), build.db.transaction("t") as s:
        dev.make_candidate(s, rid, date(2024, 1, 1), today=TODAY)
    with pytest.raises(ValidationError, match="早于申请日期"), build.db.transaction("t") as s:
        dev.make_activist(s, rid, date(2023, 2, 1), today=TODAY)


def test_pipeline_counts_by_branch(build: Builder) -> None:
    b1 = build.branch("B01")
    b2 = build.branch("B02", "二村党支部")
    _applicant(build, b1.id)
    _to_candidate(build, b2.id)
    with build.db.reader() as s:
        counts = dev.pipeline_by_branch(s)
    assert counts == {b1.id: {"applicant": 1}, b2.id: {"candidate": 1}}
