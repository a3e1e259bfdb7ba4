"""回收站: lists soft-deleted records of every tracked table and restores them with their children."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from models import Attendance, Base, Member, Tracked
from services import attachments, meetings, members, recycle
from services.db import Database
from services.errors import ValidationError
from tests.conftest import Builder

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_every_tracked_model_is_covered_without_a_hand_written_list() -> None:
    expected = {
        m.local_table.name  # type: ignore[attr-defined]
        for m in Base.registry.mappers
        if issubclass(m.class_, Tracked)
    }
    assert set(recycle.tracked_models()) == expected
    assert {"member", "meeting", "attendance", "attachment"} <= expected


def test_deleted_meeting_comes_back_with_its_attendance_and_photo(
    db: Database, branch_with_meeting: tuple[str, str], tmp_path: Path
) -> None:
    _branch, meeting_id = branch_with_meeting
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    with db.transaction("x") as s:
        attachment_id = attachments.store_file(s, "meeting", meeting_id, photo).id
    with db.transaction("x") as s:
        meetings.delete_meeting(s, meeting_id)
    with db.reader() as s:
        # the photo went to the bin with its meeting: not live, not listed, not sent
        assert attachments.list_attachments(s, "meeting", meeting_id) == []
        rows = recycle.list_deleted(s)
    # one line for the meeting; its attendance and photo are not listed separately
    assert [(r.table, r.id) for r in rows] == [("meeting", meeting_id)]
    assert rows[0].table_label == "会议记录" and rows[0].title == "学习党章"
    with db.transaction("x") as s:
        result = recycle.restore(s, "meeting", meeting_id)
    assert result.also == {"attendance": 4, "attachment": 1}
    assert "会议出席 4 条" in result.describe()
    with db.reader() as s:
        meeting = meetings.get_meeting(s, meeting_id)
        assert len([a for a in meeting.attendance if not a.deleted]) == 4
        assert [a.id for a in attachments.list_attachments(s, "meeting", meeting_id)] == [attachment_id]
        assert recycle.list_deleted(s) == []


def test_attendance_removed_earlier_stays_in_the_bin(
    db: Database, branch_with_meeting: tuple[str, str]
) -> None:
    _branch, meeting_id = branch_with_meeting
    with db.transaction("x") as s:
        row = s.scalars(select(Attendance).where(Attendance.meeting_id == meeting_id)).first()
        assert row is not None
        row.deleted = True
        row.deleted_at = row.created_at.replace(year=2020)  # removed by an edit long ago
        removed = row.id
    with db.transaction("x") as s:
        meetings.delete_meeting(s, meeting_id)
    with db.transaction("x") as s:
        assert recycle.restore(s, "meeting", meeting_id).also == {"attendance": 3}
    with db.reader() as s:
        assert s.get(Attendance, removed).deleted is True  # type: ignore[union-attr]
        assert [r.id for r in recycle.list_deleted(s, "attendance")] == [removed]


def test_a_row_whose_parent_is_in_the_bin_cannot_come_back_alone(
    db: Database, branch_with_meeting: tuple[str, str]
) -> None:
    _branch, meeting_id = branch_with_meeting
    with db.transaction("x") as s:
        meetings.delete_meeting(s, meeting_id)
        attendance_id = s.scalars(select(Attendance.id).where(Attendance.meeting_id == meeting_id)).first()
    with pytest.raises(ValidationError, match="请先恢复"), db.transaction("x") as s:
        recycle.restore(s, "attendance", str(attendance_id))


def test_bad_requests_say_what_is_wrong(db: Database, build: Builder) -> None:
    build.branch(members=1)
    with db.reader() as s:
        member_id = s.scalars(select(Member.id)).one()
    with pytest.raises(ValidationError, match="没有被删除"), db.transaction("x") as s:
        recycle.restore(s, "member", member_id)
    with pytest.raises(ValidationError, match="没有名为"), db.transaction("x") as s:
        recycle.restore(s, "no_such_table", member_id)


def test_cli_recycle_list_and_restore(
    db: Database, db_path: Path, build: Builder, capsys: pytest.CaptureFixture[str]
) -> None:
    from main import main

    build.branch(members=1)
    with db.transaction("x") as s:
        member = s.scalars(select(Member)).one()
        members.delete_member(s, member.id)
    assert main(["--db", str(db_path), "recycle", "list"]) == 0
    assert member.name in capsys.readouterr().out
    assert main(["--db", str(db_path), "recycle", "restore", "member", member.id]) == 0
    assert "已恢复党员" in capsys.readouterr().out
    with db.reader() as s:
        assert s.get(Member, member.id).deleted is False  # type: ignore[union-attr]
