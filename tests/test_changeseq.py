"""The per-database change sequence: every insert, update and soft delete gets the next number."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from models import Attendance, Branch, Member, Township
from services import groups, meetings, members
from services.db import Database, current_seq
from services.errors import DatabaseError, ValidationError
from tests.conftest import TODAY, Builder


def _seq(db: Database, model: type[Any], row_id: str) -> int:
    with db.reader() as s:
        return int(s.get(model, row_id).row_seq)


def test_numbers_strictly_increase_across_tables_and_operations(db: Database, build: Builder) -> None:
    township_id = build.township()
    t = _seq(db, Township, township_id)
    branch = build.branch()
    b = _seq(db, Branch, branch.id)
    member = build.member(branch.id, "甲")
    m1 = _seq(db, Member, member.id)
    with db.transaction() as s:
        data = members.member_input(s.get(Member, member.id))  # type: ignore[arg-type]
        data.phone = "13800000000"
        members.update_member(s, member.id, data, today=TODAY)
    m2 = _seq(db, Member, member.id)
    with db.transaction() as s:
        meeting = meetings.create_meeting(
            s, branch.id, meetings.MeetingInput("theme_day", date(2026, 7, 1), "重温入党誓词"), today=TODAY
        )
        meeting_seq = meeting.row_seq
        att_seq = [a.row_seq for a in meeting.attendance]
    with db.transaction() as s:
        members.delete_member(s, member.id)
    m3 = _seq(db, Member, member.id)
    assert t < b < m1 < m2 < min(meeting_seq, *att_seq)
    assert max(meeting_seq, *att_seq) < m3
    with db.reader() as s:
        # The member's attendance went to the recycle bin with them (a change of its own).
        cascaded = s.scalars(select(Attendance.row_seq).where(Attendance.member_id == member.id)).all()
        assert cascaded and min(cascaded) > max(att_seq)
        assert current_seq(s) == max(m3, *cascaded)


def test_numbers_in_one_flush_are_distinct_and_gap_free(db: Database, build: Builder) -> None:
    branch = build.branch(members=4)
    with db.transaction() as s:
        before = current_seq(s)
        meeting = meetings.create_meeting(
            s, branch.id, meetings.MeetingInput("congress", date(2026, 7, 1), "换届"), today=TODAY
        )
        seqs = sorted([meeting.row_seq] + [a.row_seq for a in meeting.attendance])
    assert seqs == list(range(before + 1, before + 6))


def test_unchanged_row_keeps_its_number(db: Database, build: Builder) -> None:
    branch = build.branch()
    before = _seq(db, Branch, branch.id)
    with db.transaction() as s:
        s.get(Branch, branch.id)
    assert _seq(db, Branch, branch.id) == before


def test_failed_transaction_uses_no_numbers(db: Database, build: Builder) -> None:
    branch = build.branch(members=1)
    with db.reader() as s:
        before = current_seq(s)
    with pytest.raises(ValidationError), db.transaction() as s:
        groups.create_group(s, branch.id, "第一党小组")
        groups.create_group(s, branch.id, " ")
    with db.reader() as s:
        assert current_seq(s) == before


def test_hard_delete_is_refused_and_the_row_stays(db: Database, build: Builder) -> None:
    branch = build.branch(members=1)
    with db.reader() as s:
        member_id = s.scalars(select(Member.id)).one()
    with pytest.raises(DatabaseError, match="只能移入回收站"), db.transaction() as s:
        s.delete(s.get(Member, member_id))
        s.flush()
    with db.reader() as s:
        assert s.get(Member, member_id) is not None
        assert not s.get(Member, member_id).deleted  # type: ignore[union-attr]
    assert _seq(db, Branch, branch.id) > 0


def test_soft_deleted_attendance_gets_a_new_number(db: Database, build: Builder) -> None:
    branch = build.branch(members=2)
    with db.transaction() as s:
        meeting = meetings.create_meeting(
            s, branch.id, meetings.MeetingInput("congress", date(2026, 7, 1), "学习"), today=TODAY
        )
        meeting_id = meeting.id
        first = {a.member_id: a.row_seq for a in meeting.attendance}
    keep = next(iter(first))
    with db.transaction() as s:
        data = meetings.MeetingInput(
            "congress", date(2026, 7, 1), "学习", attendance=[meetings.AttendanceInput(keep)]
        )
        meetings.update_meeting(s, meeting_id, data, today=TODAY)
    with db.reader() as s:
        rows = {
            a.member_id: a for a in s.scalars(select(Attendance).where(Attendance.meeting_id == meeting_id))
        }
    dropped = next(k for k in first if k != keep)
    assert rows[dropped].deleted and rows[dropped].row_seq > first[dropped]
