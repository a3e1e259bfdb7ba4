"""A 党小组 is judged (党小组会 each month, 支部工作条例 第十三条) only in the months it existed: from its
成立日期 to its 撤销; the founding date is recorded with the group, checked, and kept through the CLI,
the GUI and an upgrade of an older database (tests/org/test_group_founding_entry.py)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from models import PartyGroup
from services import groups
from services.errors import ValidationError
from services.members import members_on
from tests.handbook.conftest import LATER, Kit, of_rule


def _group(kit: Kit, branch_id: str, name: str, founded: date) -> str:
    with kit.db.transaction("t") as s:
        gid = groups.create_group(s, branch_id, name, founded_on=founded, today=LATER).id
        groups.assign_members(s, gid, [m.id for m in members_on(s, branch_id, LATER)])
        return gid


def _months(kit: Kit) -> list[str]:
    return sorted(f.period for f in of_rule(kit.check("2026", date(2027, 1, 10)), "LIFE-03"))


def test_a_group_founded_in_june_is_judged_from_july_only(kit: Kit) -> None:
    unit = kit.branch("B01", full=6)
    gid = _group(kit, unit.branch.id, "第一党小组", date(2026, 6, 15))
    for month in (7, 8, 9, 10, 11):
        kit.meeting(unit, "group", date(2026, month, 5), group=gid)
    assert _months(kit) == ["2026-12"]  # not January–June: the group did not exist (June only in part)


def test_a_group_is_not_judged_from_the_month_it_was_dissolved(kit: Kit) -> None:
    unit = kit.branch("B01", full=6)
    gid = _group(kit, unit.branch.id, "第一党小组", date(2025, 1, 1))
    for month in range(1, 8):
        kit.meeting(unit, "group", date(2026, month, 5), group=gid)
    with kit.db.transaction("t") as s:
        groups.dissolve_group(s, gid, date(2026, 9, 10), today=LATER)
    assert _months(kit) == ["2026-08"]  # August missed; September on: dissolved


def test_each_group_is_judged_on_its_own_months(kit: Kit) -> None:
    unit = kit.branch("B01", full=6)
    old = _group(kit, unit.branch.id, "第一党小组", date(2025, 1, 1))
    _group(kit, unit.branch.id, "第二党小组", date(2026, 12, 1))  # takes everyone: the first meets alone
    for month in range(1, 13):
        kit.meeting(unit, "group", date(2026, month, 5), group=old, attendees=[])
    found = of_rule(kit.check("2026", date(2027, 1, 10)), "LIFE-03")
    assert [(f.period, "第二党小组" in f.message) for f in found] == [("2026-12", True)]


def test_bad_founding_and_dissolution_dates_are_refused_at_the_field(kit: Kit) -> None:
    unit = kit.branch("B01", full=3, founded_on=date(2010, 3, 1))
    cases = [
        (date(2028, 1, 1), "党小组成立日期不能晚于今天。"),
        (date(2009, 1, 1), "党小组成立日期（2009-01-01）不能早于支部成立日期（2010-03-01）。"),
    ]
    for founded, message in cases:
        with pytest.raises(ValidationError) as err, kit.db.transaction("t") as s:
            groups.create_group(s, unit.branch.id, "第一党小组", founded_on=founded, today=LATER)
        assert (err.value.field, err.value.message) == ("founded_on", message)
    gid = _group(kit, unit.branch.id, "第一党小组", date(2026, 5, 1))
    kit.meeting(unit, "group", date(2026, 5, 20), group=gid)
    with pytest.raises(ValidationError) as err, kit.db.transaction("t") as s:
        groups.set_founded(s, gid, date(2026, 6, 1), today=LATER)
    assert err.value.field == "founded_on" and "2026-05-20 已开过党小组会" in err.value.message
    with pytest.raises(ValidationError) as err, kit.db.transaction("t") as s:
        groups.dissolve_group(s, gid, date(2026, 4, 1), today=LATER)
    assert err.value.field == "dissolved_on" and "不能早于成立日期（2026-05-01）" in err.value.message
    with kit.db.reader() as s:
        group = s.get(PartyGroup, gid)
        assert group is not None and (group.founded_on, group.dissolved_on) == (date(2026, 5, 1), None)
        assert s.scalar(select(func.count()).select_from(PartyGroup)) == 1


def test_a_group_added_without_a_date_is_founded_today(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    with kit.db.transaction("t") as s:
        gid = groups.create_group(s, unit.branch.id, "第一党小组", today=date(2026, 11, 2)).id
    with kit.db.reader() as s:
        assert groups.list_groups(s, unit.branch.id)[0].founded_on == date(2026, 11, 2)
        assert s.get(PartyGroup, gid) is not None


def test_a_group_whose_founding_is_unknown_is_judged_from_its_first_meeting_on_record(kit: Kit) -> None:
    unit = kit.branch("B01", full=6)
    with kit.db.transaction("t") as s:  # as a roster import names it: who is in it, not since when
        gid = groups.create_group(s, unit.branch.id, "第一党小组", founding_unknown=True, today=LATER).id
        groups.assign_members(s, gid, [m.id for m in members_on(s, unit.branch.id, LATER)])
    for month in (7, 8, 9, 10, 11):
        kit.meeting(unit, "group", date(2026, month, 5), group=gid)
    assert _months(kit) == ["2026-12"]  # not January–June, before anyone recorded the group meeting
