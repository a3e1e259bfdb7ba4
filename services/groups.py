"""Party groups (党小组): create, rename, leader (组长), assign members, dissolve.

A group belongs to one branch and holds only that branch's members (支部工作条例 第十三条: the 党小组
is formed inside the branch). A dissolved group keeps its records; its members are unassigned.

Members' past groups are kept (``PartyGroupMembership``): every move is dated, so a 党小组会 of the past
expects who was in the group that day (:func:`group_members_on`), not today's members. A member's first
group counts from before any record (a back-filled meeting of the group the member has always been in
expects the member); a member with no row has been in ``Member.party_group_id`` throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Meeting, Member, PartyGroup, PartyGroupMembership
from services import localtime
from services.errors import NotFound, ValidationError
from services.org import get_branch, soft_delete


@dataclass(frozen=True)
class Span:
    """A member's time in one group: ``start_on`` first day (None: since before any record),
    ``end_on`` first day no longer in it (None: still in it). Local calendar days."""

    group_id: str
    start_on: date | None
    end_on: date | None

    def covers(self, day: date) -> bool:
        return (self.start_on is None or self.start_on <= day) and (self.end_on is None or day < self.end_on)

    def overlaps(self, first: date, last: date) -> bool:
        """In the group on any day of [first, last]."""
        return (self.start_on is None or self.start_on <= last) and (
            self.end_on is None or self.end_on > first
        )


def spans(session: Session, member_ids: list[str]) -> dict[str, list[Span]]:
    """The recorded group history of each member in ``member_ids`` (oldest first); a member absent from
    the result has no recorded move and is in ``Member.party_group_id`` throughout."""
    out: dict[str, list[Span]] = {}
    for i in range(0, len(member_ids), 2000):
        rows = session.execute(
            select(
                PartyGroupMembership.member_id,
                PartyGroupMembership.party_group_id,
                PartyGroupMembership.start_on,
                PartyGroupMembership.end_on,
            ).where(
                PartyGroupMembership.member_id.in_(member_ids[i : i + 2000]),
                PartyGroupMembership.deleted.is_(False),
            )
        )
        for member_id, group_id, start, end in rows:
            out.setdefault(member_id, []).append(Span(group_id, start, end))
    for history in out.values():
        history.sort(key=lambda sp: sp.start_on or date.min)
    return out


def group_members_on(session: Session, group_id: str, day: date, candidates: list[Member]) -> list[Member]:
    """Those of ``candidates`` (e.g. the branch's members on ``day``) who were in ``group_id`` on
    ``day`` (local date), by their recorded moves; members never moved by their current group."""
    history = spans(session, [m.id for m in candidates])
    return [
        m
        for m in candidates
        if (
            any(sp.group_id == group_id and sp.covers(day) for sp in history[m.id])
            if m.id in history
            else m.party_group_id == group_id
        )
    ]


def move_member(
    session: Session,
    member: Member,
    group_id: str | None,
    on: date,
    *,
    dated: bool = True,
    today: date | None = None,
) -> None:
    """Put ``member`` in ``group_id`` (None: in no group) from ``on`` (local date), keeping where the
    member was before: the open span ends on ``on`` (exclusive), a new one starts on ``on`` (the
    member's first group: since before any record). Sets ``member.party_group_id``.

    ``dated`` False (the clerk gave no date, ``on`` is ``today``): a group assigned earlier the same day
    is corrected in place, not ended — setting up the groups on the first day (a leader picked, then put
    in another group) is not a move. Raises ValidationError("on") for a move dated before the member's
    last recorded move, before the member joined the Party or the branch, or after today."""
    if member.party_group_id == group_id:
        return
    today = today or date.today()
    if dated and group_id is not None:  # a clerk's dated assignment (a dissolution ends spans as it may)
        since = max(member.joined_on, member.branch_since)
        if on > today:
            raise ValidationError("on", f"调组日期 {on.isoformat()} 不能晚于今天。")
        if on < since:
            raise ValidationError(
                "on",
                f"{member.name} 自 {since.isoformat()} 起才是本支部党员，编组日期 {on.isoformat()} 不能早于这一天。",
            )
    rows = list(
        session.scalars(
            select(PartyGroupMembership).where(
                PartyGroupMembership.member_id == member.id, PartyGroupMembership.deleted.is_(False)
            )
        )
    )
    implicit = not rows and bool(member.party_group_id)
    if implicit:  # in a group since before any record: make that explicit
        rows = [PartyGroupMembership(member_id=member.id, party_group_id=member.party_group_id)]
        session.add(rows[0])
    for row in [r for r in rows if r.end_on is None]:
        entered = localtime.to_local(row.created_at).date() if row.created_at else today
        if not dated and not implicit and entered == today:  # assigned today, corrected today
            if group_id:
                row.party_group_id = group_id
            else:
                soft_delete(row)
            member.party_group_id = group_id
            return
        if row.start_on is not None and row.start_on > on:
            raise ValidationError(
                "on",
                f"{member.name} 自 {row.start_on.isoformat()} 起才编入现在的党小组，"
                f"调组日期 {on.isoformat()} 不能早于这一天。",
            )
        if row.start_on == on:  # moved again the same day: the earlier move of that day never held
            soft_delete(row)
        else:
            row.end_on = on
    if group_id:
        session.add(
            PartyGroupMembership(member_id=member.id, party_group_id=group_id, start_on=on if rows else None)
        )
    member.party_group_id = group_id


@dataclass(frozen=True)
class GroupRow:
    id: str
    name: str
    leader_id: str | None
    leader_name: str
    members: int  # active members assigned now
    dissolved_on: date | None
    founded_on: date | None = None  # 成立日期 (None: unknown, rows from before it was kept)


def get_group(session: Session, group_id: str) -> PartyGroup:
    group = session.get(PartyGroup, group_id)
    if group is None or group.deleted:
        raise NotFound("找不到该党小组，可能已被删除。")
    return group


def _live(group: PartyGroup) -> bool:
    return not group.deleted and group.dissolved_on is None


def _check_name(session: Session, branch_id: str, name: str, group_id: str | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError("name", "党小组名称不能为空。")
    if len(name) > 100:
        raise ValidationError("name", "党小组名称不能超过 100 个字。")
    clash = session.scalar(
        select(PartyGroup.id).where(
            PartyGroup.branch_id == branch_id,
            PartyGroup.name == name,
            PartyGroup.deleted.is_(False),
            PartyGroup.dissolved_on.is_(None),
            PartyGroup.id != (group_id or ""),
        )
    )
    if clash:
        raise ValidationError("name", f"本支部已有名为「{name}」的党小组。")
    return name


def group_by_name(session: Session, branch_id: str, name: str) -> PartyGroup | None:
    """The branch's live (not dissolved) group of that name, or None."""
    return session.scalar(
        select(PartyGroup).where(
            PartyGroup.branch_id == branch_id,
            PartyGroup.name == name.strip(),
            PartyGroup.deleted.is_(False),
            PartyGroup.dissolved_on.is_(None),
        )
    )


def _branch_member(session: Session, branch_id: str, member_id: str, field: str) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.deleted or member.branch_id != branch_id or member.state != "active":
        who = member.name if member is not None else member_id
        raise ValidationError(field, f"{who} 不是本支部在册党员，不能编入本支部的党小组。")
    return member


def _check_founded(branch_founded: date | None, founded_on: date, today: date) -> date:
    if founded_on > today:
        raise ValidationError("founded_on", "党小组成立日期不能晚于今天。")
    if branch_founded is not None and founded_on < branch_founded:
        raise ValidationError(
            "founded_on", f"党小组成立日期（{founded_on}）不能早于支部成立日期（{branch_founded}）。"
        )
    return founded_on


def create_group(
    session: Session,
    branch_id: str,
    name: str,
    *,
    leader_id: str | None = None,
    founded_on: date | None = None,
    today: date | None = None,
    founding_unknown: bool = False,
) -> PartyGroup:
    """New group in ``branch_id``; ``leader_id`` (optional) must be an active member of the branch
    and is assigned to the group. ``founded_on`` (成立日期, local date; default today) is the first day
    the group is judged on (党小组会 each month, 支部工作条例 第十三条). ``founding_unknown``: the date is
    not known (a group named in an imported roster): stored as None, so no earlier 党小组会 is refused,
    and the checks judge the group from its first 党小组会 on record (``handbook.facts``) until the
    clerk sets the date (:func:`set_founded`). Raises
    ValidationError("name"/"leader_id"/"founded_on": in the future or before the branch was founded)."""
    today = today or date.today()
    branch = get_branch(session, branch_id)
    if branch.dissolved_on:
        raise ValidationError("branch", f"{branch.name}已撤销，不能新建党小组。")
    name = _check_name(session, branch_id, name)
    founded: date | None = None
    if not founding_unknown:
        founded = _check_founded(branch.founded_on, founded_on or today, today)
    order = session.scalar(select(func.count()).where(PartyGroup.branch_id == branch_id)) or 0
    group = PartyGroup(branch_id=branch_id, name=name, sort_order=order, founded_on=founded)
    session.add(group)
    session.flush()
    if leader_id:
        set_leader(session, group.id, leader_id)
    return group


def rename_group(session: Session, group_id: str, name: str) -> PartyGroup:
    group = get_group(session, group_id)
    group.name = _check_name(session, group.branch_id, name, group_id)
    session.flush()
    return group


def set_founded(session: Session, group_id: str, founded_on: date, today: date | None = None) -> PartyGroup:
    """Correct the group's 成立日期 (local date). Raises ValidationError("founded_on") for a date in the
    future, before the branch was founded, after the group was dissolved or after its first 党小组会."""
    today = today or date.today()
    group = get_group(session, group_id)
    branch = get_branch(session, group.branch_id)
    _check_founded(branch.founded_on, founded_on, today)
    if group.dissolved_on is not None and founded_on > group.dissolved_on:
        raise ValidationError("founded_on", f"成立日期不能晚于撤销日期（{group.dissolved_on}）。")
    first = session.scalar(
        select(func.min(Meeting.held_on)).where(
            Meeting.party_group_id == group_id, Meeting.deleted.is_(False)
        )
    )
    if first is not None and founded_on > first:
        raise ValidationError("founded_on", f"本党小组 {first} 已开过党小组会，成立日期不能晚于这一天。")
    group.founded_on = founded_on
    session.flush()
    return group


def set_leader(
    session: Session, group_id: str, member_id: str | None, today: date | None = None
) -> PartyGroup:
    """Make ``member_id`` the 组长 (None: no leader). The leader is assigned to the group (from
    ``today``, a local date, if the leader was in another group)."""
    group = get_group(session, group_id)
    if not _live(group):
        raise ValidationError("leader_id", f"{group.name}已撤销。")
    if member_id:
        member = _branch_member(session, group.branch_id, member_id, "leader_id")
        move_member(session, member, group.id, today or date.today(), dated=False, today=today)
    group.leader_id = member_id or None
    session.flush()
    return group


def assign_members(
    session: Session,
    group_id: str | None,
    member_ids: list[str],
    branch_id: str | None = None,
    *,
    on: date | None = None,
    today: date | None = None,
) -> int:
    """Put members (many at once, e.g. the roster selection) into ``group_id`` from ``on`` (local date,
    default today; the group they leave is kept as their past group until then); None takes them out
    of any group (then ``branch_id`` says whose members they must be). Every member must be an active
    member of the group's branch, else ValidationError("member_ids") and nothing changes; ``on`` in the
    future, before the group was founded or before a member's last move: ValidationError("on"). A
    member who led another group stops leading it. Returns how many members changed group."""
    today = today or date.today()
    dated, on = on is not None, on or today
    if on > today:
        raise ValidationError("on", "调组日期不能晚于今天。")
    if group_id is not None:
        group = get_group(session, group_id)
        if not _live(group):
            raise ValidationError("party_group_id", f"{group.name}已撤销，不能再编入党员。")
        branch_id = group.branch_id
        if dated and group.founded_on is not None and on < group.founded_on:
            raise ValidationError(
                "on",
                f"调组日期 {on.isoformat()} 早于{group.name}的成立日期（{group.founded_on.isoformat()}）。",
            )
    if branch_id is None:
        raise ValidationError("party_group_id", "请选择党小组。")
    if not member_ids:
        raise ValidationError("member_ids", "请先选择要编组的党员。")
    members = [_branch_member(session, branch_id, mid, "member_ids") for mid in member_ids]
    changed = 0
    for member in members:
        if member.party_group_id != group_id:
            if member.party_group_id:
                old = session.get(PartyGroup, member.party_group_id)
                if old is not None and old.leader_id == member.id:
                    old.leader_id = None
            move_member(session, member, group_id, on, dated=dated, today=today)
            changed += 1
    session.flush()
    return changed


def dissolve_group(session: Session, group_id: str, on: date, today: date | None = None) -> PartyGroup:
    """Dissolve (撤销) a group from ``on`` (local date); its members are unassigned, its meetings kept.
    Raises ValidationError("dissolved_on") for a date in the future or a group already dissolved."""
    today = today or date.today()
    group = get_group(session, group_id)
    if group.dissolved_on:
        raise ValidationError("dissolved_on", f"{group.name}已于 {group.dissolved_on.isoformat()} 撤销。")
    if on > today:
        raise ValidationError("dissolved_on", "撤销日期不能晚于今天。")
    if group.founded_on is not None and on < group.founded_on:
        raise ValidationError("dissolved_on", f"撤销日期不能早于成立日期（{group.founded_on}）。")
    group.dissolved_on = on
    group.leader_id = None
    for member in list(
        session.scalars(select(Member).where(Member.party_group_id == group_id, Member.deleted.is_(False)))
    ):
        move_member(session, member, None, on, today=today)
    session.flush()
    return group


def list_groups(session: Session, branch_id: str, *, include_dissolved: bool = False) -> list[GroupRow]:
    """The branch's groups in display order, with leader name and current member count."""
    stmt = (
        select(PartyGroup)
        .where(PartyGroup.branch_id == branch_id, PartyGroup.deleted.is_(False))
        .order_by(PartyGroup.sort_order, PartyGroup.name)
    )
    if not include_dissolved:
        stmt = stmt.where(PartyGroup.dissolved_on.is_(None))
    groups = list(session.scalars(stmt))
    counts = dict(
        session.execute(
            select(Member.party_group_id, func.count())
            .where(Member.branch_id == branch_id, Member.deleted.is_(False), Member.state == "active")
            .group_by(Member.party_group_id)
        ).all()
    )
    leaders = {
        m.id: m.name
        for m in session.scalars(
            select(Member).where(Member.id.in_([g.leader_id for g in groups if g.leader_id]))
        )
    }
    return [
        GroupRow(
            g.id,
            g.name,
            g.leader_id,
            leaders.get(g.leader_id or "", ""),
            int(counts.get(g.id, 0)),
            g.dissolved_on,
            g.founded_on,
        )
        for g in groups
    ]
