"""Organisation rules below the CLI: dissolved branches leave the checks, dissolved groups hold no
meetings, the parent of a branch is a 党委/党总支 not below it, a branch's term is its term history."""

from __future__ import annotations

from datetime import date

import pytest

from services import committee, groups, meetings, org
from services.db import Database
from services.errors import ValidationError
from services.handbook.pack import load_pack
from services.handbook.service import run_check
from services.members import members_on
from tests.conftest import TODAY, Builder


def test_a_dissolved_branch_is_not_judged_after_its_dissolution(db: Database, build: Builder) -> None:
    empty = build.branch("B05", "并入前的党支部")
    with db.transaction("test") as s:
        org.dissolve_branch(s, empty.id, date(2026, 6, 1), "并入一村党支部", today=TODAY)
    with db.reader() as s:
        before = run_check(s, load_pack(), "2026-05", as_of=TODAY).findings
        after = run_check(s, load_pack(), "2026-07", as_of=TODAY).findings
    assert any(f.rule_id == "ORG-01" and f.branch_id == empty.id for f in before)
    assert [f.rule_id for f in after if f.branch_id == empty.id] == []


def test_a_dissolved_group_holds_no_meeting(db: Database, build: Builder) -> None:
    branch = build.branch(members=3)
    with db.transaction("test") as s:
        group = groups.create_group(s, branch.id, "第一党小组", founded_on=date(2026, 1, 5), today=TODAY)
        groups.assign_members(s, group.id, [m.id for m in members_on(s, branch.id, TODAY)])
        groups.dissolve_group(s, group.id, date(2026, 10, 1), today=TODAY)
        assert all(m.party_group_id is None for m in members_on(s, branch.id, TODAY))
    with pytest.raises(ValidationError, match="已于 2026-10-01 撤销") as err, db.transaction("test") as s:
        data = meetings.MeetingInput(
            "group", date(2026, 11, 2), "学习", party_group_id=group.id, attendance=[]
        )
        meetings.create_meeting(s, branch.id, data, today=TODAY)
    assert err.value.field == "party_group_id"


def test_parent_must_be_a_committee_or_general_branch_not_below_it(db: Database, build: Builder) -> None:
    general = build.branch("Z10", "红旗村党总支")
    child = build.branch("Z11", "一组党支部")
    sibling = build.branch("Z12", "二组党支部")
    with db.transaction("test") as s:
        g = org.get_branch(s, general.id)
        org.update_branch(
            s,
            g.id,
            code=g.code,
            name=g.name,
            kind="general",
            domain="rural",
            parent_id=None,
            founded_on=g.founded_on,
        )
        c = org.get_branch(s, child.id)
        org.update_branch(
            s,
            c.id,
            code=c.code,
            name=c.name,
            kind="branch",
            domain="rural",
            parent_id=g.id,
            founded_on=c.founded_on,
        )
    for parent, message in ((sibling.id, "党支部下不能再设党组织"), (child.id, "党支部下不能再设党组织")):
        with pytest.raises(ValidationError, match=message) as err, db.transaction("test") as s:
            b = org.get_branch(s, child.id)
            org.update_branch(
                s,
                b.id,
                code=b.code,
                name=b.name,
                kind="branch",
                domain="rural",
                parent_id=parent,
                founded_on=b.founded_on,
            )
        assert err.value.field == "parent_id"
    with pytest.raises(ValidationError, match="不能是本组织或其下级") as err, db.transaction("test") as s:
        g = org.get_branch(s, general.id)
        org.update_branch(
            s,
            g.id,
            code=g.code,
            name=g.name,
            kind="general",
            domain="rural",
            parent_id=g.id,
            founded_on=g.founded_on,
        )
    with pytest.raises(ValidationError, match="不能改为党支部") as err, db.transaction("test") as s:
        g = org.get_branch(s, general.id)
        org.update_branch(
            s,
            g.id,
            code=g.code,
            name=g.name,
            kind="branch",
            domain="rural",
            parent_id=None,
            founded_on=g.founded_on,
        )
    assert err.value.field == "kind"


def test_term_start_and_end_follow_the_term_history(db: Database, build: Builder) -> None:
    branch = build.branch(members=3, domain="community")
    with db.transaction("test") as s:
        committee.start_term(s, branch.id, date(2021, 3, 1), today=TODAY)
        b = org.get_branch(s, branch.id)
        assert (b.term_start, b.term_end) == (date(2021, 3, 1), date(2026, 3, 1))  # 社区: 5 years
        people = members_on(s, branch.id, TODAY)
        result = committee.record_election(
            s,
            branch.id,
            committee.ElectionInput(held_on=date(2026, 4, 10), elected=[(people[0].id, "secretary")]),
            today=TODAY,
        )
        assert result.quorum.met and result.quorum.expected_voting == 3
        history = committee.terms(s, branch.id)
        assert [(t.start_on, t.ended_on) for t in history] == [
            (date(2021, 3, 1), date(2026, 4, 10)),
            (date(2026, 4, 10), None),
        ]
        assert (b.term_start, b.term_end) == (date(2026, 4, 10), date(2031, 4, 10))
    with pytest.raises(ValidationError, match="须晚于本届开始日期") as err, db.transaction("test") as s:
        committee.start_term(s, branch.id, date(2026, 1, 1), today=TODAY)
    assert err.value.field == "term_start"


def test_a_member_is_not_put_in_a_dissolved_group(db: Database, build: Builder) -> None:
    from services import members

    branch = build.branch(members=1)
    with db.transaction("test") as s:
        group = groups.create_group(s, branch.id, "第一党小组", founded_on=date(2026, 1, 5), today=TODAY)
        groups.dissolve_group(s, group.id, date(2026, 10, 1), today=TODAY)
        person = members_on(s, branch.id, TODAY)[0]
        data = members.member_input(person)
    data.party_group_id = group.id
    with pytest.raises(ValidationError, match="已于 2026-10-01 撤销") as err, db.transaction("test") as s:
        members.update_member(s, person.id, data, today=TODAY)
    assert err.value.field == "party_group_id"
    with pytest.raises(ValidationError, match="已撤销") as err, db.transaction("test") as s:
        groups.assign_members(s, group.id, [person.id])
