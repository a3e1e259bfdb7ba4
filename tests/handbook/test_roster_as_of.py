"""Every rule reads the roster as of its period (joining, transfer, death, conversion dates), mid-year
joiners owe a pro-rated share of the 32 学时, and an extended probation moves the conversion date."""

from __future__ import annotations

from datetime import date

from models import Member
from services import development, training
from tests.handbook.conftest import LATER, Kit, Unit, of_rule

YEAR_END = date(2027, 1, 5)


def _study(kit: Kit, unit: Unit, member: Member, hours: float, on: date = date(2026, 11, 1)) -> None:
    with kit.db.transaction("t") as s:
        training.create_session(
            s,
            unit.branch.id,
            training.TrainingInput("学习", on, int(hours * 60), attendee_ids=[member.id]),
            today=LATER,
        )


def test_mid_year_joiner_owes_a_pro_rated_share_of_the_hours(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    june = kit.build.member(unit.branch.id, "六月入党", joined_on=date(2026, 6, 10), status="probationary")
    july = kit.build.member(unit.branch.id, "七月入党", joined_on=date(2026, 7, 1), status="probationary")
    for m in unit.members:
        _study(kit, unit, m, 32)
    _study(kit, unit, june, 18.5)  # June–December: 7 months of 32 h = 18.67 h → short
    _study(kit, unit, july, 16)  # July–December: 6 months = 16 h → met
    (f,) = of_rule(kit.check("2026", YEAR_END), "EDU-02")
    assert f.record_ids == [june.id]


def test_members_who_joined_after_the_year_are_not_judged_for_it(kit: Kit) -> None:
    unit = kit.branch("B01", full=2)
    for m in unit.members:
        _study(kit, unit, m, 32, on=date(2025, 11, 1))
    kit.build.member(unit.branch.id, "次年入党", joined_on=date(2026, 1, 3), status="probationary")
    assert of_rule(kit.check("2025", date(2026, 1, 5)), "EDU-02") == []


def _probationer(kit: Kit, unit: Unit, admitted: date) -> str:
    with kit.db.transaction("t") as s:
        rec = development.create_applicant(
            s,
            unit.branch.id,
            development.ApplicantInput("李预备", kit.build.id_number(), date(2023, 1, 5)),
            today=LATER,
        )
        development.record_talk(s, rec.id, date(2023, 1, 20), today=LATER)
        development.make_activist(s, rec.id, date(2023, 3, 1), today=LATER)
        development.make_candidate(s, rec.id, date(2024, 3, 1), today=LATER)
        development.record_training(s, rec.id, 3, 24, today=LATER)
        development.admit(s, rec.id, admitted, (unit.members[0].id, unit.members[1].id), today=LATER)
        return rec.id


def test_extended_probation_moves_the_conversion_date(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    rid = _probationer(kit, unit, date(2025, 6, 1))
    with kit.db.transaction("t") as s:
        development.extend_probation(s, rid, 6)  # due 2026-12-01 instead of 2026-06-01
    summer = kit.check("2026-07", date(2026, 7, 10))
    assert of_rule(summer, "TEAM-01") == [] and of_rule(summer, "DEV-05") == []
    autumn = kit.check("2026-11", date(2026, 11, 15))
    assert of_rule(autumn, "TEAM-01") == [] and len(of_rule(autumn, "DEV-05")) == 1
    winter = kit.check("2026-12", date(2026, 12, 5))
    assert len(of_rule(winter, "TEAM-01")) == 1 and of_rule(winter, "DEV-05") == []


def test_a_past_period_sees_a_later_converted_member_as_probationary(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    rid = _probationer(kit, unit, date(2024, 6, 1))
    with kit.db.transaction("t") as s:
        development.convert(s, rid, date(2025, 9, 1), today=LATER)  # converted three months late
    # In 2025-07 the member was a 预备党员 past the year: TEAM-01 for that month, none after conversion.
    assert len(of_rule(kit.check("2025-07", date(2026, 1, 5)), "TEAM-01")) == 1
    assert of_rule(kit.check("2025-10", date(2026, 1, 5)), "TEAM-01") == []


def test_a_member_who_left_during_the_year_is_not_judged_after_leaving(kit: Kit) -> None:
    from services import transfers

    unit = kit.branch("B01", full=3)
    gone = unit.members[0]
    with kit.db.transaction("t") as s:
        transfers.transfer_out(s, gone.id, date(2026, 5, 1), "县教育局党委", today=LATER)
    for month in range(1, 12):
        kit.meeting(unit, "theme_day", date(2026, month, 10), attendees=unit.members[1:])
    for m in unit.members[1:]:
        _study(kit, unit, m, 32)
    result = kit.check("2026", YEAR_END)
    assert of_rule(result, "MGT-03") == [] and of_rule(result, "MGT-04") == []
    assert of_rule(result, "EDU-02") == []


def test_full_member_entered_without_conversion_date_counts_as_full_only_after_the_probation(
    kit: Kit,
) -> None:
    # entered as 正式党员 without a 转正日期: full from 2026-06-01, the end of the one-year probation
    # (党章第七条), so the branch had 6 full members before June and needed no monthly 支委会 (LIFE-02)
    unit = kit.branch("B01", full=6)
    kit.build.member(unit.branch.id, "刘洋", joined_on=date(2025, 6, 1))
    assert of_rule(kit.check("2026-03", date(2026, 4, 5)), "LIFE-02") == []
    assert len(of_rule(kit.check("2026-07", date(2026, 8, 5)), "LIFE-02")) == 1
