"""The township view of the 发展党员 pipeline: branches × stages, and which branches fall short of the
pack's reserve of 入党积极分子 (TEAM-02: at least 10 per village)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch
from models.enums import BranchDomain, BranchKind, DevelopmentStage, label
from services.development import pipeline_by_branch
from services.handbook.pack import CountRule, Pack

STAGES = (
    DevelopmentStage.APPLICANT,
    DevelopmentStage.ACTIVIST,
    DevelopmentStage.CANDIDATE,
    DevelopmentStage.PROBATIONARY,
)


@dataclass(frozen=True)
class Reserve:
    """The 积极分子 reserve a branch should keep: at least ``minimum`` in branches of ``domains``."""

    rule_id: str
    minimum: int
    domains: tuple[str, ...] | None  # None: every branch

    def applies(self, domain: str) -> bool:
        return self.domains is None or domain in self.domains


DEFAULT_RESERVE = Reserve("TEAM-02", 10, (BranchDomain.RURAL.value,))


def reserve_from_pack(pack: Pack | None) -> Reserve | None:
    """The pack's count rule over 积极分子 (``records = "development_record"``, ``stage = activist``).

    None when the pack has no such rule (a pack for organs need not ask for a reserve); the 细则 default
    when no pack is given.
    """
    if pack is None:
        return DEFAULT_RESERVE
    for rule in pack.rule:
        if (
            isinstance(rule, CountRule)
            and rule.records == "development_record"
            and rule.filter.get("stage") == DevelopmentStage.ACTIVIST.value
            and rule.measure == "count"
            and rule.min is not None
        ):
            domains = rule.when.domains if rule.when is not None else None
            return Reserve(rule.id, int(rule.min), tuple(domains) if domains else None)
    return None


@dataclass(frozen=True)
class PipelineRow:
    branch_id: str
    code: str
    name: str
    domain: str
    counts: dict[str, int]  # stage code → records
    short: bool  # fewer 积极分子 than the reserve asks for

    def as_dict(self) -> dict[str, Any]:
        return {
            "branch": self.code,
            "name": self.name,
            "domain": self.domain,
            **{s.value: self.counts.get(s.value, 0) for s in STAGES},
            "short_of_activists": self.short,
        }


def pipeline_table(
    session: Session, branch_ids: list[str] | None = None, reserve: Reserve | None = DEFAULT_RESERVE
) -> list[PipelineRow]:
    """One row per 党支部 in scope (and any other organisation holding records), in tree order."""
    counts = pipeline_by_branch(session, branch_ids)
    stmt = select(Branch).where(Branch.deleted.is_(False)).order_by(Branch.sort_order, Branch.code)
    if branch_ids is not None:
        stmt = stmt.where(Branch.id.in_(branch_ids))
    out: list[PipelineRow] = []
    for b in session.scalars(stmt):
        mine = counts.get(b.id, {})
        if b.kind != BranchKind.BRANCH and not mine:
            continue  # a 党委 / 总支 without records of its own is only a heading
        short = (
            reserve is not None
            and reserve.applies(b.domain)
            and mine.get(DevelopmentStage.ACTIVIST.value, 0) < reserve.minimum
        )
        out.append(PipelineRow(b.id, b.code, b.name, b.domain, mine, short))
    return out


def stage_titles() -> list[str]:
    return [label(s) for s in STAGES]
