"""政治生日: who celebrates in a month, 入党周年 and 党龄 from the right date, round anniversaries,
29 February joiners, members who left, and the bad months a clerk may type."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from services.db import Database
from services.errors import ValidationError
from services.reports.birthdays import birthdays, party_age
from tests.conftest import Builder
from tests.reports.conftest import TODAY, People, run


@pytest.fixture
def town(build: Builder, people: People) -> dict[str, str]:
    one = build.branch("B01", "一村党支部", founded_on=date(1970, 1, 1))
    two = build.branch("B02", "二村党支部", founded_on=date(1970, 1, 1))
    ids = {
        # 转正 recorded one year after 入党: 党龄 50 at the end of December 2026 → 光荣在党50年
        "老王": people.add(one.id, "老王", date(1975, 12, 10), full_member_on=date(1976, 12, 10)).id,
        # 入党 60 years ago, 党龄 59: a round 入党 anniversary, not the 50-year medal
        "老李": people.add(two.id, "老李", date(1966, 12, 1), full_member_on=date(1967, 12, 1)).id,
        # probation extended: 党龄 from the later 转正 date → 49 at the end of Dec 2026
        "老赵": people.add(one.id, "老赵", date(1975, 12, 20), full_member_on=date(1977, 6, 20)).id,
        # no 转正日期 given: stored as the end of the one-year probation (党章第七条)
        "小周": people.add(two.id, "小周", date(2016, 12, 31)).id,
        # 预备党员 joined December 2025: first anniversary, no 党龄 yet
        "小钱": people.add(one.id, "小钱", date(2025, 12, 5), status="probationary").id,
        # other month
        "小孙": people.add(one.id, "小孙", date(2010, 11, 5)).id,
        # 29 February joiner
        "闰年": people.add(one.id, "闰年", date(2004, 2, 29), full_member_on=date(2005, 3, 1)).id,
        # left before December 2026
        "故人": people.add(two.id, "故人", date(1980, 12, 3)).id,
    }
    # transferred in from outside the township in June 2026
    ids["转来"] = people.add(two.id, "转来", date(1990, 3, 5), branch_since=date(2026, 6, 1)).id
    people.leave(ids["故人"], "deceased", date(2026, 10, 1))
    return ids


def test_december_lists_anniversaries_with_party_age_from_full_membership(
    db: Database, town: dict[str, str]
) -> None:
    with db.reader() as s:
        report = birthdays(s, "2026-12", today=TODAY)
    got = [(r.name, r.celebrated_on, r.years, r.party_age.years, r.marks) for r in report.rows]
    assert got == [
        ("老李", date(2026, 12, 1), 60, 59, ("入党60周年",)),
        ("小钱", date(2026, 12, 5), 1, None, ()),
        ("老王", date(2026, 12, 10), 51, 50, ("光荣在党50年",)),
        ("老赵", date(2026, 12, 20), 51, 49, ()),
        ("小周", date(2026, 12, 31), 10, 9, ("入党10周年",)),
    ]
    by_name = {r.name: r for r in report.rows}
    assert by_name["小周"].party_age.since == date(2017, 12, 31)
    assert by_name["小周"].party_age.note == ""  # the derived 转正日期 is stored on entry
    assert by_name["小钱"].party_age.note == "预备党员，尚无党龄"
    assert report.title == "测试镇"


def test_branch_scope_lists_only_that_branch(db: Database, town: dict[str, str]) -> None:
    with db.reader() as s:
        report = birthdays(s, "2026-12", "B02", today=TODAY)
    assert [r.name for r in report.rows] == ["老李", "小周"]
    assert report.title == "二村党支部"


def test_feb_29_joiner_celebrates_on_28th_in_common_year_and_29th_in_leap_year(
    db: Database, town: dict[str, str]
) -> None:
    with db.reader() as s:
        common = birthdays(s, "2027-02", today=date(2026, 11, 24))
        leap = birthdays(s, "2024-02", today=TODAY)
    assert [(r.name, r.celebrated_on, r.years, r.party_age.years) for r in common.rows] == [
        ("闰年", date(2027, 2, 28), 23, 21)
    ]
    assert common.rows[0].marks == ("2月29日入党，平年按2月28日",)
    assert [(r.name, r.celebrated_on, r.years, r.marks) for r in leap.rows] == [
        ("闰年", date(2024, 2, 29), 20, ("入党20周年",))
    ]


def test_member_who_left_after_the_month_is_still_listed_for_it(db: Database, town: dict[str, str]) -> None:
    with db.reader() as s:
        report = birthdays(s, "2025-12", today=TODAY)
    assert [r.name for r in report.rows] == ["老李", "故人", "老王", "老赵", "小周"]


def test_party_age_counts_full_years_from_full_membership() -> None:
    assert party_age(date(2000, 7, 1), date(2001, 7, 1), "full", date(2026, 6, 30)).years == 24
    assert party_age(date(2000, 7, 1), date(2001, 7, 1), "full", date(2026, 7, 1)).years == 25
    assert party_age(date(2026, 1, 1), None, "probationary", date(2026, 12, 31)).years is None


@pytest.mark.parametrize(
    ("month", "words"),
    [
        ("2028-01", "2028年1月太远，最多可查到 2027年11月"),
        ("1969-12", "1969年12月早于测试镇建立的时间（1970-01-01）"),
        ("2026-13", "无法识别的月份“2026-13”"),
        ("十二月", "无法识别的月份"),
    ],
)
def test_bad_month_is_refused_naming_the_field(
    db: Database, town: dict[str, str], month: str, words: str
) -> None:
    with db.reader() as s, pytest.raises(ValidationError) as err:
        birthdays(s, month, today=TODAY)
    assert err.value.field == "month"
    assert words in err.value.message


def test_cli_json_xlsx_and_pdf(
    db_path: Path, town: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(db_path, capsys, "report", "birthdays", "--month", "2026-12", "--json")
    assert code == 0
    data = json.loads(out)
    assert [(m["name"], m["years"], m["party_age"], m["marks"]) for m in data["members"]][2] == (
        "老王",
        51,
        50,
        ["光荣在党50年"],
    )

    xlsx = tmp_path / "生日.xlsx"
    code, out, _ = run(db_path, capsys, "report", "birthdays", "--month", "2026-12", "--xlsx", str(xlsx))
    assert code == 0 and out.strip() == f"已保存 {xlsx}（5 行）"
    rows = list(load_workbook(xlsx).active.iter_rows(values_only=True))
    assert rows[0] == ("支部", "姓名", "入党日期", "政治生日", "入党周年", "党龄（年）", "党龄起算", "标记")
    assert rows[3][1:2] + rows[3][4:6] + rows[3][7:] == ("老王", 51, 50, "光荣在党50年")

    pdf = tmp_path / "生日.pdf"
    code, out, _ = run(db_path, capsys, "report", "birthdays", "--month", "2026-12", "--pdf", str(pdf))
    assert code == 0 and out.strip() == f"已保存 {pdf}（1 页）"
    text = PdfReader(str(pdf)).pages[0].extract_text()
    assert "光荣在党50年" in text and "老王" in text


def test_cli_future_month_exits_1_and_writes_nothing(
    db_path: Path, town: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "x.xlsx"
    code, out, err = run(
        db_path, capsys, "report", "birthdays", "--month", "2030-01", "--xlsx", str(out_file)
    )
    assert code == 1 and out == ""
    assert "2030年1月太远" in err
    assert not out_file.exists()
    assert list(tmp_path.glob("*.xlsx")) == []


def test_cli_text_lines(db_path: Path, town: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(db_path, capsys, "report", "birthdays", "--month", "2026-12", "--branch", "B01")
    assert code == 0
    assert out.splitlines() == [
        "一村党支部 2026年12月 政治生日：3 人",
        "2026-12-05  一村党支部  小钱  入党1周年  党龄—（预备党员，尚无党龄）",
        "2026-12-10  一村党支部  老王  入党51周年  党龄50年  【光荣在党50年】",
        "2026-12-20  一村党支部  老赵  入党51周年  党龄49年",
    ]


def test_member_transferred_in_later_is_listed_from_the_month_they_belong(
    db: Database, town: dict[str, str]
) -> None:
    with db.reader() as s:
        before = birthdays(s, "2026-03", today=TODAY)
        after = birthdays(s, "2027-03", today=TODAY)
    assert before.rows == []
    assert [(r.name, r.years, r.party_age.years) for r in after.rows] == [("转来", 37, 36)]
