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

from models import (
    AppraisalGrade,
    Attachment,
    DevelopmentRecord,
    HeartTalk,
    Rectification,
    VenueCheck,
    WeakBranchFlag,
)
from models.enums import AppraisalGradeCode, DecisionStepCode, RectificationStatus, VenueItem, label
from services import decisions, development, fees, training
from services.dates import add_months
from services.handbook.facts import BranchFact
from services.handbook.findings import Finding
from services.handbook.pack import (
    GradeRule,
    HoursRule,
    LapseRule,
    PipelineRule,
    ProcedureRule,
    RectificationRule,
    TalkRule,
    VenueRule,
)
from services.handbook.period import Period, year
from services.handbook.rules import Context
from services.sqlsets import among, plain_rows


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
    if check in ("training", "political_review", "publicity", "admission_meeting"):
        return record.admitted_on
    if check == "approval" and record.admitted_on is not None:
        return add_months(record.admitted_on, t.approval_months)
    if check in ("early_conversion", "conversion_meeting"):
        return record.converted_on
    if check == "oath" and record.approved_on is not None:
        return add_months(record.approved_on, 3)
    return None  # conversion_due and review are judged on the reference day


def _thresholds(pack_rules: list[Any]) -> development.PipelineThresholds:
    """One set of thresholds from every pipeline rule of the pack (each check reads its own keys)."""
    values: dict[str, int] = {}
    for r in pack_rules:
        if not isinstance(r, PipelineRule):
            continue
        keys = {
            "age": {"min_age": r.min_age},
            "talk": {"talk_within_months": r.months},
            "activist_year": {"activist_min_months": r.months},
            "training": {"training_min_days": r.training_days, "training_min_hours": r.training_hours},
            "conversion_due": {"conversion_warn_days": r.days},
            "review": {"review_every_months": r.months},
            "publicity": {"publicity_days": r.days},
            "approval": {"approval_months": r.months},
        }.get(r.check, {})
        values.update(keys)
    return development.PipelineThresholds(**values)


def _pipeline_issues(
    ctx: Context,
) -> tuple[development.PipelineThresholds, dict[str, DevelopmentRecord], list[development.PipelineIssue]]:
    """The 发展党员 files of every branch in the check and their issues, computed once per evaluation
    (thirteen pipeline rules share them)."""
    cached = ctx.facts._counts.get("pipeline")
    if cached is None:
        thresholds = _thresholds(list(ctx.pack.rule))
        ids = [b.id for b in ctx.facts.branches]
        records = list(
            ctx.session.scalars(
                select(DevelopmentRecord).where(
                    among(ctx.session, DevelopmentRecord.branch_id, ids),
                    DevelopmentRecord.deleted.is_(False),
                    DevelopmentRecord.applied_on <= ctx.ref,
                )
            )
        )
        ctx.facts.queries += 1
        # Days a 支部党员大会 was held (primary kind or also), from the meetings already loaded.
        congress_days = {
            b: {m.held_on for m in ctx.facts.meetings_of(b, "congress", ctx.period.start, ctx.period.end)}
            for b in ids
        }
        issues = development.pipeline_issues(records, ctx.ref, thresholds, congress_days)
        cached = ctx.facts._counts["pipeline"] = (thresholds, {r.id: r for r in records}, issues)
    result: tuple[
        development.PipelineThresholds, dict[str, DevelopmentRecord], list[development.PipelineIssue]
    ] = cached
    return result


def pipeline(rule: PipelineRule, ctx: Context) -> list[Finding]:
    branches = {b.id: b for b in _branches(ctx, rule)}
    if not branches:
        return []
    thresholds, by_id, issues = _pipeline_issues(ctx)
    code = {"conversion_due": "conversion", "activist_year": "activist_year"}.get(rule.check, rule.check)
    hits: dict[str, list[development.PipelineIssue]] = defaultdict(list)
    for issue in issues:
        if issue.code != code or issue.branch_id not in branches:
            continue
        if rule.check == "conversion_due" and issue.level != "warning":
            continue  # overdue probation is the deadline rule's error (TEAM-01)
        if issue.code == "publicity" and issue.level == "info":
            continue  # short only if an uncovered year had no 调休: a hint in the pipeline, never a finding
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
        everyone = [b.id for b in ctx.facts.branches]
        if rule.check == "dues":  # a payment made after the check day is not known to it
            runs = fees.unpaid_runs(ctx.session, as_of, everyone, lookback, paid_by=ctx.as_of)
        else:
            runs = fees.life_gap_runs(ctx.session, as_of, everyone, lookback_months=lookback)
        ctx.facts._counts[key] = runs
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


# --- 谈心谈话与民主评议 ---------------------------------------------------------------------------------


def talks_rule(rule: TalkRule, ctx: Context) -> list[Finding]:
    """Members on the roster at a closed year's end without ``rule.min`` 谈心谈话 in that year."""
    branches = {b.id: b for b in _branches(ctx, rule)}
    out: list[Finding] = []
    for y in range(ctx.period.start.year, ctx.period.end.year + 1):
        window = year(y)
        # By the year's end: judged once the year is over. Before the 组织生活会: once it was held.
        deadline: dict[str, date] = {}
        for b in branches.values():
            if rule.by == "year_end":
                if ctx.judged(window, b):
                    deadline[b.id] = window.end + timedelta(days=1)
            else:
                held = ctx.facts.meetings_of(b.id, "life", window.start, min(window.end, ctx.ref))
                if held:
                    deadline[b.id] = held[0].held_on
        if not deadline:
            continue
        talked: dict[str, list[date]] = defaultdict(list)
        for member_id, on in plain_rows(
            ctx.session,
            select(HeartTalk.member_id, HeartTalk.on).where(
                HeartTalk.deleted.is_(False),
                among(ctx.session, HeartTalk.branch_id, list(deadline)),
                HeartTalk.on >= window.start,
                HeartTalk.on <= window.end,
            ),
        ):
            talked[member_id].append(on)
        ctx.facts.queries += 1
        for branch_id, until in deadline.items():
            b = branches[branch_id]
            day = until - timedelta(days=1)
            seats = {s.member_id for s in ctx.facts.committee(b.id, day)}
            # A lone secretary has no one in the branch to talk with (the township committee does).
            alone = seats if len(seats) == 1 else set()
            # Someone who arrived in the branch (admitted, transferred in) just before the deadline is
            # judged the next year: the rule counts members only from when they could be talked with.
            arrived_by = until - timedelta(days=rule.settle_days)
            missing = [
                m
                for m in ctx.facts.members.get(b.id, [])
                if m.in_branch(day)
                and max(m.branch_since, m.joined_on) < arrived_by
                and m.id not in alone
                and sum(1 for on in talked.get(m.id, []) if on < until) < rule.min
            ]
            if missing:
                values = {
                    "count": len(missing),
                    "names": _names([m.name for m in missing]),
                    "min": rule.min,
                    "meeting": f"{until.month}月{until.day}日" if rule.by == "life_meeting" else "",
                }
                out.append(
                    ctx.finding(
                        rule, b, window, values, record_ids=[m.id for m in missing], record_kind="member"
                    )
                )
    return out


def grades_rule(rule: GradeRule, ctx: Context) -> list[Finding]:
    """民主评议 grades of each year in the period (党员教育管理工作条例第十八条)."""
    branches = {b.id: b for b in _branches(ctx, rule)}
    if not branches:
        return []
    rows = ctx.session.execute(
        select(
            AppraisalGrade.branch_id,
            AppraisalGrade.year,
            AppraisalGrade.member_id,
            AppraisalGrade.grade,
            AppraisalGrade.follow_up,
        ).where(
            AppraisalGrade.deleted.is_(False),
            among(ctx.session, AppraisalGrade.branch_id, list(branches)),
            AppraisalGrade.year >= ctx.period.start.year,
            AppraisalGrade.year <= ctx.period.end.year,
        )
    ).all()
    ctx.facts.queries += 1
    names = {m.id: m.name for ms in ctx.facts.members.values() for m in ms}
    by_year: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for row in rows:
        by_year[(row[0], row[1])].append(row)
    out: list[Finding] = []
    for (branch_id, y), items in sorted(by_year.items()):
        branch = branches[branch_id]
        window = year(y)
        if rule.check == "excellent_share":
            # The share is of the full members who took part: one graded and then transferred out (or
            # died) before the year's end still counts, as the service's warning at entry counts them.
            full = max(ctx.facts.full_members(branch_id, window.end), len(items))
            best = [r for r in items if r[3] == AppraisalGradeCode.EXCELLENT]
            limit = int(full * rule.max_share)
            if len(best) > limit:
                values = {
                    "count": len(best),
                    "names": _names([names.get(r[2], "") for r in best]),
                    "full": full,
                    "limit": limit,
                }
                out.append(
                    ctx.finding(
                        rule, branch, window, values, record_ids=[r[2] for r in best], record_kind="member"
                    )
                )
        else:
            open_ = [r for r in items if r[3] == AppraisalGradeCode.UNQUALIFIED and not r[4]]
            if open_:
                values = {
                    "count": len(open_),
                    "names": _names([names.get(r[2], "") for r in open_]),
                    "full": "",
                    "limit": "",
                }
                out.append(
                    ctx.finding(
                        rule, branch, window, values, record_ids=[r[2] for r in open_], record_kind="member"
                    )
                )
    return out


# --- 四议两公开 --------------------------------------------------------------------------------------


def procedure(rule: ProcedureRule, ctx: Context) -> list[Finding]:
    branches = {b.id: b for b in _branches(ctx, rule)}
    if not branches:
        return []
    stuck: dict[str, list[decisions.DecisionProgress]] = defaultdict(list)
    # Only decisions proposed in the period are judged: a one-year period reads that year's alone.
    one_year = ctx.period.start.year if ctx.period.start.year == ctx.period.end.year else None
    for p in decisions.progress(ctx.session, list(branches), year=one_year):
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
    # A village's venue is one place: checks filed under its sub-branches count for its 党总支.
    head_of = {b: b for b in branches}
    if rule.when is not None and rule.when.level == "village":
        for head in branches:
            for kid in ctx.facts.children.get(head, []):
                head_of.setdefault(kid, head)
    latest: dict[tuple[str, str], VenueCheck] = {}
    for row in ctx.session.scalars(
        select(VenueCheck)
        .where(
            among(ctx.session, VenueCheck.branch_id, list(head_of)),
            VenueCheck.deleted.is_(False),
            VenueCheck.checked_on <= ctx.ref,
        )
        .order_by(VenueCheck.checked_on, VenueCheck.created_at)
    ):
        latest[(head_of[row.branch_id], row.item)] = row
    photos: set[str] = set()
    if rule.require_photo and latest:
        photos = set(
            ctx.session.scalars(
                select(Attachment.owner_id)
                .where(
                    Attachment.owner_type == "venue_check",
                    Attachment.deleted.is_(False),
                    among(ctx.session, Attachment.owner_id, [c.id for c in latest.values()]),
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
                among(ctx.session, Rectification.branch_id, list(branches)),
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
                among(ctx.session, WeakBranchFlag.branch_id, list(branches)),
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
    "talks": talks_rule,
    "grades": grades_rule,
    "procedure": procedure,
    "venue": venue,
    "rectification": rectification,
}
