"""Each rule type of the default pack at its boundaries."""

from __future__ import annotations

from datetime import date, timedelta

from services.handbook.period import parse_period
from tests.handbook.conftest import Kit, of_rule


def test_half_attendance_fails_quorum_more_than_half_passes(kit: Kit) -> None:
    unit = kit.branch(full=4, committee=1)
    half = kit.meeting(unit, "congress", date(2026, 7, 10), absent=2)
    kit.meeting(unit, "congress", date(2026, 8, 10), absent=1)
    result = kit.check("2026Q3", as_of=date(2026, 11, 1))
    found = of_rule(result, "LIFE-08")
    assert [f.period for f in found] == ["2026-07"]
    assert found[0].record_ids == [half]
    assert found[0].importance == "error"
    assert "2/4" in found[0].message


def test_probationary_members_do_not_count_towards_quorum(kit: Kit) -> None:
    # 4 of 6 people present, but only 2 of the 4 with voting rights: not more than half.
    unit = kit.branch(full=4, probationary=2, committee=1)
    kit.meeting(unit, "congress", date(2026, 7, 10), absent=2)
    assert [f.period for f in of_rule(kit.check("2026-07", date(2026, 8, 1)), "LIFE-08")] == ["2026-07"]


def test_two_full_members_is_not_a_branch_three_is(kit: Kit) -> None:
    kit.branch("B01", full=2, committee=1)
    kit.branch("B02", full=2, probationary=1, committee=1)
    kit.branch("B03", full=3, committee=1)
    found = of_rule(kit.check("2026-07", date(2026, 8, 1)), "ORG-01")
    assert sorted(f.branch_code for f in found) == ["B01", "B02"]
    assert "正式党员 2 名，不足 3 名" in found[0].message


def test_secretary_vacancy_and_committee_required_from_seven(kit: Kit) -> None:
    kit.branch("B01", full=6, committee=0)
    kit.branch("B02", full=7, committee=1)
    kit.branch("B03", full=7, committee=3)
    result = kit.check("2026-07", date(2026, 8, 1))
    assert [f.branch_code for f in of_rule(result, "ORG-03")] == ["B01"]
    assert [f.branch_code for f in of_rule(result, "ORG-02")] == ["B02"]
    assert of_rule(result, "ORG-04") == []  # 3 members is a valid committee


def _monthly_committee(kit: Kit, months: range) -> None:
    unit = kit.branch(full=7, committee=5)
    for m in months:
        last_day = (date(2026, m, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        kit.meeting(unit, "committee", last_day, attendees=unit.members[:5])


def test_twelfth_month_without_committee_meeting_fires_eleventh_does_not(kit: Kit) -> None:
    # Meetings on the last day of January … November: each counts for its own month.
    _monthly_committee(kit, range(1, 12))
    found = of_rule(kit.check("2026", date(2027, 1, 5)), "LIFE-02")
    assert [f.period for f in found] == ["2026-12"]
    assert found[0].message.startswith("B01党支部2026年12月召开支委会 0 次")
    assert found[0].prefill is not None and found[0].prefill.meeting_type == "committee"


def test_month_in_progress_is_not_judged_yet(kit: Kit) -> None:
    _monthly_committee(kit, range(1, 12))
    assert of_rule(kit.check("2026", date(2026, 12, 31)), "LIFE-02") == []
    assert [f.period for f in of_rule(kit.check("2026", date(2027, 1, 1)), "LIFE-02")] == ["2026-12"]


def test_committee_rule_only_applies_with_seven_full_members(kit: Kit) -> None:
    kit.branch(full=6, committee=1)
    assert of_rule(kit.check("2026", date(2027, 1, 5)), "LIFE-02") == []


def test_group_meetings_are_counted_per_party_group(kit: Kit) -> None:
    unit = kit.branch(full=6, committee=1, groups=2)
    kit.meeting(unit, "group", date(2026, 7, 5), group=unit.group_ids[0])
    found = of_rule(kit.check("2026-07", date(2026, 8, 1)), "LIFE-03")
    assert len(found) == 1
    assert "第2党小组" in found[0].message and "第1党小组" not in found[0].message
    assert found[0].prefill is not None and found[0].prefill.party_group_id == unit.group_ids[1]


def test_term_expiring_within_ninety_days(kit: Kit) -> None:
    # A quarter's check looks at its last day, 30 September.
    kit.branch("B01", full=3, committee=1, term_end=date(2026, 9, 30) + timedelta(days=90))
    kit.branch("B02", full=3, committee=1, term_end=date(2026, 9, 30) + timedelta(days=91))
    result = kit.check("2026Q3", date(2026, 11, 1))
    found = of_rule(result, "ORG-06")
    assert [f.branch_code for f in found] == ["B01"]
    assert "还有 90 天" in found[0].message
    assert of_rule(result, "ORG-05") == []


def test_term_expired_the_day_after_its_end(kit: Kit) -> None:
    kit.branch("B01", full=3, committee=1, term_end=date(2026, 9, 29))
    kit.branch("B02", full=3, committee=1, term_end=date(2026, 9, 30))
    result = kit.check("2026Q3", date(2026, 11, 1))
    assert [f.branch_code for f in of_rule(result, "ORG-05")] == ["B01"]
    assert [f.branch_code for f in of_rule(result, "ORG-06")] == ["B02"]


def test_term_length_depends_on_domain(kit: Kit) -> None:
    # Villages: 5 years; other branches: 3 years (from the pack, not the code).
    kit.branch("B01", full=3, committee=1, domain="rural", term_start=date(2022, 1, 1))
    kit.branch("B02", full=3, committee=1, domain="organ", term_start=date(2022, 1, 1))
    found = of_rule(kit.check("2026Q3", date(2026, 11, 1)), "ORG-05")
    assert [f.branch_code for f in found] == ["B02"]


def test_probationary_member_not_converted_within_one_year(kit: Kit) -> None:
    kit.branch(full=3, probationary=1, committee=1, joined_on=date(2025, 7, 1))
    assert of_rule(kit.check("2026-07", date(2026, 7, 1)), "TEAM-01") == []
    found = of_rule(kit.check("2026-07", date(2026, 7, 2)), "TEAM-01")
    assert len(found) == 1 and found[0].importance == "error"
    assert "党员B0103" in found[0].message


def test_record_entered_more_than_fifteen_days_late(kit: Kit) -> None:
    unit = kit.branch(full=3, committee=1)
    kit.meeting(unit, "theme_day", date(2026, 7, 1), recorded_on=date(2026, 7, 16))
    late = kit.meeting(unit, "theme_day", date(2026, 7, 2), recorded_on=date(2026, 7, 18))
    result = kit.check("2026-07", date(2026, 8, 1))
    found = of_rule(result, "LIFE-12")
    assert len(found) == 1 and found[0].record_ids == [late]
    assert "16 天后录入" in found[0].message
    timeliness = result.timeliness[0]
    assert (timeliness.total, timeliness.on_time, timeliness.late_ids) == (2, 1, (late,))


def test_minutes_and_photos_are_required_evidence(kit: Kit, tmp_path: object) -> None:
    from pathlib import Path

    from services import attachments

    unit = kit.branch(full=3, committee=1)
    bare = kit.meeting(unit, "congress", date(2026, 7, 3), minutes="  ")
    kit.meeting(unit, "congress", date(2026, 7, 4))
    no_photo = kit.meeting(unit, "theme_day", date(2026, 7, 5))
    with_photo = kit.meeting(unit, "theme_day", date(2026, 7, 6))
    png = Path(str(tmp_path)) / "photo.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    with kit.db.transaction("test") as s:
        attachments.store_file(s, "meeting", with_photo, png, kind="photo")
    result = kit.check("2026-07", date(2026, 8, 1))
    minutes = of_rule(result, "LIFE-10")
    assert len(minutes) == 1 and minutes[0].record_ids == [bare] and "会议记录" in minutes[0].message
    photos = of_rule(result, "LIFE-11")
    assert len(photos) == 1 and photos[0].record_ids == [no_photo]


def test_attendance_ratio_rule_at_its_threshold(kit: Kit) -> None:
    unit = kit.branch("B01", full=10, committee=3)
    kit.meeting(unit, "congress", date(2026, 7, 3), absent=2)  # 80 %: meets "at least 80 %"
    other = kit.branch("B02", full=10, committee=3)
    kit.meeting(other, "congress", date(2026, 7, 3), absent=3)  # 70 %
    found = of_rule(kit.check("2026Q3", date(2026, 11, 1)), "LIFE-13")
    assert [f.branch_code for f in found] == ["B02"]
    assert "70%" in found[0].message and "出席 7 人次 / 应到 10 人次" in found[0].message


def test_count_rule_maximum(kit: Kit) -> None:
    kit.branch("B01", full=50, committee=3)
    kit.branch("B02", full=51, committee=3)
    found = of_rule(kit.check("2026-07", date(2026, 8, 1)), "ORG-07")
    assert [f.branch_code for f in found] == ["B02"]
    assert found[0].importance == "info"


def test_branch_founded_mid_period_is_judged_only_for_whole_windows(kit: Kit) -> None:
    kit.branch(full=3, committee=1, founded_on=date(2026, 7, 15))
    months = [f.period for f in of_rule(kit.check("2026", date(2027, 1, 5)), "LIFE-05")]
    assert months == ["2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]


def test_month_check_does_not_judge_quarterly_rules(kit: Kit) -> None:
    kit.branch(full=3, committee=1)
    result = kit.check("2026-07", date(2026, 11, 1))
    assert of_rule(result, "LIFE-01") == []
    assert [f.period for f in of_rule(kit.check("2026Q3", date(2026, 11, 1)), "LIFE-01")] == ["2026Q3"]
    assert parse_period("2026Q3").title == "2026年第3季度"


def test_ten_year_span_judges_every_window_once(kit: Kit) -> None:
    kit.branch(full=3, committee=1, founded_on=date(2017, 1, 1))
    result = kit.check("2017-2026", date(2027, 1, 5))
    assert result.period.label == "2017-2026" and result.period.title == "2017—2026年"
    assert len(of_rule(result, "LIFE-05")) == 120  # no 主题党日 in any of 120 months
    assert len(of_rule(result, "LIFE-06")) == 10  # no 组织生活会 in any of 10 years
    assert [f.period for f in of_rule(result, "ORG-03")] == []  # the secretary is in place
