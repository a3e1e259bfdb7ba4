"""一月一分析: the month's records per branch, the handbook findings, and what falls due next month,
sorted by urgency — on a small township built through the services."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from models import Branch
from services import development, fees, meetings
from services.db import Database
from services.errors import ValidationError
from services.handbook.pack import load_pack
from services.handbook.service import run_check
from services.reports.monthly import month_report
from tests.conftest import Builder
from tests.reports.conftest import TODAY, People, meeting, run


def _activist(
    db: Database, build: Builder, branch_id: str, name: str, activist_on: date, review: date | None
) -> None:
    with db.transaction("test") as s:
        record = development.create_applicant(
            s,
            branch_id,
            development.ApplicantInput(name, build.id_number(date(1995, 1, 1)), date(2025, 3, 1)),
            today=TODAY,
        )
        development.make_activist(s, record.id, activist_on, today=TODAY)
        if review is not None:
            development.review_activist(s, record.id, review, today=TODAY)


@pytest.fixture
def town(db: Database, build: Builder, people: People) -> dict[str, str]:
    one = build.branch("B01", "一村党支部", founded_on=date(2000, 1, 1))
    two = build.branch("B02", "二社区党支部", founded_on=date(2010, 1, 1), domain="community")
    ids = {n: people.add(one.id, n, date(2005, 7, 1)).id for n in ("甲", "乙", "丙", "丁", "欠费", "缺会")}
    ids["预备一"] = people.add(one.id, "预备一", date(2025, 11, 10), status="probationary").id
    ids["预备二"] = people.add(one.id, "预备二", date(2025, 12, 5), status="probationary").id
    b2 = [people.add(two.id, n, date(2010, 7, 1)).id for n in ("社一", "社二", "社三")]
    with db.transaction("test") as s:
        branch = s.get(Branch, one.id)
        assert branch is not None
        branch.term_start, branch.term_end = date(2021, 11, 16), date(2026, 11, 15)
    everyone = [v for k, v in ids.items()]
    # September: 缺会 absent (a run of organisational life starts); October: 缺会 absent again → 2 months
    meeting(
        db,
        one.id,
        "congress",
        date(2026, 9, 15),
        {m: "absent" if m == ids["缺会"] else "present" for m in everyone},
    )
    oct_congress = {m: "present" for m in everyone}
    oct_congress.update({ids["丁"]: "absent", ids["预备一"]: "leave", ids["缺会"]: "absent"})
    meeting(db, one.id, "congress", date(2026, 10, 10), oct_congress)
    meeting(
        db,
        one.id,
        "theme_day",
        date(2026, 10, 20),
        {m: "absent" if m == ids["缺会"] else "present" for m in everyone},
    )
    meeting(db, two.id, "life", date(2026, 6, 20), dict.fromkeys(b2, "present"))
    meeting(db, two.id, "theme_day", date(2026, 10, 18), dict.fromkeys(b2, "present"))
    with db.transaction("test") as s:
        for month in ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10"):
            fees.set_due(s, ids["欠费"], month, "farmer")
        fees.record_payment(s, ids["欠费"], "2026-06", 50, date(2026, 10, 8), today=TODAY)
    _activist(db, build, one.id, "积一", date(2025, 11, 20), date(2026, 5, 25))
    _activist(db, build, one.id, "积二", date(2026, 3, 1), None)
    return ids


def test_records_of_the_month_per_branch(db: Database, town: dict[str, str]) -> None:
    with db.reader() as s:
        report = month_report(s, "2026-10", today=TODAY)
    one, two = report.branches
    assert (one.code, one.meetings["congress"], one.meetings["theme_day"], one.meetings["life"]) == (
        "B01",
        1,
        1,
        0,
    )
    # congress: 8 expected, 5 present (丁, 缺会 absent, 预备一 on leave); theme day: 8 expected, 7 present
    assert (one.present, one.expected, one.rate_text()) == (12, 16, "75.0%")
    assert one.ledgers["党费缴纳"] == 1 and sum(one.ledgers.values()) == 1
    assert (two.code, two.meetings["theme_day"], two.present, two.expected, two.rate_text()) == (
        "B02",
        1,
        3,
        3,
        "100.0%",
    )


def test_every_dated_ledger_of_the_month_is_counted_talks_included(
    db: Database, town: dict[str, str]
) -> None:
    from models import Member
    from services import org, talks

    with db.transaction("test") as s:
        member = s.get(Member, town["甲"])
        assert member is not None
        org.add_committee_seat(s, member.branch_id, town["甲"], "secretary", date(2024, 1, 1))
        talks.record_talk(s, town["甲"], town["乙"], date(2026, 10, 8), "思想动态", today=TODAY)
        talks.record_talk(s, town["甲"], town["丙"], date(2026, 9, 8), "思想动态", today=TODAY)
    with db.reader() as s:
        report = month_report(s, "2026-10", today=TODAY)
    one = report.branches[0]
    assert one.ledgers["谈心谈话"] == 1
    assert "谈心谈话1" in "\n".join(report.lines())


def test_due_next_month_sorted_by_urgency_each_saying_what_to_do(db: Database, town: dict[str, str]) -> None:
    with db.reader() as s:
        report = month_report(s, "2026-10", today=TODAY)
    got = [(d.urgency, d.due_on, d.branch_code, d.who, d.kind) for d in report.due]
    assert got == [
        (1, date(2026, 11, 10), "B01", "预备一", "probation"),
        (1, date(2026, 11, 15), "B01", "", "term"),
        (2, date(2026, 9, 1), "B01", "积二", "activist_review"),
        (2, date(2026, 11, 1), "B01", "欠费", "dues"),
        (2, date(2026, 12, 31), "B01", "", "life_meeting"),
        (3, date(2026, 11, 1), "B01", "缺会", "life"),
        (3, date(2026, 11, 20), "B01", "积一", "activist_year"),
        (3, date(2026, 11, 25), "B01", "积一", "activist_review"),
        (3, date(2026, 11, 30), "B01", "", "reserve"),
    ]
    by_kind = {d.kind: d for d in report.due}
    assert by_kind["dues"].what == "未交党费已连续 4 个月（2026-07 起），2026年11月将满 5 个月"
    assert by_kind["life"].what == "未参加组织生活已连续 2 个月（2026-09 起），2026年11月将满 3 个月"
    assert "党章第七条" in by_kind["probation"].todo
    assert "发展对象" in by_kind["activist_year"].todo
    assert by_kind["life_meeting"].what == "2026年尚未召开组织生活会（年底前还剩 2 个月）"
    assert by_kind["reserve"].what == "入党积极分子 2 名，少于储备要求的 10 名"
    assert all(d.todo for d in report.due)


def test_a_lapse_reaching_six_months_is_urgent_and_longer_runs_are_not_repeated(
    db: Database, town: dict[str, str]
) -> None:
    with db.transaction("test") as s:
        for month in ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10"):
            fees.set_due(s, town["乙"], month, "farmer")  # 5 unpaid months by October
        for month in ("2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"):
            fees.set_due(s, town["丙"], month, "farmer")  # 7 unpaid: already past 6, a finding, not "due"
    with db.reader() as s:
        report = month_report(s, "2026-10", today=TODAY)
    dues = [(d.urgency, d.who, d.what) for d in report.due if d.kind == "dues"]
    assert dues == [
        (1, "乙", "未交党费已连续 5 个月（2026-06 起），2026年11月将满 6 个月"),
        (2, "欠费", "未交党费已连续 4 个月（2026-07 起），2026年11月将满 5 个月"),
    ]
    assert "自行脱党" in report.due[[d.who for d in report.due].index("乙")].todo


def test_branch_scope_and_findings_from_the_handbook_engine(db: Database, town: dict[str, str]) -> None:
    with db.reader() as s:
        report = month_report(s, "2026-10", "B02", today=TODAY)
        check = run_check(s, load_pack(), "2026-10", branch_code="B02", as_of=TODAY)
    assert [b.code for b in report.branches] == ["B02"]
    assert report.due == []
    assert sorted((f["rule_id"], f["period"]) for f in report.findings) == sorted(
        (f.rule_id, f.period) for f in check.findings
    )
    assert all(f["branch_code"] == "B02" for f in report.findings)


def test_current_month_is_allowed_with_a_note(db: Database, town: dict[str, str]) -> None:
    with db.reader() as s:
        report = month_report(s, "2026-11", today=TODAY)
    assert report.notes == ["注：2026年11月尚未结束，截至 2026-11-24 的记录。"]


@pytest.mark.parametrize(
    ("period", "words"),
    [
        ("2026-12", "2026年12月还没有到（今天是 2026-11-24）"),
        ("1999-12", "1999年12月早于测试镇建立的时间（2000-01-01）"),
        ("2026/11/3", "无法识别的月份"),
    ],
)
def test_bad_period_is_refused_naming_the_field(
    db: Database, town: dict[str, str], period: str, words: str
) -> None:
    with db.reader() as s, pytest.raises(ValidationError) as err:
        month_report(s, period, today=TODAY)
    assert err.value.field == "period"
    assert words in err.value.message


def test_cli_json_xlsx_pdf_and_refusal(
    db_path: Path, town: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(db_path, capsys, "report", "month", "--period", "2026-10", "--json")
    assert code == 0
    data = json.loads(out)
    assert [d["kind"] for d in data["due"]][:2] == ["probation", "term"]
    assert data["branches"][0]["attendance_rate"] == 0.75

    xlsx = tmp_path / "分析.xlsx"
    code, out, _ = run(db_path, capsys, "report", "month", "--period", "2026-10", "--xlsx", str(xlsx))
    assert code == 0 and out.startswith(f"已保存 {xlsx}")
    wb = load_workbook(xlsx)
    assert wb.sheetnames == [
        "本月记录",
        "本月问题",
        "2026年11月到期事项",
        "发展党员工作进度（截至2026年10月31日）",
        "图表",
    ]
    due_rows = list(wb["2026年11月到期事项"].iter_rows(values_only=True))
    assert due_rows[0] == ("紧急程度", "到期日", "支部", "对象", "事项", "应做")
    assert due_rows[1][:4] == ("紧急", datetime(2026, 11, 10), "一村党支部", "预备一")
    assert due_rows[1][5] == "本人提交转正申请，支部党员大会讨论能否按期转正（党章第七条）"
    assert len(due_rows) == 10

    pdf = tmp_path / "分析.pdf"
    code, out, _ = run(db_path, capsys, "report", "month", "--period", "2026-10", "--pdf", str(pdf))
    assert code == 0 and out.startswith(f"已保存 {pdf}")
    text = "".join(p.extract_text() for p in PdfReader(str(pdf)).pages)
    assert "一月一分析" in text and "预备一" in text

    bad = tmp_path / "将来.pdf"
    code, out, err = run(db_path, capsys, "report", "month", "--period", "2027-01", "--pdf", str(bad))
    assert code == 1 and out == "" and "期间：2027年1月还没有到" in err and "period" not in err
    assert not bad.exists()


def test_cli_json_with_a_file_keeps_stdout_json(
    db_path: Path, town: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xlsx = tmp_path / "a.xlsx"
    code, out, err = run(
        db_path, capsys, "report", "month", "--period", "2026-10", "--json", "--xlsx", str(xlsx)
    )
    assert code == 0 and json.loads(out)["period"] == "2026-10"
    assert err.strip().startswith(f"已保存 {xlsx}")


@pytest.mark.skipif(
    not hasattr(meetings.MeetingInput, "__dataclass_fields__")
    or "also_types" not in meetings.MeetingInput.__dataclass_fields__,
    reason="combined meeting kinds (also_types) arrive with the merge of the handbook-checks branch",
)
def test_a_combined_meeting_counts_for_every_kind_it_was(
    db: Database, build: Builder, people: People
) -> None:
    one = build.branch("B01", "一村党支部", founded_on=date(2000, 1, 1))
    ids = [people.add(one.id, n, date(2005, 7, 1)).id for n in ("甲", "乙", "丙")]
    fields: dict[str, Any] = {  # also_types exists only once merged: no call signature to check here
        "type": "appraisal",
        "held_on": date(2026, 10, 12),
        "topics": "组织生活会暨民主评议党员",
        "minutes": "记录",
        "recorded_on": date(2026, 10, 12),
        "attendance": [meetings.AttendanceInput(m, "present") for m in ids],
        "also_types": ["life"],
    }
    data = meetings.MeetingInput(**fields)
    with db.transaction("test") as s:
        meetings.create_meeting(s, one.id, data, today=TODAY)
    with db.reader() as s:
        report = month_report(s, "2026-10", today=TODAY)
    (row,) = report.branches
    assert (row.meetings["appraisal"], row.meetings["life"]) == (1, 1)
    assert [d for d in report.due if d.kind == "life_meeting"] == []
