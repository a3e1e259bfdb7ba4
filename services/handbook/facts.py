"""Loading what a check needs in a handful of set-based queries (never one query per branch or month).

Members, committee seats and party groups are small and read whole; meetings come back one row per
meeting with their attendance and evidence already aggregated in SQL; other record counts come back
grouped by branch (and by month when a rule judges windows).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Integer, String, and_, case, extract, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from models import (
    Attachment,
    Attendance,
    Branch,
    CommitteeSeat,
    DevelopmentRecord,
    Meeting,
    Member,
    PartyGroup,
)
from models.enums import AttendanceStatus, CommitteeRole, Discipline, MemberState, MemberStatus
from services import localtime
from services.handbook.pack import FilterValue
from services.handbook.period import Period
from services.handbook.sources import Source, sources
from services.sqlsets import among, plain_rows


@dataclass(frozen=True)
class BranchFact:
    id: str
    code: str
    name: str
    kind: str
    domain: str
    founded_on: date | None
    term_start: date | None
    term_end: date | None
    dissolved_on: date | None = None  # 撤销/合并: not judged from this day
    parent_id: str | None = None
    parent_kind: str | None = None
    parent_domain: str | None = None

    @property
    def village_head(self) -> str:
        """The organisation a village counts at: a 村党总支 for its sub-branches, else the branch itself
        (a village's 积极分子 reserve and its venue are counted once, for the whole village)."""
        if self.parent_id and self.parent_kind == "general" and self.parent_domain == self.domain:
            return self.parent_id
        return self.id


@dataclass(frozen=True)
class MemberFact:
    id: str
    name: str
    status: str
    discipline: str
    joined_on: date
    full_member_on: date | None
    branch_since: date
    left_on: date | None
    state: str

    def in_branch(self, day: date) -> bool:
        if self.left_on is None and self.state != MemberState.ACTIVE:
            return False
        return (
            self.branch_since <= day
            and self.joined_on <= day
            and (self.left_on is None or day < self.left_on)
        )

    def probationary_on(self, day: date) -> bool:
        """A 预备党员 on ``day``: still one, or converted after it (the roster as of ``day``)."""
        if self.status == MemberStatus.PROBATIONARY:
            return True
        return self.full_member_on is not None and self.joined_on <= day < self.full_member_on

    def full_on(self, day: date) -> bool:
        """Full member on ``day``: converted by then (old rows without a date count as full)."""
        if self.status != MemberStatus.FULL:
            return False
        return self.full_member_on is None or self.full_member_on <= day


@dataclass(frozen=True)
class SeatFact:
    member_id: str
    role: str
    start_on: date
    end_on: date | None

    def held_on(self, day: date) -> bool:
        return self.start_on <= day and (self.end_on is None or day < self.end_on)


@dataclass(frozen=True)
class GroupFact:
    """A 党小组 and the days it existed: from ``founded_on`` (None: unknown, always) until
    ``dissolved_on`` (撤销; None: still in being)."""

    id: str
    name: str
    founded_on: date | None = None
    dissolved_on: date | None = None

    def existed_throughout(self, start: date, end: date) -> bool:
        """In being for the whole window [start, end]: founded by its first day, not dissolved by its last
        (the same test as a branch's, ``Context.judged``)."""
        if self.dissolved_on is not None and self.dissolved_on <= end:
            return False
        return self.founded_on is None or self.founded_on <= start

    def existed_during(self, start: date, end: date) -> bool:
        """In being on any day of [start, end]."""
        if self.dissolved_on is not None and self.dissolved_on <= start:
            return False
        return self.founded_on is None or self.founded_on <= end


@dataclass
class MeetingFact:
    id: str
    branch_id: str
    type: str
    held_on: date
    recorded_on: date | None
    party_group_id: str | None
    also: tuple[str, ...] = ()  # other kinds this one activity also was
    backfilled: bool = False  # 补录 from paper: ``recorded_on`` is the paper record's date
    expected_voting: int = 0
    present_voting: int = 0
    filled: dict[str, bool] = field(default_factory=dict)
    attachments: dict[str, int] = field(default_factory=dict)

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.type, *self.also)

    def quorum_met(self, share: float = 0.5, strict: bool = True) -> bool:
        if self.expected_voting == 0:
            return False
        ratio = self.present_voting / self.expected_voting
        return ratio > share if strict else ratio >= share


@dataclass
class Facts:
    """Everything the rules read, for a set of branches and a date range."""

    branches: list[BranchFact]
    members: dict[str, list[MemberFact]]
    seats: dict[str, list[SeatFact]]
    groups: dict[str, list[GroupFact]]  # branch → its groups (dissolved ones too), in display order
    meetings: dict[str, list[MeetingFact]]  # branch → meetings in range, by date
    queries: int = 0
    # village head → its sub-branches (of the same domain) not themselves in ``branches``' ids or in them
    children: dict[str, list[str]] = field(default_factory=dict)
    _spans: dict[str, tuple[list[date], list[date]]] = field(default_factory=dict, repr=False)
    _by_type: dict[tuple[str, str], list[MeetingFact]] = field(default_factory=dict, repr=False)
    _days: dict[tuple[str, str], list[date]] = field(default_factory=dict, repr=False)
    _counts: dict[str, Any] = field(default_factory=dict, repr=False)

    def full_members(self, branch_id: str, day: date) -> int:
        """Full members on ``day``: starts on or before it minus ends on or before it (two bisects)."""
        spans = self._spans.get(branch_id)
        if spans is None:
            starts: list[date] = []
            ends: list[date] = []
            for m in self.members.get(branch_id, []):
                if m.status != MemberStatus.FULL or (m.left_on is None and m.state != MemberState.ACTIVE):
                    continue
                start = max(m.branch_since, m.joined_on, m.full_member_on or m.joined_on)
                if m.left_on is not None and m.left_on <= start:
                    continue
                starts.append(start)
                if m.left_on is not None:
                    ends.append(m.left_on)
            spans = self._spans[branch_id] = (sorted(starts), sorted(ends))
        return bisect_right(spans[0], day) - bisect_right(spans[1], day)

    def meetings_of(self, branch_id: str, meeting_type: str, start: date, end: date) -> list[MeetingFact]:
        """Meetings that were of ``meeting_type`` (as their primary kind or also) held from ``start`` to
        ``end`` (bisect on the date-sorted list): a 组织生活会暨民主评议党员 counts for both kinds."""
        if not self._by_type:
            for facts in self.meetings.values():
                for m in facts:
                    for kind in m.kinds:
                        self._by_type.setdefault((m.branch_id, kind), []).append(m)
            self._days = {k: [m.held_on for m in v] for k, v in self._by_type.items()}
        key = (branch_id, meeting_type)
        days = self._days.get(key)
        if not days:
            return []
        return self._by_type[key][bisect_left(days, start) : bisect_right(days, end)]

    def probation_files(self, session: Session) -> dict[str, tuple[int, date | None]]:
        """Member id → (months the probation was extended, day the 党员大会 discussed the conversion),
        from the 发展党员 files of the members in the check (党章第七条). Read once per evaluation."""
        cached: dict[str, tuple[int, date | None]] | None = self._counts.get("probation_files")
        if cached is None:
            # The 发展党员 files of the check's members who are or were 预备党员: one query over their
            # branches (the member's branch today, whatever branch developed them), not one per 900 ids.
            wanted = {
                m.id for ms in self.members.values() for m in ms if m.full_member_on or m.status != "full"
            }
            cached = {}
            if wanted:
                for member_id, months, converted in plain_rows(
                    session,
                    select(
                        DevelopmentRecord.member_id,
                        DevelopmentRecord.probation_extended_months,
                        DevelopmentRecord.converted_on,
                    )
                    .join(Member, Member.id == DevelopmentRecord.member_id)
                    .where(
                        DevelopmentRecord.deleted.is_not(True),
                        Member.deleted.is_not(True),
                        among(session, Member.branch_id, list(self.members)),
                    ),
                ):
                    if member_id in wanted:
                        cached[member_id] = (int(months or 0), converted)
            self._counts["probation_files"] = cached
            self.queries += 1
        return cached

    def committee(self, branch_id: str, day: date) -> list[SeatFact]:
        return [s for s in self.seats.get(branch_id, []) if s.held_on(day)]

    def has_secretary(self, branch_id: str, day: date) -> bool:
        return any(s.role == CommitteeRole.SECRETARY for s in self.committee(branch_id, day))


def load_facts(
    session: Session,
    branch_ids: list[str] | None,
    start: date,
    end: date,
    *,
    meeting_fields: set[str],
    attachment_kinds: set[str],
    attendance_types: set[str],
) -> Facts:
    queries = 0
    parent = aliased(Branch)
    bq = (
        select(
            Branch.id,
            Branch.code,
            Branch.name,
            Branch.kind,
            Branch.domain,
            Branch.founded_on,
            Branch.term_start,
            Branch.term_end,
            Branch.dissolved_on,
            Branch.parent_id,
            parent.kind,
            parent.domain,
        )
        .outerjoin(parent, parent.id == Branch.parent_id)
        .where(Branch.deleted.is_not(True))
    )
    if branch_ids is not None:
        bq = bq.where(among(session, Branch.id, branch_ids))
    branches = [BranchFact(*b) for b in session.execute(bq.order_by(Branch.sort_order, Branch.code))]
    ids = [b.id for b in branches]
    queries += 1
    children: dict[str, list[str]] = defaultdict(list)
    general = [b.id for b in branches if b.kind == "general"]
    if general:
        cq = select(Branch.parent_id, Branch.id, Branch.domain).where(
            Branch.deleted.is_not(True), among(session, Branch.parent_id, general)
        )
        domains = {b.id: b.domain for b in branches}
        for head, kid, domain in session.execute(cq):
            if head is not None and domain == domains.get(head):
                children[head].append(kid)
        queries += 1

    members: dict[str, list[MemberFact]] = defaultdict(list)
    mq = select(
        Member.branch_id,
        Member.id,
        Member.name,
        Member.status,
        Member.discipline,
        Member.joined_on,
        Member.full_member_on,
        Member.branch_since,
        Member.left_on,
        Member.state,
    ).where(Member.deleted.is_not(True), among(session, Member.branch_id, ids))
    for mrow in plain_rows(session, mq):
        members[mrow[0]].append(MemberFact(*list(mrow)[1:]))
    queries += 1

    seats: dict[str, list[SeatFact]] = defaultdict(list)
    sq = select(
        CommitteeSeat.branch_id,
        CommitteeSeat.member_id,
        CommitteeSeat.role,
        CommitteeSeat.start_on,
        CommitteeSeat.end_on,
    ).where(CommitteeSeat.deleted.is_not(True), among(session, CommitteeSeat.branch_id, ids))
    for srow in plain_rows(session, sq):
        seats[srow[0]].append(SeatFact(*srow[1:]))
    queries += 1

    groups: dict[str, list[GroupFact]] = defaultdict(list)
    # A group whose founding date is not known (named in an imported roster) is judged from its first
    # 党小组会 on record, else from the day it was entered: never for months before anyone knew of it.
    first_meeting = (
        select(func.min(Meeting.held_on))
        .where(Meeting.party_group_id == PartyGroup.id, Meeting.deleted.is_not(True))
        .scalar_subquery()
    )
    gq = (
        select(
            PartyGroup.branch_id,
            PartyGroup.id,
            PartyGroup.name,
            PartyGroup.founded_on,
            PartyGroup.dissolved_on,
            case((PartyGroup.founded_on.is_(None), first_meeting), else_=None),
            PartyGroup.created_at,
        )
        .where(PartyGroup.deleted.is_not(True), among(session, PartyGroup.branch_id, ids))
        .order_by(PartyGroup.sort_order, PartyGroup.name)
    )
    for branch_id, gid, gname, founded, dissolved, first, created in plain_rows(session, gq):
        if founded is None:
            entered = localtime.to_local(created).date() if created is not None else None
            first_day = first if first is None or isinstance(first, date) else date.fromisoformat(str(first))
            founded = min((d for d in (first_day, entered) if d is not None), default=None)
        groups[branch_id].append(GroupFact(gid, gname, founded, dissolved))
    queries += 1

    # "IS NOT 1" rather than "IS 0": SQLite would otherwise walk the low-selectivity index on `deleted`.
    in_range = and_(
        Meeting.deleted.is_not(True),
        among(session, Meeting.branch_id, ids),
        Meeting.held_on >= start,
        Meeting.held_on <= end,
    )
    filled_cols = [(func.length(func.trim(getattr(Meeting, f))) > 0).label(f) for f in sorted(meeting_fields)]
    by_id: dict[str, MeetingFact] = {}
    mrows = plain_rows(
        session,
        select(
            Meeting.id,
            Meeting.branch_id,
            Meeting.type,
            Meeting.held_on,
            Meeting.recorded_on,
            Meeting.party_group_id,
            Meeting.also_types,
            Meeting.backfilled,
            *filled_cols,
        )
        .where(in_range)
        .order_by(Meeting.held_on),
    )
    for row in mrows:
        also = tuple(k for k in (row[6] or "").split(",") if k and k != row[2])
        fact = MeetingFact(row[0], row[1], row[2], row[3], row[4], row[5], also, bool(row[7]))
        fact.filled = {f: bool(v) for f, v in zip(sorted(meeting_fields), row[8:], strict=True)}
        by_id[fact.id] = fact
    queries += 1

    if attendance_types and by_id:
        # Voting rights: full members not under 留党察看; observers are not among those expected.
        # A member converted after the meeting was still a 预备党员 at it and did not vote.
        voting = and_(
            Member.status == MemberStatus.FULL,
            or_(Member.full_member_on.is_(None), Member.full_member_on <= Meeting.held_on),
            Member.discipline != Discipline.PROBATION,
            Attendance.status != AttendanceStatus.OBSERVER,
        )
        present = and_(voting, Attendance.status == AttendanceStatus.PRESENT)
        aq = (
            select(
                Attendance.meeting_id,
                func.sum(case((voting, 1), else_=0)),
                func.sum(case((present, 1), else_=0)),
            )
            .join(Member, Member.id == Attendance.member_id)
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(
                Attendance.meeting_id.in_(
                    select(Meeting.id).where(
                        in_range, or_(Meeting.type.in_(sorted(attendance_types)), Meeting.also_types != "")
                    )
                ),
                Attendance.deleted.is_not(True),
            )
            .group_by(Attendance.meeting_id)
        )
        for mid, exp, pres in plain_rows(session, aq):
            hit = by_id.get(mid)
            if hit is not None:
                hit.expected_voting, hit.present_voting = int(exp or 0), int(pres or 0)
        queries += 1

    if attachment_kinds and by_id:
        tq = (
            select(Attachment.owner_id, Attachment.kind, func.count())
            .join(Meeting, Meeting.id == Attachment.owner_id)
            .where(
                in_range,
                Attachment.owner_type == literal("meeting"),
                Attachment.deleted.is_not(True),
                Attachment.kind.in_(sorted(attachment_kinds)),
            )
            .group_by(Attachment.owner_id, Attachment.kind)
        )
        for owner, kind, n in plain_rows(session, tq):
            if owner in by_id:
                by_id[owner].attachments[kind] = int(n)
        queries += 1

    meetings: dict[str, list[MeetingFact]] = defaultdict(list)
    for fact in by_id.values():
        meetings[fact.branch_id].append(fact)
    return Facts(branches, dict(members), dict(seats), dict(groups), dict(meetings), queries, dict(children))


def conditions(src: Source, flt: dict[str, FilterValue]) -> list[Any]:
    out: list[Any] = []
    for key, value in flt.items():
        col = src.column(key)
        out.append(col.in_(value) if isinstance(value, list) else col == value)
    return out


@dataclass
class CountQuery:
    """One grouped count: records of a source matching a filter, per branch (and per month when dated)."""

    records: str
    filter: dict[str, FilterValue]
    date_field: str | None
    numerator: dict[str, FilterValue] = field(default_factory=dict)
    month_field: str | None = None  # a "YYYY-MM" text column the windows are judged by (党费 month)
    filled: tuple[str, ...] = ()  # count only records with these fields filled (not null, not 0, not "")
    known_by: str | None = None  # a date field: records dated after the check day are not yet known
    as_of: date | None = None


def count_records(
    session: Session, q: CountQuery, branch_ids: list[str], start: date, end: date
) -> dict[str, dict[tuple[int, int] | None, tuple[int, int]]]:
    """branch → (year, month) or None → (matching, numerator-matching). One SQL statement."""
    src = sources()[q.records]
    table = src.table
    branch_col = src.parent.columns["branch_id"] if src.parent is not None else table.columns["branch_id"]
    conds: list[Any] = [table.columns["deleted"].is_not(True)]
    own = {k: v for k, v in q.filter.items() if "." not in k}
    conds += conditions(src, own)
    if src.parent is not None and src.via is not None:
        # Narrow the parent rows first, then reach the children through their FK index.
        parent = src.parent
        pconds: list[Any] = [
            parent.columns["deleted"].is_not(True),
            among(session, parent.columns["branch_id"], branch_ids),
        ]
        pconds += conditions(src, {k: v for k, v in q.filter.items() if "." in k})
        if q.date_field and "." in q.date_field:
            day = src.column(q.date_field)
            pconds += [day >= start, day <= end]
        conds.append(table.columns[src.via].in_(select(parent.columns["id"]).where(*pconds)))
    else:
        conds.append(among(session, branch_col, branch_ids))
    num = and_(*conditions(src, q.numerator)) if q.numerator else literal(True)
    for name in q.filled:
        col = src.column(name)
        conds.append(col.is_not(None))
        if isinstance(col.type, Integer):
            conds.append(col != 0)
        elif isinstance(col.type, String):
            conds.append(col != "")
    if q.known_by and q.as_of is not None:
        conds.append(src.column(q.known_by) <= q.as_of)
    cols: list[Any] = [branch_col]
    if q.month_field:
        month = src.column(q.month_field)
        conds += [month >= f"{start.year:04d}-{start.month:02d}", month <= f"{end.year:04d}-{end.month:02d}"]
        cols.append(month)
    elif q.date_field:
        day = src.column(q.date_field)
        if "." not in q.date_field:
            conds += [day >= start, day <= end]
        cols += [extract("year", day), extract("month", day)]
    stmt = select(*cols, func.count(), func.sum(case((num, 1), else_=0))).where(*conds).group_by(*cols)
    if src.parent is not None and src.via is not None:
        stmt = stmt.select_from(table.join(src.parent, table.columns[src.via] == src.parent.columns["id"]))
    out: dict[str, dict[tuple[int, int] | None, tuple[int, int]]] = defaultdict(dict)
    for row in plain_rows(session, stmt):
        key: tuple[int, int] | None = None
        if q.month_field:
            key = (int(row[1][:4]), int(row[1][5:7]))
        elif q.date_field:
            key = (int(row[1]), int(row[2]))
        out[row[0]][key] = (int(row[-2]), int(row[-1] or 0))
    return dict(out)


def cached_count(
    facts: Facts, session: Session, q: CountQuery, start: date, end: date
) -> dict[str, dict[tuple[int, int] | None, tuple[int, int]]]:
    """``count_records`` once per distinct query in an evaluation (a rule and a 资料 often ask the same)."""
    key = repr(
        (
            q.records,
            sorted(q.filter.items()),
            q.date_field,
            sorted(q.numerator.items()),
            q.month_field,
            q.filled,
            q.known_by,
            q.as_of,
            start,
            end,
        )
    )
    if key not in facts._counts:
        ids = [b.id for b in facts.branches] + [k for kids in facts.children.values() for k in kids]
        facts._counts[key] = count_records(session, q, ids, start, end)
        facts.queries += 1
    result: dict[str, dict[tuple[int, int] | None, tuple[int, int]]] = facts._counts[key]
    return result


def window_total(
    counts: dict[tuple[int, int] | None, tuple[int, int]], window: Period | None
) -> tuple[int, int]:
    """Sum the per-month counts falling inside ``window`` (all of them when None or undated)."""
    if window is None or None in counts:
        return sum(n for n, _ in counts.values()), sum(k for _, k in counts.values())
    total = num = 0
    y, m = window.start.year, window.start.month
    while (y, m) <= (window.end.year, window.end.month):
        n, k = counts.get((y, m), (0, 0))
        total, num = total + n, num + k
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return total, num
