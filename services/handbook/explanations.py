"""说明: a clerk's explanation attached to a warning-level finding, kept by the finding's stable key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import FindingExplanation
from services.errors import ValidationError
from services.handbook.findings import Finding, finding_key
from services.org import get_branch, soft_delete
from services.sqlsets import among


def explanations_for(session: Session, branch_ids: list[str]) -> dict[str, str]:
    """Finding key → the latest explanation text, for the given branches (one query)."""
    rows = session.execute(
        select(FindingExplanation.finding_key, FindingExplanation.text)
        .where(
            FindingExplanation.deleted.is_(False), among(session, FindingExplanation.branch_id, branch_ids)
        )
        .order_by(FindingExplanation.updated_at, FindingExplanation.row_seq)
    )
    return {key: text for key, text in rows}


def attach(session: Session, finding: Finding, text: str) -> FindingExplanation:
    """Attach (or replace) the explanation of a warning-level finding."""
    text = text.strip()
    if finding.importance != "warning":
        raise ValidationError(
            "explanation",
            f"只有“警告”级别的问题可以附加说明；“{finding.rule_name}”是{finding.importance_label}，须整改。",
        )
    if not text:
        raise ValidationError("explanation", "说明不能为空，请写明原因（例如：因防汛延期，已于下月补开）。")
    if len(text) > 2000:
        raise ValidationError("explanation", "说明过长（最多 2000 字）。")
    get_branch(session, finding.branch_id)
    key = finding_key(finding.rule_id, finding.branch_id, finding.period)
    for old in session.scalars(
        select(FindingExplanation).where(
            FindingExplanation.finding_key == key, FindingExplanation.deleted.is_(False)
        )
    ):
        soft_delete(old)
    row = FindingExplanation(
        finding_key=key,
        rule_id=finding.rule_id,
        branch_id=finding.branch_id,
        period=finding.period,
        text=text,
    )
    session.add(row)
    session.flush()
    return row


def withdraw(session: Session, finding: Finding) -> int:
    """Remove the explanation (soft delete); returns how many rows were withdrawn."""
    n = 0
    for row in session.scalars(
        select(FindingExplanation).where(
            FindingExplanation.finding_key == finding.key, FindingExplanation.deleted.is_(False)
        )
    ):
        soft_delete(row)
        n += 1
    session.flush()
    return n
