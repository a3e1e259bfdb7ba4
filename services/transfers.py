"""组织关系转接 and 流动党员. A transfer out ends the membership in the branch but keeps its history."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import FlowRecord, Member, MemberTransfer
from models.enums import MemberState, TransferDirection
from services.errors import NotFound, ValidationError
from services.members import get_member
from services.org import get_branch


def transfer_out(
    session: Session,
    member_id: str,
    on: date,
    to_org: str,
    letter_no: str = "",
    notes: str = "",
    today: date | None = None,
) -> MemberTransfer:
    member = get_member(session, member_id)
    if member.state != MemberState.ACTIVE:
        raise ValidationError("state", f"{member.name} 已不在册，不能再转出。")
    if on > (today or date.today()):
        raise ValidationError("on", "转出日期不能晚于今天。")
    if on < member.branch_since:
        raise ValidationError("on", f"转出日期不能早于转入本支部的日期（{member.branch_since}）。")
    if not to_org.strip():
        raise ValidationError("counterpart", "请填写转往的党组织。")
    row = MemberTransfer(
        member_id=member.id,
        branch_id=member.branch_id,
        direction=TransferDirection.OUT,
        on=on,
        counterpart=to_org.strip(),
        letter_no=letter_no.strip(),
        notes=notes.strip(),
    )
    session.add(row)
    member.state = MemberState.TRANSFERRED_OUT
    member.left_on = on
    member.is_flowing = False
    session.flush()
    return row


def transfer_in(
    session: Session,
    member_id: str,
    branch_id: str,
    on: date,
    from_org: str,
    letter_no: str = "",
    today: date | None = None,
) -> MemberTransfer:
    """Record an arrival for a member already entered in the roster (branch_since = ``on``)."""
    member = get_member(session, member_id)
    get_branch(session, branch_id)
    if on > (today or date.today()):
        raise ValidationError("on", "转入日期不能晚于今天。")
    if not from_org.strip():
        raise ValidationError("counterpart", "请填写转自的党组织。")
    row = MemberTransfer(
        member_id=member.id,
        branch_id=branch_id,
        direction=TransferDirection.IN,
        on=on,
        counterpart=from_org.strip(),
        letter_no=letter_no.strip(),
    )
    session.add(row)
    member.branch_id = branch_id
    member.branch_since = on
    member.state = MemberState.ACTIVE
    member.left_on = None
    session.flush()
    return row


def start_flow(
    session: Session,
    member_id: str,
    destination: str,
    since: date,
    contact: str = "",
    today: date | None = None,
) -> FlowRecord:
    member = get_member(session, member_id)
    if not destination.strip():
        raise ValidationError("destination", "请填写流入地（外出去向）。")
    if not contact.strip():
        # Without a way to reach the member at the 流入地 the branch cannot keep in touch
        # (党员教育管理工作条例第二十三条), and the checks cannot count the member as taking part there.
        raise ValidationError("contact", "请填写流动党员在流入地的联系方式（电话或流入地党组织联系人）。")
    if since > (today or date.today()):
        raise ValidationError("since", "外出日期不能晚于今天。")
    if since < member.joined_on:
        raise ValidationError("since", f"外出日期不能早于入党日期（{member.joined_on}）。")
    open_row = session.scalar(
        select(FlowRecord).where(
            FlowRecord.member_id == member_id, FlowRecord.until.is_(None), FlowRecord.deleted.is_(False)
        )
    )
    if open_row is not None:
        raise ValidationError(
            "since", f"{member.name} 已登记为流动党员（{open_row.destination}），请先登记返回。"
        )
    row = FlowRecord(
        member_id=member.id,
        branch_id=member.branch_id,
        destination=destination.strip(),
        since=since,
        contact=contact.strip(),
    )
    session.add(row)
    member.is_flowing = True
    session.flush()
    return row


def end_flow(session: Session, member_id: str, until: date) -> FlowRecord:
    member = get_member(session, member_id)
    row = session.scalar(
        select(FlowRecord).where(
            FlowRecord.member_id == member_id, FlowRecord.until.is_(None), FlowRecord.deleted.is_(False)
        )
    )
    if row is None:
        raise NotFound(f"{member.name} 没有未结束的流动记录。")
    if until < row.since:
        raise ValidationError("until", f"返回日期不能早于外出日期（{row.since}）。")
    row.until = until
    member.is_flowing = False
    session.flush()
    return row


def member_history(session: Session, member_id: str) -> list[tuple[date, str]]:
    """Dated lines for the member page: joining, transfers, flow periods, leaving."""
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound("找不到该党员。")
    lines: list[tuple[date, str]] = [(member.joined_on, "入党")]
    if member.full_member_on:
        lines.append((member.full_member_on, "转为正式党员"))
    for t in session.scalars(
        select(MemberTransfer).where(MemberTransfer.member_id == member_id, MemberTransfer.deleted.is_(False))
    ):
        verb = "转入，转自" if t.direction == TransferDirection.IN else "转出，转往"
        lines.append((t.on, f"{verb}{t.counterpart}" + (f"（介绍信 {t.letter_no}）" if t.letter_no else "")))
    for f in session.scalars(
        select(FlowRecord).where(FlowRecord.member_id == member_id, FlowRecord.deleted.is_(False))
    ):
        lines.append(
            (f.since, f"外出流动：{f.destination}" + (f"，联系方式 {f.contact}" if f.contact else ""))
        )
        if f.until:
            lines.append((f.until, "流动结束返回"))
    if member.state in (MemberState.DECEASED, MemberState.LEFT) and member.left_on:
        lines.append((member.left_on, "去世" if member.state == MemberState.DECEASED else "出党"))
    return sorted(lines, key=lambda x: x[0])
