"""The demo's records the 对标检查 needs beyond meetings: the 党员大会 that admitted each new member
(written like the other demo meetings, linked to the admission), and, through the same services a
clerk's actions use, 谈心谈话 before each
year's 组织生活会, 民主评议 grades, contacts with 流动党员 while away, and approved exemptions (年老体弱,
请假).

The ledgers were started two years before the demo's "today" (talks, contacts and exemptions from the
first of January of last year, grades for last year), as when a township takes up the app. Branches
whose profile keeps incomplete records (会议不全, 录入滞后) leave some of these out on purpose, so the check
has real findings to show there. Same seed → same records.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DevelopmentRecord, FlowRecord, Meeting, Member
from models.enums import AppraisalGradeCode, ContactWay, ExemptionKind, MeetingType, MemberState, MemberStatus
from services import exemptions, meetings, talks
from services.dates import age_on
from services.demo.layout import BranchPlan
from services.demo.names import People
from services.demo.people import BranchPeople
from services.demo.schedule import MeetingWriter, PlannedMeeting
from services.demo.writer import BulkWriter, DemoRandom, at_time, new_uuid
from services.errors import ValidationError
from services.org import committee_on

_TALK_TOPICS = (
    "思想动态和学习情况",
    "对支部工作的意见建议",
    "家庭生产生活情况",
    "发挥党员作用情况",
    "开展批评与自我批评",
)
_CONTACT_WAYS = (ContactWay.PHONE, ContactWay.WECHAT, ContactWay.WECHAT, ContactWay.VISIT)
_LEAVE_REASONS = ("外出就医", "照顾生病家属", "赴外地探亲")


def write_life_records(
    session: Session, rng: DemoRandom, branch_id: str, plan: BranchPlan, today: date, window_start: date
) -> None:
    """All of the above for one branch (its members, meetings and pipeline already written)."""
    profile = plan.profile
    patchy = profile.skip_rate > 0 or profile.gap_months > 0 or profile.late
    first_year = max(window_start.year, today.year - 1)
    people = list(
        session.scalars(select(Member).where(Member.branch_id == branch_id).order_by(Member.name, Member.id))
    )
    _exemptions(session, rng, people, today, first_year)
    for year in range(first_year, today.year + 1):
        _talks(session, rng, branch_id, people, year, today, patchy)
    for year in range(first_year, today.year):
        _grades(rng, session, people, year, today, patchy)
    _contacts(session, rng, branch_id, today, first_year, patchy)
    session.flush()


def write_admission_meetings(
    writer: BulkWriter,
    session: Session,
    rng: DemoRandom,
    people: People,
    branch_id: str,
    plan: BranchPlan,
    crowd: BranchPeople,
    today: date,
    window_start: date,
) -> list[tuple[str, str]]:
    """The 支部党员大会 that admitted each new member in the window (细则: the branch meeting decides),
    written like the demo's other meetings; returns (development record id, meeting id) to link once
    written (``link_admissions``). A branch meeting already held that day is used as it is. A patchy
    branch (会议不全, 录入滞后) has no record of about half of them: the check's DEV-10 there is real."""
    profile = plan.profile
    patchy = profile.skip_rate > 0 or profile.gap_months > 0 or profile.late
    records = session.execute(
        select(DevelopmentRecord.id, DevelopmentRecord.name, DevelopmentRecord.admitted_on)
        .where(
            DevelopmentRecord.branch_id == branch_id,
            DevelopmentRecord.admitted_on.is_not(None),
            DevelopmentRecord.admitted_on >= max(window_start, plan.founded_on),
            DevelopmentRecord.admission_meeting_id.is_(None),
        )
        .order_by(DevelopmentRecord.admitted_on, DevelopmentRecord.name)
    ).all()
    mw = MeetingWriter(rng, people, branch_id, plan, crowd, today)
    links: list[tuple[str, str]] = []
    for record_id, name, admitted in records:
        assert admitted is not None
        if patchy and rng.random() < 0.5:
            continue
        held = meetings.same_day_meetings(session, branch_id, MeetingType.CONGRESS, admitted)
        if held:
            links.append((record_id, held[0].id))
            continue
        attendees = [m for m in crowd.members if m.in_branch(admitted) and m.joined_on < admitted]
        if not attendees:
            continue
        built = mw.build(
            PlannedMeeting(MeetingType.CONGRESS, admitted, attendees), new_uuid(rng), lambda: new_uuid(rng)
        )
        if built is None:
            continue
        built.row["topics"] = f"讨论接收{name}为预备党员"
        built.row["resolutions"] = f"同意接收{name}为中共预备党员，报上级党委审批。"
        at = at_time(built.recorded_on, rng)
        writer.add("meeting", built.row, at)
        for row in built.attendance:
            writer.add("attendance", row, at)
        links.append((record_id, str(built.row["id"])))
    return links


def link_admissions(session: Session, links: list[tuple[str, str]]) -> None:
    """Record on each admission the 党员大会 that decided it (the meetings are written by now)."""
    for record_id, meeting_id in links:
        record = session.get(DevelopmentRecord, record_id)
        if record is not None:
            record.admission_meeting_id = meeting_id
    session.flush()


def _exemptions(
    session: Session, rng: DemoRandom, people: list[Member], today: date, first_year: int
) -> None:
    """年老体弱 for members over 80 (不作硬性要求), and a few approved leaves of two to four months."""
    start = date(first_year, 1, 1)
    for m in people:
        if m.state != MemberState.ACTIVE or m.is_flowing:
            continue
        if age_on(m.birth_date, today) >= 80:
            data = exemptions.ExemptionInput(
                ExemptionKind.INFIRM,
                max(start, m.joined_on, m.branch_since),
                reason="年老体弱，行动不便",
                approved_by="支部委员会",
            )
            exemptions.add_exemption(session, m.id, data)
        elif rng.random() < 0.03:
            begin = start + timedelta(days=rng.randint(0, max(1, (today - start).days - 130)))
            begin = max(begin, m.joined_on, m.branch_since)
            end = min(today, begin + timedelta(days=rng.randint(60, 120)))
            if end > begin:
                reason = rng.choice(_LEAVE_REASONS)
                exemptions.add_exemption(
                    session,
                    m.id,
                    exemptions.ExemptionInput(ExemptionKind.LEAVE, begin, end, reason, "支部书记"),
                )


def _first_life_meeting(session: Session, branch_id: str, year: int) -> date | None:
    return session.scalar(
        select(Meeting.held_on)
        .where(
            Meeting.branch_id == branch_id,
            Meeting.deleted.is_(False),
            Meeting.held_on >= date(year, 1, 1),
            Meeting.held_on <= date(year, 12, 31),
            (Meeting.type == MeetingType.LIFE) | Meeting.also_types.contains(MeetingType.LIFE.value),
        )
        .order_by(Meeting.held_on)
        .limit(1)
    )


def _talks(
    session: Session,
    rng: DemoRandom,
    branch_id: str,
    people: list[Member],
    year: int,
    today: date,
    patchy: bool,
) -> None:
    """One 谈心谈话 with each member in the year, before the year's 组织生活会 when there is one (the
    secretary talks; a committee member talks with the secretary)."""
    life = _first_life_meeting(session, branch_id, year)
    deadline = life if life is not None else date(year, 12, 10)
    year_end = min(date(year, 12, 31), today)
    for m in people:
        if patchy and rng.random() < 0.25:
            continue  # not on record: the check's finding for a patchy branch
        start = max(date(year, 1, 2), m.branch_since, m.joined_on)
        if m.left_on is not None and m.left_on <= start:
            continue
        if start < deadline - timedelta(days=1):
            on = start + timedelta(days=rng.randint(0, (deadline - start).days - 1))
        else:  # joined after the 组织生活会: talked with soon after arriving
            on = start + timedelta(days=rng.randint(3, 20))
        if m.left_on is not None and on >= m.left_on:
            on = m.left_on - timedelta(days=1)
        if on > year_end or on < start:
            continue
        seats = sorted(
            committee_on(session, branch_id, on), key=lambda s: (s.role != "secretary", s.start_on)
        )
        talker = next((s.member_id for s in seats if s.member_id != m.id), None)
        if talker is None:
            continue  # a lone secretary: the township committee talks with them
        try:
            talks.record_talk(session, talker, m.id, on, rng.choice(_TALK_TOPICS), today=today)
        except ValidationError:
            continue  # the records the demo drew do not allow it that day (left, not yet in the branch)


def _grades(
    rng: DemoRandom, session: Session, people: list[Member], year: int, today: date, patchy: bool
) -> None:
    """民主评议 grades of ``year``: 优秀 for about a fifth (never over a third), the rest 合格, now and
    then 基本合格; 预备党员 take part without a grade."""
    end = date(year, 12, 31)
    graded = [
        m
        for m in people
        if m.in_branch_on(end)
        and m.joined_on <= end
        and m.full_member_on is not None
        and m.full_member_on <= end
        and (m.status == MemberStatus.FULL or m.left_on is not None)
    ]
    if not graded:
        return
    best = min(len(graded) // 3, round(len(graded) * 0.2))
    order = list(graded)
    rng.shuffle(order)
    for i, m in enumerate(order):
        if i < best:
            grade = AppraisalGradeCode.EXCELLENT
        elif rng.random() < (0.08 if patchy else 0.03):
            grade = AppraisalGradeCode.BASIC
        else:
            grade = AppraisalGradeCode.QUALIFIED
        try:
            talks.record_grade(session, m.id, year, grade, today=today)
        except ValidationError:
            continue


def _contacts(
    session: Session, rng: DemoRandom, branch_id: str, today: date, first_year: int, patchy: bool
) -> None:
    """Contacts with each 流动党员 while away, about once a quarter (less in a patchy branch)."""
    away = session.scalars(
        select(FlowRecord)
        .where(FlowRecord.branch_id == branch_id, FlowRecord.deleted.is_(False))
        .order_by(FlowRecord.since, FlowRecord.member_id)
    ).all()
    for flow in away:
        day = max(flow.since, date(first_year, 1, 1)) + timedelta(days=rng.randint(5, 40))
        until = min(today, flow.until) if flow.until else today
        while day <= until:
            if not (patchy and rng.random() < 0.5):
                way = rng.choice(_CONTACT_WAYS)
                content = "了解务工和思想情况，传达支部学习内容，提醒按时交纳党费"
                talks.record_contact(session, flow.member_id, day, way, content, today=today)
            day += timedelta(days=rng.randint(75, 100))
