"""Evaluate a pack over branches and a period: findings, completeness, timeliness, presence of 资料, stars."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from models.enums import LABELS
from services.filing import filed_by_item, filed_with_file
from services.handbook.explanations import explanations_for
from services.handbook.facts import CountQuery, Facts, cached_count, load_facts, window_total
from services.handbook.findings import Completeness, Finding, StarRating, Timeliness
from services.handbook.ledger_rules import LEDGER_EVALUATORS
from services.handbook.pack import (
    EvidenceRule,
    FrequencyRule,
    Pack,
    QuorumRule,
)
from services.handbook.period import Period
from services.handbook.rules import EVALUATORS, Context
from services.handbook.stars import rate


@dataclass
class BranchRef:
    id: str
    code: str
    name: str


@dataclass
class CheckResult:
    pack_id: str
    pack_version: str
    period: Period
    as_of: date
    branches: list[BranchRef]
    findings: list[Finding]
    completeness: list[Completeness]
    timeliness: list[Timeliness]
    evidence_counts: dict[tuple[str, str], int]  # (branch id, evidence id) → records in the period
    stars: dict[str, StarRating]
    queries: int = 0
    notes: list[str] = field(default_factory=list)
    # (branch id, evidence id) → documents filed under the 资料 item (资料归档) for the period's years
    filed_counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def evidence_present(self, branch_id: str, evidence_id: str) -> int:
        """Records plus filed documents: a 资料 item with only scanned evidence is present too."""
        key = (branch_id, evidence_id)
        return self.evidence_counts.get(key, 0) + self.filed_counts.get(key, 0)

    @property
    def has_errors(self) -> bool:
        return any(f.importance == "error" for f in self.findings)

    def for_branch(self, branch_id: str) -> list[Finding]:
        return [f for f in self.findings if f.branch_id == branch_id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pack": {"id": self.pack_id, "version": self.pack_version},
            "period": self.period.label,
            "as_of": self.as_of.isoformat(),
            "has_errors": self.has_errors,
            "branches": [
                {
                    "code": b.code,
                    "name": b.name,
                    "rated": self.stars[b.id].rated,
                    "stars": self.stars[b.id].total if self.stars[b.id].rated else None,
                    "star_label": self.stars[b.id].label,
                    "basic_stars": self.stars[b.id].basic,
                    "feature_stars": self.stars[b.id].feature_stars,
                    "score": self.stars[b.id].score,
                    "title": self.stars[b.id].title,
                    "failed_vetoes": self.stars[b.id].failed_vetoes,
                    "completeness": [
                        {"ledger": c.ledger_name, "expected": c.expected, "present": c.present}
                        for c in self.completeness
                        if c.branch_id == b.id
                    ],
                    "timeliness": next(
                        (
                            {"total": t.total, "on_time": t.on_time, "days_after": t.days_after}
                            for t in self.timeliness
                            if t.branch_id == b.id
                        ),
                        None,
                    ),
                }
                for b in self.branches
            ],
            "findings": [f.to_dict() for f in self.findings],
        }


def _needs(pack: Pack) -> tuple[set[str], set[str], set[str]]:
    """Meeting fields, attachment kinds and the meeting types whose attendance the rules read."""
    fields: set[str] = set()
    kinds: set[str] = set()
    attendance: set[str] = set()
    for r in pack.rule:
        if isinstance(r, EvidenceRule):
            fields |= set(r.fields)
            kinds |= set(r.attachment_kinds)
        if isinstance(r, QuorumRule):
            attendance |= set(r.meeting_types)
        if isinstance(r, FrequencyRule) and r.quorum_only:
            attendance.add(r.meeting_type)
    return fields, kinds, attendance


def evaluate(
    session: Session,
    pack: Pack,
    period: Period,
    *,
    branch_ids: list[str] | None = None,
    as_of: date | None = None,
    with_evidence: bool = True,
) -> CheckResult:
    """Run every rule of ``pack`` for the branches (all when None) over ``period`` as seen on ``as_of``."""
    as_of = as_of or date.today()
    fields, kinds, attendance = _needs(pack)
    facts = load_facts(
        session,
        branch_ids,
        period.start,
        period.end,
        meeting_fields=fields,
        attachment_kinds=kinds,
        attendance_types=attendance,
    )
    ctx = Context(session, pack, facts, period, as_of)
    findings: list[Finding] = []
    evaluators = EVALUATORS | LEDGER_EVALUATORS
    for rule in pack.rule:
        findings.extend(evaluators[rule.type](rule, ctx))
    ids = [b.id for b in facts.branches]
    explained = explanations_for(session, ids) if ids else {}
    facts.queries += 1
    for f in findings:
        if f.importance == "warning" and f.key in explained:
            f.explanation = explained[f.key]
    order = {b.id: i for i, b in enumerate(facts.branches)}
    findings.sort(key=lambda f: (order[f.branch_id], -f.rank, f.period, f.rule_id))

    ledgers = pack.ledger_by_id()
    completeness = [
        Completeness(b.id, lg.id, lg.name, period.label, *ctx.completeness.get((b.id, lg.id), [0, 0]))
        for b in facts.branches
        for lg in ledgers.values()
    ]
    days = pack.timeliness.days_after
    timeliness: list[Timeliness] = []
    for b in facts.branches:
        recorded = [m for m in facts.meetings.get(b.id, []) if m.recorded_on is not None]
        late = tuple(m.id for m in recorded if m.recorded_on and (m.recorded_on - m.held_on).days > days)
        timeliness.append(
            Timeliness(b.id, period.label, days, len(recorded), len(recorded) - len(late), late)
        )

    evidence_counts: dict[tuple[str, str], int] = {}
    filed_counts: dict[tuple[str, str], int] = {}
    if with_evidence and ids:
        evidence_counts = _evidence_counts(session, pack, ids, period, facts)
        filed_counts = filed_by_item(session, ids, period.start.year, period.end.year)
        facts.queries += 1
    items = [h.evidence for h in pack.stars.feature.highlight]
    highlights = (
        filed_with_file(session, ids, items, period.start.year, period.end.year)
        if items and period.unit == "year"
        else {}
    )
    rules = pack.rules_by_id()
    by_branch: dict[str, list[Finding]] = {}  # each branch is rated on its own findings (not all of them)
    for f in findings:
        by_branch.setdefault(f.branch_id, []).append(f)
    stars = {
        b.id: rate(
            pack.stars,
            b,
            by_branch.get(b.id, []),
            period=period,
            rules=rules,
            has_groups=any(g.existed_during(period.start, period.end) for g in facts.groups.get(b.id, [])),
            highlight_filed=lambda ev, b=b: highlights.get((b.id, ev), 0),  # type: ignore[misc]
        )
        for b in facts.branches
    }
    return CheckResult(
        pack.pack.id,
        pack.pack.version,
        period,
        as_of,
        [BranchRef(b.id, b.code, b.name) for b in facts.branches],
        findings,
        completeness,
        timeliness,
        evidence_counts,
        stars,
        facts.queries,
        filed_counts=filed_counts,
    )


def _evidence_counts(
    session: Session, pack: Pack, ids: list[str], period: Period, facts: Facts
) -> dict[tuple[str, str], int]:
    """Records per 资料 and branch; meeting-type 资料 come from the meetings already loaded."""
    out: dict[tuple[str, str], int] = {}
    for ev in pack.evidence:
        flt = dict(ev.filter)
        if ev.records == "meeting" and set(flt) <= {"type"} and ev.date_field == "held_on":
            wanted = flt.get("type")
            types = [str(t) for t in wanted] if isinstance(wanted, list) else [str(wanted)] if wanted else []
            for b in ids:
                # a meeting held as several kinds is one record, counted once
                out[(b, ev.id)] = len(
                    {
                        m.id
                        for t in (types or list(LABELS["MeetingType"]))
                        for m in facts.meetings_of(b, t, period.start, period.end)
                    }
                )
            continue
        data = cached_count(
            facts, session, CountQuery(ev.records, flt, ev.date_field), period.start, period.end
        )
        for b in ids:
            out[(b, ev.id)] = window_total(data.get(b, {}), None)[0]
    return out
