"""Members' past party groups are kept: a member who moved to another group is still expected at the
old group's 党小组会 of before the move (back-filled ones included) and not at the new group's, and the
lapse check (党章第九条) counts the months through the group the member was in at the time."""

from __future__ import annotations

from datetime import date

import pytest

from models import Member
from services import fees, groups, meetings, members
from services.db import Database
from services.errors import ValidationError
from tests.conftest import TODAY, Builder


def _setup(db: Database, build: Builder) -> tuple[str, str, str, list[Member]]:
    branch = build.branch(members=0)
    people = [build.member(branch.id, name) for name in ("甲", "乙", "丙")]
    with db.transaction("t") as s:
        a = groups.create_group(s, branch.id, "一组", founded_on=date(2025, 1, 1), today=TODAY).id
        b = groups.create_group(s, branch.id, "二组", founded_on=date(2025, 1, 1), today=TODAY).id
        groups.assign_members(s, a, [p.id for p in people], today=TODAY)
    return branch.id, a, b, people


def _expected(db: Database, branch_id: str, group_id: str, day: date) -> list[str]:
    with db.reader() as s:
        return sorted(m.name for m in meetings.expected_attendees(s, branch_id, "group", day, group_id))


def test_a_moved_member_is_expected_at_the_old_groups_meetings_before_the_move_only(
    db: Database, build: Builder
) -> None:
    branch_id, a, b, (jia, *_rest) = _setup(db, build)
    with db.transaction("t") as s:
        assert groups.assign_members(s, b, [jia.id], on=date(2026, 9, 1), today=TODAY) == 1
    assert _expected(db, branch_id, a, date(2026, 5, 5)) == ["丙", "乙", "甲"]  # back-filled, before
    assert _expected(db, branch_id, a, date(2026, 10, 5)) == ["丙", "乙"]
    assert _expected(db, branch_id, b, date(2026, 5, 6)) == []
    assert _expected(db, branch_id, b, date(2026, 10, 6)) == ["甲"]
    assert _expected(db, branch_id, b, date(2026, 9, 1)) == ["甲"]  # in the new group from the move day


def test_a_member_never_moved_is_expected_at_back_filled_meetings_of_the_group(
    db: Database, build: Builder
) -> None:
    branch_id, a, _b, _people = _setup(db, build)
    assert _expected(db, branch_id, a, date(2025, 3, 5)) == ["丙", "乙", "甲"]


def test_a_move_made_in_the_member_form_keeps_the_old_group_for_the_past(
    db: Database, build: Builder
) -> None:
    branch_id, a, b, (jia, *_rest) = _setup(db, build)
    with db.transaction("t") as s:
        data = members.member_input(members.get_member(s, jia.id))
        data.party_group_id = b
        members.update_member(s, jia.id, data, today=TODAY)
    assert _expected(db, branch_id, a, date(2026, 5, 5)) == ["丙", "乙", "甲"]
    assert _expected(db, branch_id, b, TODAY) == ["甲"]


def test_a_dissolved_groups_past_meetings_still_expect_its_members(db: Database, build: Builder) -> None:
    branch_id, a, _b, _people = _setup(db, build)
    with db.transaction("t") as s:
        groups.dissolve_group(s, a, date(2026, 10, 1), today=TODAY)
    assert _expected(db, branch_id, a, date(2026, 8, 5)) == ["丙", "乙", "甲"]


def test_a_move_dated_in_the_future_or_before_the_last_move_is_refused(db: Database, build: Builder) -> None:
    _branch_id, a, b, (jia, *_rest) = _setup(db, build)
    with db.transaction("t") as s:
        groups.assign_members(s, b, [jia.id], on=date(2026, 9, 1), today=TODAY)
    for on, words in ((date(2026, 12, 1), "不能晚于今天"), (date(2026, 8, 1), "不能早于这一天")):
        with db.transaction("t") as s, pytest.raises(ValidationError) as exc:
            groups.assign_members(s, a, [jia.id], on=on, today=TODAY)
        assert exc.value.field == "on" and words in exc.value.message
    assert _expected(db, _branch_id, b, date(2026, 10, 6)) == ["甲"]  # nothing changed


def test_months_missed_in_the_old_group_count_towards_a_lapse_after_the_move(
    db: Database, build: Builder
) -> None:
    branch_id, a, b, (jia, *_rest) = _setup(db, build)
    with db.transaction("t") as s:
        for month in range(1, 9):  # 甲 attends in January–March, then stops
            day = date(2026, month, 5)
            people = meetings.expected_attendees(s, branch_id, "group", day, a)
            attendance = [
                meetings.AttendanceInput(p.id, "present" if p.id != jia.id or month <= 3 else "absent")
                for p in people
            ]
            data = meetings.MeetingInput("group", day, "学习", party_group_id=a, attendance=attendance)
            meetings.create_meeting(s, branch_id, data, today=TODAY)
        groups.assign_members(s, b, [jia.id], on=date(2026, 9, 1), today=TODAY)  # 二组 has never met
        for month in (9, 10, 11):
            data = meetings.MeetingInput("group", date(2026, month, 5), "学习", party_group_id=a)
            meetings.create_meeting(s, branch_id, data, today=TODAY)
    with db.reader() as s:
        runs = {r.name: (r.months, r.since) for r in fees.life_gap_runs(s, "2026-11", [branch_id])}
    assert runs == {"甲": (5, "2026-04")}  # April–August in 一组; not judged by 二组, which never met


def test_regrouping_on_the_day_the_groups_are_set_up_is_a_correction_not_a_move(
    db: Database, build: Builder
) -> None:
    branch = build.branch(members=0)
    jia = build.member(branch.id, "甲")
    today = date.today()  # the clerk's first day: the groups are entered and sorted out today
    with db.transaction("t") as s:
        a = groups.create_group(s, branch.id, "一组", founded_on=date(2025, 1, 1), today=today).id
        b = groups.create_group(s, branch.id, "二组", founded_on=date(2025, 1, 1), today=today).id
        groups.set_leader(s, a, jia.id, today=today)  # first made leader of 一组 …
    with db.transaction("t") as s:
        groups.assign_members(s, b, [jia.id], today=today)  # … then put in 二组, where 甲 has always been
    assert _expected(db, branch.id, a, date(2025, 6, 5)) == []
    assert _expected(db, branch.id, b, date(2025, 6, 5)) == ["甲"]


def test_a_dated_assignment_before_the_member_joined_the_branch_or_after_today_is_refused(
    db: Database, build: Builder
) -> None:
    branch_id, _a, b, _people = _setup(db, build)
    newcomer = build.member(branch_id, "丁", joined_on=date(2026, 3, 1))
    with db.transaction("t") as s:
        with pytest.raises(ValidationError) as early:
            groups.assign_members(s, b, [newcomer.id], on=date(2025, 3, 15), today=TODAY)
        with pytest.raises(ValidationError) as late:
            groups.assign_members(s, b, [newcomer.id], on=date(2027, 1, 4), today=TODAY)
    assert early.value.field == "on" and "2026-03-01" in early.value.message
    assert late.value.field == "on" and "晚于今天" in late.value.message
    with db.reader() as s:
        assert s.get(Member, newcomer.id).party_group_id is None  # type: ignore[union-attr]
    with db.transaction("t") as s:  # the day the member joined is lawful
        assert groups.assign_members(s, b, [newcomer.id], on=date(2026, 3, 1), today=TODAY) == 1
