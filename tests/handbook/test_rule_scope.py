"""Every rule applies to the kinds, domains and level its pack declares: 八有 is a village standard,
the 积极分子 reserve is counted once per village, 村/社区 committees serve five years, and a branch
already inside a 党总支 is not told it may form one."""

from __future__ import annotations

from datetime import date

from models import Branch, CommitteeSeat
from services import development, org
from tests.handbook.conftest import LATER, Kit, Unit, of_rule

YEAR_END = date(2027, 1, 5)


def _under(kit: Kit, unit: Unit, parent_id: str) -> None:
    with kit.db.transaction("t") as s:
        row = s.get(Branch, unit.branch.id)
        assert row is not None
        row.parent_id = parent_id


def _general(kit: Kit, code: str = "Z01", domain: str = "rural") -> str:
    kit.build.township_id or kit.build.township()
    with kit.db.transaction("t") as s:
        return org.create_branch(
            s,
            kit.build.township_id,
            code,
            f"{code}村党总支",
            kind="general",
            domain=domain,
            founded_on=date(2000, 1, 1),
            today=LATER,
        ).id


def _activists(kit: Kit, unit: Unit, n: int) -> None:
    with kit.db.transaction("t") as s:
        for i in range(n):
            rec = development.create_applicant(
                s,
                unit.branch.id,
                development.ApplicantInput(
                    f"积极分子{unit.branch.code}{i}", kit.build.id_number(), date(2025, 1, 5)
                ),
                today=LATER,
            )
            development.record_talk(s, rec.id, date(2025, 1, 20), today=LATER)
            development.make_activist(s, rec.id, date(2025, 3, 1), today=LATER)


def test_eight_haves_is_a_village_standard(kit: Kit) -> None:
    village = kit.branch("B01", full=5, domain="rural")
    for domain, code in (
        ("organ", "B02"),
        ("school", "B03"),
        ("hospital", "B04"),
        ("soe", "B05"),
        ("community", "B06"),
    ):
        kit.branch(code, full=5, domain=domain)
    result = kit.check("2026", YEAR_END)
    for rule in ("VEN-01", "VEN-02"):
        assert [f.branch_code for f in of_rule(result, rule)] == [village.branch.code]
    # An organ branch without any venue record is not vetoed for it.
    organ = next(b for b in result.branches if b.code == "B02")
    assert "VEN-01" not in result.stars[organ.id].failed_vetoes.get("基本保障", [])


def test_activist_reserve_is_counted_once_per_village(kit: Kit) -> None:
    head = _general(kit)
    subs = [kit.branch(f"B0{i}", full=4) for i in range(1, 4)]
    for unit in subs:
        _under(kit, unit, head)
    _activists(kit, subs[0], 4)
    _activists(kit, subs[1], 4)
    found = of_rule(kit.check("2026", YEAR_END), "TEAM-02")
    # One finding for the village, at its 党总支, counting the sub-branches together (8 < 10).
    assert [(f.branch_code, "现有入党积极分子 8 名" in f.message) for f in found] == [("Z01", True)]
    _activists(kit, subs[2], 2)
    assert of_rule(kit.check("2026", YEAR_END), "TEAM-02") == []


def test_venue_checked_under_a_sub_branch_counts_for_the_village(kit: Kit) -> None:
    from services import venue

    head = _general(kit)
    sub = kit.branch("B01", full=4)
    _under(kit, sub, head)
    with kit.db.transaction("t") as s:
        for item in (
            "site",
            "signs",
            "activity_room",
            "service_center",
            "office",
            "library",
            "notice_board",
            "square",
        ):
            venue.record_check(s, sub.branch.id, item, date(2026, 5, 1), True, today=LATER)
    result = kit.check("2026", YEAR_END)
    assert of_rule(result, "VEN-02") == []
    assert [f.branch_code for f in of_rule(result, "VEN-01")] == []


def test_community_and_village_committees_serve_five_years(kit: Kit) -> None:
    kit.branch("B01", full=5, domain="community", term_start=date(2022, 6, 1))
    kit.branch("B02", full=5, domain="rural", term_start=date(2022, 6, 1))
    kit.branch("B03", full=5, domain="organ", term_start=date(2022, 6, 1))
    result = kit.check("2026", YEAR_END)
    assert [(f.branch_code, "2025-06-01" in f.message) for f in of_rule(result, "ORG-05")] == [("B03", True)]
    # and the five-year terms run out on 2027-06-01
    before = kit.check("2027-05", date(2027, 6, 1))
    assert [f.branch_code for f in of_rule(before, "ORG-05")] == ["B03"]
    late = kit.check("2027-06", date(2027, 6, 10))
    assert sorted(f.branch_code for f in of_rule(late, "ORG-05")) == ["B01", "B02", "B03"]


def test_general_branch_hint_not_inside_an_existing_general_branch(kit: Kit) -> None:
    head = _general(kit)
    inside = kit.branch("B01", full=51)
    _under(kit, inside, head)
    kit.branch("B02", full=51)
    found = of_rule(kit.check("2026", YEAR_END), "ORG-07")
    assert [f.branch_code for f in found] == ["B02"]


def test_every_rule_declares_its_scope_in_the_pack(kit: Kit) -> None:
    for rule in kit.pack.rule:
        assert rule.when is not None and rule.when.kinds, rule.id  # which organisation kinds, always
        if rule.when.level == "village":
            assert rule.when.domains == ["rural"], rule.id
    by_id = kit.pack.rules_by_id()
    for rid in ("VEN-01", "VEN-02", "TEAM-02"):
        assert by_id[rid].when.level == "village"


def test_citations_follow_the_corrected_articles(kit: Kit) -> None:
    by_id = kit.pack.rules_by_id()
    expected = {
        "ORG-01": "支部工作条例（试行）》第四条",
        "LIFE-01": "支部工作条例（试行）》第十一条",
        "LIFE-02": "支部工作条例（试行）》第十二条",
        "LIFE-03": "支部工作条例（试行）》第十三条",
        "ORG-05": "支部工作条例（试行）》第二十一条",
        "LIFE-05": "党员教育管理工作条例》第十六条",
        "LIFE-06": "党员教育管理工作条例》第十七条",
        "LIFE-07": "党员教育管理工作条例》第十八条",
        "EDU-02": "党员教育管理工作条例》第二十条",
        "DEV-02": "发展党员工作细则》第十一条",
        "DEV-03": "发展党员工作细则》第十三条",
    }
    for rid, citation in expected.items():
        assert citation in by_id[rid].source, rid
    for rule in kit.pack.rule:
        assert "2019—2023" not in rule.source, rule.id  # the expired plan is not cited
        assert "第十四条" not in rule.source or "发展党员" in rule.source, rule.id
        if "明白卡" in rule.source or "全程纪实" in rule.source or "武威" in rule.source:
            assert "地方做法" in rule.source, rule.id


def test_a_probationary_member_on_the_committee_is_an_error(kit: Kit) -> None:
    unit = kit.branch("B01", full=6, probationary=1, committee=2)
    assert of_rule(kit.check("2026", YEAR_END), "ORG-08") == []
    # Entry refuses such a seat (services.committee.add_seat); it still arrives with records kept before
    # that rule, or received from another desk, so the check must see it: written as such a record.
    with kit.db.transaction("t") as s:
        s.add(
            CommitteeSeat(
                branch_id=unit.branch.id,
                member_id=unit.members[6].id,
                role="member",
                start_on=date(2026, 3, 1),
                elected_how="补选",
            )
        )
    (f,) = of_rule(kit.check("2026", YEAR_END), "ORG-08")
    assert unit.members[6].name in f.message and "1 名预备党员" in f.message


def test_village_decisions_are_counted_once_for_the_village(kit: Kit) -> None:
    from services import decisions

    head = _general(kit)
    subs = [kit.branch(f"B0{i}", full=4) for i in range(1, 3)]
    for unit in subs:
        _under(kit, unit, head)
    assert [f.branch_code for f in of_rule(kit.check("2026", YEAR_END), "SYS-02")] == ["Z01"]
    with kit.db.transaction("t") as s:  # a decision recorded under a sub-branch is the village's
        decisions.create_decision(s, subs[1].branch.id, "道路硬化", date(2026, 3, 1), today=LATER)
    assert of_rule(kit.check("2026", YEAR_END), "SYS-02") == []
