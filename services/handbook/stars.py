"""Star rating from a check's findings (赤峰做法, see ``../shared/domain.md``): rated on a full calendar
year only; five basic stars by one-vote veto over the 条例's required activities and the branch's
make-up; then feature stars from the 100 points of the branch's own domain's tasks plus highlights
earned with filed evidence (never by default), one star per ``points_per_star``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from models.enums import LABELS
from services.handbook.facts import BranchFact
from services.handbook.findings import Finding, StarRating
from services.handbook.pack import Stars
from services.handbook.period import Period


def not_rated(branch_id: str, reason: str) -> StarRating:
    """A branch the year's rating does not cover (a month or quarter check; a kind not rated)."""
    return StarRating(branch_id, {}, {}, 0, 0, 0, 0, "", rated=False, reason=reason)


def rate(
    stars: Stars,
    branch: BranchFact,
    findings: list[Finding],
    *,
    period: Period,
    rules: dict[str, Any],
    has_groups: bool,
    highlight_filed: Callable[[str], int],
) -> StarRating:
    """Rate ``branch`` on ``period``. A rule "fails" for the branch when it has any finding in the
    period, explained or not: an explanation says why, it does not make the requirement met.

    ``rules``: the pack's rules by id (a proportional task reads how many windows a rule judges);
    ``highlight_filed(evidence id)``: documents with a file filed for the branch under that 资料 item.
    """
    if period.unit != "year":
        return not_rated(branch.id, "星级按整年度评定，月度、季度检查不评星")
    if branch.kind not in stars.rated_kinds:
        return not_rated(branch.id, f"{LABELS['BranchKind'].get(branch.kind, branch.kind)}不评星")
    mine = [f for f in findings if f.branch_id == branch.id]
    failed = {f.rule_id for f in mine}
    per_rule = Counter(f.rule_id for f in mine)
    basic: dict[str, bool] = {}
    vetoes: dict[str, list[str]] = {}
    for star in stars.basic:
        hit = [r for r in star.veto_rules if r in failed]
        basic[star.name] = not hit
        if hit:
            vetoes[star.name] = hit
    feature = stars.feature
    task = 0
    for item in feature.task:
        if item.domains is not None and branch.domain not in item.domains:
            continue
        if item.needs == "party_groups" and not has_groups:
            continue  # no 党小组: the task has no subject, and that is no free points
        if not item.proportional:
            task += 0 if failed & set(item.rules) else item.points
            continue
        windows = sum(_windows(rules.get(r), period) for r in item.rules)
        misses = sum(per_rule[r] for r in item.rules)
        share = max(0.0, 1 - misses / windows) if windows else (0.0 if misses else 1.0)
        task += int(item.points * share)
    earned = 0
    for h in feature.highlight:
        if highlight_filed(h.evidence) > 0 and not failed & set(h.rules):
            earned += h.points
    highlight = min(feature.highlight_cap, earned)
    eligible = all(basic.values()) or not feature.requires_all_basic
    score = task + highlight
    feature_stars = min(feature.max_stars, score // feature.points_per_star) if eligible else 0
    total = sum(basic.values()) + feature_stars
    title = ""
    for t in sorted(stars.title, key=lambda t: t.min_stars):
        if total >= t.min_stars:
            title = t.title
    return StarRating(branch.id, basic, vetoes, score, task, highlight, feature_stars, title)


def _windows(rule: Any, period: Period) -> int:
    """Windows a rule judges in the period: its ``per`` windows, else one."""
    per = getattr(rule, "per", None)
    return len(period.windows(per)) if per else 1
