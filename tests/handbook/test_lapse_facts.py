"""Lapse rules (MGT-01…04, 党章第九条) count only people who owe something: 流动党员 taking part at
the 流入地, members on approved leave, the old and infirm, and months in which the branch held no meeting
are not lapses; short, prepaid and late payments are payments; a payment after the check day is not."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models import MemberExemption
from services import exemptions, fees, transfers
from services.errors import ValidationError
from tests.handbook.conftest import LATER, Kit, Unit, of_rule

AS_OF = date(2026, 12, 5)  # judges up to November 2026


def _monthly(kit: Kit, unit: Unit, absent: list[int], months: range = range(1, 12)) -> None:
    """A 主题党日 every month; the members at the given indexes are absent, the others present."""
    for month in months:
        people = [m for i, m in enumerate(unit.members) if i not in absent]
        missing = [m for i, m in enumerate(unit.members) if i in absent]
        kit.meeting(unit, "theme_day", date(2026, month, 10), attendees=missing + people, absent=len(missing))


def _names(kit: Kit, rule: str, as_of: date = AS_OF) -> list[str]:
    found = of_rule(kit.check("2026", as_of), rule)
    assert len(found) <= 1
    return sorted(found[0].message.split("：", 1)[1].split("。")[0].split("、")) if found else []


def test_flowing_members_taking_part_at_the_destination_are_not_lapses(kit: Kit) -> None:
    unit = kit.branch("B01", full=9)
    a, b, c = unit.members[0], unit.members[1], unit.members[2]
    with kit.db.transaction("t") as s:
        transfers.start_flow(s, a.id, "广东省深圳市", date(2025, 3, 1), "13800000001", today=LATER)
        transfers.start_flow(s, b.id, "浙江省宁波市", date(2026, 2, 1), "13800000002", today=LATER)
    _monthly(kit, unit, absent=[0, 1, 2])  # c stays at home and never comes: c alone is a lapse
    assert _names(kit, "MGT-04") == [f"{c.name}（11 个月）"]
    assert _names(kit, "MGT-03") == []


def test_a_flowing_member_back_home_counts_again_from_the_return(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    a = unit.members[0]
    with kit.db.transaction("t") as s:
        transfers.start_flow(s, a.id, "兰州", date(2025, 3, 1), "13800000001", today=LATER)
        transfers.end_flow(s, a.id, date(2026, 6, 20))
    _monthly(kit, unit, absent=[0])
    # Away until June (June itself excused); July–November at home and absent: 5 months.
    assert _names(kit, "MGT-03") == [f"{a.name}（5 个月）"]
    assert _names(kit, "MGT-04") == []


def test_leave_with_dates_and_old_and_infirm_are_excused(kit: Kit) -> None:
    unit = kit.branch("B01", full=4)
    on_leave, infirm = unit.members[0], unit.members[1]
    with kit.db.transaction("t") as s:
        exemptions.add_exemption(
            s,
            on_leave.id,
            exemptions.ExemptionInput("leave", date(2026, 1, 1), date(2026, 8, 31), "外出务工请假", "支委会"),
        )
        exemptions.add_exemption(
            s, infirm.id, exemptions.ExemptionInput("infirm", date(2020, 1, 1), None, "年老体弱、行动不便")
        )
    _monthly(kit, unit, absent=[0, 1])
    # Leave ends in August: September–November absent is 3 months, a warning; the infirm member none.
    assert _names(kit, "MGT-03") == [f"{on_leave.name}（3 个月）"]
    assert _names(kit, "MGT-04") == []


def test_months_without_any_meeting_are_not_counted(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    kit.meeting(unit, "congress", date(2026, 1, 10))
    kit.meeting(unit, "congress", date(2026, 8, 10), attendees=unit.members, absent=1)
    kit.meeting(unit, "congress", date(2026, 11, 10), attendees=unit.members, absent=1)
    # Member 0 missed the only two meetings since January: 2 months of meetings, not 10 months.
    assert _names(kit, "MGT-03") == []
    assert _names(kit, "MGT-04") == []
    with kit.db.reader() as s:
        (run,) = fees.life_gap_runs(s, "2026-11", [unit.branch.id])
    assert (run.name, run.months, run.since) == (unit.members[0].name, 2, "2026-08")


def test_a_party_group_meeting_counts_only_for_its_members(kit: Kit) -> None:
    unit = kit.branch("B01", full=4, groups=2)
    group = unit.group_ids[0]
    for month in range(1, 12):
        kit.meeting(unit, "group", date(2026, month, 10), group=group, absent=1)
    with kit.db.reader() as s:
        runs = fees.life_gap_runs(s, "2026-11", [unit.branch.id])
    # Only the absent member of group 1 owes anything; group 2 held nothing, so its members owe nothing.
    assert [(r.name, r.months) for r in runs] == [(unit.members[0].name, 11)]


def _dues(kit: Kit, unit: Unit, months: list[str]) -> str:
    member = unit.members[0]
    with kit.db.transaction("t") as s:
        for month in months:
            fees.set_due(s, member.id, month, "farmer")
    return member.id


MONTHS_2026 = [f"2026-{m:02d}" for m in range(1, 13)]


def test_prepaid_half_year_counts_as_paid_for_every_month(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    mid = _dues(kit, unit, MONTHS_2026)
    with kit.db.transaction("t") as s:
        for month in MONTHS_2026[:6]:  # Jan–Jun paid together on 10 January
            fees.record_payment(s, mid, month, 50, date(2026, 1, 10), today=LATER)
        for month in MONTHS_2026[6:]:  # Jul–Dec paid together on 10 July
            fees.record_payment(s, mid, month, 50, date(2026, 7, 10), today=LATER)
    result = kit.check("2026", date(2027, 1, 5))
    assert of_rule(result, "SUP-01") == []
    assert of_rule(result, "MGT-01") == [] and of_rule(result, "MGT-02") == []


def test_a_month_nobody_paid_for_is_reported_by_sup01(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    mid = _dues(kit, unit, MONTHS_2026)
    with kit.db.transaction("t") as s:
        for month in MONTHS_2026:
            if month != "2026-03":
                fees.record_payment(s, mid, month, 50, date(2026, 12, 20), today=LATER)
    assert [f.period for f in of_rule(kit.check("2026", date(2027, 1, 5)), "SUP-01")] == ["2026-03"]


def test_short_payment_is_not_non_payment(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    mid = _dues(kit, unit, MONTHS_2026)
    with kit.db.transaction("t") as s:
        for month in MONTHS_2026[:11]:
            fees.record_payment(s, mid, month, 20, date(2026, 12, 1), today=LATER)  # 0.20 of 0.50
    assert of_rule(kit.check("2026", AS_OF), "MGT-02") == []
    assert of_rule(kit.check("2026", AS_OF), "MGT-01") == []


def test_payment_after_the_check_day_does_not_count_in_that_check(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    mid = _dues(kit, unit, MONTHS_2026)
    with kit.db.transaction("t") as s:
        fees.record_payment(s, mid, "2026-05", 50, date(2026, 5, 10), today=LATER)
        for month in MONTHS_2026[5:11]:  # June–November paid late, on 20 December
            fees.record_payment(s, mid, month, 50, date(2026, 12, 20), today=LATER)
    # Checked on 5 December: June–November unpaid as known that day.
    assert _names(kit, "MGT-02", as_of=date(2026, 12, 5)) == [f"{unit.members[0].name}（6 个月）"]
    # Checked after the payment: a month counts as paid when its dues are paid, whenever.
    assert _names(kit, "MGT-02", as_of=date(2026, 12, 21)) == []


def test_approved_fee_exemption_owes_nothing(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    mid = _dues(kit, unit, MONTHS_2026)
    with kit.db.transaction("t") as s:
        exemptions.add_exemption(
            s, mid, exemptions.ExemptionInput("fee_exempt", date(2026, 4, 1), None, "享受低保，生活困难")
        )
    # January–March unpaid is a 3-month run that ended with the exemption: nothing current.
    assert _names(kit, "MGT-01") == [] and _names(kit, "MGT-02") == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            exemptions.ExemptionInput("leave", date(2026, 5, 1), date(2026, 4, 1), "外出"),
            "end_on",
            "不能早于",
        ),
        (exemptions.ExemptionInput("leave", date(2026, 5, 1), None, "外出"), "end_on", "截止日期"),
        (exemptions.ExemptionInput("leave", date(2026, 2, 1), date(2026, 3, 1), ""), "reason", "事由"),
        (exemptions.ExemptionInput("fee_reduced", date(2026, 2, 1), None, "困难"), "reduced_fen", "金额"),
        (exemptions.ExemptionInput("holiday", date(2026, 2, 1), None, "x"), "kind", "未知"),
    ],
)
def test_bad_exemption_is_refused_at_the_field_and_nothing_written(
    kit: Kit, data: exemptions.ExemptionInput, field: str, message: str
) -> None:
    unit = kit.branch("B01", full=3)
    with pytest.raises(ValidationError) as err, kit.db.transaction("t") as s:
        exemptions.add_exemption(s, unit.members[0].id, data)
    assert err.value.field == field and message in err.value.message
    with kit.db.reader() as s:
        assert s.scalar(select(MemberExemption.id)) is None


def test_overlapping_leave_is_refused(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    mid = unit.members[0].id
    with kit.db.transaction("t") as s:
        exemptions.add_exemption(
            s, mid, exemptions.ExemptionInput("leave", date(2026, 1, 1), date(2026, 6, 30), "外出")
        )
    with pytest.raises(ValidationError) as err, kit.db.transaction("t") as s:
        exemptions.add_exemption(
            s, mid, exemptions.ExemptionInput("leave", date(2026, 6, 1), date(2026, 9, 30), "外出")
        )
    assert err.value.field == "start_on" and "重叠" in err.value.message
    # A leave starting the day after the first ends is fine.
    with kit.db.transaction("t") as s:
        exemptions.add_exemption(
            s, mid, exemptions.ExemptionInput("leave", date(2026, 7, 1), date(2026, 9, 30), "外出")
        )


def test_a_destination_without_contact_is_refused(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    with pytest.raises(ValidationError) as err, kit.db.transaction("t") as s:
        transfers.start_flow(s, unit.members[0].id, "广东省深圳市", date(2026, 3, 1), "  ", today=LATER)
    assert err.value.field == "contact" and "联系方式" in err.value.message
