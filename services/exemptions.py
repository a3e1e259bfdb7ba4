"""Approved exemptions of a member (请假, 年老体弱, 免交/少交党费) and the months they cover.

A member on approved leave, or old and infirm (“不作硬性要求”), owes no organisational life for those
months; a member with approved 免交 owes no dues, with approved 少交 owes the reduced amount
(《中国共产党党员教育管理工作条例》第二十三、三十二、三十三条；《关于中国共产党党费收缴、使用和管理的规定》).
The lapse checks (党章第九条) read these months through ``excused_months``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import FlowRecord, MemberExemption
from models.enums import ExemptionKind, label
from services.errors import NotFound, ValidationError
from services.members import get_member
from services.org import soft_delete
from services.sqlsets import among, plain_rows

LIFE_KINDS = (ExemptionKind.LEAVE, ExemptionKind.INFIRM)
DUES_KINDS = (ExemptionKind.FEE_EXEMPT,)


@dataclass
class ExemptionInput:
    """``end_on`` None: open-ended (年老体弱, 免交 until revoked); 请假 needs both dates."""

    kind: str
    start_on: date
    end_on: date | None = None
    reason: str = ""
    approved_by: str = ""
    reduced_fen: int = 0


def add_exemption(session: Session, member_id: str, data: ExemptionInput) -> MemberExemption:
    """Record an approved exemption. Raises ``ValidationError`` (field named) for an unknown kind, a
    leave without an end date, an end before the start, a 少交 without an amount, no reason, or an
    overlap with another exemption of the same kind of the member; nothing is written then."""
    member = get_member(session, member_id)
    if data.kind not in ExemptionKind.__members__.values():
        raise ValidationError("kind", f"未知的类别：{data.kind}。")
    if data.kind == ExemptionKind.LEAVE and data.end_on is None:
        raise ValidationError("end_on", "请假须填写截止日期。")
    if data.end_on is not None and data.end_on < data.start_on:
        raise ValidationError("end_on", f"截止日期（{data.end_on}）不能早于开始日期（{data.start_on}）。")
    if data.start_on < member.joined_on:
        raise ValidationError("start_on", f"开始日期不能早于入党日期（{member.joined_on}）。")
    if data.kind == ExemptionKind.FEE_REDUCED and data.reduced_fen <= 0:
        raise ValidationError("reduced_fen", "少交党费须填写批准的每月交纳金额。")
    if data.reduced_fen < 0:
        raise ValidationError("reduced_fen", "金额不能为负数。")
    if not data.reason.strip():
        raise ValidationError("reason", "请填写事由（如外出务工请假、年老体弱行动不便、生活困难）。")
    far = date.max
    for other in session.scalars(
        select(MemberExemption).where(
            MemberExemption.member_id == member_id,
            MemberExemption.kind == data.kind,
            MemberExemption.deleted.is_(False),
        )
    ):
        if other.start_on <= (data.end_on or far) and data.start_on <= (other.end_on or far):
            until = other.end_on.isoformat() if other.end_on else "长期"
            raise ValidationError(
                "start_on",
                f"与已登记的{label(ExemptionKind(other.kind))}（{other.start_on} 至 {until}）重叠，请核对日期。",
            )
    row = MemberExemption(
        member_id=member.id,
        branch_id=member.branch_id,
        kind=str(data.kind),
        start_on=data.start_on,
        end_on=data.end_on,
        reason=data.reason.strip(),
        approved_by=data.approved_by.strip(),
        reduced_fen=data.reduced_fen,
    )
    session.add(row)
    session.flush()
    return row


def delete_exemption(session: Session, exemption_id: str) -> None:
    row = session.get(MemberExemption, exemption_id)
    if row is None or row.deleted:
        raise NotFound("找不到该记录。")
    soft_delete(row)
    session.flush()


def _month_index(day: date) -> int:
    return day.year * 12 + day.month


def _cover(out: dict[str, set[int]], member_id: str, start: date, end: date | None, lo: int, hi: int) -> None:
    """Months (as year*12+month) from ``start`` to ``end`` within [lo, hi] — a month partly covered
    counts as covered: a member away for part of a month owes nothing for it at home."""
    first = max(_month_index(start), lo)
    last = min(_month_index(end) if end is not None else hi, hi)
    if first <= last:
        out[member_id].update(range(first, last + 1))


@dataclass(frozen=True)
class Excused:
    """Per member, the months (year*12+month) for which nothing is owed, and why."""

    life: dict[str, set[int]]  # 请假, 年老体弱, 流动党员 taking part at the 流入地
    dues: dict[str, set[int]]  # approved 免交
    reduced: dict[str, int]  # approved 少交 amount in fen (the latest), member → fen


def excused_months(session: Session, branch_ids: list[str] | None, first: date, last: date) -> Excused:
    """Exempt months between ``first`` and ``last`` for the members of ``branch_ids`` (all when None).

    A 流动党员 (a flow record with a 流入地 and a contact) takes part at the 流入地 and is excused at
    home for the months away (党员教育管理工作条例第二十三条). Two queries.
    """
    lo, hi = _month_index(first), _month_index(last)
    life: dict[str, set[int]] = defaultdict(set)
    dues: dict[str, set[int]] = defaultdict(set)
    reduced: dict[str, int] = {}
    q = select(
        MemberExemption.member_id,
        MemberExemption.kind,
        MemberExemption.start_on,
        MemberExemption.end_on,
        MemberExemption.reduced_fen,
    ).where(MemberExemption.deleted.is_not(True), MemberExemption.start_on <= last)
    if branch_ids is not None:
        q = q.where(among(session, MemberExemption.branch_id, branch_ids))
    for member_id, kind, start, end, fen in plain_rows(session, q.order_by(MemberExemption.start_on)):
        if kind in LIFE_KINDS:
            _cover(life, member_id, start, end, lo, hi)
        elif kind in DUES_KINDS:
            _cover(dues, member_id, start, end, lo, hi)
        elif kind == ExemptionKind.FEE_REDUCED and (end is None or end >= first):
            reduced[member_id] = int(fen)
    fq = select(FlowRecord.member_id, FlowRecord.since, FlowRecord.until).where(
        FlowRecord.deleted.is_not(True), FlowRecord.since <= last, FlowRecord.contact != ""
    )
    if branch_ids is not None:
        fq = fq.where(among(session, FlowRecord.branch_id, branch_ids))
    for member_id, since, until in plain_rows(session, fq):
        _cover(life, member_id, since, until, lo, hi)
    return Excused(dict(life), dict(dues), reduced)


def list_exemptions(session: Session, member_id: str) -> list[MemberExemption]:
    """A member's exemptions, oldest first (the member page and the CLI list them)."""
    return list(
        session.scalars(
            select(MemberExemption)
            .where(MemberExemption.member_id == member_id, MemberExemption.deleted.is_(False))
            .order_by(MemberExemption.start_on)
        )
    )


__all__ = [
    "Excused",
    "ExemptionInput",
    "add_exemption",
    "delete_exemption",
    "excused_months",
    "list_exemptions",
]
