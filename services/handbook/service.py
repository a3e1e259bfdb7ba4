"""Entry points shared by the CLI and the GUI: resolve branches and periods, run a check, find a finding."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from services import org
from services.errors import NotFound
from services.handbook.engine import CheckResult, evaluate
from services.handbook.findings import Finding
from services.handbook.pack import Pack
from services.handbook.period import Period, parse_period


def run_check(
    session: Session,
    pack: Pack,
    period: Period | str,
    *,
    branch_code: str | None = None,
    as_of: date | None = None,
) -> CheckResult:
    """Check one branch (and the branches under it) or, without a code, every branch."""
    if isinstance(period, str):
        period = parse_period(period)
    ids = None
    if branch_code:
        ids = org.descendant_branch_ids(session, org.branch_by_code(session, branch_code).id)
    return evaluate(session, pack, period, branch_ids=ids, as_of=as_of)


def find_finding(
    result: CheckResult, rule_id: str, branch_code: str, period_label: str | None = None
) -> Finding:
    hits = [
        f
        for f in result.findings
        if f.rule_id == rule_id
        and f.branch_code == branch_code
        and (period_label is None or f.period == period_label)
    ]
    if not hits:
        where = f"{period_label} " if period_label else ""
        raise NotFound(
            f"支部 {branch_code} {where}没有规则 {rule_id} 的问题，无需说明（可先运行 check 查看）。"
        )
    if len(hits) > 1:
        periods = "、".join(f.period for f in hits)
        raise NotFound(
            f"规则 {rule_id} 在支部 {branch_code} 有多个期间的问题（{periods}），请用 --period 指定其一。"
        )
    return hits[0]
