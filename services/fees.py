"""党费: monthly dues by income band, payments, arrears, and the 6-month lapse rule (党章 Art. 9).

Money is integer fen throughout. Rates follow 《关于中国共产党党费收缴、使用和管理的规定》(2008); the
handbook pack may supply its own ``FeeSchedule`` (the farmers' fixed amount is a provincial setting).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, extract, func, or_, select
from sqlalchemy.orm import Session

from models import Attendance, FeeDue, FundEntry, Meeting, Member
from models.enums import AttendanceStatus, FeeCategory, FundDirection, MemberState
from services import groups
from services.errors import NotFound, ValidationError
from services.exemptions import excused_months
from services.ledgers.values import Money, Month, normalise_month
from services.org import get_branch
from services.sqlsets import among, plain_rows


@dataclass(frozen=True)
class Band:
    up_to_fen: int | None  # inclusive upper bound of monthly after-tax income; None = no bound
    basis_points: int  # 50 = 0.5 %


@dataclass(frozen=True)
class FeeSchedule:
    salaried: tuple[Band, ...] = (
        Band(300_000, 50),
        Band(500_000, 100),
        Band(1_000_000, 150),
        Band(None, 200),
    )
    retired: tuple[Band, ...] = (Band(500_000, 50), Band(None, 100))
    fixed_fen: dict[str, int] = field(
        default_factory=lambda: {"farmer": 50, "student": 20, "unemployed": 20, "relief": 20}
    )
    advance_months: int = 6

    def due_fen(self, category: str, income_fen: int) -> int:
        """Monthly dues for a category and income; percentages rounded half-up to the fen."""
        if category in self.fixed_fen:
            return self.fixed_fen[category]
        bands = {"salaried": self.salaried, "retired": self.retired}.get(category)
        if bands is None:
            raise ValidationError("category", f"未知的党费类别：{category}。")
        if income_fen < 0:
            raise ValidationError("income_fen", "月收入不能为负数。")
        for band in bands:
            if band.up_to_fen is None or income_fen <= band.up_to_fen:
                return (income_fen * band.basis_points + 5_000) // 10_000
        raise AssertionError("the last band has no bound")


DEFAULT_SCHEDULE = FeeSchedule()


def schedule_from_pack(pack: Any) -> FeeSchedule:
    """The pack's ``[fees]`` table as a schedule; the national defaults when the pack has none."""
    fees = getattr(pack, "fees", None)
    if fees is None:
        return DEFAULT_SCHEDULE
    return FeeSchedule(
        salaried=tuple(Band(b.up_to_fen, b.basis_points) for b in fees.salaried),
        retired=tuple(Band(b.up_to_fen, b.basis_points) for b in fees.retired),
        fixed_fen=dict(fees.fixed_fen),
        advance_months=fees.advance_months,
    )


def current_schedule() -> FeeSchedule:
    """The schedule of the handbook pack in use on this computer (as the check uses it)."""
    from services.handbook.pack import PackHolder

    return schedule_from_pack(PackHolder.startup().pack)


def month_key(day: date) -> str:
    """``YYYY-MM`` of a day."""
    return str(Month.of(day))


def parse_month(text: str) -> date:
    """First day of a month typed as ``2026-07`` / ``2026-7`` / ``2026年7月``; raises ValidationError("month")."""
    return Month.parse(text).first_day


def shift_month(month: str, delta: int) -> str:
    """``YYYY-MM`` ``delta`` months later (earlier when negative)."""
    return str(Month.parse(month).shift(delta))


def set_due(
    session: Session,
    member_id: str,
    month: str,
    category: str,
    income_fen: int = 0,
    schedule: FeeSchedule = DEFAULT_SCHEDULE,
) -> FeeDue:
    """Create or update what a member owes for a month (category and income decide the amount)."""
    if category not in FeeCategory.__members__.values():
        raise ValidationError("category", f"未知的党费类别：{category}。")
    month = normalise_month(month)
    member = session.get(Member, member_id)
    if member is None or member.deleted:
        raise NotFound("找不到该党员。")
    if month < month_key(member.joined_on):
        raise ValidationError("month", f"{member.name} 于 {member.joined_on} 入党，{month} 无需交纳党费。")
    row = session.scalar(select(FeeDue).where(FeeDue.member_id == member_id, FeeDue.month == month))
    if row is None:
        row = FeeDue(member_id=member_id, branch_id=member.branch_id, month=month)
        session.add(row)
    row.deleted = False
    row.category = category
    row.income_fen = income_fen
    row.due_fen = schedule.due_fen(category, income_fen)
    session.flush()
    return row


def generate_month(
    session: Session,
    branch_id: str,
    month: str,
    categories: dict[str, tuple[str, int]],
    schedule: FeeSchedule = DEFAULT_SCHEDULE,
) -> int:
    """Dues for every active member of a branch for a month, from each member's latest category.

    ``categories`` maps member id → (category, income in fen) for members whose situation is new;
    others repeat their previous month. Returns the number of rows created or updated.
    """
    get_branch(session, branch_id)
    month = normalise_month(month)
    first = parse_month(month)
    members = session.scalars(
        select(Member).where(
            Member.branch_id == branch_id,
            Member.deleted.is_(False),
            Member.state == MemberState.ACTIVE,
            Member.joined_on < date(first.year + (first.month == 12), first.month % 12 + 1, 1),
        )
    ).all()
    latest = _latest_situation(session, [m.id for m in members], month)
    count = 0
    for m in members:
        situation = categories.get(m.id) or latest.get(m.id)
        if situation is None:
            continue  # no category known yet: the clerk must set one (listed by missing_categories)
        set_due(session, m.id, month, situation[0], situation[1], schedule)
        count += 1
    return count


def _latest_situation(session: Session, member_ids: list[str], before: str) -> dict[str, tuple[str, int]]:
    sub = (
        select(FeeDue.member_id, func.max(FeeDue.month).label("m"))
        .where(FeeDue.member_id.in_(member_ids), FeeDue.month < before, FeeDue.deleted.is_(False))
        .group_by(FeeDue.member_id)
        .subquery()
    )
    rows = session.execute(
        select(FeeDue.member_id, FeeDue.category, FeeDue.income_fen).join(
            sub, (sub.c.member_id == FeeDue.member_id) & (sub.c.m == FeeDue.month)
        )
    )
    return {r[0]: (r[1], int(r[2])) for r in rows}


def record_payment(
    session: Session,
    member_id: str,
    month: str,
    paid_fen: int,
    paid_on: date,
    receipt_no: str = "",
    schedule: FeeSchedule = DEFAULT_SCHEDULE,
    today: date | None = None,
) -> FeeDue:
    today = today or date.today()
    month = normalise_month(month)
    if paid_fen <= 0:
        raise ValidationError("paid_fen", "交纳金额必须大于 0。")
    if paid_on > today:
        raise ValidationError("paid_on", "交纳日期不能晚于今天。")
    if month > shift_month(month_key(paid_on), schedule.advance_months):
        raise ValidationError("month", f"党费最多预交 {schedule.advance_months} 个月，不能预交 {month}。")
    row = session.scalar(
        select(FeeDue).where(FeeDue.member_id == member_id, FeeDue.month == month, FeeDue.deleted.is_(False))
    )
    if row is None:
        raise ValidationError("month", f"{month} 还没有应交党费记录，请先核定该月党费。")
    row.paid_fen = paid_fen
    row.paid_on = paid_on
    row.receipt_no = receipt_no.strip()
    session.flush()
    return row


@dataclass(frozen=True)
class Lapse:
    """Consecutive months, ending at ``as_of``, without paying (or without organisational life)."""

    member_id: str
    branch_id: str
    name: str
    months: int
    since: str  # first month of the run

    def level(self, warn_from: int | None = 3, error_from: int | None = 6) -> str | None:
        """ "error", "warning" or None for a run of ``months``; thresholds in months (None: never).
        Callers pass the pack's lapse rules (``lapse_thresholds``); 3 and 6 are 党章第九条's defaults."""
        if error_from is not None and self.months >= error_from:
            return "error"
        if warn_from is not None and self.months >= warn_from:
            return "warning"
        return None


def lapse_thresholds(pack: Any, check: str) -> tuple[int | None, int | None]:
    """(warning from, error from) months of the pack's ``type = "lapse"`` rules for ``check``
    ("dues" or "life"): the smallest ``min_months`` of its warning rules and of its error rules; None
    where the pack has no such rule (that level is never reached)."""
    rules = [r for r in pack.rule if getattr(r, "type", "") == "lapse" and r.check == check]
    warn = [r.min_months for r in rules if r.importance == "warning"]
    err = [r.min_months for r in rules if r.importance == "error"]
    return (min(warn) if warn else None, min(err) if err else None)


def _month_end(month: str) -> date:
    first = parse_month(month)
    nxt = parse_month(shift_month(month, 1))
    return date.fromordinal(nxt.toordinal() - 1) if nxt > first else first


def _members_as_of(session: Session, branch_ids: list[str] | None, as_of: str) -> list[Any]:
    """Members of the branches at the end of month ``as_of`` (the roster as of then, not today's):
    joined and in the branch by then, not yet transferred out, dead or gone. Plain rows."""
    end = _month_end(as_of)
    stmt = select(
        Member.id,
        Member.branch_id,
        Member.name,
        Member.joined_on,
        Member.branch_since,
        Member.party_group_id,
    ).where(
        Member.deleted.is_not(True),
        Member.joined_on <= end,
        Member.branch_since <= end,
        # Gone members keep their branch; left_on says since when. Old rows without a date: not judged.
        ((Member.left_on.is_(None)) & (Member.state == MemberState.ACTIVE)) | (Member.left_on > end),
    )
    if branch_ids is not None:
        stmt = stmt.where(among(session, Member.branch_id, branch_ids))
    return list(plain_rows(session, stmt))


# Lapse runs read the last few months for everyone, then further back only for members not settled there.
_RECENT_MONTHS = 3
_ID_CHUNK = 900  # ids per IN list (SQLite's bound-parameter limit on old builds is 999)


def _month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7])


def _index_month(index: int) -> str:
    y, m = divmod(index - 1, 12)
    return f"{y:04d}-{m + 1:02d}"


# How far back a lapse run is followed by default (months): longer runs are reported as this long.
LAPSE_LOOKBACK_MONTHS = 36

_SHARED = "services.fees.shared_lapse_runs"


@contextmanager
def shared_lapse_runs(session: Session) -> Iterator[None]:
    """Within the block, ``unpaid_runs`` and ``life_gap_runs`` called on ``session`` with the same
    arguments (kind, month, set of branches, look-back, ``paid_by``) are computed once and the result
    shared (a report that runs the handbook check's lapse rules and lists the same runs itself, e.g. the
    一月一分析's 到期事项). Only for blocks that write nothing: a write inside would not be seen by a
    later call. Nested blocks share the outer block's results; leaving the outermost one drops them."""
    if _SHARED in session.info:
        yield
        return
    session.info[_SHARED] = {}
    try:
        yield
    finally:
        session.info.pop(_SHARED, None)


def _shared(session: Session, key: tuple[Any, ...], compute: Callable[[], list[Lapse]]) -> list[Lapse]:
    """``compute()``, or its result of an earlier call of the same key inside ``shared_lapse_runs``."""
    cache: dict[tuple[Any, ...], list[Lapse]] | None = session.info.get(_SHARED)
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return list(cache[key])


def _runs(
    members: list[Any],
    last_ok: dict[str, int],
    as_of: str,
    earliest: dict[str, int],
    excused: dict[str, set[int]],
    counted: Any = None,
) -> list[Lapse]:
    """The run of each member: the months after the last good or excused month (or from the member's
    start) up to ``as_of``. ``counted(member, month index)`` says whether a month counts at all (a
    month in which the branch held no meeting is skipped: nothing was owed, nothing breaks)."""
    out = []
    end = _month_index(as_of)
    for m in members:
        # year*12+month of a date, as _month_index(month_key(day)) without the text round trip
        start = max(
            m.joined_on.year * 12 + m.joined_on.month, m.branch_since.year * 12 + m.branch_since.month
        )
        start = max(start, earliest.get(m.id, 0))
        stop = max(last_ok.get(m.id, 0), start - 1)
        gaps = [i for i in excused.get(m.id, ()) if stop < i <= end]
        if gaps:
            stop = max(gaps)
        months = [i for i in range(stop + 1, end + 1) if counted is None or counted(m, i)]
        if months:
            out.append(Lapse(m.id, m.branch_id, m.name, len(months), _index_month(months[0])))
    return out


def unpaid_runs(
    session: Session,
    as_of: str,
    branch_ids: list[str] | None = None,
    lookback_months: int = LAPSE_LOOKBACK_MONTHS,
    paid_by: date | None = None,
) -> list[Lapse]:
    """Members whose dues are unpaid for consecutive months up to ``as_of`` (党章第九条).

    A month counts as paid when its dues are paid, whenever the payment was made (in advance or late),
    but only payments made by ``paid_by`` (the day the check is made) count in a past check. A short
    payment (少交) is a payment: the difference is owed, the member has not stopped paying. A month
    whose dues are 0, or covered by an approved 免交, owes nothing and ends a run. ``paid_by`` None:
    every payment on record counts. Runs are followed back
    at most ``lookback_months``. Members without any dues record are not judged (the clerk must set
    up their dues first). Three queries, and one more per 900 members with no payment in the last
    three months (their runs are followed back by member); none for a repeated call inside
    ``shared_lapse_runs``.
    """
    paid_by = paid_by or date.max
    key = ("dues", as_of, None if branch_ids is None else frozenset(branch_ids), lookback_months, paid_by)
    return _shared(session, key, lambda: _unpaid_runs(session, as_of, branch_ids, lookback_months, paid_by))


def _unpaid_runs(
    session: Session, as_of: str, branch_ids: list[str] | None, lookback_months: int, paid_by: date
) -> list[Lapse]:
    members = _members_as_of(session, branch_ids, as_of)
    earliest = shift_month(as_of, -lookback_months + 1)
    good = (FeeDue.due_fen <= 0) | ((FeeDue.paid_fen > 0) & (FeeDue.paid_on <= paid_by))
    paid_month = case((good, FeeDue.month), else_=None)
    first_due: dict[str, int] = {}
    last_paid: dict[str, int] = {}

    def read(lo: str, member_ids: list[str] | None) -> None:
        stmt = (
            select(FeeDue.member_id, func.min(FeeDue.month), func.max(paid_month))
            .where(FeeDue.deleted.is_not(True), FeeDue.month <= as_of, FeeDue.month >= lo)
            .group_by(FeeDue.member_id)
        )
        if branch_ids is not None:
            stmt = stmt.where(among(session, FeeDue.branch_id, branch_ids))
        if member_ids is not None:
            stmt = stmt.where(among(session, FeeDue.member_id, member_ids))
        for member_id, first, last in plain_rows(session, stmt):
            first_due[member_id] = _month_index(first)
            if last is not None:
                last_paid[member_id] = _month_index(last)

    # Most members paid in the last few months: their last paid month is found there, and their first
    # due month (not later than it) cannot move the run. Only the others are followed further back.
    recent = max(earliest, shift_month(as_of, -_RECENT_MONTHS + 1))
    read(recent, None)
    if recent > earliest:
        unsettled = [m.id for m in members if m.id not in last_paid]
        for chunk in range(0, len(unsettled), _ID_CHUNK):
            read(earliest, unsettled[chunk : chunk + _ID_CHUNK])
    excused = excused_months(session, branch_ids, parse_month(earliest), _month_end(as_of))
    return _runs([m for m in members if m.id in first_due], last_paid, as_of, first_due, excused.dues)


# Meetings every member of the branch is expected at; a 党小组会 counts for its group's members only
# and a 支委会 for no ordinary member.
_FOR_EVERYONE = ("congress", "lecture", "theme_day", "life", "appraisal", "other")


def life_gap_runs(
    session: Session,
    as_of: str,
    branch_ids: list[str] | None = None,
    lookback_months: int = LAPSE_LOOKBACK_MONTHS,
) -> list[Lapse]:
    """Members who took part in no organisational life for consecutive months up to ``as_of``
    (党章第九条; followed back at most ``lookback_months``).

    Only months in which the member's branch (or party group) held a meeting the member was expected
    at count; a month in which the member attended, asked leave at the meeting (请假), was on approved
    leave, is excused as old and infirm (不作硬性要求), or was a 流动党员 taking part at the 流入地
    (党员教育管理工作条例第二十三条) ends a run. A member who changed group counts through every group
    the member was in during the month (``groups.spans``). Six queries, and one more per 900 members who
    took part in nothing in the last three months (their runs, and only theirs, are followed further
    back); none for a repeated call inside ``shared_lapse_runs``.
    """
    key = ("life", as_of, None if branch_ids is None else frozenset(branch_ids), lookback_months)
    return _shared(session, key, lambda: _life_gap_runs(session, as_of, branch_ids, lookback_months))


def _life_gap_runs(
    session: Session, as_of: str, branch_ids: list[str] | None, lookback_months: int
) -> list[Lapse]:
    members = _members_as_of(session, branch_ids, as_of)
    ids = {m.id for m in members}
    earliest = parse_month(shift_month(as_of, -lookback_months + 1))
    last = parse_month(shift_month(as_of, 1))
    in_window = [Meeting.deleted.is_not(True), Meeting.held_on >= earliest, Meeting.held_on < last]
    if branch_ids is not None:  # members attend their own branch's meetings (observers aside)
        in_window.append(among(session, Meeting.branch_id, branch_ids))
    attended: dict[str, int] = {}

    def read(lo: date, hi: date, member_ids: list[str] | None) -> None:
        """Each member's last meeting attended (or excused at) in [lo, hi): one grouped query."""
        window = [*in_window, Meeting.held_on >= lo, Meeting.held_on < hi]
        # For everyone: the window's meetings first, then their attendance. For a few members: their
        # attendance rows (by member) first, then each row's meeting.
        where = (
            [among(session, Attendance.member_id, member_ids), *window]
            if member_ids is not None
            else [Attendance.meeting_id.in_(select(Meeting.id).where(*window))]
        )
        stmt = (
            select(Attendance.member_id, func.max(Meeting.held_on))
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(
                *where,
                Attendance.deleted.is_not(True),
                Attendance.status.in_([AttendanceStatus.PRESENT, AttendanceStatus.LEAVE]),
            )
            .group_by(Attendance.member_id)
        )
        for member_id, day in plain_rows(session, stmt):
            if member_id in ids and day is not None and member_id not in attended:
                d = day if isinstance(day, date) else date.fromisoformat(str(day))
                attended[member_id] = d.year * 12 + d.month

    # The last few months first (most members took part there, and that is their last month); only the
    # others are followed back through the rest of the window, by member.
    recent = max(earliest, parse_month(shift_month(as_of, -_RECENT_MONTHS + 1)))
    read(recent, last, None)
    behind = [m for m in members if m.id not in attended] if recent > earliest else []
    for chunk in range(0, len(behind), _ID_CHUNK):
        read(earliest, recent, [m.id for m in behind[chunk : chunk + _ID_CHUNK]])
    # Months with a meeting, per branch (for everyone) and per party group: grouped queries. A member
    # who took part in the last few months has a run only after that, so months further back are read
    # only for the branches and groups of members who did not (the same runs either way).
    for_all = or_(
        Meeting.type.in_(_FOR_EVERYONE), *[Meeting.also_types.like(f"%{k}%") for k in _FOR_EVERYONE]
    )
    year, month = extract("year", Meeting.held_on), extract("month", Meeting.held_on)
    everyone = func.max(case((for_all, 1), else_=0))
    held: dict[str, set[int]] = {}
    held_group: dict[str, set[int]] = {}
    # A member who changed group was expected at the old group's meetings until the move, then at the
    # new one's: the month counts through every group the member was in during it.
    moved = groups.spans(session, [m.id for m in members])

    def read_held(lo: date, hi: date, only: list[Any] | None) -> None:
        window = [*in_window, Meeting.held_on >= lo, Meeting.held_on < hi]
        if only is not None:
            group_ids = {m.party_group_id for m in only if m.party_group_id}
            group_ids |= {sp.group_id for m in only for sp in moved.get(m.id, [])}  # groups of before
            window.append(
                or_(
                    among(session, Meeting.branch_id, sorted({m.branch_id for m in only})),
                    among(session, Meeting.party_group_id, sorted(group_ids)),
                )
            )
        for branch_id, group_id, y, m, all_ in plain_rows(
            session,
            select(Meeting.branch_id, Meeting.party_group_id, year, month, everyone)
            .where(*window)
            .group_by(Meeting.branch_id, Meeting.party_group_id, year, month),
        ):
            index = int(y) * 12 + int(m)
            if all_:
                held.setdefault(branch_id, set()).add(index)
            elif group_id:
                held_group.setdefault(group_id, set()).add(index)

    read_held(recent, last, None)
    if behind:
        read_held(earliest, recent, behind)
    excused = excused_months(session, branch_ids, earliest, _month_end(as_of))
    empty: set[int] = set()

    def in_groups(m: Any, index: int) -> list[str]:
        if m.id not in moved:
            return [m.party_group_id] if m.party_group_id else []
        first = parse_month(_index_month(index))
        last = _month_end(_index_month(index))
        return [sp.group_id for sp in moved[m.id] if sp.overlaps(first, last)]

    def counted(m: Any, index: int) -> bool:
        return index in held.get(m.branch_id, empty) or any(
            index in held_group.get(g, empty) for g in in_groups(m, index)
        )

    judged = [
        m
        for m in members
        if m.branch_id in held
        or m.party_group_id in held_group
        or any(sp.group_id in held_group for sp in moved.get(m.id, []))
    ]
    return _runs(judged, attended, as_of, {}, excused.life, counted)


def add_fund_entry(
    session: Session,
    branch_id: str,
    on: date,
    direction: str,
    category: str,
    amount_fen: int,
    description: str = "",
    voucher_no: str = "",
    today: date | None = None,
) -> FundEntry:
    get_branch(session, branch_id)
    if direction not in FundDirection.__members__.values():
        raise ValidationError("direction", "收支方向只能是收入或支出。")
    if amount_fen <= 0:
        raise ValidationError("amount_fen", "金额必须大于 0。")
    if on > (today or date.today()):
        raise ValidationError("on", "日期不能晚于今天。")
    if not category.strip():
        raise ValidationError("category", "请填写经费类别。")
    entry = FundEntry(
        branch_id=branch_id,
        on=on,
        direction=direction,
        category=category.strip(),
        amount_fen=amount_fen,
        description=description.strip(),
        voucher_no=voucher_no.strip(),
    )
    session.add(entry)
    session.flush()
    return entry


def fund_balance_fen(session: Session, branch_id: str, until: date | None = None) -> int:
    stmt = select(FundEntry.direction, func.sum(FundEntry.amount_fen)).where(
        FundEntry.branch_id == branch_id, FundEntry.deleted.is_(False)
    )
    if until is not None:
        stmt = stmt.where(FundEntry.on <= until)
    totals = dict(session.execute(stmt.group_by(FundEntry.direction)).all())
    return int(totals.get("income") or 0) - int(totals.get("expense") or 0)


def yuan(fen: int) -> str:
    """Display fen as yuan with two decimals, exactly (no float)."""
    return Money(fen).yuan


def parse_yuan(text: str, field_name: str = "amount") -> int:
    """'12.5' / '12.50' / '１２' → fen, exactly; refuses more than two decimals (ValidationError)."""
    return Money.parse(text, field_name).fen
