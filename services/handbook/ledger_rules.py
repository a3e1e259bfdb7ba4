"""Rule types over the other ledgers' records: the development pipeline, dues and organisational-life
lapses, yearly study hours, 四议两公开 procedures, the 八有 venue, and rectification.

Each evaluator makes a few set-based queries for every branch in the check at once (through the
ledger services, which own the rules' arithmetic) and turns what they report into findings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from models import Attachment, DevelopmentRecord, Rectification, VenueCheck, WeakBranchFlag
from models.enums import DecisionStepCode, RectificationStatus, VenueItem, label
from services import decisions, development, fees, training
from services.dates import add_months
from services.handbook.facts import BranchFact
from services.handbook.findings import Finding
from services.handbook.pack import (
    HoursRule,
    LapseRule,
    PipelineRule,
    ProcedureRule,
    RectificationRule,
    VenueRule,
)
from services.handbook.period import Period, year
from services.handbook.rules import Context


def _branches(ctx: Context, rule: Any) -> list[BranchFact]:
    return [b for b in ctx.facts.branches if ctx.exists(b) and ctx.applies(rule, b)]


def _names(items: list[str], limit: int = 12) -> str:
    shown = "、".join(items[:limit])
    return shown + (f" 等 {len(items)} 人" if len(items) > limit else "")


# --- 发展党员 -----------------------------------------------------------------------------------


def _pipeline_event(record: DevelopmentRecord, check: str, t: development.PipelineThresholds) -> date | None:
    """The day a pipeline rule is about, so a problem belongs to the period it happened in."""
    if check == "age":
        return record.applied_on
    if check == "talk":
        return add_months(record.applied_on, t.talk_within_months)
    if check == "activist_year":
        return record.candidate_on
    if check == "training":
        return record.admitted_on
    return None  # conversion_due and review are judged on the reference day


def pipeline(rule: PipelineRule, ctx: Context) -> list[Finding]:
    branches = {b.id: b for b in _branches(ctx, rule)}
    if not branches:
        return []
    thresholds = development.PipelineThresholds(
        min_age=rule.min_age,
        talk_within_months=rule.months,
        activist_min_days=rule.days,
        training_min_days=rule.training_days,
        training_min_hours=rule.training_hours,
        conversion_warn_days=rule.days,
        review_every_months=rule.months,
    )
    # The pack has several pipeline rules: the records are read, and each set of thresholds judged,
    # once per evaluation for every branch checked (per-record rules), then each rule takes its branches.
    records_key = f"pipeline|records|{ctx.ref}"
    if records_key not in ctx.facts._counts:
        # Plain rows with every column (attribute access like the model's), not ORM objects: read-only.
        ctx.facts._counts[records_key] = list(
            ctx.session.execute(
                select(*DevelopmentRecord.__table__.columns).where(
                    DevelopmentRecord.branch_id.in_([b.id for b in ctx.facts.branches]),
                    DevelopmentRecord.deleted.is_(False),
                    DevelopmentRecord.applied_on <= ctx.ref,
                )
            )
        )
    records: list[DevelopmentRecord] = ctx.facts._counts[records_key]
    issues_key = f"pipeline|issues|{ctx.ref}|{thresholds!r}"
    if issues_key not in ctx.facts._counts:
        ctx.facts._counts[issues_key] = development.pipeline_issues(records, ctx.ref, thresholds)
    all_issues: list[development.PipelineIssue] = ctx.facts._counts[issues_key]
    code = {"conversion_due": "conversion", "activist_year": "activist_year"}.get(rule.check, rule.check)
    by_id = {r.id: r for r in records}
    hits: dict[str, list[development.PipelineIssue]] = defaultdict(list)
    for issue in all_issues:
        if issue.branch_id not in branches or issue.code != code:
            continue
        if rule.check == "conversion_due" and issue.level != "warning":
            continue  # overdue probation is the deadline rule's error (TEAM-01)
        event = _pipeline_event(by_id[issue.record_id], rule.check, thresholds)
        if event is not None and not (ctx.period.start <= event <= ctx.period.end):
            continue
        hits[issue.branch_id].append(issue)
    out = []
    for branch_id, issues in hits.items():
        values = {
            "count": len(issues),
            "names": _names([i.name for i in issues]),
            "details": "；".join(i.message.rstrip("。") for i in issues[:8]),
            "min_age": rule.min_age,
            "months": rule.months,
            "days": rule.days,
            "training_days": rule.training_days,
            "training_hours": rule.training_hours,
        }
        out.append(
            ctx.finding(
                rule,
                branches[branch_id],
                None,
                values,
                record_ids=[i.record_id for i in issues],
                record_kind="development_record",
            )
        )
    return out


# --- 党费与组织生活 ---------------------------------------------------------------------------------


def _last_closed_month(ctx: Context) -> str:
    """The month judged: the reference day's month once it has ended, else the month before."""
    ref = ctx.ref
    if (ref + timedelta(days=1)).month != ref.month:
        return fees.month_key(ref)
    return fees.shift_month(fees.month_key(ref), -1)


def lapse(rule: LapseRule, ctx: Context) -> list[Finding]:
    branches = {b.id: b for b in _branches(ctx, rule)}
    if not branches:
        return []
    as_of = _last_closed_month(ctx)
    # Open-ended bands report real lengths (up to 36 months); a band's rule classifies the same runs
    # identically, so the warning and the error rule of one kind share a single computation.
    lookback = max(36, (rule.max_months or 0) + 1)
    key = f"lapse|{rule.check}|{as_of}|{lookback}"
    if key not in ctx.facts._counts:
        runner = fees.unpaid_runs if rule.check == "dues" else fees.life_gap_runs
        everyone = [b.id for b in ctx.facts.branches]
        ctx.facts._counts[key] = runner(ctx.session, as_of, everyone, lookback_months=lookback)
    runs = [r for r in ctx.facts._counts[key] if r.branch_id in branches]
    hits: dict[str, list[fees.Lapse]] = defaultdict(list)
    for run in runs:
        if run.months >= rule.min_months and (rule.max_months is None or run.months <= rule.max_months):
            hits[run.branch_id].append(run)
    out = []
    for branch_id, items in hits.items():
        items.sort(key=lambda r: -r.months)
        values = {
            "count": len(items),
            "names": _names([f"{r.name}（{r.months} 个月）" for r in items]),
            "min_months": rule.min_months,
            "max_months": rule.max_months or "",
            "month": as_of,
        }
        out.append(
            ctx.finding(
                rule,
                branches[branch_id],
                None,
                values,
                record_ids=[r.member_id for r in items],
                record_kind="member",
            )
        )
    return out


# --- 教育培训学时 -----------------------------------------------------------------------------------


def hours(rule: HoursRule, ctx: Context) -> list[Finding]:
    branches = {b.id: b for b in _branches(ctx, rule)}
    out: list[Finding] = []
    for y in range(ctx.period.start.year, ctx.period.end.year + 1):
        window: Period = year(y)
        judged = [b for b in branches.values() if ctx.judged(window, b)]
        if not judged:
            continue
        rows = training.yearly_hours(ctx.session, y, rule.target_hours, [b.id for b in judged])
        short: dict[str, list[training.HoursRow]] = defaultdict(list)
        for row in rows:
            if not row.met:
                short[row.branch_id].append(row)
        for branch_id, items in short.items():
            values = {
                "count": len(items),
                "names": _names([f"{r.name}（{r.minutes / 60:g}）" for r in items]),
                "target": rule.target_hours,
            }
            out.append(
                ctx.finding(
                    rule,
                    branches[branch_id],
                    window,
                    values,
                    record_ids=[r.member_id for r in items],
                    record_kind="member",
                )
            )
    return out


# --- 四议两公开 --------------------------------------------------------------------------------------


def procedure(rule: ProcedureRule, ctx: Context) -> list[Finding]:
    branches = {b.id: b for b in _branches(ctx, rule)}
    if not branches:
        return []
    stuck: dict[str, list[decisions.DecisionProgress]] = defaultdict(list)
    for p in decisions.progress(ctx.session, list(branches)):
        in_period = ctx.period.start <= p.proposed_on <= ctx.period.end
        if in_period and (ctx.ref - p.proposed_on).days > rule.days and p.missing:
            stuck[p.branch_id].append(p)
    out = []
    for branch_id, items in stuck.items():
        titles = "；".join(
            f"{p.title}（缺：{'、'.join(label(DecisionStepCode(s)) for s in p.missing)}）" for p in items[:6]
        )
        values = {"count": len(items), "titles": titles, "days": rule.days}
        out.append(
            ctx.finding(
                rule,
                branches[branch_id],
                None,
                values,
                record_ids=[p.decision_id for p in items],
                record_kind="decision",
            )
        )
    return out


# --- 阵地“八有” -------------------------------------------------------------------------------------


def venue(rule: VenueRule, ctx: Context) -> list[Finding]:
    branches = {b.id: b for b in _branches(ctx, rule)}
    if not branches:
        return []
    latest: dict[tuple[str, str], VenueCheck] = {}
    for row in ctx.session.scalars(
        select(VenueCheck)
        .where(
            VenueCheck.branch_id.in_(list(branches)),
            VenueCheck.deleted.is_(False),
            VenueCheck.checked_on <= ctx.ref,
        )
        .order_by(VenueCheck.checked_on, VenueCheck.created_at)
    ):
        latest[(row.branch_id, row.item)] = row
    photos: set[str] = set()
    if rule.require_photo and latest:
        photos = set(
            ctx.session.scalars(
                select(Attachment.owner_id)
                .where(
                    Attachment.owner_type == "venue_check",
                    Attachment.deleted.is_(False),
                    Attachment.owner_id.in_([c.id for c in latest.values()]),
                )
                .group_by(Attachment.owner_id)
                .having(func.count() > 0)
            )
        )
    out = []
    for branch_id, branch in branches.items():
        problems = []
        ids = []
        for item in VenueItem:
            check = latest.get((branch_id, item.value))
            if check is None:
                problems.append(f"{label(item)}（未核查）")
            elif not check.met:
                problems.append(f"{label(item)}（未达标）")
                ids.append(check.id)
            elif rule.require_photo and check.id not in photos:
                problems.append(f"{label(item)}（无照片）")
                ids.append(check.id)
        if problems:
            values = {"count": len(problems), "missing": "、".join(problems)}
            out.append(ctx.finding(rule, branch, None, values, record_ids=ids, record_kind="venue_check"))
    return out


# --- 督查整改 ---------------------------------------------------------------------------------------


def rectification(rule: RectificationRule, ctx: Context) -> list[Finding]:
    branches = {b.id: b for b in _branches(ctx, rule)}
    if not branches:
        return []
    out = []
    if rule.check == "overdue":
        hits: dict[str, list[Rectification]] = defaultdict(list)
        for problem in ctx.session.scalars(
            select(Rectification).where(
                Rectification.branch_id.in_(list(branches)),
                Rectification.deleted.is_(False),
                Rectification.deadline < ctx.ref,
                (Rectification.closed_on.is_(None)) | (Rectification.closed_on > ctx.ref),
                Rectification.status != RectificationStatus.CLOSED,
            )
        ):
            hits[problem.branch_id].append(problem)
        for branch_id, items in hits.items():
            listed = "；".join(f"{p.category}（时限 {p.deadline.isoformat()}）" for p in items[:6])
            values = {"count": len(items), "items": listed}
            out.append(
                ctx.finding(
                    rule,
                    branches[branch_id],
                    None,
                    values,
                    record_ids=[p.id for p in items],
                    record_kind="rectification",
                )
            )
    else:
        for flag in ctx.session.scalars(
            select(WeakBranchFlag).where(
                WeakBranchFlag.branch_id.in_(list(branches)),
                WeakBranchFlag.deleted.is_(False),
                WeakBranchFlag.flagged_on <= ctx.ref,
                (WeakBranchFlag.closed_on.is_(None)) | (WeakBranchFlag.closed_on > ctx.ref),
            )
        ):
            values = {"count": 1, "items": f"{flag.flagged_on.isoformat()} 列入：{flag.reason}"}
            out.append(
                ctx.finding(
                    rule,
                    branches[flag.branch_id],
                    None,
                    values,
                    record_ids=[flag.id],
                    record_kind="weak_branch_flag",
                )
            )
    return out


LEDGER_EVALUATORS: dict[str, Callable[[Any, Context], list[Finding]]] = {
    "pipeline": pipeline,
    "lapse": lapse,
    "hours": hours,
    "procedure": procedure,
    "venue": venue,
    "rectification": rectification,
}
