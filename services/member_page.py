"""What the member page shows besides the roster fields: the member's history (joining, transfers,
flow, leaving), the 发展党员 file that made them a member, and a summary of their dues. Read-only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch, DevelopmentRecord, FeeDue, FlowRecord, Member
from models.enums import MemberState, label
from services.development import conversion_due
from services.errors import NotFound
from services.fees import month_key, unpaid_runs, yuan
from services.transfers import member_history


@dataclass(frozen=True)
class DuesSummary:
    months: int  # months with dues on record in the last 12
    due_fen: int
    paid_fen: int
    unpaid_months: list[str]  # YYYY-MM, last 12 months, paid less than due
    run: int  # consecutive unpaid months up to this month (0 when up to date)

    def text(self) -> str:
        if not self.months:
            return "近 12 个月没有应交党费记录（请在“党费”台账核定）。"
        parts = [f"近 12 个月应交 {yuan(self.due_fen)} 元，已交 {yuan(self.paid_fen)} 元"]
        if self.unpaid_months:
            parts.append(f"未交清 {len(self.unpaid_months)} 个月：{'、'.join(self.unpaid_months)}")
        else:
            parts.append("按月交清")
        if self.run:
            parts.append(f"截至本月已连续 {self.run} 个月未交")
        return "；".join(parts) + "。"


@dataclass(frozen=True)
class MemberPage:
    member_id: str
    name: str
    branch_id: str
    branch_name: str
    state: str
    active: bool
    is_flowing: bool
    history: list[tuple[date, str]]
    development: list[tuple[str, date | None]] = field(default_factory=list)  # (step, date) in order
    development_note: str = ""
    dues: DuesSummary | None = None


def _development(session: Session, member_id: str) -> tuple[list[tuple[str, date | None]], str]:
    record = session.scalar(
        select(DevelopmentRecord)
        .where(DevelopmentRecord.member_id == member_id, DevelopmentRecord.deleted.is_(False))
        .order_by(DevelopmentRecord.applied_on.desc())
    )
    if record is None:
        return [], ""
    steps: list[tuple[str, date | None]] = [
        ("递交入党申请书", record.applied_on),
        ("谈话", record.talked_on),
        ("确定为入党积极分子", record.activist_on),
        ("确定为发展对象", record.candidate_on),
        ("政治审查", record.political_review_on),
        ("支部大会接收为预备党员", record.admitted_on),
        ("上级党委审批", record.approved_on),
        ("转为正式党员", record.converted_on),
    ]
    notes = [f"集中培训 {record.training_days} 天 / {record.training_hours} 学时"]
    names = [
        session.get(Member, i).name  # type: ignore[union-attr]
        for i in (record.introducer1_id, record.introducer2_id)
        if i is not None and session.get(Member, i) is not None
    ]
    if names:
        notes.append("入党介绍人：" + "、".join(names))
    due = conversion_due(record)
    if record.converted_on is None and due is not None:
        notes.append(f"预备期满：{due}")
    return steps, "；".join(notes)


def _dues(session: Session, member: Member, today: date) -> DuesSummary:
    this_month = month_key(today)
    first = month_key(date(today.year - 1, today.month, 1))  # 12 months back, exclusive
    rows = session.execute(
        select(FeeDue.month, FeeDue.due_fen, FeeDue.paid_fen).where(
            FeeDue.member_id == member.id,
            FeeDue.deleted.is_(False),
            FeeDue.month > first,
            FeeDue.month <= this_month,
        )
    ).all()
    run = 0
    if member.state == MemberState.ACTIVE and rows:
        run = next(
            (
                x.months
                for x in unpaid_runs(session, this_month, [member.branch_id])
                if x.member_id == member.id
            ),
            0,
        )
    return DuesSummary(
        months=len(rows),
        due_fen=sum(r.due_fen for r in rows),
        paid_fen=sum(r.paid_fen for r in rows),
        unpaid_months=sorted(r.month for r in rows if r.paid_fen < r.due_fen),
        run=run,
    )


def member_page(session: Session, member_id: str, today: date | None = None) -> MemberPage:
    member = session.get(Member, member_id)
    if member is None or member.deleted:
        raise NotFound("找不到该党员，可能已被删除。")
    branch = session.get(Branch, member.branch_id)
    steps, note = _development(session, member.id)
    history = member_history(session, member.id)
    open_flow = session.scalar(
        select(FlowRecord).where(
            FlowRecord.member_id == member.id, FlowRecord.until.is_(None), FlowRecord.deleted.is_(False)
        )
    )
    return MemberPage(
        member_id=member.id,
        name=member.name,
        branch_id=member.branch_id,
        branch_name=branch.name if branch is not None else "",
        state=label(MemberState(member.state)),
        active=member.state == MemberState.ACTIVE,
        is_flowing=open_flow is not None,
        history=history,
        development=steps,
        development_note=note,
        dues=_dues(session, member, today or date.today()),
    )
