"""Star rating from a check's findings: basic stars by one-vote veto, feature stars by score."""

from __future__ import annotations

from services.handbook.findings import Finding, StarRating
from services.handbook.pack import Stars


def rate(stars: Stars, branch_id: str, findings: list[Finding]) -> StarRating:
    """A rule "fails" for the branch when it has any finding in the period, explained or not:
    an explanation says why, it does not make the requirement met."""
    failed = {f.rule_id for f in findings if f.branch_id == branch_id}
    basic: dict[str, bool] = {}
    vetoes: dict[str, list[str]] = {}
    for star in stars.basic:
        hit = [r for r in star.veto_rules if r in failed]
        basic[star.name] = not hit
        if hit:
            vetoes[star.name] = hit
    feature = stars.feature
    task = sum(item.points for item in feature.task if not failed & set(item.rules))
    highlight = min(
        feature.highlight_cap, sum(item.points for item in feature.highlight if not failed & set(item.rules))
    )
    eligible = all(basic.values()) or not feature.requires_all_basic
    score = task + highlight
    feature_stars = min(feature.max_stars, score // feature.points_per_star) if eligible else 0
    total = sum(basic.values()) + feature_stars
    title = ""
    for t in sorted(stars.title, key=lambda t: t.min_stars):
        if total >= t.min_stars:
            title = t.title
    return StarRating(branch_id, basic, vetoes, score, task, highlight, feature_stars, title)
