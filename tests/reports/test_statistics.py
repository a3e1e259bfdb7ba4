"""党内统计年报: tables declared in a statistics pack, computed as of 31 December from a small township,
with the cross-checks (上年末 + 增加 − 减少 = 本年末, sub-totals, everyone counted once) naming cells and
members, and statistics packs that are refused with a clear message."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from services.db import Database
from services.errors import ValidationError
from services.handbook.errors import PackError
from services.reports.statistics import default_stats_path, load_stats_pack, parse_stats_pack, statistics
from tests.conftest import Builder
from tests.reports.conftest import TODAY, People, run


@pytest.fixture
def town(build: Builder, people: People) -> dict[str, str]:
    b = build.branch("B01", "一村党支部", founded_on=date(2000, 1, 1)).id
    ids = {
        "甲": people.add(b, "甲", date(2015, 7, 1), birth=date(1990, 6, 1), education="bachelor").id,
        "乙": people.add(
            b,
            "乙",
            date(1985, 7, 1),
            birth=date(1960, 1, 1),
            male=False,
            education="senior",
            ethnicity="回族",
        ).id,
        "丙": people.add(
            b,
            "丙",
            date(2025, 6, 1),
            birth=date(2000, 3, 1),
            male=False,
            education="college",
            status="probationary",
        ).id,
        "丁": people.add(b, "丁", date(1975, 7, 1), birth=date(1950, 2, 2)).id,
        "戊": people.add(
            b, "戊", date(2005, 7, 1), birth=date(1980, 5, 17), branch_since=date(2025, 3, 1)
        ).id,
        "己": people.add(b, "己", date(1995, 7, 1), birth=date(1970, 1, 1)).id,
        "庚": people.add(b, "庚", date(2026, 3, 1), birth=date(1998, 1, 1), status="probationary").id,
        "辛": people.add(b, "辛", date(2010, 7, 1), birth=date(1985, 4, 4)).id,
    }
    people.leave(ids["丁"], "deceased", date(2025, 8, 1))
    people.leave(ids["己"], "transferred_out", date(2025, 9, 1))
    return ids


def test_member_count_change_over_the_year(db: Database, town: dict[str, str]) -> None:
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    change = report.table("change")
    assert change.columns == ["上年末", "发展党员", "转入", "转出", "死亡", "出党", "本年末"]
    assert change.matrix() == [["党员数", 5, 1, 1, 1, 1, 0, 5]]
    assert report.members_of("change", "党员数", "发展党员") == ["一村党支部 丙"]
    assert report.members_of("change", "党员数", "转入") == ["一村党支部 戊"]
    assert report.members_of("change", "党员数", "死亡") == ["一村党支部 丁"]
    assert report.failures == [] and report.uncountable == []


def test_basic_education_and_joining_tables_exact_cells(db: Database, town: dict[str, str]) -> None:
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    assert report.table("basic").matrix() == [
        ["党员总数", 5, 2, 1],
        ["正式党员", 4, 1, 1],
        ["预备党员", 1, 1, 0],
        ["30岁及以下", 1, 1, 0],
        ["31至35岁", 1, 0, 0],
        ["36至40岁", 1, 0, 0],
        ["41至45岁", 1, 0, 0],
        ["46至50岁", 0, 0, 0],
        ["51至55岁", 0, 0, 0],
        ["56至60岁", 0, 0, 0],
        ["61岁及以上", 1, 1, 1],
    ]
    assert report.table("education").matrix() == [
        ["党员总数", 5, 2],
        ["研究生", 0, 0],
        ["大学本科", 1, 0],
        ["大学专科", 1, 1],
        ["中专", 0, 0],
        ["高中", 1, 1],
        ["初中及以下", 2, 0],
    ]
    assert [r[1] for r in report.table("joined").matrix()] == [5, 0, 0, 0, 1, 2, 2]
    assert report.members_of("basic", "党员总数", "少数民族") == ["一村党支部 乙"]


def test_a_full_member_on_31_december_counts_by_the_date_of_full_membership(
    db: Database, build: Builder, people: People
) -> None:
    b = build.branch("B01", "一村党支部", founded_on=date(2000, 1, 1)).id
    people.add(b, "转正", date(2024, 12, 1), full_member_on=date(2025, 12, 1), birth=date(1990, 1, 1))
    with db.reader() as s:
        y2024 = statistics(s, 2024, today=TODAY)
        y2025 = statistics(s, 2025, today=TODAY)
    assert [r[1] for r in y2024.table("basic").matrix()[:3]] == [1, 0, 1]
    assert [r[1] for r in y2025.table("basic").matrix()[:3]] == [1, 1, 0]


GAP_PACK = """
[pack]
id = "t"
name = "测试表式"
version = "1"

[[table]]
id = "age"
title = "年龄"
partition = ["age"]
columns = [{ label = "合计" }]
rows = [
  { label = "总数", sum_of = ["40岁及以下", "46岁及以上"] },
  { label = "40岁及以下", field = "age", max = 40 },
  { label = "46岁及以上", field = "age", min = 46 },
]

[[table]]
id = "change"
title = "变化"
kind = "flow"
increase = [{ label = "发展", cause = "admitted" }, { label = "转入", cause = "transferred_in" }]
decrease = [{ label = "转出", cause = "transferred_out" }]
"""


def test_cross_checks_name_the_cell_and_the_members(db: Database, town: dict[str, str]) -> None:
    pack = parse_stats_pack(GAP_PACK, "gap.toml")
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY, pack=pack)
    got = [(f.cell, f.message, f.members) for f in report.failures]
    assert got == [
        ("年龄 · 总数 × 合计", "按年龄分档合计 4，不等于总数 5：1 人不在任何一档", ("一村党支部 戊",)),
        ("年龄 · 总数 × 合计", "总数 5 ≠ 40岁及以下+46岁及以上 4", ("一村党支部 戊",)),
        ("变化 · 减少", "一村党支部 丁 减少没有对应的原因，请核对其入党、转入或离开记录", ("一村党支部 丁",)),
        ("变化 · 本年末", "上年末 5 + 增加 2 − 减少 1 = 6，不等于本年末 5", ("一村党支部 丁",)),
    ]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            (
                '{ label = "46岁及以上", field = "age", min = 46 }',
                '{ label = "46岁及以上", field = "age", min = 40 }',
            ),
            "表“年龄”的行“40岁及以下”与“46岁及以上”的区间重叠（字段 age）",
        ),
        (
            (
                '{ label = "46岁及以上", field = "age", min = 46 }',
                '{ label = "46岁及以上", field = "age", min = 46, colour = 1 }',
            ),
            "表“年龄” → 行“46岁及以上” → colour：不认识的设置项",
        ),
        (('field = "age", max = 40', 'field = "height", max = 40'), "未知的统计字段“height”"),
        (('cause = "transferred_out"', 'cause = "admitted"'), "原因 admitted 不能写在 decrease 中"),
        (("min = 46 }", "min = 1990-01-01 }"), "字段 age 的 min/max 应为整数"),
    ],
)
def test_bad_statistics_pack_is_refused_with_a_clear_message(change: tuple[str, str], words: str) -> None:
    text = GAP_PACK.replace(*change)
    assert text != GAP_PACK
    with pytest.raises(PackError) as err:
        parse_stats_pack(text, "bad.toml")
    assert "bad.toml" in err.value.message
    assert words in err.value.message


def test_default_pack_loads_and_overlapping_categories_are_refused() -> None:
    assert [t.id for t in load_stats_pack().table] == [
        "change",
        "basic",
        "education",
        "joined",
        "occupation",
        "admitted",
        "appraisal",
        "training",
        "training_sessions",
        "organisations",
        "organisations_change",
        "party_groups",
    ]
    text = (
        default_stats_path()
        .read_text(encoding="utf-8")
        .replace('values = ["college"]', 'values = ["college", "bachelor"]')
    )
    with pytest.raises(PackError) as err:
        parse_stats_pack(text, "x.toml")
    assert "表“党员学历”的行“大学本科”与“大学专科”都包含 education = bachelor" in err.value.message


@pytest.mark.parametrize(
    ("year", "words"),
    [
        (2026, "2026年还没有结束（今天是 2026-11-24）"),
        (1999, "1999年早于测试镇建立的时间（2000-01-01）"),
    ],
)
def test_bad_year_is_refused(db: Database, town: dict[str, str], year: int, words: str) -> None:
    with db.reader() as s, pytest.raises(ValidationError) as err:
        statistics(s, year, today=TODAY)
    assert err.value.field == "year" and words in err.value.message


def test_cli_json_xlsx_and_bad_pack(
    db_path: Path, town: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(db_path, capsys, "report", "stats", "--year", "2025", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["checks_passed"] is True
    assert data["tables"][0]["rows"] == [["党员数", 5, 1, 1, 1, 1, 0, 5]]

    xlsx = tmp_path / "年报.xlsx"
    code, out, _ = run(db_path, capsys, "report", "stats", "--year", "2025", "--xlsx", str(xlsx))
    assert code == 0 and out.startswith(f"已保存 {xlsx}")
    wb = load_workbook(xlsx)
    assert wb.sheetnames == [
        "党员数量变化",
        "党员基本情况",
        "党员学历",
        "党员入党时间",
        "党员职业",
        "发展党员",
        "民主评议党员",
        "党员教育培训",
        "教育培训班次",
        "党组织",
        "党组织数量变化",
        "党小组",
        "核对",
        "无法统计",
        "发展党员工作进度（截至2025年12月31日）",
        "2025年逐月检查问题数",
        "图表",
    ]
    assert list(wb["党员基本情况"].iter_rows(values_only=True))[1] == ("党员总数", 5, 2, 1)

    bad = tmp_path / "bad.toml"
    bad.write_text(GAP_PACK.replace("min = 46 }", "min = 40 }"), encoding="utf-8")
    target = tmp_path / "不应生成.xlsx"
    code, out, err = run(
        db_path, capsys, "report", "stats", "--year", "2025", "--pack", str(bad), "--xlsx", str(target)
    )
    assert code == 1 and out == "" and "区间重叠" in err
    assert not target.exists()


def test_demo_township_yearly_tables_pass_every_cross_check(db: Database) -> None:
    from services import demo

    demo.generate(db, "small", seed=7, today=TODAY)
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    assert report.failures == []
    assert report.uncountable == []
    change = report.table("change").matrix()[0]
    start, *flows, end = change[1:]
    assert isinstance(start, int) and isinstance(end, int)
    assert start + sum(flows[:2]) - sum(flows[2:]) == end  # type: ignore[arg-type]
    basic = report.table("basic")
    assert basic.value("党员总数", "合计") == end
    assert basic.value("正式党员", "合计") + basic.value("预备党员", "合计") == end
    # the tables that count records and organisations are filled from the demo's records too
    for table in ("appraisal", "training"):
        assert report.table(table).value("党员总数", "合计") == end
    assert report.table("appraisal").value("优秀", "合计") > 0
    assert report.table("training").value("参加培训", "合计") > 0
    assert report.table("admitted").value("发展党员总数", "合计") > 0
    assert report.table("training_sessions").value("合计", "期数") > 0
    with db.reader() as s:
        from models import Branch

        live = s.query(Branch).filter(Branch.deleted.is_(False), Branch.dissolved_on.is_(None)).count()
    assert report.table("organisations").value("基层党组织总数", "合计") == live
    assert report.table("party_groups").value("党小组总数", "合计") > 0
    assert sum(report.extras[0].totals()) > 0  # the pipeline on 31 December


def test_cli_text_and_pdf(
    db_path: Path, town: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pypdf import PdfReader

    code, out, _ = run(db_path, capsys, "report", "stats", "--year", "2025")
    assert code == 0
    assert "  党员数  5  1  1  1  1  0  5" in out.splitlines()
    assert out.splitlines()[-1] == "核对全部通过。"
    pdf = tmp_path / "年报.pdf"
    code, out, _ = run(db_path, capsys, "report", "stats", "--year", "2025", "--pdf", str(pdf))
    assert code == 0 and out.startswith(f"已保存 {pdf}")
    text = "".join(p.extract_text() for p in PdfReader(str(pdf)).pages)
    assert "党员数量变化" in text and "全部核对通过" in text


def test_move_between_branches_is_no_change_for_the_township_but_counts_for_each_branch(
    db: Database, build: Builder, people: People, town: dict[str, str]
) -> None:
    from services import transfers

    two = build.branch("B02", "二村党支部", founded_on=date(2000, 1, 1)).id
    with db.transaction("test") as s:
        transfers.transfer_out(s, town["辛"], date(2025, 4, 1), "二村党支部", today=TODAY)
        transfers.transfer_in(s, town["辛"], two, date(2025, 4, 1), "一村党支部", today=TODAY)
    with db.reader() as s:
        township = statistics(s, 2025, today=TODAY)
        one_only = statistics(s, 2025, "B01", today=TODAY)
        two_only = statistics(s, 2025, "B02", today=TODAY)
    assert township.table("change").matrix() == [["党员数", 5, 1, 1, 1, 1, 0, 5]]
    assert one_only.table("change").matrix() == [["党员数", 5, 1, 1, 2, 1, 0, 4]]
    assert two_only.table("change").matrix() == [["党员数", 0, 0, 1, 0, 0, 0, 1]]
    assert one_only.members_of("change", "党员数", "转出") == ["一村党支部 己", "二村党支部 辛"]
    assert township.failures == one_only.failures == two_only.failures == []
    assert township.table("basic").value("党员总数", "合计") == 5


def test_the_same_person_twice_in_the_roster_is_named(
    db: Database, build: Builder, town: dict[str, str]
) -> None:
    from models import Member

    with db.transaction("test") as s:  # a duplicate that slipped in before the duplicate check existed
        original = s.get(Member, town["甲"])
        assert original is not None
        copy = Member(
            **{c.name: getattr(original, c.name) for c in Member.__table__.columns if c.name not in ("id",)}
        )
        copy.name = "甲二"
        s.add(copy)
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    dup = [f for f in report.failures if f.table == "花名册"]
    assert len(dup) == 1
    assert dup[0].members == ("一村党支部 甲", "一村党支部 甲二")
    assert "在册 2 次" in dup[0].message
