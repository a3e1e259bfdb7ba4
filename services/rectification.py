"""督查与整改: problems found by inspections or by the checks, tracked until closed (销号);
weak branches (软弱涣散) flagged and tracked until rectified."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Rectification, WeakBranchFlag
from models.enums import RectificationStatus
from services.errors import NotFound, ValidationError
from services.org import get_branch


def open_problem(
    session: Session,
    branch_id: str,
    category: str,
    description: str,
    found_on: date,
    deadline: date,
    responsible: str = "",
    source: str = "inspection",
    rule_id: str = "",
    today: date | None = None,
) -> Rectification:
    get_branch(session, branch_id)
    if not category.strip():
        raise ValidationError("category", "请填写问题类别。")
    if not description.strip():
        raise ValidationError("description", "请填写问题描述。")
    if source not in ("inspection", "check", "self"):
        raise ValidationError("source", f"未知的问题来源：{source}。")
    if found_on > (today or date.today()):
        raise ValidationError("found_on", "发现日期不能晚于今天。")
    if deadline < found_on:
        raise ValidationError("deadline", "整改时限不能早于发现日期。")
    row = Rectification(
        branch_id=branch_id,
        category=category.strip(),
        description=description.strip(),
        found_on=found_on,
        deadline=deadline,
        responsible=responsible.strip(),
        source=source,
        rule_id=rule_id,
        status=RectificationStatus.OPEN,
    )
    session.add(row)
    session.flush()
    return row


def _get(session: Session, problem_id: str) -> Rectification:
    row = session.get(Rectification, problem_id)
    if row is None or row.deleted:
        raise NotFound("找不到该整改问题。")
    return row


def start_work(session: Session, problem_id: str) -> Rectification:
    row = _get(session, problem_id)
    if row.status == RectificationStatus.CLOSED:
        raise ValidationError("status", "该问题已销号。")
    row.status = RectificationStatus.IN_PROGRESS
    session.flush()
    return row


def close_problem(
    session: Session, problem_id: str, closed_on: date, evidence: str, today: date | None = None
) -> Rectification:
    """销号 needs evidence of the fix."""
    row = _get(session, problem_id)
    if row.status == RectificationStatus.CLOSED:
        raise ValidationError("status", "该问题已销号。")
    if not evidence.strip():
        raise ValidationError("fix_evidence", "销号须填写整改佐证（做了什么、材料在哪里）。")
    if closed_on < row.found_on or closed_on > (today or date.today()):
        raise ValidationError("closed_on", "销号日期须在发现日期与今天之间。")
    row.status = RectificationStatus.CLOSED
    row.closed_on = closed_on
    row.fix_evidence = evidence.strip()
    session.flush()
    return row


def overdue(session: Session, today: date, branch_ids: list[str] | None = None) -> list[Rectification]:
    stmt = select(Rectification).where(
        Rectification.deleted.is_(False),
        Rectification.status != RectificationStatus.CLOSED,
        Rectification.deadline < today,
    )
    if branch_ids is not None:
        stmt = stmt.where(Rectification.branch_id.in_(branch_ids))
    return list(session.scalars(stmt.order_by(Rectification.deadline)))


def flag_weak(
    session: Session, branch_id: str, flagged_on: date, reason: str, today: date | None = None
) -> WeakBranchFlag:
    get_branch(session, branch_id)
    if not reason.strip():
        raise ValidationError("reason", "请填写列为软弱涣散的原因。")
    if flagged_on > (today or date.today()):
        raise ValidationError("flagged_on", "日期不能晚于今天。")
    if session.scalar(
        select(WeakBranchFlag.id).where(
            WeakBranchFlag.branch_id == branch_id,
            WeakBranchFlag.closed_on.is_(None),
            WeakBranchFlag.deleted.is_(False),
        )
    ):
        raise ValidationError("branch_id", "该支部已列为软弱涣散，尚未整顿销号。")
    row = WeakBranchFlag(branch_id=branch_id, flagged_on=flagged_on, reason=reason.strip())
    session.add(row)
    session.flush()
    return row


def close_weak(session: Session, flag_id: str, closed_on: date, notes: str) -> WeakBranchFlag:
    row = session.get(WeakBranchFlag, flag_id)
    if row is None or row.deleted:
        raise NotFound("找不到该软弱涣散记录。")
    if row.closed_on is not None:
        raise ValidationError("closed_on", "已经整顿销号。")
    if closed_on < row.flagged_on:
        raise ValidationError("closed_on", "销号日期不能早于列入日期。")
    if not notes.strip():
        raise ValidationError("closing_notes", "请填写整顿情况。")
    row.closed_on = closed_on
    row.closing_notes = notes.strip()
    session.flush()
    return row


def weak_branches(session: Session, on: date) -> list[WeakBranchFlag]:
    return list(
        session.scalars(
            select(WeakBranchFlag).where(
                WeakBranchFlag.deleted.is_(False),
                WeakBranchFlag.flagged_on <= on,
                (WeakBranchFlag.closed_on.is_(None)) | (WeakBranchFlag.closed_on > on),
            )
        )
    )
