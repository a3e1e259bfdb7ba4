"""Meetings: who should attend, quorum, bad dates and attendees refused with nothing written."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from models import Attendance, Meeting, Member
from services import meetings, members, org
from services.db import Database
from services.errors import ValidationError
from services.meetings import AttendanceInput as A
from tests.conftest import TODAY, Builder

DAY = date(2026, 6, 20)


def _data(
    kind: str = "congress", day: date = DAY, attendance: list[A] | None = None, **kw: object
) -> meetings.MeetingInput:
    return meetings.MeetingInput(type=kind, held_on=day, topics="学习党章", attendance=attendance, **kw)  # type: ignore[arg-type]


def _people(db: Database, branch_id: str) -> list[Member]:
    with db.reader() as s:
        return members.members_on(s, branch_id, DAY)


def _counts(db: Database) -> tuple[int, int]:
    with db.reader() as s:
        return (
            int(s.scalar(select(func.count()).select_from(Meeting)) or 0),
            int(s.scalar(select(func.count()).select_from(Attendance)) or 0),
        )


def _record(db: Database, branch_id: str, data: meetings.MeetingInput) -> meetings.Quorum:
    with db.transaction() as s:
        meeting = meetings.create_meeting(s, branch_id, data, today=TODAY)
        return meetings.meeting_quorum(s, meeting)


def test_exactly_half_of_voting_members_fails_more_than_half(db: Database, build: Builder) -> None:
    branch = build.branch(members=4)
    ids = [m.id for m in _people(db, branch.id)]
    att = [A(ids[0]), A(ids[1]), A(ids[2], "leave", "外出务工"), A(ids[3], "absent")]
    q = _record(db, branch.id, _data(attendance=att))
    assert (q.expected_voting, q.present_voting) == (4, 2)
    assert not q.met
    assert "不符合" in q.describe()


def test_one_more_than_half_meets_quorum(db: Database, build: Builder) -> None:
    branch = build.branch(members=4)
    ids = [m.id for m in _people(db, branch.id)]
    q = _record(db, branch.id, _data(attendance=[A(i) for i in ids[:3]] + [A(ids[3], "absent")]))
    assert q.met and q.present_voting == 3


def test_probationary_members_attend_but_do_not_count_as_voting(db: Database, build: Builder) -> None:
    branch = build.branch(members=5, probationary=2)
    people = _people(db, branch.id)
    full = [m.id for m in people if m.status == "full"]
    prob = [m.id for m in people if m.status == "probationary"]
    # 3 of 5 present, but only 1 of the 3 voting members: not quorate.
    att = [A(full[0]), A(full[1], "absent"), A(full[2], "leave", "生病住院"), A(prob[0]), A(prob[1])]
    q = _record(db, branch.id, _data(attendance=att))
    assert (q.expected, q.present, q.expected_voting, q.present_voting) == (5, 3, 3, 1)
    assert not q.met


def test_member_converted_after_the_meeting_did_not_vote_at_it(db: Database, build: Builder) -> None:
    branch = build.branch(members=3)
    ids = [m.id for m in _people(db, branch.id)]
    with db.transaction() as s:  # the third member became a full member only after the meeting
        late = s.get(Member, ids[2])
        assert late is not None
        late.full_member_on = date(2026, 9, 1)
    q = _record(db, branch.id, _data(attendance=[A(ids[0]), A(ids[1], "absent"), A(ids[2])]))
    assert (q.expected_voting, q.present_voting) == (2, 1)
    assert not q.met


def test_member_under_party_probation_does_not_vote(db: Database, build: Builder) -> None:
    branch = build.branch(members=3)
    people = _people(db, branch.id)
    with db.transaction() as s:
        data = members.member_input(people[0])
        data.discipline = "probation"
        members.update_member(s, people[0].id, data, today=TODAY)
    att = [A(people[0].id), A(people[1].id), A(people[2].id, "absent")]
    q = _record(db, branch.id, _data(attendance=att))
    assert (q.expected_voting, q.present_voting) == (2, 1)
    assert not q.met


def test_default_attendance_is_everyone_in_the_branch_that_day(db: Database, build: Builder) -> None:
    branch = build.branch(members=3)
    build.member(branch.id, "后来者", joined_on=date(2026, 8, 1))
    q = _record(db, branch.id, _data())
    assert q.expected == 3 and q.present == 3 and q.met


def test_committee_meeting_expects_the_committee_only(db: Database, build: Builder) -> None:
    branch = build.branch(members=8)
    people = _people(db, branch.id)
    with db.transaction() as s:
        for person, role in zip(people[:3], ("secretary", "organization", "propaganda"), strict=True):
            org.add_committee_seat(s, branch.id, person.id, role, date(2024, 1, 1))
        expected = meetings.expected_attendees(s, branch.id, "committee", DAY)
    assert {m.id for m in expected} == {p.id for p in people[:3]}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_data(day=date(1999, 12, 31)), "held_on", "早于支部成立日期（2000-01-01）"),
        (_data(day=date(2026, 11, 25)), "held_on", "不能晚于今天"),
        (_data(kind="lecture"), "lecturer", "党课须填写授课人"),
        (_data(kind="group"), "party_group_id", "党小组会须选择本支部的党小组"),
        (meetings.MeetingInput(type="congress", held_on=DAY, topics="  "), "topics", "请填写会议议题"),
        (_data(recorded_on=date(2026, 6, 1)), "recorded_on", "记录日期不能早于会议日期"),
        (_data(kind="banquet"), "type", "未知的会议类型"),
    ],
)
def test_bad_meeting_is_refused_and_nothing_written(
    db: Database, build: Builder, data: meetings.MeetingInput, field: str, message: str
) -> None:
    branch = build.branch(members=3)
    with pytest.raises(ValidationError, match=message) as err, db.transaction() as s:
        meetings.create_meeting(s, branch.id, data, today=TODAY)
    assert err.value.field == field
    assert _counts(db) == (0, 0)


def test_attendee_who_joined_later_is_refused_by_name(db: Database, build: Builder) -> None:
    branch = build.branch(members=3)
    newcomer = build.member(branch.id, "赵新来", joined_on=date(2026, 9, 1))
    att = [A(m.id) for m in _people(db, branch.id)] + [A(newcomer.id)]
    with (
        pytest.raises(ValidationError, match="第 4 行：赵新来 在 2026-06-20 不是本支部党员"),
        db.transaction() as s,
    ):
        meetings.create_meeting(s, branch.id, _data(attendance=att), today=TODAY)
    assert _counts(db) == (0, 0)


def test_attendee_transferred_out_before_the_meeting_is_refused(db: Database, build: Builder) -> None:
    branch = build.branch(members=3)
    gone = build.member(branch.id, "钱已走")
    with db.transaction() as s:
        members.set_member_state(s, gone.id, "transferred_out", date(2026, 5, 1))
    att = [A(m.id) for m in _people(db, branch.id)] + [A(gone.id)]
    with pytest.raises(ValidationError, match="钱已走 在 2026-06-20 不是本支部党员"), db.transaction() as s:
        meetings.create_meeting(s, branch.id, _data(attendance=att), today=TODAY)
    assert _counts(db) == (0, 0)


def test_member_of_another_branch_may_only_be_an_observer(db: Database, build: Builder) -> None:
    branch = build.branch("B01", members=3)
    other = build.branch("B02", "二村党支部", members=1)
    guest = _people(db, other.id)[0]
    att = [A(m.id) for m in _people(db, branch.id)]
    with pytest.raises(ValidationError, match="可登记为列席"), db.transaction() as s:
        meetings.create_meeting(s, branch.id, _data(attendance=[*att, A(guest.id)]), today=TODAY)
    q = _record(db, branch.id, _data(attendance=[*att, A(guest.id, "observer")]))
    assert q.expected == 3 and q.met


def test_leave_without_reason_is_refused(db: Database, build: Builder) -> None:
    branch = build.branch(members=3)
    ids = [m.id for m in _people(db, branch.id)]
    att = [A(ids[0]), A(ids[1]), A(ids[2], "leave", "  ")]
    with pytest.raises(ValidationError, match="第 3 行：党员B0102请假须填写原因"), db.transaction() as s:
        meetings.create_meeting(s, branch.id, _data(attendance=att), today=TODAY)
    assert _counts(db) == (0, 0)


def test_same_member_twice_is_refused(db: Database, build: Builder) -> None:
    branch = build.branch(members=2)
    ids = [m.id for m in _people(db, branch.id)]
    with pytest.raises(ValidationError, match="重复登记"), db.transaction() as s:
        meetings.create_meeting(
            s, branch.id, _data(attendance=[A(ids[0]), A(ids[1]), A(ids[0])]), today=TODAY
        )
    assert _counts(db) == (0, 0)


def test_delete_hides_meeting_and_attendance_but_keeps_rows(db: Database, build: Builder) -> None:
    branch = build.branch(members=3)
    with db.transaction() as s:
        meeting_id = meetings.create_meeting(s, branch.id, _data(), today=TODAY).id
    with db.transaction() as s:
        meetings.delete_meeting(s, meeting_id)
    with db.reader() as s:
        assert meetings.list_meetings(s, meetings.MeetingFilter(branch_ids=[branch.id])) == []
        assert s.scalar(select(func.count()).select_from(Attendance).where(Attendance.deleted.is_(True))) == 3
    assert _counts(db) == (1, 3)


def test_list_counts_present_and_expected(db: Database, build: Builder) -> None:
    branch = build.branch(members=3)
    ids = [m.id for m in _people(db, branch.id)]
    _record(db, branch.id, _data(attendance=[A(ids[0]), A(ids[1]), A(ids[2], "leave", "农忙")]))
    with db.reader() as s:
        (row,) = meetings.list_meetings(s, meetings.MeetingFilter(year=2026, types=["congress"]))
    assert (row.present, row.expected, row.type_label) == (2, 3, "支部党员大会")
