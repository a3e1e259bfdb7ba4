"""One evaluator per rule type. Each reads the preloaded facts and returns findings; none touches SQL
except the count rule, which asks for one grouped count per rule for all branches at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from models.enums import LABELS
from services.dates import add_months, add_years
from services.handbook.facts import (
    BranchFact,
    CountQuery,
    Facts,
    MeetingFact,
    MemberFact,
    cached_count,
    window_total,
)
from services.handbook.findings import Finding, Prefill
from services.handbook.pack import (
    CompositionRule,
    CountRule,
    DeadlineRule,
    EvidenceRule,
    FrequencyRule,
    Norm,
    Pack,
    QuorumRule,
    Standard,
    TermRule,
)
from services.handbook.period import Period, Unit, containing
from services.handbook.sources import meeting_type_label

UNIT_WORDS = {"month": "每月", "quarter": "每季度", "year": "每年"}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass
class Context:
    """One evaluation: the pack, the facts, the period judged and the day the check is made."""

    session: Session
    pack: Pack
    facts: Facts
    period: Period
    as_of: date
    completeness: dict[tuple[str, str], list[int]] = field(
        default_factory=dict
    )  # (branch, ledger) → [exp, present]
    _windows: dict[str, list[Period]] = field(default_factory=dict, repr=False)

    @cached_property
    def norm_table(self) -> dict[str, tuple[Standard, Norm]]:
        """The pack's norm id → (standard, norm), looked up once per evaluation (once per finding and
        per judged window otherwise: a county's check asks tens of thousands of times)."""
        return self.pack.norms()

    def windows(self, unit: Unit) -> list[Period]:
        """The period's windows of ``unit`` (the same for every branch), computed once per unit."""
        cached = self._windows.get(unit)
        if cached is None:
            cached = self._windows[unit] = self.period.windows(unit)
        return cached

    @property
    def ref(self) -> date:
        """The day point-in-time rules look at: the period's last day, or today when it has not ended."""
        return min(self.period.end, self.as_of)

    def judged(self, window: Period, branch: BranchFact, grace_days: int = 0) -> bool:
        """A window is judged once it has ended (plus grace) and the branch existed for all of it."""
        if self.as_of <= window.end + timedelta(days=grace_days):
            return False
        if branch.dissolved_on is not None and branch.dissolved_on <= window.end:
            return False  # 撤销/合并 before the window ended: nothing more was due from it
        return branch.founded_on is None or branch.founded_on <= window.start

    def exists(self, branch: BranchFact) -> bool:
        """Founded by the reference day and not dissolved (撤销/合并) by then."""
        if branch.dissolved_on is not None and branch.dissolved_on <= self.ref:
            return False
        return branch.founded_on is None or branch.founded_on <= self.ref

    def applies(self, rule: Any, branch: BranchFact, day: date | None = None) -> bool:
        when = rule.when
        if when is None:
            return True
        if when.kinds is not None and branch.kind not in when.kinds:
            return False
        if when.domains is not None and branch.domain not in when.domains:
            return False
        if when.outside_parent_kinds is not None and branch.parent_kind in when.outside_parent_kinds:
            return False
        if when.level == "village" and branch.village_head != branch.id:
            return False  # judged once, at the village's 党总支
        if when.min_full_members is None and when.max_full_members is None:
            return True
        full = self.facts.full_members(branch.id, day or self.ref)
        if when.min_full_members is not None and full < when.min_full_members:
            return False
        return not (when.max_full_members is not None and full > when.max_full_members)

    def expect(self, rule_norm: str, branch_id: str, expected: int, present: int) -> None:
        standard = self.norm_table[rule_norm][0]
        slot = self.completeness.setdefault((branch_id, standard.ledger), [0, 0])
        slot[0] += expected
        slot[1] += min(present, expected)

    def finding(
        self,
        rule: Any,
        branch: BranchFact,
        period: Period | None,
        values: dict[str, Any],
        *,
        record_ids: list[str] | None = None,
        record_kind: str = "meeting",
        missing: str = "",
        prefill: Prefill | None = None,
    ) -> Finding:
        judged = period or self.period
        standard, _norm = self.norm_table[rule.norm]
        text = rule.message.format_map(
            _Blank(branch=branch.name, period=judged.title, rule=rule.name, **values)
        )
        return Finding(
            rule_id=rule.id,
            rule_name=rule.name,
            rule_type=rule.type,
            importance=rule.importance,
            branch_id=branch.id,
            branch_code=branch.code,
            branch_name=branch.name,
            period=judged.label,
            message=text,
            standard_id=standard.id,
            norm_id=rule.norm,
            source=rule.source,
            record_ids=record_ids or [],
            record_kind=record_kind,
            missing=missing,
            prefill=prefill,
        )


def _meetings(ctx: Context, branch_id: str, types: list[str], window: Period) -> list[MeetingFact]:
    if len(types) == 1:  # the common case: the bisected slice is already a new list, by date
        return ctx.facts.meetings_of(branch_id, types[0], window.start, window.end)
    # a meeting held as several kinds (主题党日暨党员大会) is one meeting: listed once, not once per kind
    # (../shared/domain.md: one record counts for every kind it was, but stays one record)
    seen: dict[str, MeetingFact] = {}
    for t in types:
        for m in ctx.facts.meetings_of(branch_id, t, window.start, window.end):
            seen.setdefault(m.id, m)
    out = list(seen.values())
    out.sort(key=lambda m: m.held_on)
    return out


def _month_of(day: date) -> Period:
    return containing(day, "month")


def frequency(rule: FrequencyRule, ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    what = meeting_type_label(rule.meeting_type)
    for branch in ctx.facts.branches:
        for window in ctx.windows(rule.per):
            if not ctx.judged(window, branch, rule.grace_days) or not ctx.applies(rule, branch, window.end):
                continue
            held = _meetings(ctx, branch.id, [rule.meeting_type], window)
            if rule.quorum_only:
                held = [m for m in held if m.quorum_met()]
            suggest = min(window.end, ctx.as_of)
            if rule.scope == "group":
                # only groups in being for the whole window: none is due before its founding or after 撤销
                groups = [
                    (g.id, g.name)
                    for g in ctx.facts.groups.get(branch.id, [])
                    if g.existed_throughout(window.start, window.end)
                ]
                per_group: dict[str | None, int] = defaultdict(int)
                for m in held:
                    per_group[m.party_group_id] += 1
                lacking = [(gid, name) for gid, name in groups if per_group[gid] < rule.min]
                ctx.expect(
                    rule.norm,
                    branch.id,
                    rule.min * len(groups),
                    sum(min(per_group[g], rule.min) for g, _ in groups),
                )
                if lacking:
                    names = "、".join(n for _, n in lacking)
                    out.append(
                        ctx.finding(
                            rule,
                            branch,
                            window,
                            {
                                "min": rule.min,
                                "count": len(held),
                                "meeting": what,
                                "per": UNIT_WORDS[rule.per],
                                "groups": names,
                            },
                            missing=f"{names}的{what}",
                            prefill=Prefill("meeting", branch.id, rule.meeting_type, lacking[0][0], suggest),
                        )
                    )
                continue
            ctx.expect(rule.norm, branch.id, rule.min, len(held))
            if len(held) < rule.min:
                out.append(
                    ctx.finding(
                        rule,
                        branch,
                        window,
                        {
                            "min": rule.min,
                            "count": len(held),
                            "meeting": what,
                            "per": UNIT_WORDS[rule.per],
                            "groups": "",
                        },
                        record_ids=[m.id for m in held],
                        missing=f"{what} {rule.min - len(held)} 次",
                        prefill=Prefill("meeting", branch.id, rule.meeting_type, None, suggest),
                    )
                )
    return out


def _by_month(meetings: list[MeetingFact]) -> dict[Period, list[MeetingFact]]:
    grouped: dict[Period, list[MeetingFact]] = defaultdict(list)
    for m in meetings:
        grouped[_month_of(m.held_on)].append(m)
    return grouped


def quorum(rule: QuorumRule, ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for branch in ctx.facts.branches:
        if not ctx.applies(rule, branch):
            continue
        bad = [
            m
            for m in _meetings(ctx, branch.id, rule.meeting_types, ctx.period)
            if not m.quorum_met(rule.share, rule.strict)
        ]
        for month, items in sorted(_by_month(bad).items()):
            detail = "、".join(
                f"{m.held_on.month}月{m.held_on.day}日（{m.present_voting}/{m.expected_voting}）"
                for m in items
            )
            out.append(
                ctx.finding(
                    rule,
                    branch,
                    month,
                    {"meetings": detail, "share": f"{rule.share:.0%}", "count": len(items)},
                    record_ids=[m.id for m in items],
                )
            )
    return out


def composition(rule: CompositionRule, ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    day = ctx.ref
    for branch in ctx.facts.branches:
        if not ctx.exists(branch) or not ctx.applies(rule, branch):
            continue
        full = ctx.facts.full_members(branch.id, day)
        committee = len(ctx.facts.committee(branch.id, day))
        values: dict[str, Any] = {
            "count": full,
            "min": rule.min,
            "max": rule.max,
            "threshold": rule.threshold,
            "committee": committee,
            "names": "",
        }
        fires = False
        missing = ""
        if rule.check == "full_members":
            fires = full < (rule.min or 0)
            missing = f"正式党员 {(rule.min or 0) - full} 名"
        elif rule.check == "committee_required":
            fires = full >= (rule.threshold or 0) and committee < 3
            missing = "支部委员会"
        elif rule.check == "secretary":
            fires = full > 0 and not ctx.facts.has_secretary(branch.id, day)
            missing = "书记"
        elif rule.check == "probationary_seat":
            # 预备党员 have no right to be elected (党章第七条): none may hold a committee seat.
            people = {m.id: m for m in ctx.facts.members.get(branch.id, [])}
            seated = [
                people[s.member_id] for s in ctx.facts.committee(branch.id, day) if s.member_id in people
            ]
            holders = [m for m in seated if m.probationary_on(day)]
            fires = bool(holders)
            values["names"] = "、".join(m.name for m in holders)
            values["count"] = len(holders)
            missing = "调整委员"
        elif rule.check == "committee_size" and committee > 1:
            # Only judged where a committee exists (a lone secretary is not a committee).
            fires = committee < (rule.min or 0) or (rule.max is not None and committee > rule.max)
        if fires:
            # A missing secretary or committee is entered in the committee dialog (补录 opens it).
            prefill = Prefill("committee", branch.id) if rule.check != "full_members" else None
            out.append(ctx.finding(rule, branch, None, values, missing=missing, prefill=prefill))
    return out


def term(rule: TermRule, ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    day = ctx.ref
    for branch in ctx.facts.branches:
        if not ctx.exists(branch) or not ctx.applies(rule, branch):
            continue
        end = branch.term_end
        if end is None and branch.term_start is not None:
            end = add_years(branch.term_start, rule.years_by_domain.get(branch.domain, rule.years))
        if end is None:
            continue
        left = (end - day).days
        # expired: the term's last day has passed; expiring: 0 … within_days days left.
        fires = left < 0 if rule.check == "expired" else 0 <= left <= rule.within_days
        if fires:
            out.append(
                ctx.finding(
                    rule,
                    branch,
                    None,
                    {"term_end": end.isoformat(), "days": left},
                    missing="换届选举",
                    prefill=Prefill("election", branch.id),
                )
            )
    return out


def _awaiting_conversion(m: MemberFact, day: date, files: dict[str, tuple[int, date | None]]) -> bool:
    """Still waiting on ``day`` for the 党员大会 to discuss the conversion (the roster as of then)."""
    converted = files.get(m.id, (0, None))[1]
    if converted is not None:
        return m.joined_on <= day < converted
    return m.probationary_on(day)


def deadline(rule: DeadlineRule, ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for branch in ctx.facts.branches:
        if not ctx.exists(branch) or not ctx.applies(rule, branch):
            continue
        if rule.check == "probation_overdue":
            day = ctx.ref
            months = rule.months or 12
            files = ctx.facts.probation_files(ctx.session)

            overdue = [
                m
                for m in ctx.facts.members.get(branch.id, [])
                if m.in_branch(day)
                and _awaiting_conversion(m, day, files)
                and add_months(add_months(m.joined_on, months), files.get(m.id, (0, None))[0]) < day
            ]
            if overdue:
                names = "、".join(f"{m.name}（{m.joined_on.isoformat()}入党）" for m in overdue)
                out.append(
                    ctx.finding(
                        rule,
                        branch,
                        None,
                        {"count": len(overdue), "names": names, "months": months, "days": "", "meetings": ""},
                        record_ids=[m.id for m in overdue],
                        record_kind="member",
                        missing="转正讨论",
                    )
                )
        else:
            limit = rule.days or 0
            types = rule.meeting_types or list(LABELS["MeetingType"])
            late = [
                m
                for m in _meetings(ctx, branch.id, types, ctx.period)
                if m.recorded_on is not None and (m.recorded_on - m.held_on).days > limit
            ]
            for month, items in sorted(_by_month(late).items()):
                detail = "、".join(
                    f"{meeting_type_label(m.type)} {m.held_on.month}月{m.held_on.day}日（{(m.recorded_on - m.held_on).days if m.recorded_on else 0} 天后录入）"
                    for m in items
                )
                out.append(
                    ctx.finding(
                        rule,
                        branch,
                        month,
                        {"count": len(items), "meetings": detail, "days": limit, "names": "", "months": ""},
                        record_ids=[m.id for m in items],
                    )
                )
    return out


FIELD_WORDS = {
    "minutes": "会议记录",
    "resolutions": "决议",
    "topics": "议题",
    "place": "地点",
    "host": "主持人",
    "recorder": "记录人",
    "lecturer": "授课人",
}
ATTACHMENT_WORDS = {"photo": "照片", "signin": "签到表", "scan": "扫描件", "document": "文件"}


def evidence(rule: EvidenceRule, ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for branch in ctx.facts.branches:
        if not ctx.applies(rule, branch):
            continue
        lacking: list[tuple[MeetingFact, list[str]]] = []
        for m in _meetings(ctx, branch.id, rule.meeting_types, ctx.period):
            gaps = [FIELD_WORDS.get(f, f) for f in rule.fields if not m.filled.get(f)]
            gaps += [ATTACHMENT_WORDS.get(k, k) for k in rule.attachment_kinds if not m.attachments.get(k)]
            if gaps:
                lacking.append((m, gaps))
        per_month: dict[Period, list[tuple[MeetingFact, list[str]]]] = defaultdict(list)
        for item in lacking:
            per_month[_month_of(item[0].held_on)].append(item)
        for month, items in sorted(per_month.items()):
            gaps = sorted(
                {g for _, gs in items for g in gs},
                key=lambda g: list(FIELD_WORDS.values()).index(g) if g in FIELD_WORDS.values() else 99,
            )
            detail = "、".join(
                f"{meeting_type_label(m.type)} {m.held_on.month}月{m.held_on.day}日" for m, _ in items
            )
            out.append(
                ctx.finding(
                    rule,
                    branch,
                    month,
                    {"count": len(items), "meetings": detail, "missing": "、".join(gaps)},
                    record_ids=[m.id for m, _ in items],
                    missing="、".join(gaps),
                )
            )
    return out


def _fmt(value: float, ratio: bool) -> str:
    return f"{value:.0%}" if ratio else f"{value:g}"


def count(rule: CountRule, ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    ids = [b.id for b in ctx.facts.branches]
    if not ids:
        return out
    query = CountQuery(
        rule.records,
        dict(rule.filter),
        rule.date_field,
        dict(rule.numerator),
        month_field=rule.month_field,
        filled=tuple(rule.filled),
        known_by=rule.known_by,
        as_of=ctx.as_of if rule.known_by else None,
    )
    data = cached_count(ctx.facts, ctx.session, query, ctx.period.start, ctx.period.end)
    ratio = rule.measure == "ratio"
    village = rule.when is not None and rule.when.level == "village"
    for branch in ctx.facts.branches:
        counts = data.get(branch.id, {})
        if village:  # the village counts once: its 党总支 with every sub-branch
            counts = dict(counts)
            for kid in ctx.facts.children.get(branch.id, []):
                for key, (n, k) in data.get(kid, {}).items():
                    n0, k0 = counts.get(key, (0, 0))
                    counts[key] = (n0 + n, k0 + k)
        windows: list[Period | None]
        if rule.per is not None:
            windows = [w for w in ctx.windows(rule.per) if ctx.judged(w, branch)]
        else:
            windows = [None] if ctx.exists(branch) else []
        for window in windows:
            if not ctx.applies(rule, branch, window.end if window else None):
                continue
            total, num = window_total(counts, window)
            if ratio:
                if total == 0:
                    continue  # nothing to measure: a missing record is another rule's finding
                value: float = num / total
            else:
                value = total
                if rule.per is not None and rule.min is not None:
                    ctx.expect(rule.norm, branch.id, int(rule.min), total)
            low = rule.min is not None and value < rule.min
            high = rule.max is not None and value > rule.max
            if low or high:
                values = {
                    "value": _fmt(value, ratio),
                    "min": _fmt(rule.min, ratio) if rule.min is not None else "",
                    "max": _fmt(rule.max, ratio) if rule.max is not None else "",
                    "numerator": num,
                    "denominator": total,
                }
                missing = "" if ratio or not low else f"记录 {int((rule.min or 0) - value)} 条"
                out.append(ctx.finding(rule, branch, window, values, missing=missing))
    return out


EVALUATORS: dict[str, Callable[[Any, Context], list[Finding]]] = {
    "frequency": frequency,
    "quorum": quorum,
    "composition": composition,
    "term": term,
    "deadline": deadline,
    "evidence": evidence,
    "count": count,
}
