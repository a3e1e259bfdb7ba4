"""The facts the checks read travel through a sync package: exemptions, a meeting's other kinds and its
补录 date of record, 谈心谈话, 民主评议 grades and 流动党员 contacts arrive identical."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import select

from models import Branch, CommitteeSeat, Meeting, Member
from models.enums import MemberState, MemberStatus
from services import exemptions, meetings, talks, transfers
from services.db import Database
from services.sync.receiver import import_package
from tests.sync.conftest import TODAY, Town, content

TABLES = ("member_exemption", "heart_talk", "appraisal_grade", "flow_contact", "meeting")


def _record(town: Town) -> str:
    with town.db.transaction("clerk") as s:
        seat = s.scalars(
            select(CommitteeSeat).where(CommitteeSeat.end_on.is_(None)).order_by(CommitteeSeat.id)
        ).first()
        assert seat is not None
        branch = s.get(Branch, seat.branch_id)
        assert branch is not None
        people = list(
            s.scalars(
                select(Member)
                .where(
                    Member.branch_id == branch.id,
                    Member.state == MemberState.ACTIVE,
                    Member.status == MemberStatus.FULL,
                    Member.is_flowing.is_(False),
                    Member.id != seat.member_id,
                    Member.branch_since < date(2026, 1, 1),
                )
                .order_by(Member.id)
                .limit(3)
            )
        )
        leave, graded, away = people
        exemptions.add_exemption(
            s, leave.id, exemptions.ExemptionInput("leave", date(2026, 3, 1), date(2026, 5, 31), "外出务工")
        )
        talks.record_talk(s, seat.member_id, graded.id, date(2026, 4, 2), "思想动态", today=TODAY)
        talks.record_grade(s, graded.id, 2025, "qualified", today=TODAY)
        transfers.start_flow(s, away.id, "广东省深圳市", date(2026, 2, 1), "13800000001", today=TODAY)
        talks.record_contact(s, away.id, date(2026, 5, 1), "phone", "了解近况", today=TODAY)
        return meetings.create_meeting(
            s,
            branch.id,
            meetings.MeetingInput(
                "life",
                date(2026, 1, 20),
                "组织生活会暨民主评议党员（纸质记录补录）",
                also_types=["appraisal"],
                recorded_on=date(2026, 1, 22),
                backfilled=True,
            ),
            today=TODAY,
        ).id


def test_check_facts_arrive_identical(
    make_town: Callable[..., Town], county: Database, usb: Path, tmp_path: Path
) -> None:
    town = make_town("T01").enroll(county)
    meeting_id = _record(town)
    sent = content(town.db)
    for table in TABLES:
        assert sent[table], table
    result = import_package(county, town.export(usb).path)
    assert result.status == "imported"
    got = content(county)
    for table in TABLES:
        assert got[table] == sent[table], table
    with county.reader() as s:
        row = s.get(Meeting, meeting_id)
        assert row is not None
        assert (row.also_types, row.backfilled, row.recorded_on) == ("appraisal", True, date(2026, 1, 22))
