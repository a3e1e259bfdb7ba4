"""Ten years of meetings with attendance for one demo branch, following its ``Profile``.

支委会, 主题党日 and 党小组会 monthly, 支部党员大会 and 党课 quarterly, 组织生活会 and 民主评议 in
December; attendance drawn per member (migrant workers and the very old are often on leave).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta

from models.enums import AttendanceStatus, BranchDomain, CommitteeRole, MeetingType
from services.dates import age_on
from services.demo import texts
from services.demo.layout import BranchPlan
from services.demo.names import People
from services.demo.people import BranchPeople, DemoMember, Group

ALL_MEMBERS = (
    MeetingType.CONGRESS,
    MeetingType.THEME_DAY,
    MeetingType.LECTURE,
    MeetingType.LIFE,
    MeetingType.APPRAISAL,
)
_STARTS = (time(8, 30), time(9, 0), time(9, 30), time(14, 0), time(14, 30), time(15, 0))


@dataclass
class PlannedMeeting:
    type: str
    held_on: date
    attendees: list[DemoMember]
    group: Group | None = None


@dataclass
class DemoMeeting:
    row: dict[str, object]
    attendance: list[dict[str, object]]
    recorded_on: date


def _months(start: date, today: date) -> Iterator[tuple[int, int]]:
    y, m = start.year, start.month
    while (y, m) <= (today.year, today.month):
        yield y, m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def _day(y: int, m: int, d: int) -> date:
    return date(y, m, min(d, 28))


def plan_meetings(
    rng: random.Random, plan: BranchPlan, crowd: BranchPeople, today: date, window_start: date
) -> list[PlannedMeeting]:
    """What the branch should hold, month by month, minus what its profile says it skipped."""
    start = max(window_start, plan.founded_on)
    theme_day = rng.choice((1, 5, 8, 10, 15, 20, 25))
    congress_month = rng.choice((1, 2, 3))
    profile = plan.profile
    gap: tuple[date, date] | None = None
    if profile.gap_months:
        gap_start = today - timedelta(days=rng.randint(400, 1500))
        gap = (gap_start, gap_start + timedelta(days=30 * profile.gap_months))
    out: list[PlannedMeeting] = []

    def want(day: date) -> bool:
        if day > today or day < start:
            return False
        if gap and gap[0] <= day <= gap[1]:
            return False
        skipping = profile.skip_rate and day.year >= profile.skip_from_year
        return not (skipping and rng.random() < profile.skip_rate)

    def members_on(day: date) -> list[DemoMember]:
        return [m for m in crowd.members if m.in_branch(day)]

    for y, m in _months(start, today):
        quarter_month = (m - 1) % 3 + 1
        day = _day(y, m, rng.randint(2, 9))
        seats = crowd.seats_on(day)
        if len(seats) >= 3 and want(day):
            people = {s.member.id: s.member for s in seats if s.member.in_branch(day)}
            out.append(
                PlannedMeeting(MeetingType.COMMITTEE, day, sorted(people.values(), key=lambda p: p.name))
            )
        day = _day(y, m, theme_day)
        if want(day):
            out.append(PlannedMeeting(MeetingType.THEME_DAY, day, members_on(day)))
        for g in crowd.groups:
            day = _day(y, m, rng.randint(10, 26))
            if want(day):
                attendees = [p for p in g.members if p.in_branch(day)]
                if attendees:
                    out.append(PlannedMeeting(MeetingType.GROUP, day, attendees, g))
        if quarter_month == congress_month:
            day = _day(y, m, rng.randint(11, 28))
            if want(day):
                out.append(PlannedMeeting(MeetingType.CONGRESS, day, members_on(day)))
        if quarter_month == 2:
            day = _day(y, m, rng.randint(12, 28))
            if want(day):
                out.append(PlannedMeeting(MeetingType.LECTURE, day, members_on(day)))
        if m == 12:
            day = _day(y, m, rng.randint(15, 26))
            if want(day):
                out.append(PlannedMeeting(MeetingType.LIFE, day, members_on(day)))
                appraisal = day + timedelta(days=rng.choice((0, 1, 2)))
                if appraisal <= today:
                    out.append(PlannedMeeting(MeetingType.APPRAISAL, appraisal, members_on(appraisal)))
    return [p for p in out if p.attendees]


class MeetingWriter:
    """Turns planned meetings into meeting and attendance rows (dicts for the bulk writer)."""

    def __init__(
        self,
        rng: random.Random,
        people: People,
        branch_id: str,
        plan: BranchPlan,
        crowd: BranchPeople,
        today: date,
    ) -> None:
        self.rng = rng
        self.branch_id = branch_id
        self.plan = plan
        self.crowd = crowd
        self.today = today
        place_base = plan.name.split("党")[0]
        self.places = [
            (place_base + p if plan.domain in (BranchDomain.RURAL, BranchDomain.COMMUNITY) else p)
            .replace("村村", "村")
            .replace("社区社区", "社区")
            for p in texts.PLACES.get(BranchDomain(plan.domain), ("会议室",))
        ]
        # Outside lecturers: the township Party secretary, a first secretary sent to the village.
        self.guests = [
            f"镇党委书记{people.name(True, 1975)}",
            f"镇党委组织委员{people.name(rng.random() < 0.6, 1985)}",
            f"驻村第一书记{people.name(True, 1988)}",
        ]

    def recorded_on(self, held: date) -> date:
        if self.plan.profile.late and self.rng.random() < 0.7:
            return held + timedelta(days=self.rng.randint(16, 60))
        return held + timedelta(days=self.rng.choice((0, 0, 1, 1, 1, 2, 2, 3, 4, 6)))

    def _status(self, m: DemoMember, day: date, present_rate: float) -> tuple[str, str]:
        r = self.rng.random()
        if m.flowing:
            if r < 0.75:
                return AttendanceStatus.LEAVE, self.rng.choice(texts.LEAVE_REASONS["migrant"])
            return (AttendanceStatus.PRESENT, "") if r < 0.96 else (AttendanceStatus.ABSENT, "")
        if age_on(m.birth, day) >= 80 and r < 0.4:
            return AttendanceStatus.LEAVE, self.rng.choice(texts.LEAVE_REASONS["old"])
        r = self.rng.random()
        if r < present_rate:
            return AttendanceStatus.PRESENT, ""
        if r < present_rate + (1 - present_rate) * 0.65:
            reasons = texts.LEAVE_REASONS.get(self.plan.domain, texts.LEAVE_REASONS[BranchDomain.RURAL])
            return AttendanceStatus.LEAVE, self.rng.choice(reasons)
        return AttendanceStatus.ABSENT, ""

    def build(self, pm: PlannedMeeting, meeting_id: str, new_id: object) -> DemoMeeting | None:
        recorded = self.recorded_on(pm.held_on)
        if recorded > self.today:  # held, but the clerk has not typed it in yet
            return None
        rng = self.rng
        trouble = self.plan.profile.quorum_trouble and (
            (pm.type == MeetingType.CONGRESS and rng.random() < 0.35)
            or (pm.type == MeetingType.COMMITTEE and rng.random() < 0.15)
        )
        rate = 0.3 if trouble else (0.96 if pm.type == MeetingType.COMMITTEE else 0.9)
        statuses = [self._status(m, pm.held_on, rate) for m in pm.attendees]
        if trouble and pm.type == MeetingType.COMMITTEE:
            reasons = texts.LEAVE_REASONS[BranchDomain.RURAL]
            statuses = [(AttendanceStatus.LEAVE, rng.choice(reasons)) for _ in statuses]
            statuses[0] = (AttendanceStatus.PRESENT, "")
        elif not trouble and pm.type != MeetingType.GROUP:
            statuses = self._ensure_quorum(pm.attendees, statuses)
        seats = self.crowd.seats_on(pm.held_on)
        by_role = {s.role: s.member for s in seats}
        present = [
            m for m, st in zip(pm.attendees, statuses, strict=True) if st[0] == AttendanceStatus.PRESENT
        ]
        if pm.group is not None:
            host = present[0] if present else pm.attendees[0]
            recorder = present[1] if len(present) > 1 else host
        else:
            host = by_role.get(CommitteeRole.SECRETARY) or (present[0] if present else pm.attendees[0])
            recorder = (
                by_role.get(CommitteeRole.ORGANIZATION)
                or by_role.get(CommitteeRole.PROPAGANDA)
                or (present[1] if len(present) > 1 else host)
            )
        lecturer = ""
        if pm.type == MeetingType.LECTURE:
            r = rng.random()
            if r < 0.65 or not self.guests:
                lecturer = host.name
            elif self.plan.domain == BranchDomain.RURAL and r < 0.85:
                lecturer = self.guests[2]
            else:
                lecturer = rng.choice(self.guests[:2])
        leave = [
            m.name for m, st in zip(pm.attendees, statuses, strict=True) if st[0] == AttendanceStatus.LEAVE
        ]
        start = rng.choice(_STARTS)
        end_minutes = start.hour * 60 + start.minute + rng.choice((60, 75, 90, 100, 120, 150))
        row: dict[str, object] = {
            "id": meeting_id,
            "branch_id": self.branch_id,
            "type": str(pm.type),
            "held_on": pm.held_on,
            "start_time": start,
            "end_time": time(end_minutes // 60, end_minutes % 60),
            "place": rng.choice(self.places),
            "host": host.name,
            "recorder": recorder.name,
            "topics": texts.topics(rng, pm.type, self.plan.domain, pm.held_on),
            "minutes": texts.minutes(
                rng, pm.type, host.name, len(pm.attendees), len(present), leave, pm.held_on
            ),
            "resolutions": texts.resolutions(rng, pm.type, self.plan.domain, pm.held_on, self._events(pm)),
            "lecturer": lecturer,
            "party_group_id": pm.group.id if pm.group else None,
            "recorded_on": recorded,
        }
        attendance = [
            {
                "id": new_id(),  # type: ignore[operator]
                "meeting_id": meeting_id,
                "member_id": m.id,
                "status": str(st[0]),
                "reason": st[1],
                "sort_order": i,
            }
            for i, (m, st) in enumerate(zip(pm.attendees, statuses, strict=True))
        ]
        return DemoMeeting(row, attendance, recorded)

    def _ensure_quorum(
        self, attendees: list[DemoMember], statuses: list[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """Well-run branches reach quorum: call in voting members who were merely absent or on leave."""
        voting = [i for i, m in enumerate(attendees) if m.can_vote]
        present = sum(1 for i in voting if statuses[i][0] == AttendanceStatus.PRESENT)
        out = list(statuses)
        for i in voting:
            if present * 2 > len(voting):
                break
            if out[i][0] != AttendanceStatus.PRESENT and not attendees[i].flowing:
                out[i] = (AttendanceStatus.PRESENT, "")
                present += 1
        for i in voting:
            if present * 2 > len(voting):
                break
            if out[i][0] != AttendanceStatus.PRESENT:
                out[i] = (AttendanceStatus.PRESENT, "")
                present += 1
        return out

    def _events(self, pm: PlannedMeeting) -> list[str]:
        """Admissions and conversions a 党员大会 decides: those dated within the previous quarter."""
        if pm.type != MeetingType.CONGRESS:
            return []
        since = pm.held_on - timedelta(days=92)
        out = []
        for m in self.crowd.members:
            if since < m.joined_on <= pm.held_on and m.joined_on >= self.plan.founded_on:
                out.append(f"同意接收{m.name}为预备党员")
            if m.full_on and since < m.full_on <= pm.held_on:
                out.append(f"同意{m.name}同志按期转为正式党员")
        return out[:6]
