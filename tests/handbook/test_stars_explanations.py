"""Star rating (veto, score, titles), completeness, and 说明 on warning-level findings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from services.errors import ValidationError
from services.handbook import explanations
from services.handbook.facts import BranchFact
from services.handbook.findings import Finding
from services.handbook.pack import load_pack
from services.handbook.period import parse_period
from services.handbook.stars import rate
from tests.handbook.conftest import Kit, of_rule

PACK = load_pack()


def _finding(rule_id: str, importance: str = "warning", explanation: str | None = None) -> Finding:
    return Finding(
        rule_id=rule_id,
        rule_name=rule_id,
        rule_type="frequency",
        importance=importance,
        branch_id="b1",
        branch_code="B01",
        branch_name="一村",
        period="2026-07",
        message="",
        standard_id="life",
        norm_id="life.three_meetings",
        source="",
        explanation=explanation,
    )


YEAR = parse_period("2026")
RULES = PACK.rules_by_id()


def _branch(kind: str = "branch", domain: str = "rural") -> BranchFact:
    return BranchFact("b1", "B01", "一村", kind, domain, None, None, None)


def _rate(
    findings: list[Finding],
    *,
    branch: BranchFact | None = None,
    period: str = "2026",
    groups: bool = True,
    highlight: int = 1,
):  # type: ignore[no-untyped-def]
    return rate(
        PACK.stars,
        branch or _branch(),
        findings,
        period=parse_period(period),
        rules=RULES,
        has_groups=groups,
        highlight_filed=lambda _ev: highlight,
    )


def test_a_clean_branch_with_a_filed_highlight_gets_every_star_and_may_compete() -> None:
    star = _rate([])
    assert star.basic_stars == 5
    assert (star.task_score, star.highlight_score, star.feature_stars) == (100, 10, 5)
    assert (star.total, star.title) == (10, "可参评模范支部")


def test_highlights_are_never_given_by_default() -> None:
    star = _rate([], highlight=0)
    assert (star.task_score, star.highlight_score, star.total) == (100, 0, 10)


def test_one_failing_veto_rule_removes_the_basic_star_and_all_feature_stars() -> None:
    star = _rate([_finding("LIFE-02", "error")])
    assert star.basic["基本活动"] is False and star.failed_vetoes == {"基本活动": ["LIFE-02"]}
    assert star.basic_stars == 4
    assert star.feature_stars == 0  # feature stars need all five basic stars
    assert (star.total, star.title) == (4, "")


@pytest.mark.parametrize("rule_id", ["LIFE-04", "LIFE-05", "LIFE-06", "LIFE-07"])
def test_basic_activity_star_covers_the_required_activities(rule_id: str) -> None:
    assert _rate([_finding(rule_id)]).basic["基本活动"] is False


def test_proportional_task_earns_its_share() -> None:
    # 党小组会: 12 monthly windows, 3 missed → 20 × 9/12 = 15 points.
    star = _rate([_finding("LIFE-03") for _ in range(3)])
    assert (star.task_score, star.highlight_score, star.score) == (95, 10, 105)
    assert (star.feature_stars, star.total, star.title) == (5, 10, "可参评模范支部")


def test_a_task_without_its_subject_is_not_free_points() -> None:
    star = _rate([], groups=False)  # no 党小组: the 20 points of 党小组活动 are not earned
    assert star.task_score == 80 and star.feature_stars == 4


def test_each_domain_is_scored_on_its_own_tasks() -> None:
    # TEAM-02 (积极分子储备) is a village task: it costs a village branch points, not an organ branch.
    findings = [_finding("TEAM-02", "info")]
    assert _rate(findings).task_score == 80
    assert _rate(findings, branch=_branch(domain="organ")).task_score == 100
    # and REC-01 the other way round
    rec = [_finding("REC-01", "error")]
    assert _rate(rec).task_score == 100
    assert _rate(rec, branch=_branch(domain="organ")).task_score == 80


def test_stars_are_rated_on_a_full_year_only() -> None:
    for period in ("2026-07", "2026Q3"):
        star = _rate([], period=period)
        assert star.rated is False and star.total == 0 and "整年度" in star.label


def test_general_branches_and_committees_are_not_rated() -> None:
    star = _rate([], branch=_branch(kind="general"))
    assert star.rated is False and star.label == "不评星（党总支不评星）"


def test_an_explanation_does_not_turn_a_failed_rule_into_a_met_one() -> None:
    star = _rate([_finding("SUP-01", explanation="本月党费随下月一并收缴")])
    assert star.basic["基本保障"] is False


def test_findings_of_other_branches_do_not_count() -> None:
    other = _finding("LIFE-02", "error")
    other.branch_id = "b2"
    assert _rate([other]).basic_stars == 5


def test_completeness_counts_expected_and_present_records_per_ledger(kit: Kit) -> None:
    unit = kit.branch(full=7, committee=5)
    for m in range(1, 12):
        kit.meeting(unit, "committee", date(2026, m, 10), attendees=unit.members[:5])
    result = kit.check("2026", date(2027, 1, 5))
    life = next(c for c in result.completeness if c.ledger_id == "org_life")
    # congress 4 + committee 12 + lecture 4 + theme day 12 + life 1 + appraisal 1 (no party groups)
    assert (life.expected, life.present) == (34, 11)
    assert life.ratio == pytest.approx(11 / 34)
    assert result.evidence_counts[(unit.branch.id, "committee_records")] == 11
    assert result.evidence_counts[(unit.branch.id, "lecture_records")] == 0
    assert result.evidence_counts[(unit.branch.id, "roster")] == 7


def test_explained_warning_shows_as_explained_not_hidden(kit: Kit) -> None:
    kit.branch(full=3, committee=1)
    result = kit.check("2026-07", date(2026, 8, 1))
    [theme] = of_rule(result, "LIFE-05")
    with kit.db.transaction("clerk") as s:
        explanations.attach(s, theme, "七月防汛，主题党日并入八月开展")
    again = kit.check("2026-07", date(2026, 8, 1))
    [theme2] = of_rule(again, "LIFE-05")
    assert theme2.explained and theme2.explanation == "七月防汛，主题党日并入八月开展"
    assert theme2.key == theme.key == f"LIFE-05|{theme.branch_id}|2026-07"
    assert len(again.findings) == len(result.findings)
    # The same finding seen from the year's check carries the explanation too.
    year = kit.check("2026", date(2026, 8, 1))
    assert [f.explained for f in of_rule(year, "LIFE-05") if f.period == "2026-07"] == [True]
    # A new explanation replaces the old one; withdrawing removes it.
    with kit.db.transaction("clerk") as s:
        explanations.attach(s, theme2, "改为：八月补开")
    assert of_rule(kit.check("2026-07", date(2026, 8, 1)), "LIFE-05")[0].explanation == "改为：八月补开"
    with kit.db.transaction("clerk") as s:
        assert explanations.withdraw(s, theme2) == 1
    assert not of_rule(kit.check("2026-07", date(2026, 8, 1)), "LIFE-05")[0].explained


def test_errors_cannot_be_explained_away_and_text_is_required(kit: Kit) -> None:
    kit.branch(full=2, committee=1)
    result = kit.check("2026-07", date(2026, 8, 1))
    [small] = of_rule(result, "ORG-01")
    [theme] = of_rule(result, "LIFE-05")
    with pytest.raises(ValidationError, match="只有“警告”级别"), kit.db.transaction("clerk") as s:
        explanations.attach(s, small, "人少")
    with pytest.raises(ValidationError, match="说明不能为空"), kit.db.transaction("clerk") as s:
        explanations.attach(s, theme, "   ")
    with kit.db.reader() as s:
        assert explanations.explanations_for(s, [theme.branch_id]) == {}


def test_a_highlight_without_evidence_is_refused_and_one_with_a_file_earns_its_points(
    kit: Kit, tmp_path: Path
) -> None:
    from services import filing

    unit = kit.branch("B01", full=3)
    items = filing.highlight_items(PACK)
    assert items == {"highlight_records"}
    with pytest.raises(ValidationError) as err, kit.db.transaction("t") as s:
        filing.file_evidence(
            s,
            unit.branch.id,
            "highlight_records",
            2026,
            "特色产业党建",
            None,
            date(2026, 12, 1),
            needs_file=items,
        )
    assert err.value.field == "attachment_id" and "佐证材料" in err.value.message
    result = kit.check("2026", date(2027, 1, 5))
    assert result.stars[unit.branch.id].highlight_score == 0
    scan = tmp_path / "亮点.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(48)))
    with kit.db.transaction("t") as s:
        filing.file_document(
            s, unit.branch.id, "highlight_records", 2026, "特色产业党建", scan, date(2026, 12, 1)
        )
    assert kit.check("2026", date(2027, 1, 5)).stars[unit.branch.id].highlight_score == 10
