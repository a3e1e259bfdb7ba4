"""Branch committee (支委): seats, terms (届) and the 换届 election that closes one term and opens the next.

Rules (../shared/domain.md, "Organisation rules"):
- only **full** members may hold a seat (预备党员 have no right to be elected) — 党章 第七条;
- one 书记 at a time; a 书记 generally has at least one year of party age (a warning, not a refusal) —
  《中国共产党基层组织选举工作条例》;
- a branch with fewer than 7 full members has a 书记 (and when needed a 副书记) and no committee —
  《中国共产党支部工作条例（试行）》第八条 (as republished);
- an election needs four-fifths of the members with voting rights present; members may be left out of
  应到会 only on the allowed grounds (``ExclusionGround``) — 《中国共产党基层组织选举工作条例》;
- term length per domain from the pack's term rule (村、社区 5 years, others 3) — 支部工作条例 第九条,
  《中国共产党农村基层组织工作条例》第七条.

Seat dates: ``start_on`` is the first day held, ``end_on`` the first day no longer held (None: still held).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch, BranchTerm, CommitteeSeat, MeetingExclusion, Member
from models.enums import AttendanceStatus, CommitteeRole, ExclusionGround, MeetingType, label
from services.dates import add_years
from services.errors import NotFound, ValidationError
from services.members import members_on, probation_end
from services.org import committee_on, get_branch

COMMITTEE_THRESHOLD = 7  # full members from which a branch sets up a committee (支部工作条例 第八条)
ROLES_WITHOUT_COMMITTEE = (CommitteeRole.SECRETARY, CommitteeRole.DEPUTY)


@dataclass(frozen=True)
class SeatRow:
    """A seat for listings: dates are local calendar days, ``end_on`` exclusive (None: held now)."""

    id: str
    member_id: str
    member_name: str
    role: str
    role_label: str
    start_on: date
    end_on: date | None
    elected_how: str
    term_id: str | None


def full_members_on(session: Session, branch_id: str, day: date) -> int:
    """Number of full members (正式党员) of the branch on ``day``."""
    return sum(1 for m in members_on(session, branch_id, day) if _full_on(m, day))


def _full_on(member: Member, day: date) -> bool:
    return member.status == "full" and (member.full_member_on is None or member.full_member_on <= day)


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return a_start < (b_end or date.max) and b_start < (a_end or date.max)


def _live_seats(session: Session, branch_id: str) -> list[CommitteeSeat]:
    return list(
        session.scalars(
            select(CommitteeSeat).where(
                CommitteeSeat.branch_id == branch_id, CommitteeSeat.deleted.is_(False)
            )
        )
    )


def allowed_roles(session: Session, branch_id: str, day: date) -> list[str]:
    """Roles a seat may take on ``day``: every ``CommitteeRole`` with 7+ full members, else only
    书记 and 副书记 (支部工作条例 第八条). The seat form offers exactly these."""
    if full_members_on(session, branch_id, day) >= COMMITTEE_THRESHOLD:
        return [str(r) for r in CommitteeRole]
    return [str(r) for r in ROLES_WITHOUT_COMMITTEE]


def has_committee_on(session: Session, branch_id: str, day: date) -> bool:
    """True when the branch has a seated committee (支部委员会) on ``day``: a 党委 or 党总支 always (they
    are committees by kind), a 党支部 when a seat other than 书记/副书记 is held that day — a committee
    elected while the branch had 7 full members stays in office for its term even if the count drops."""
    branch = get_branch(session, branch_id)
    if branch.kind != "branch":
        return True
    return any(s.role not in ROLES_WITHOUT_COMMITTEE for s in committee_on(session, branch_id, day))


def committee_meeting_problem(session: Session, branch_id: str, day: date) -> str | None:
    """Why a 支委会 cannot be recorded for ``branch_id`` on ``day`` (local date), or None when it can:
    a 党支部 with no seated committee and fewer than 7 full members has no 支部委员会, only a 书记 (and when
    needed a 副书记) — 《中国共产党支部工作条例（试行）》第八条 (as republished)."""
    if has_committee_on(session, branch_id, day):
        return None
    full = full_members_on(session, branch_id, day)
    if full >= COMMITTEE_THRESHOLD:
        return None
    return (
        f"本支部 {day.isoformat()} 正式党员 {full} 名，不足 {COMMITTEE_THRESHOLD} 名，不设支部委员会"
        "（只设书记，必要时设副书记），不能记录支委会；需要党员讨论决定的事项请召开支部党员大会，"
        "书记、副书记碰头研究可记为“其他”（《中国共产党支部工作条例（试行）》第八条）。"
    )


def party_age_warnings(member: Member, role: str, start_on: date) -> list[str]:
    """Warnings (not refusals) for a seat: a 书记 with under one year of party age (党龄, counted from
    the day the member became full, or one year after joining when that day is not recorded)."""
    if role != CommitteeRole.SECRETARY:
        return []
    full_since = member.full_member_on or probation_end(member.joined_on)
    if add_years(full_since, 1) > start_on:
        return [
            f"{member.name} 党龄不足 1 年（{full_since.isoformat()} 起为正式党员），"
            "书记一般应具有 1 年以上党龄（《中国共产党基层组织选举工作条例》）。"
        ]
    return []


def seat_warnings(session: Session, member_id: str, role: str, start_on: date) -> list[str]:
    """Warnings to show before saving a seat (see :func:`party_age_warnings`); [] when none."""
    member = session.get(Member, member_id)
    return party_age_warnings(member, role, start_on) if member is not None else []


def _check_seat(
    session: Session,
    branch_id: str,
    member_id: str,
    role: str,
    start_on: date,
    end_on: date | None,
    today: date,
    *,
    ignore: set[str] | frozenset[str] = frozenset(),
    pending: list[tuple[str, str]] | None = None,
) -> Member:
    """Raise ValidationError for a seat that may not be held; ``ignore``: seat ids being ended in the
    same change, ``pending``: (member_id, role) seats added in the same change (an election)."""
    if role not in CommitteeRole.__members__.values():
        codes = "、".join(f"{r.value}（{label(r)}）" for r in CommitteeRole)
        raise ValidationError("role", f"未知的职务：{role}。可用职务：{codes}。")
    member = session.get(Member, member_id)
    if member is None or member.deleted or member.branch_id != branch_id:
        raise ValidationError("member_id", "支委必须是本支部的党员。")
    if not member.in_branch_on(start_on) or member.joined_on > start_on:
        raise ValidationError(
            "member_id", f"{member.name} 在 {start_on.isoformat()} 不是本支部党员，不能任职。"
        )
    if not _full_on(member, start_on):
        raise ValidationError(
            "member_id",
            f"{member.name} 在 {start_on.isoformat()} 是预备党员，预备党员没有被选举权，不能担任支委"
            "（党章第七条）。",
        )
    if start_on > today:
        raise ValidationError("start_on", "任职日期不能晚于今天。")
    if end_on is not None and end_on <= start_on:
        raise ValidationError("end_on", "离任日期必须晚于任职日期。")
    if role not in ROLES_WITHOUT_COMMITTEE:
        full = full_members_on(session, branch_id, start_on)
        if full < COMMITTEE_THRESHOLD:
            raise ValidationError(
                "role",
                f"本支部正式党员 {full} 名，不足 {COMMITTEE_THRESHOLD} 名，不设支部委员会，"
                "只设书记（必要时设副书记）（《中国共产党支部工作条例（试行）》第八条）。",
            )
    for seat in _live_seats(session, branch_id):
        if seat.id in ignore or not _overlaps(seat.start_on, seat.end_on, start_on, end_on):
            continue
        if seat.member_id == member_id:
            raise ValidationError(
                "member_id",
                f"{member.name} 自 {seat.start_on.isoformat()} 已任{label(CommitteeRole(seat.role))}，"
                "一人同一时间只登记一个职务；请先结束原职务。",
            )
        if role == CommitteeRole.SECRETARY and seat.role == CommitteeRole.SECRETARY:
            holder = session.get(Member, seat.member_id)
            raise ValidationError(
                "role",
                f"该期间已有书记 {holder.name if holder else ''}（自 {seat.start_on.isoformat()}），"
                "同一时间只能有一名书记；请先结束其任职。",
            )
    for other_id, other_role in pending or []:
        if other_id == member_id:
            raise ValidationError("member_id", f"{member.name} 重复当选，一人只登记一个职务。")
        if role == CommitteeRole.SECRETARY and other_role == CommitteeRole.SECRETARY:
            raise ValidationError("role", "只能选出一名书记。")
    return member


def add_seat(
    session: Session,
    branch_id: str,
    member_id: str,
    role: str,
    start_on: date,
    end_on: date | None = None,
    *,
    elected_how: str = "",
    term_id: str | None = None,
    today: date | None = None,
) -> CommitteeSeat:
    """Seat ``member_id`` as ``role`` (a ``CommitteeRole`` code) from ``start_on`` (local date).

    Raises ValidationError (field role / member_id / start_on / end_on) for a seat the rules in the
    module docstring forbid; nothing is written then. The 书记 party-age rule is only a warning
    (:func:`seat_warnings`)."""
    today = today or date.today()
    branch = get_branch(session, branch_id)
    if branch.dissolved_on and start_on >= branch.dissolved_on:
        raise ValidationError("start_on", f"{branch.name}已于 {branch.dissolved_on.isoformat()} 撤销。")
    _check_seat(session, branch_id, member_id, role, start_on, end_on, today)
    if term_id is None:
        term = current_term(session, branch_id, start_on)
        term_id = term.id if term else None
    seat = CommitteeSeat(
        branch_id=branch_id,
        member_id=member_id,
        role=str(role),
        start_on=start_on,
        end_on=end_on,
        elected_how=elected_how.strip(),
        term_id=term_id,
    )
    session.add(seat)
    session.flush()
    return seat


def get_seat(session: Session, seat_id: str) -> CommitteeSeat:
    seat = session.get(CommitteeSeat, seat_id)
    if seat is None or seat.deleted:
        raise NotFound("找不到该任职记录，可能已被删除。")
    return seat


def end_seat(session: Session, seat_id: str, end_on: date, today: date | None = None) -> CommitteeSeat:
    """End a seat: ``end_on`` is the first day it is no longer held (local date, not in the future).
    Raises ValidationError("end_on") when it is not after the start or already ended earlier."""
    today = today or date.today()
    seat = get_seat(session, seat_id)
    if end_on <= seat.start_on:
        raise ValidationError("end_on", f"离任日期必须晚于任职日期（{seat.start_on.isoformat()}）。")
    if end_on > today:
        raise ValidationError("end_on", "离任日期不能晚于今天。")
    if seat.end_on is not None and seat.end_on <= end_on:
        raise ValidationError("end_on", f"该任职已于 {seat.end_on.isoformat()} 结束。")
    seat.end_on = end_on
    session.flush()
    return seat


def seats(session: Session, branch_id: str, *, on: date | None = None) -> list[SeatRow]:
    """The branch's seats, current first then by start date; ``on``: only seats held that day."""
    rows = session.execute(
        select(CommitteeSeat, Member.name)
        .join(Member, Member.id == CommitteeSeat.member_id)
        .where(CommitteeSeat.branch_id == branch_id, CommitteeSeat.deleted.is_(False))
    ).all()
    order = {str(r): i for i, r in enumerate(CommitteeRole)}
    out = [
        SeatRow(
            s.id,
            s.member_id,
            name,
            s.role,
            label(CommitteeRole(s.role)) if s.role in order else s.role,
            s.start_on,
            s.end_on,
            s.elected_how,
            s.term_id,
        )
        for s, name in rows
        if on is None or (s.start_on <= on and (s.end_on is None or s.end_on > on))
    ]
    out.sort(key=lambda r: (r.end_on is not None, order.get(r.role, 99), -r.start_on.toordinal()))
    return out


# --- terms -------------------------------------------------------------------------------------


def term_years(domain: str, pack: object | None = None) -> int:
    """Term length in years for a branch domain, from the pack's term rule (``years_by_domain`` or
    ``years``); 3 when the pack has no term rule. Source: 支部工作条例 第九条; 农村基层组织工作条例 第七条."""
    from services.handbook.pack import PackHolder, TermRule

    chosen = pack if pack is not None else PackHolder.startup().pack
    for rule in getattr(chosen, "rule", []):
        if isinstance(rule, TermRule):
            return int(rule.years_by_domain.get(domain, rule.years))
    return 3


def terms(session: Session, branch_id: str) -> list[BranchTerm]:
    """Term history (届), oldest first."""
    return list(
        session.scalars(
            select(BranchTerm)
            .where(BranchTerm.branch_id == branch_id, BranchTerm.deleted.is_(False))
            .order_by(BranchTerm.start_on)
        )
    )


def current_term(session: Session, branch_id: str, day: date | None = None) -> BranchTerm | None:
    """The term in force on ``day`` (default: the open one)."""
    for term in reversed(terms(session, branch_id)):
        if day is None:
            if term.ended_on is None:
                return term
        elif term.start_on <= day and (term.ended_on is None or term.ended_on > day):
            return term
    return None


def _mirror_term(session: Session, branch: Branch) -> None:
    """``Branch.term_start``/``term_end`` are derived: the open term's start and due date."""
    term = current_term(session, branch.id)
    branch.term_start = term.start_on if term else None
    branch.term_end = term.due_on if term else None


def start_term(
    session: Session,
    branch_id: str,
    start_on: date,
    *,
    due_on: date | None = None,
    meeting_id: str | None = None,
    pack: object | None = None,
    today: date | None = None,
) -> BranchTerm:
    """Open a new term from ``start_on`` (closing the open one that day). ``due_on`` defaults to
    ``start_on`` + the pack's term length for the branch's domain. Raises ValidationError("term_start")
    for a start in the future or not after the open term's start, ("term_end") for a due date not
    after the start."""
    today = today or date.today()
    branch = get_branch(session, branch_id)
    if start_on > today:
        raise ValidationError("term_start", "换届日期不能晚于今天。")
    open_term = current_term(session, branch_id)
    if open_term is not None and start_on <= open_term.start_on:
        raise ValidationError(
            "term_start",
            f"新一届的开始日期须晚于本届开始日期（{open_term.start_on.isoformat()}）。",
        )
    due = due_on or add_years(start_on, term_years(branch.domain, pack))
    if due <= start_on:
        raise ValidationError("term_end", "届满日期必须晚于换届日期。")
    if open_term is not None:
        open_term.ended_on = start_on
    term = BranchTerm(branch_id=branch_id, start_on=start_on, due_on=due, meeting_id=meeting_id)
    session.add(term)
    session.flush()
    _mirror_term(session, branch)
    session.flush()
    return term


# --- election (换届) ---------------------------------------------------------------------------


@dataclass
class Exclusion:
    """A member left out of 应到会: ``ground`` an ``ExclusionGround`` code."""

    member_id: str
    ground: str
    note: str = ""


@dataclass
class ElectionInput:
    """An election meeting (选举大会, recorded as a 支部党员大会): who was elected to which role
    (``CommitteeRole`` codes), who was excluded from 应到会 and why, who was on leave/absent (with a
    reason); every other member of the branch that day is recorded present."""

    held_on: date
    elected: list[tuple[str, str]]  # (member_id, role)
    excluded: list[Exclusion] = field(default_factory=list)
    leave: list[tuple[str, str]] = field(default_factory=list)  # (member_id, reason)
    absent: list[tuple[str, str]] = field(default_factory=list)
    topics: str = "换届选举"
    place: str = ""
    host: str = ""
    recorder: str = ""
    minutes: str = ""
    guests: list[tuple[str, str]] = field(default_factory=list)  # 列席: (name, unit)


@dataclass(frozen=True)
class ElectionQuorum:
    expected_voting: int  # members with voting rights, less those excluded on allowed grounds
    present_voting: int

    @property
    def needed(self) -> int:
        """Smallest number present that is four-fifths of ``expected_voting``."""
        return -(-self.expected_voting * 4 // 5)

    @property
    def met(self) -> bool:
        return self.expected_voting > 0 and self.present_voting * 5 >= self.expected_voting * 4

    def describe(self) -> str:
        verdict = "符合" if self.met else "不符合"
        return (
            f"应到会有表决权党员 {self.expected_voting} 人，实到 {self.present_voting} 人，"
            f"{verdict}五分之四以上到会的要求（至少 {self.needed} 人）"
        )


@dataclass(frozen=True)
class ElectionResult:
    meeting_id: str
    term_id: str
    quorum: ElectionQuorum
    warnings: list[str]


def election_quorum(session: Session, branch_id: str, data: ElectionInput) -> ElectionQuorum:
    """Four-fifths quorum of an election: voting members on the day, less exclusions, against those
    not on leave or absent. Raises ValidationError("excluded") for a ground not allowed or a person
    who is not a member of the branch that day."""
    members = {m.id: m for m in members_on(session, branch_id, data.held_on)}
    excluded: set[str] = set()
    allowed = "、".join(label(g) for g in ExclusionGround)
    for i, ex in enumerate(data.excluded, start=1):
        if ex.ground not in ExclusionGround.__members__.values():
            raise ValidationError(
                "excluded",
                f"第 {i} 名不计入应到会的党员：理由「{ex.ground}」不在允许的范围内。"
                f"只有以下情形可不计入应到会人数：{allowed}（《中国共产党基层组织选举工作条例》）。",
            )
        if ex.member_id not in members:
            raise ValidationError("excluded", f"第 {i} 名不计入应到会的人不是本支部党员。")
        excluded.add(ex.member_id)
    voting = {mid for mid, m in members.items() if m.can_vote_on(data.held_on)} - excluded
    away = {mid for mid, _ in data.leave} | {mid for mid, _ in data.absent}
    return ElectionQuorum(len(voting), len(voting - away))


def record_election(
    session: Session,
    branch_id: str,
    data: ElectionInput,
    *,
    pack: object | None = None,
    today: date | None = None,
) -> ElectionResult:
    """Record a 换届 election: one 支部党员大会 (attendance, exclusions, 列席), every seat open that day
    ended, the open term closed and a new term opened (length from the pack), the elected seated from
    ``held_on`` with ``elected_how`` 换届选举. One unit of work: any ValidationError (fields held_on,
    excluded, attendance, elected, role, member_id) leaves nothing written."""
    from services import meetings

    today = today or date.today()
    branch = get_branch(session, branch_id)
    if data.held_on > today:
        raise ValidationError("held_on", "选举日期不能晚于今天。")
    if branch.dissolved_on and data.held_on >= branch.dissolved_on:
        raise ValidationError("held_on", f"{branch.name}已于 {branch.dissolved_on.isoformat()} 撤销。")
    q = election_quorum(session, branch_id, data)
    if not q.met:
        raise ValidationError(
            "attendance",
            f"选举须有应到会有表决权党员的五分之四以上到会：{q.describe()}。"
            "（《中国共产党基层组织选举工作条例》）",
        )
    if not data.elected:
        raise ValidationError("elected", "请填写当选人员及职务。")
    if not any(role == CommitteeRole.SECRETARY for _, role in data.elected):
        raise ValidationError("elected", "当选人员中须有书记。")
    open_seats = [s for s in _live_seats(session, branch_id) if s.end_on is None or s.end_on > data.held_on]
    ending = {s.id for s in open_seats}
    pending: list[tuple[str, str]] = []
    warnings: list[str] = []
    for member_id, role in data.elected:
        member = _check_seat(
            session, branch_id, member_id, role, data.held_on, None, today, ignore=ending, pending=pending
        )
        pending.append((member_id, role))
        warnings += party_age_warnings(member, role, data.held_on)
    excluded_ids = {e.member_id for e in data.excluded}
    special = {mid: (AttendanceStatus.LEAVE, r) for mid, r in data.leave} | {
        mid: (AttendanceStatus.ABSENT, r) for mid, r in data.absent
    }
    attendance = [
        meetings.AttendanceInput(m.id, *special.get(m.id, (AttendanceStatus.PRESENT, "")))
        for m in members_on(session, branch_id, data.held_on)
        if m.id not in excluded_ids
    ]
    meeting = meetings.create_meeting(
        session,
        branch_id,
        meetings.MeetingInput(
            type=MeetingType.CONGRESS,
            held_on=data.held_on,
            topics=data.topics or "换届选举",
            place=data.place,
            host=data.host,
            recorder=data.recorder,
            minutes=data.minutes,
            attendance=attendance,
            guests=[meetings.GuestInput(n, u) for n, u in data.guests],
        ),
        today=today,
    )
    for ex in data.excluded:
        session.add(
            MeetingExclusion(
                meeting_id=meeting.id, member_id=ex.member_id, ground=ex.ground, note=ex.note.strip()
            )
        )
    for seat in open_seats:
        seat.end_on = data.held_on
    session.flush()
    term = start_term(session, branch_id, data.held_on, meeting_id=meeting.id, pack=pack, today=today)
    for member_id, role in data.elected:
        session.add(
            CommitteeSeat(
                branch_id=branch_id,
                member_id=member_id,
                role=str(role),
                start_on=data.held_on,
                elected_how="换届选举",
                term_id=term.id,
            )
        )
    session.flush()
    return ElectionResult(meeting.id, term.id, q, warnings)


def exclusions(session: Session, meeting_id: str) -> list[MeetingExclusion]:
    """Members left out of 应到会 at an election meeting."""
    return list(
        session.scalars(
            select(MeetingExclusion).where(
                MeetingExclusion.meeting_id == meeting_id, MeetingExclusion.deleted.is_(False)
            )
        )
    )
