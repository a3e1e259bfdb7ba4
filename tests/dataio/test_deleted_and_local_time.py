"""Deleted means gone from every count and view (and back on restore); stored UTC is shown local."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select, update

import main
from models import AuditEntry, Member
from services import attachments, audit, localtime, meetings, members, recycle
from services.db import Database
from services.excel.export import export_xlsx
from services.printing.booklet import build_meeting_form
from services.sync.exporter import _attachment_blobs
from tests.conftest import TODAY, Builder
from tests.printing import pdfcheck

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def beijing() -> Iterator[None]:
    """The clerk's computer runs on Beijing time (UTC+8)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


def _three_members_and_a_meeting(db: Database, build: Builder) -> tuple[str, list[str], str]:
    branch = build.branch("B01")
    ids = [build.member(branch.id, name).id for name in ("张三", "李四", "王五")]
    with db.transaction("t") as s:
        meeting = meetings.create_meeting(
            s,
            branch.id,
            meetings.MeetingInput(type="congress", held_on=date(2026, 10, 10), topics="学习党章"),
            today=TODAY,
        )
    return branch.id, ids, meeting.id


# --- 6. deleted but still counted -------------------------------------------------------------------


def test_member_in_the_recycle_bin_drops_out_of_the_meeting_and_comes_back_on_restore(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch_id, ids, meeting_id = _three_members_and_a_meeting(db, build)
    with db.transaction("t") as s:
        members.delete_member(s, ids[0])
    with db.reader() as s:
        assert len(members.roster(s, [branch_id])) == 2
        meeting = meetings.get_meeting(s, meeting_id)
        q = meetings.meeting_quorum(s, meeting)
        assert (q.expected, q.present) == (2, 2)  # the list says 2 and so does the meeting
        row = meetings.list_meetings(s, meetings.MeetingFilter([branch_id]))[0]
        assert (row.expected, row.present) == (2, 2)
        export_xlsx(s, "attendance", tmp_path / "att.xlsx")
        text = pdfcheck.compact("".join(pdfcheck.texts(build_meeting_form(s, meeting_id).data)))
    sheet = CalamineWorkbook.from_path(str(tmp_path / "att.xlsx")).get_sheet_by_name("出席情况").to_python()
    assert not any("张三" in [str(v) for v in r] for r in sheet)
    assert "张三" not in text and "李四" in text
    with db.transaction("t") as s:
        restored = recycle.restore(s, "member", ids[0])
    assert restored.also.get("attendance") == 1
    with db.reader() as s:
        q = meetings.meeting_quorum(s, meetings.get_meeting(s, meeting_id))
        assert (q.expected, q.present) == (3, 3)


def test_meeting_show_leaves_out_a_deleted_member(
    db: Database, db_path: Path, build: Builder, capsys: pytest.CaptureFixture[str]
) -> None:
    _branch_id, ids, meeting_id = _three_members_and_a_meeting(db, build)
    assert main.main(["--db", str(db_path), "member", "delete", ids[1]]) == 0
    capsys.readouterr()
    assert main.main(["--db", str(db_path), "meeting", "show", meeting_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [a["name"] for a in shown["attendance"]] == ["张三", "王五"]
    assert shown["quorum"].startswith("应到 2 人")


def test_deleted_meeting_photos_are_not_live_and_not_sent(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    _branch_id, _ids, meeting_id = _three_members_and_a_meeting(db, build)
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    with db.transaction("t") as s:
        att = attachments.store_file(s, "meeting", meeting_id, photo)
    with db.transaction("t") as s:
        meetings.delete_meeting(s, meeting_id)
    with db.reader() as s:
        assert attachments.list_attachments(s, "meeting", meeting_id) == []
        blobs, _missing = _attachment_blobs(s, 0, 10**9)
    assert att.sha256 not in blobs


def test_dependants_are_derived_from_the_models() -> None:
    from models import Attendance, FeeDue, Meeting

    member_children = {child for child, _col in recycle.dependent_links(Member)}
    assert {Attendance, FeeDue} <= member_children
    assert Meeting not in member_children  # a meeting does not depend on any one member
    assert Member not in {child for child, _col in recycle.dependent_links(Meeting)}


# --- 5. time ----------------------------------------------------------------------------------------


def test_audit_list_since_today_includes_the_local_morning(
    db: Database, db_path: Path, build: Builder, beijing: None, capsys: pytest.CaptureFixture[str]
) -> None:
    build.branch("B01")
    # 07:30 Beijing time today is 23:30 UTC yesterday.
    today = localtime.local_today()
    morning_utc = localtime.to_utc(
        datetime.combine(today, datetime.min.time()) + timedelta(hours=7, minutes=30)
    )
    with db.transaction("t") as s:
        s.execute(update(AuditEntry).values(at=morning_utc))
    capsys.readouterr()
    assert main.main(["--db", str(db_path), "audit", "list", "--since", today.isoformat()]) == 0
    out = capsys.readouterr().out
    assert f"{today.isoformat()} 07:30:00" in out
    assert main.main(["--db", str(db_path), "audit", "list", "--since", "today", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and rows[0]["at_local"] == f"{today.isoformat()} 07:30:00" and rows[0]["at"].endswith("Z")
    with db.reader() as s:
        yesterday = today - timedelta(days=1)
        assert audit.count_entries(s, audit.AuditFilter(until=yesterday)) == 0


def test_recycle_bin_shows_local_time(
    db: Database, db_path: Path, build: Builder, beijing: None, capsys: pytest.CaptureFixture[str]
) -> None:
    branch = build.branch("B01")
    member_id = build.member(branch.id, "张三").id
    with db.transaction("t") as s:
        members.delete_member(s, member_id)
        s.execute(
            update(Member).where(Member.id == member_id).values(deleted_at=datetime(2026, 11, 23, 23, 30))
        )
    capsys.readouterr()
    assert main.main(["--db", str(db_path), "recycle", "list"]) == 0
    assert "2026-11-24 07:30" in capsys.readouterr().out


def test_local_time_helpers_round_trip(beijing: None) -> None:
    stored = datetime(2026, 11, 23, 23, 30)
    assert localtime.show(stored) == "2026-11-24 07:30"
    assert localtime.to_utc(localtime.to_local(stored)) == stored
    start, end = localtime.day_range_utc(date(2026, 11, 24), date(2026, 11, 24))
    assert (start, end) == (datetime(2026, 11, 23, 16, 0), datetime(2026, 11, 24, 16, 0))
    assert localtime.show_iso("2026-11-23T23:30:00Z") == "2026-11-24 07:30"


def test_stored_timestamps_are_utc(db: Database, build: Builder, beijing: None) -> None:
    branch = build.branch("B01")
    build.member(branch.id, "张三")
    with db.reader() as s:
        stamp = s.scalars(select(Member.created_at)).one()
    assert abs((datetime.now(UTC).replace(tzinfo=None) - stamp).total_seconds()) < 120


def test_upgrade_puts_dependants_of_rows_deleted_earlier_in_the_bin(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from models import Attendance
    from services.db import alembic_config, migrate

    _branch_id, ids, meeting_id = _three_members_and_a_meeting(db, build)
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    with db.transaction("t") as s:
        attachments.store_file(s, "meeting", meeting_id, photo)
    # what an older version left behind: the member and the meeting deleted alone
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE member SET deleted = 1, deleted_at = '2026-11-01 08:00:00' WHERE id = :i"),
            {"i": ids[0]},
        )
    with db.engine.begin() as conn:
        config = alembic_config(conn)
        before = ScriptDirectory.from_config(config).get_revision("i19_deleted_dependants").down_revision
        command.downgrade(config, str(before))  # the schema just before this upgrade step
    migrate(db.engine, backup_dir=tmp_path / "backups")
    with db.reader() as s:
        q = meetings.meeting_quorum(s, meetings.get_meeting(s, meeting_id))
        assert (q.expected, q.present) == (2, 2)
        gone = s.scalars(select(Attendance).where(Attendance.member_id == ids[0])).one()
        assert gone.deleted and gone.deleted_at == datetime(2026, 11, 1, 8, 0)
    with db.transaction("t") as s:
        assert recycle.restore(s, "member", ids[0]).also == {"attendance": 1}
