"""The demo generator: valid, realistic, deterministic data, and never written twice."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Attendance, Base, Branch, CommitteeSeat, Meeting, Member, PartyGroup, Township
from services import collation, demo, idcard, meetings
from services.db import Database, open_database
from services.errors import ValidationError
from services.members import roster
from tests.conftest import fresh_database

TODAY = date(2026, 11, 24)


@pytest.fixture
def small(db: Database) -> demo.DemoSummary:
    return demo.generate(db, "small", seed=7, today=TODAY)


def test_every_id_number_is_valid_and_matches_birth_date_and_gender(
    db: Database, small: demo.DemoSummary
) -> None:
    with db.reader() as s:
        people = s.scalars(select(Member)).all()
        assert 50 <= len(people) <= 90
        numbers = [m.id_number for m in people]
        assert len(set(numbers)) == len(numbers)
        for m in people:
            info = idcard.parse(m.id_number, today=TODAY)
            assert info.birth_date == m.birth_date
            assert info.gender == m.gender
            assert m.joined_on <= TODAY
            age_at_join = (m.joined_on - m.birth_date).days / 365.25
            assert age_at_join >= 18
            if m.state == "active":
                assert 18 <= (TODAY - m.birth_date).days / 365.25 <= 91
            if m.status == "probationary" and m.state == "active":
                assert m.full_member_on is None
            elif m.status == "full":
                assert m.full_member_on is not None and m.joined_on < m.full_member_on <= TODAY


def test_the_demo_roster_sorts_and_searches_by_pinyin_as_a_clerks_entries_do(
    db: Database, small: demo.DemoSummary
) -> None:
    with db.reader() as s:
        people = s.execute(select(Member.name, Member.name_key, Member.name_initials)).all()
    assert people
    for name, key, initials in people:
        assert (key, initials) == (collation.name_key(name), collation.name_initials(name)), name


def test_every_attendance_refers_to_a_branch_member_on_the_meeting_date(
    db: Database, small: demo.DemoSummary
) -> None:
    with db.reader() as s:
        people = {m.id: m for m in s.scalars(select(Member))}
        rows = s.execute(
            select(
                Meeting.branch_id,
                Meeting.held_on,
                Meeting.recorded_on,
                Attendance.member_id,
                Attendance.status,
                Attendance.reason,
            ).join(Attendance, Attendance.meeting_id == Meeting.id)
        ).all()
        assert rows
        for branch_id, held_on, recorded_on, member_id, status, reason in rows:
            m = people[member_id]
            assert m.branch_id == branch_id
            assert m.in_branch_on(held_on) and m.joined_on <= held_on
            assert held_on <= recorded_on <= TODAY
            if status == "leave":
                assert reason.strip()
        statuses = Counter(r[4] for r in rows)
        assert statuses["present"] > 0.7 * len(rows)
        assert statuses["leave"] > 0 and statuses["absent"] > 0


def test_meetings_pass_the_same_validation_as_the_clerk_form(db: Database, small: demo.DemoSummary) -> None:
    """Spot-check: re-validate stored meetings through the service the GUI and CLI use."""
    with db.reader() as s:
        for meeting in s.scalars(select(Meeting).order_by(Meeting.held_on).limit(40)):
            data = meetings.MeetingInput(
                type=meeting.type,
                held_on=meeting.held_on,
                topics=meeting.topics,
                lecturer=meeting.lecturer,
                party_group_id=meeting.party_group_id,
                recorded_on=meeting.recorded_on,
                attendance=[
                    meetings.AttendanceInput(a.member_id, a.status, a.reason) for a in meeting.attendance
                ],
            )
            meetings._validate(s, meeting.branch_id, data, TODAY)


def test_small_scale_has_expected_shape(db: Database, small: demo.DemoSummary) -> None:
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Township)) == 1
        assert s.scalar(select(func.count()).select_from(Branch)) == 3
        types = Counter(s.scalars(select(Meeting.type)))
        # Two years: about 24 支委会 per branch with a committee, 8 党员大会 (and one per admission), monthly 主题党日.
        assert types["committee"] >= 20
        assert 12 <= types["congress"] <= 32
        assert types["theme_day"] >= 50
        assert types["group"] > 0 and types["lecture"] > 0 and types["life"] >= 2
        active = roster(s)
        assert 50 <= len(active) <= 70
        for group_id, size in s.execute(
            select(Member.party_group_id, func.count())
            .where(Member.state == "active", Member.party_group_id.is_not(None))
            .group_by(Member.party_group_id)
        ):
            assert 5 <= size <= 15, group_id
        assert s.scalar(select(func.count()).select_from(CommitteeSeat)) > 0
        assert s.scalar(select(func.count()).select_from(PartyGroup)) > 0
    assert "会议不全" in " ".join(small.profiles.values())


def test_change_numbers_are_unique_and_the_counter_advanced(db: Database, small: demo.DemoSummary) -> None:
    from services.db import current_seq

    with db.reader() as s:
        seqs = []
        for table in Base.metadata.sorted_tables:
            if "row_seq" in table.c:  # every synced table, whatever later issues add
                seqs += list(s.scalars(select(table.c.row_seq)))
        assert len(seqs) == small.total_rows
        assert len(set(seqs)) == len(seqs) and min(seqs) >= 1
        assert current_seq(s) == max(seqs)
        sample = s.scalars(select(Member).limit(1)).one()
        assert sample.created_by == "demo" and sample.created_at is not None and not sample.deleted


def _fingerprint(db: Database) -> list[tuple[object, ...]]:
    with db.reader() as s:
        rows: list[tuple[object, ...]] = []
        rows += s.execute(
            select(Member.id, Member.name, Member.id_number, Member.joined_on).order_by(Member.id)
        ).all()
        rows += s.execute(
            select(Meeting.id, Meeting.held_on, Meeting.topics, Meeting.minutes).order_by(Meeting.id)
        ).all()
        rows += s.execute(
            select(
                Attendance.id, Attendance.status, Attendance.reason, Attendance.row_seq, Attendance.created_at
            ).order_by(Attendance.id)
        ).all()
        return rows


def test_same_seed_gives_same_data_other_seed_differs(tmp_path: Path) -> None:
    prints = []
    for name, seed in (("a", 3), ("c", 4)):
        database = fresh_database(tmp_path / f"{name}.sqlite")
        demo.generate(database, "small", seed=seed, today=TODAY)
        prints.append(_fingerprint(database))
        database.close()
    # The same seed in another process with another hash seed: no set or dict order may leak in.
    script = (
        "import sys; from datetime import date; from services import demo; from services.db import open_database;"
        "demo.generate(open_database(sys.argv[1]), 'small', seed=3, today=date(2026, 11, 24))"
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONHASHSEED": "4242", "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "b.sqlite")], check=True, cwd=root, env=env)
    database = open_database(tmp_path / "b.sqlite")
    prints.append(_fingerprint(database))
    database.close()
    assert prints[0] == prints[2]
    assert prints[0] != prints[1]


def test_second_run_is_refused_and_writes_nothing(db: Database, small: demo.DemoSummary) -> None:
    with db.reader() as s:
        before = s.scalar(select(func.count()).select_from(Member))
    with pytest.raises(ValidationError, match="已有乡镇"):
        demo.generate(db, "small", seed=8, today=TODAY)
    with pytest.raises(ValidationError, match="已有乡镇"):
        demo.generate(db, "township", seed=1, today=TODAY)
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == before
        assert s.scalar(select(func.count()).select_from(Township)) == 1


def test_bad_scale_and_years_are_refused(db: Database) -> None:
    with pytest.raises(ValidationError, match="规模"):
        demo.generate(db, "city", today=TODAY)
    with pytest.raises(ValidationError, match="年数"):
        demo.generate(db, "small", years=0, today=TODAY)


@pytest.mark.slow
def test_township_scale_has_the_realistic_mix(db: Database) -> None:
    summary = demo.generate(db, "township", seed=1, years=3, today=TODAY)
    with db.reader() as s:
        branches = s.scalars(select(Branch)).all()
        assert len(branches) == 30
        assert {b.kind for b in branches} == {"committee", "general", "branch"}
        domains = Counter(b.domain for b in branches)
        assert domains["rural"] >= 15 and domains["community"] and domains["school"] and domains["hospital"]
        active = roster(s)
        assert 2700 <= len(active) <= 3300
        expired = [b for b in branches if b.kind == "branch" and b.term_end and b.term_end < TODAY]
        assert len(expired) >= 2
        late = s.scalar(
            select(func.count())
            .select_from(Meeting)
            .where(func.julianday(Meeting.recorded_on) - func.julianday(Meeting.held_on) > 14)
        )
        assert late and late > 50
        full_counts = dict(
            s.execute(
                select(Member.branch_id, func.count())
                .where(Member.state == "active", Member.status == "full")
                .group_by(Member.branch_id)
            ).all()
        )
        leaves = [b for b in branches if b.kind == "branch"]
        assert sum(1 for b in leaves if full_counts.get(b.id, 0) < 3) == 1
        failed = 0
        for meeting in s.scalars(select(Meeting).where(Meeting.type == "congress")):
            if not meetings.meeting_quorum(s, meeting).met:
                failed += 1
        assert 2 <= failed <= 60
    profiles = " ".join(summary.profiles.values())
    for trouble in ("会议不全", "录入滞后", "到会不足", "超期未换届", "正式党员不足3人"):
        assert trouble in profiles


def test_bulk_load_is_summarised_in_the_audit_log(db: Database, small: demo.DemoSummary) -> None:
    from models.audit import AuditEntry
    from services import audit

    with db.reader() as s:
        entries = s.execute(
            select(AuditEntry.table_name, AuditEntry.changes).where(AuditEntry.action == "bulk")
        ).all()
        by_service = {  # written as a clerk would
            "party_group",
            "committee_seat",
            "branch_term",
            "heart_talk",
            "appraisal_grade",
            "flow_contact",
            "member_exemption",
        }
        assert {t for t, _ in entries} == {t for t, n in small.rows.items() if n} - by_service
        inserted = set(
            s.scalars(select(AuditEntry.table_name).where(AuditEntry.action == "insert").distinct())
        )
        assert by_service <= inserted
        assert audit.verify(s).ok


def test_viewer_may_not_generate_demo_data(db: Database) -> None:
    from services.errors import PermissionDenied
    from services.roles import Actor

    db.actor = Actor("reader", "viewer")
    with pytest.raises(PermissionDenied, match="生成演示数据需要管理员权限"):
        demo.generate(db, "small", today=TODAY)
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Township)) == 0


def test_demo_organisation_is_built_through_the_services(db: Database, small: demo.DemoSummary) -> None:
    """Committees, terms and groups obey the same rules a clerk's input does."""
    from models import BranchTerm
    from services import committee, demo_marker

    with db.reader() as s:
        assert demo_marker.is_demo(s)
        for branch in s.scalars(select(Branch).where(Branch.kind == "branch")):
            terms = committee.terms(s, branch.id)
            assert terms and branch.term_start == terms[-1].start_on and branch.term_end == terms[-1].due_on
            secretaries = [
                r for r in committee.seats(s, branch.id) if r.role == "secretary" and r.end_on is None
            ]
            assert len(secretaries) <= 1
        assert s.scalar(select(func.count()).select_from(BranchTerm)) >= 3


def test_demo_is_never_written_into_a_database_with_real_records(db: Database) -> None:
    from services import org

    with db.transaction("clerk") as s:
        org.create_township(s, "620421101", "城关镇")
    with pytest.raises(ValidationError, match="已有真实数据"):
        demo.generate(db, "small", seed=3, years=1, today=TODAY)


def test_demo_keeps_the_records_the_checks_need_and_links_admissions_to_their_meeting(
    db: Database, small: demo.DemoSummary
) -> None:
    from models import AppraisalGrade, DevelopmentRecord, FlowContact, HeartTalk, MemberExemption

    with db.reader() as s:
        for model in (HeartTalk, AppraisalGrade, FlowContact, MemberExemption):
            assert s.scalar(select(func.count()).select_from(model)), model.__tablename__
        admitted = s.scalars(
            select(DevelopmentRecord).where(DevelopmentRecord.admitted_on >= date(TODAY.year - 1, 1, 1))
        ).all()
        linked = [r for r in admitted if r.admission_meeting_id]
        assert linked
        for r in linked:
            meeting = s.get(Meeting, r.admission_meeting_id)
            assert meeting is not None and meeting.type == "congress" and meeting.held_on == r.admitted_on
        year = TODAY.year - 1
        for branch_id, graded in s.execute(
            select(AppraisalGrade.branch_id, func.count())
            .where(AppraisalGrade.year == year)
            .group_by(AppraisalGrade.branch_id)
        ):
            best = s.scalar(
                select(func.count()).where(
                    AppraisalGrade.branch_id == branch_id,
                    AppraisalGrade.year == year,
                    AppraisalGrade.grade == "excellent",
                )
            )
            assert best is not None and best * 3 <= graded  # never more than a third 优秀


@pytest.mark.slow
def test_a_demo_written_today_stamps_no_record_in_the_future(tmp_path: Path) -> None:
    """A county refuses records claiming to come from the future, so none may (a record typed in a few
    days after the event it describes would otherwise be stamped after today)."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    database = fresh_database(tmp_path / "today.sqlite")
    demo.generate(database, "township", seed=5, today=date.today())
    now = datetime.now(UTC).replace(tzinfo=None)
    with database.reader() as s:
        tables = [r[0] for r in s.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))]
        for table in tables:
            columns = {r[1] for r in s.execute(text(f'PRAGMA table_info("{table}")'))}
            if "created_at" in columns:
                latest = s.execute(text(f'SELECT max(created_at) FROM "{table}"')).scalar()
                assert latest is None or datetime.fromisoformat(str(latest)) <= now, table
    database.close()
