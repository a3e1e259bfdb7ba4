"""谈心谈话, 民主评议 grades and the 流动党员 contact log: recorded through their services (form, CLI),
listed, exported and printed like the other ledgers, and checked (LIFE-14/15/16)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import main
from models import AppraisalGrade, FlowContact, HeartTalk
from services import members, talks, transfers
from services.errors import ValidationError
from services.ledgers.catalog import LISTINGS
from tests.handbook.conftest import LATER, Kit, Unit, of_rule

YEAR_END = date(2027, 1, 5)


def _talk(kit: Kit, unit: Unit, member_index: int, on: date = date(2026, 3, 1)) -> None:
    with kit.db.transaction("t") as s:
        talks.record_talk(s, unit.members[0].id, unit.members[member_index].id, on, "思想动态", today=LATER)


def test_every_member_talked_with_once_a_year(kit: Kit) -> None:
    unit = kit.branch("B01", full=4, committee=1)  # member 0 is the secretary
    for i in (1, 2):
        _talk(kit, unit, i)
    (f,) = of_rule(kit.check("2026", YEAR_END), "LIFE-14")
    # The lone secretary talks with the others (no one in the branch can talk with the secretary, who is
    # not listed); member 3 was never talked with.
    assert f.record_ids == [unit.members[3].id]
    assert of_rule(kit.check("2026", date(2026, 12, 31)), "LIFE-14") == []  # judged once the year ended


def test_a_member_who_arrived_in_the_last_days_of_the_year_is_judged_the_next_year(kit: Kit) -> None:
    unit = kit.branch("B01", full=4, committee=1)
    for i in (1, 2, 3):
        _talk(kit, unit, i)
    with kit.db.transaction("t") as s:
        late = members.create_member(
            s,
            unit.branch.id,
            members.MemberInput(
                "迟到者", kit.build.id_number(), date(2010, 7, 1), branch_since=date(2026, 12, 28)
            ),
            today=LATER,
        )
        early = members.create_member(
            s,
            unit.branch.id,
            members.MemberInput(
                "早到者", kit.build.id_number(), date(2010, 7, 1), branch_since=date(2026, 11, 20)
            ),
            today=LATER,
        )
    (f,) = of_rule(kit.check("2026", YEAR_END), "LIFE-14")
    assert f.record_ids == [early.id] and late.id not in f.record_ids  # 41 days in the branch: judged


@pytest.mark.parametrize(
    ("talker", "member", "on", "topic", "field"),
    [
        (1, 2, date(2026, 3, 1), "思想", "talker_id"),  # not on the committee
        (0, 0, date(2026, 3, 1), "思想", "member_id"),  # talks with himself
        (0, 1, date(2028, 3, 1), "思想", "on"),
        (0, 1, date(2026, 3, 1), " ", "topic"),
    ],
)
def test_bad_talk_is_refused_at_the_field(
    kit: Kit, talker: int, member: int, on: date, topic: str, field: str
) -> None:
    unit = kit.branch("B01", full=4, committee=1)
    with pytest.raises(ValidationError) as err, kit.db.transaction("t") as s:
        talks.record_talk(s, unit.members[talker].id, unit.members[member].id, on, topic, today=LATER)
    assert err.value.field == field
    with kit.db.reader() as s:
        assert s.scalar(select(HeartTalk.id)) is None


def test_excellent_beyond_a_third_is_a_warning_with_the_count(kit: Kit) -> None:
    unit = kit.branch("B01", full=6)
    with kit.db.transaction("t") as s:
        first = talks.record_grade(s, unit.members[0].id, 2026, "excellent", today=LATER)
        second = talks.record_grade(s, unit.members[1].id, 2026, "excellent", today=LATER)
        for m in unit.members[2:]:
            talks.record_grade(s, m.id, 2026, "qualified", today=LATER)
    assert first.warning  # at entry time one of one graded was over a third
    assert second.warning
    assert of_rule(kit.check("2026", YEAR_END), "LIFE-15") == []  # 2 of 6 full members: exactly a third
    with kit.db.transaction("t") as s:
        result = talks.record_grade(s, unit.members[2].id, 2026, "excellent", today=LATER)
    assert "优秀 3 人" in result.warning and "6 人" in result.warning
    (f,) = of_rule(kit.check("2026", YEAR_END), "LIFE-15")
    assert "评为优秀 3 人" in f.message and "最多 2 人" in f.message


def test_a_member_graded_then_transferred_out_still_counts_in_the_share(kit: Kit) -> None:
    unit = kit.branch("B01", full=6)
    with kit.db.transaction("t") as s:
        for i, m in enumerate(unit.members):
            talks.record_grade(s, m.id, 2026, "excellent" if i < 2 else "qualified", today=LATER)
        transfers.transfer_out(s, unit.members[5].id, date(2026, 12, 20), "县教育局党组", today=LATER)
    assert of_rule(kit.check("2026", YEAR_END), "LIFE-15") == []  # 2 of the 6 who took part: a third


def test_probationary_members_take_part_without_a_grade(kit: Kit) -> None:
    unit = kit.branch("B01", full=3, probationary=1)
    with pytest.raises(ValidationError) as err, kit.db.transaction("t") as s:
        talks.record_grade(s, unit.members[3].id, 2026, "qualified", today=LATER)
    assert err.value.field == "grade" and "不评定等次" in err.value.message
    with kit.db.reader() as s:
        assert s.scalar(select(AppraisalGrade.id)) is None


def test_unqualified_needs_a_follow_up(kit: Kit) -> None:
    unit = kit.branch("B01", full=4)
    with kit.db.transaction("t") as s:
        talks.record_grade(s, unit.members[0].id, 2026, "unqualified", today=LATER)
    assert len(of_rule(kit.check("2026", YEAR_END), "LIFE-16")) == 1
    with kit.db.transaction("t") as s:
        talks.record_grade(
            s, unit.members[0].id, 2026, "unqualified", "correct", date(2027, 1, 2), today=LATER
        )
    assert of_rule(kit.check("2026", YEAR_END), "LIFE-16") == []
    with pytest.raises(ValidationError) as err, kit.db.transaction("t") as s:
        talks.record_grade(s, unit.members[1].id, 2026, "qualified", "remove", today=LATER)
    assert err.value.field == "follow_up"


def test_contact_only_with_a_member_who_is_away(kit: Kit) -> None:
    unit = kit.branch("B01", full=3)
    away = unit.members[0]
    with kit.db.transaction("t") as s:
        transfers.start_flow(s, away.id, "广东省深圳市", date(2026, 2, 1), "13800000001", today=LATER)
        talks.record_contact(
            s, away.id, date(2026, 5, 1), "phone", "了解在外务工和参加组织生活情况", today=LATER
        )
    with pytest.raises(ValidationError) as err, kit.db.transaction("t") as s:
        talks.record_contact(s, unit.members[1].id, date(2026, 5, 1), "phone", "问候", today=LATER)
    assert err.value.field == "member_id" and "没有外出流动登记" in err.value.message
    with kit.db.reader() as s:
        assert len(list(s.scalars(select(FlowContact.id)))) == 1


def test_new_ledgers_are_listed_exported_and_printed(kit: Kit, tmp_path: Path) -> None:
    from pypdf import PdfReader

    from services.excel.export import export_xlsx
    from services.printing.booklet import print_branch_booklet

    unit = kit.branch("B01", full=4, committee=1)
    _talk(kit, unit, 1)
    with kit.db.transaction("t") as s:
        talks.record_grade(s, unit.members[1].id, 2026, "excellent", today=LATER)
        transfers.start_flow(s, unit.members[2].id, "兰州", date(2026, 2, 1), "13800000001", today=LATER)
        talks.record_contact(s, unit.members[2].id, date(2026, 5, 1), "wechat", "学习资料已发送", today=LATER)
    ids = [unit.branch.id]
    with kit.db.reader() as s:
        assert [r["talker"] for r in LISTINGS["talks"].load(s, ids, 2026)] == [unit.members[0].name]
        grades, contacts = LISTINGS["grades"], LISTINGS["flow_contacts"]
        assert [grades.display(r, "grade") for r in grades.load(s, ids, 2026)] == ["优秀"]
        assert [contacts.display(r, "way") for r in contacts.load(s, ids, 2026)] == ["微信"]
        for code in ("talks", "grades", "flow_contacts"):
            export_xlsx(s, code, tmp_path / f"{code}.xlsx", branch_ids=ids)
        print_branch_booklet(s, unit.branch.id, 2026, tmp_path / "booklet.pdf")
    sheet = load_workbook(tmp_path / "grades.xlsx").active
    assert sheet is not None and "优秀" in [c.value for c in sheet[2]]
    text = "".join(page.extract_text() for page in PdfReader(str(tmp_path / "booklet.pdf")).pages)
    for title in ("谈心谈话", "民主评议党员等次", "流动党员联系记录", "学习资料已发送"):
        assert title in text


def test_cli_records_a_grade_and_warns_about_the_share(
    kit: Kit, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unit = kit.branch("B01", full=2)
    assert (
        main.main(
            [
                "--db",
                str(db_path),
                "talk",
                "grade",
                unit.members[0].id,
                "--year",
                "2026",
                "--grade",
                "excellent",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "已评定" in out and "提醒：2026 年评为优秀 1 人" in out
    bad = ["--db", str(db_path), "talk", "grade", unit.members[1].id, "--year", "2026", "--grade", "best"]
    assert main.main(bad) == 1  # refused naming the field in Chinese, the option and the choices
    assert "等次（--grade）" in capsys.readouterr().err


def test_talks_before_the_life_meeting(kit: Kit) -> None:
    unit = kit.branch("B01", full=3, committee=2)  # members 0 (secretary) and 1 on the committee
    _talk(kit, unit, 1, on=date(2026, 11, 1))
    _talk(kit, unit, 2, on=date(2026, 12, 10))  # after the meeting: too late for it
    with kit.db.transaction("t") as s:
        talks.record_talk(
            s, unit.members[1].id, unit.members[0].id, date(2026, 11, 2), "互相谈心", today=LATER
        )
    assert of_rule(kit.check("2026", date(2026, 11, 30)), "LIFE-17") == []  # no meeting yet: not judged
    kit.meeting(unit, "life", date(2026, 12, 5))
    (f,) = of_rule(kit.check("2026", YEAR_END), "LIFE-17")
    assert f.record_ids == [unit.members[2].id] and "（12月5日）" in f.message
    assert of_rule(kit.check("2026", YEAR_END), "LIFE-14") == []  # everyone was talked with in the year
