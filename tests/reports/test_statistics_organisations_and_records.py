"""党内统计年报 tables that count more than the roster: 发展党员 of the year, 民主评议 grades, 教育培训,
党组织 by kind and domain (with 上年末 + 新建 − 撤销 = 本年末) and 党小组 — exact cells, drill-down lists
that match each cell, the cross-checks naming what fails, and packs that ask for a field a table's
population does not have. Built through the services on an empty database."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from services import development, exemptions, groups, org, talks, training
from services.db import Database
from services.handbook.errors import PackError
from services.reports.statistics import parse_stats_pack, statistics
from tests.conftest import Builder
from tests.reports.conftest import TODAY, People, run


@pytest.fixture
def town(db: Database, build: Builder, people: People) -> dict[str, str]:
    return build_town(db, build, people)


def build_town(db: Database, build: Builder, people: People) -> dict[str, str]:
    """Three organisations (one founded, one dissolved in 2025), three 党小组, ten members who joined,
    transferred, died and were graded or trained during 2025."""
    tid = build.township()
    one = build.branch("B01", "一村党支部", founded_on=date(2000, 1, 1)).id
    with db.transaction("test") as s:
        two = org.create_branch(
            s,
            tid,
            "B02",
            "社区党总支",
            kind="general",
            domain="community",
            founded_on=date(2025, 3, 1),
            today=TODAY,
        ).id
        three = org.create_branch(
            s, tid, "B03", "机关党支部", domain="organ", founded_on=date(2000, 1, 1), today=TODAY
        ).id
        org.dissolve_branch(s, three, date(2025, 10, 1), "并入一村党支部", today=TODAY)
        g1 = groups.create_group(s, one, "第一党小组", founded_on=date(2010, 1, 1), today=TODAY).id
        g2 = groups.create_group(s, one, "第二党小组", founded_on=date(2010, 1, 1), today=TODAY).id
        groups.dissolve_group(s, g2, date(2025, 6, 1), today=TODAY)
        groups.create_group(s, two, "社区党小组", founded_on=date(2025, 4, 1), today=TODAY)
    ids = {
        "甲": people.add(one, "甲", date(2015, 7, 1), birth=date(1990, 6, 1), male=False).id,
        "乙": people.add(one, "乙", date(1985, 7, 1), birth=date(1960, 1, 1)).id,
        "丙": people.add(
            one,
            "丙",
            date(2025, 6, 1),
            birth=date(2000, 3, 1),
            male=False,
            education="college",
            status="probationary",
            occupation="student",
        ).id,
        "丁": people.add(one, "丁", date(2025, 2, 1), birth=date(1990, 1, 1), status="probationary").id,
        "戊": people.add(
            one, "戊", date(2005, 7, 1), birth=date(1980, 5, 17), branch_since=date(2025, 3, 1)
        ).id,
        "己": people.add(one, "己", date(1995, 7, 1), birth=date(1970, 1, 1), flowing=True).id,
        "庚": people.add(one, "庚", date(1960, 7, 1), birth=date(1935, 1, 1)).id,
        "辛": people.add(one, "辛", date(2010, 7, 1), birth=date(1985, 4, 4)).id,
        "壬": people.add(one, "壬", date(2000, 7, 1), birth=date(1975, 4, 4)).id,
        # admitted elsewhere in 2025, came in on 1 May: 转入 here, not 发展党员
        "癸": people.add(
            one,
            "癸",
            date(2025, 2, 1),
            birth=date(1995, 4, 4),
            status="probationary",
            branch_since=date(2025, 5, 1),
        ).id,
    }
    with db.transaction("test") as s:
        exemptions.add_exemption(
            s, ids["庚"], exemptions.ExemptionInput("infirm", date(2020, 1, 1), reason="年老体弱行动不便")
        )
        for who, grade in (("甲", "excellent"), ("乙", "qualified"), ("戊", "basic")):
            talks.record_grade(s, ids[who], 2025, grade, today=TODAY)
        # everyone in the branch that day (甲 乙 丁 戊 己 庚 辛 壬 癸), 4 学时
        training.create_session(
            s, one, training.TrainingInput("学习党章", date(2025, 5, 10), 240), today=TODAY
        )
        training.create_session(
            s,
            one,
            training.TrainingInput(
                "党员轮训班", date(2025, 9, 1), 30 * 60, kind="training", attendee_ids=[ids["甲"]]
            ),
            today=TODAY,
        )
    people.leave(ids["丁"], "deceased", date(2025, 8, 1))
    people.leave(ids["壬"], "transferred_out", date(2025, 9, 1))
    ids |= {"one": one, "two": two, "three": three, "g1": g1}
    return ids


def _col(report: object, table: str, column: str = "合计") -> dict[str, int]:
    t = report.table(table)  # type: ignore[attr-defined]
    return {r: t.value(r, column) for r in t.rows}


def test_admitted_members_of_the_year_by_age_education_and_occupation(
    db: Database, town: dict[str, str]
) -> None:
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    admitted = _col(report, "admitted")
    assert admitted["发展党员总数"] == 2  # 丙 and 丁 (died in August: still admitted this year); not 癸
    assert admitted["25岁及以下"] == 1 and admitted["31至35岁"] == 1 and admitted["26至30岁"] == 0
    assert admitted["大专及以上学历"] == 1 and admitted["初中及以下学历"] == 1
    assert admitted["学生"] == 1 and admitted["农牧渔民"] == 1
    assert _col(report, "admitted", "女")["发展党员总数"] == 1
    assert report.members_of("admitted", "发展党员总数", "合计") == ["一村党支部 丁", "一村党支部 丙"]
    assert report.members_of("admitted", "25岁及以下", "女") == ["一村党支部 丙"]
    change = report.table("change")
    assert change.matrix() == [
        ["党员数", 6, 1, 2, 1, 0, 0, 8]
    ]  # 癸 and 戊 转入; 丁 came and went in the year
    assert report.members_of("change", "党员数", "转入") == ["一村党支部 戊", "一村党支部 癸"]
    assert report.failures == []


def test_democratic_appraisal_grades_and_why_members_were_not_graded(
    db: Database, town: dict[str, str]
) -> None:
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    assert _col(report, "appraisal") == {
        "党员总数": 8,
        "优秀": 1,
        "合格": 1,
        "基本合格": 1,
        "不合格": 0,
        "未评定等次": 5,
        "已评定等次": 3,
        "其中：预备党员": 2,
        "其中：流动党员": 1,
        "其中：请假或年老体弱": 1,
        "其中：其他原因": 1,
    }
    assert report.members_of("appraisal", "其中：预备党员", "合计") == ["一村党支部 丙", "一村党支部 癸"]
    assert report.members_of("appraisal", "其中：流动党员", "合计") == ["一村党支部 己"]
    assert report.members_of("appraisal", "其中：请假或年老体弱", "合计") == ["一村党支部 庚"]
    assert report.members_of("appraisal", "其中：其他原因", "合计") == ["一村党支部 辛"]
    assert _col(report, "appraisal", "女")["优秀"] == 1


def test_training_members_hours_kinds_and_sessions(db: Database, town: dict[str, str]) -> None:
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    assert _col(report, "training") == {
        "党员总数": 8,
        "参加培训": 7,
        "未参加培训": 1,
        "32学时及以上": 1,
        "16至31学时": 0,
        "不足16学时": 7,
    }
    assert report.members_of("training", "未参加培训", "合计") == ["一村党支部 丙"]
    assert report.members_of("training", "32学时及以上", "合计") == ["一村党支部 甲"]
    assert _col(report, "training", "培训班")["参加培训"] == 1
    assert _col(report, "training", "集中学习")["参加培训"] == 7
    assert _col(report, "training_sessions", "期数") == {
        "合计": 2,
        "集中学习": 1,
        "培训班": 1,
        "网络学习": 0,
        "专题讲座": 0,
    }
    assert report.members_of("training_sessions", "培训班", "期数") == [
        "一村党支部 2025-09-01 党员轮训班（30学时）"
    ]


def test_party_organisations_by_kind_domain_and_change_over_the_year(
    db: Database, town: dict[str, str]
) -> None:
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
        before = statistics(s, 2024, today=TODAY)
    organisations = _col(report, "organisations")
    assert organisations["基层党组织总数"] == 2
    assert (organisations["党委"], organisations["党总支"], organisations["党支部"]) == (0, 1, 1)
    assert (organisations["农村"], organisations["城市社区"], organisations["机关"]) == (1, 1, 0)
    assert report.members_of("organisations", "党总支", "合计") == ["社区党总支"]
    assert report.table("organisations_change").matrix() == [["党组织数", 2, 1, 1, 2]]
    assert report.members_of("organisations_change", "党组织数", "撤销") == ["机关党支部"]
    assert report.members_of("organisations_change", "党组织数", "新建") == ["社区党总支"]
    assert _col(report, "party_groups") == {
        "党小组总数": 2,
        "农村": 1,
        "城市社区": 1,
        "机关": 0,
        "学校": 0,
        "医院": 0,
        "国有企业": 0,
        "非公有制企业": 0,
        "社会组织": 0,
    }
    assert report.members_of("party_groups", "农村", "合计") == ["一村党支部 第一党小组"]
    assert _col(before, "organisations")["机关"] == 1 and _col(before, "party_groups")["党小组总数"] == 2
    assert report.failures == [] and before.failures == []


def test_every_cell_of_every_table_lists_exactly_what_it_counts(db: Database, town: dict[str, str]) -> None:
    from services.reports.statistics import document

    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    doc = document(report)
    checked = 0
    for section in doc.sections:
        for (r, c), items in section.items.items():
            assert len(items) == section.rows[r][c], (section.title, r, c)
            checked += 1
    assert checked > 200


def test_a_member_admitted_without_an_occupation_is_named_by_the_cross_check(
    db: Database, build: Builder, people: People
) -> None:
    one = build.branch("B01", "一村党支部", founded_on=date(2000, 1, 1)).id
    people.add(one, "无业", date(2025, 3, 1), birth=date(1999, 1, 1), status="probationary", occupation="")
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    failed = [f for f in report.failures if f.table == "发展党员"]
    assert [f.cell for f in failed] == ["发展党员 · 发展党员总数 × 合计"]
    assert failed[0].members == ("一村党支部 无业",) and "无法统计" in failed[0].message


APPRAISAL_PACK = """
[pack]
id = "t"
name = "测试"
version = "1"

[[table]]
id = "a"
title = "评议"
columns = [{ label = "合计" }]
rows = [
  { label = "党员总数", sum_of = ["已评", "未评"] },
  { label = "已评", field = "not_appraised", values = [""] },
  { label = "未评", field = "not_appraised", values = ["probationary", "flowing", "excused"] },
]
"""


def test_a_sub_total_that_misses_a_reason_names_the_members_left_out(
    db: Database, town: dict[str, str]
) -> None:
    pack = parse_stats_pack(APPRAISAL_PACK, "t.toml")
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY, pack=pack)
    assert [(f.cell, f.members) for f in report.failures] == [("评议 · 党员总数 × 合计", ("一村党支部 辛",))]


@pytest.mark.parametrize(
    ("table", "words"),
    [
        (
            '[[table]]\nid = "x"\ntitle = "党组织"\npopulation = "organisations"\ncolumns = [{ label = "合计" }]\n'
            'rows = [{ label = "总数" }, { label = "女", field = "gender", values = ["female"] }]',
            "population = organisations 没有字段 gender",
        ),
        (
            '[[table]]\nid = "x"\ntitle = "培训"\npartition = ["training_kinds"]\ncolumns = [{ label = "合计" }]\n'
            'rows = [{ label = "总数" }, { label = "学习", field = "training_kinds", values = ["study"] }]',
            "不能写在 partition 中",
        ),
        (
            '[[table]]\nid = "x"\ntitle = "变化"\nkind = "flow"\n'
            'increase = [{ label = "新建", cause = "founded" }]\ndecrease = [{ label = "死亡", cause = "deceased" }]',
            "原因 founded 不适用于 population = roster",
        ),
        (
            '[[table]]\nid = "x"\ntitle = "评议"\ncolumns = [{ label = "合计" }]\n'
            'rows = [{ label = "总数" }, { label = "优", field = "appraisal", values = ["best"] }]',
            "字段 appraisal 没有取值 best",
        ),
    ],
)
def test_a_pack_asking_for_what_a_population_does_not_have_is_refused(table: str, words: str) -> None:
    with pytest.raises(PackError) as err:
        parse_stats_pack(f'[pack]\nid = "t"\nname = "测试"\nversion = "1"\n\n{table}\n', "t.toml")
    assert any(words in p for p in err.value.problems), err.value.problems


def test_development_pipeline_on_31_december_counts_each_step(
    db: Database, build: Builder, town: dict[str, str]
) -> None:
    one = town["one"]

    def applicant(name: str, applied: date) -> str:
        with db.transaction("test") as s:
            data = development.ApplicantInput(name, build.id_number(date(2000, 1, 1)), applied)
            return development.create_applicant(s, one, data, today=TODAY).id

    a = applicant("申请人", date(2025, 10, 1))
    b = applicant("积极分子", date(2024, 1, 1))
    c = applicant("发展对象", date(2023, 1, 1))
    w = applicant("终止", date(2024, 1, 1))
    applicant("明年申请", date(2026, 2, 1))
    with db.transaction("test") as s:
        development.make_activist(s, b, date(2024, 6, 1), today=TODAY)
        development.make_activist(s, c, date(2023, 6, 1), today=TODAY)
        development.make_candidate(s, c, date(2025, 7, 1), today=TODAY)
        development.withdraw(s, w, date(2025, 7, 1), "本人申请")
    assert a
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
        earlier = statistics(s, 2024, today=TODAY)
    pipeline = report.extras[0]
    assert pipeline.columns[:3] == ["入党申请人", "入党积极分子", "发展对象"]
    assert pipeline.totals() == [1, 1, 1, 0, 0]
    assert earlier.extras[0].totals() == [1, 2, 0, 0, 0]  # 终止 still an applicant then; 发展对象 an activist
    section = pipeline.section()
    assert section.items[(0, 3)] == ["发展对象"]
    assert section.rows[-1] == ["合计", 1, 1, 1, 0, 0]
    chart = next(c for c in report_charts(report) if "发展党员工作进度" in c.title)
    assert list(chart.series[0][1]) == [1, 1, 1, 0, 0]


def report_charts(report: object) -> list:  # type: ignore[type-arg]
    from services.reports.statistics import charts

    return charts(report)  # type: ignore[arg-type]


def test_monthly_check_results_over_the_year_per_branch(db: Database, town: dict[str, str]) -> None:
    from services.handbook.engine import evaluate
    from services.handbook.pack import load_pack
    from services.handbook.period import month

    pack = load_pack()
    monthly_rules = {r.id for r in pack.rule if getattr(r, "per", None) == "month"}
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
        march = evaluate(s, pack, month(2025, 3), branch_ids=[town["one"]], as_of=TODAY)
    monthly = report.extras[1]
    assert monthly.columns == [f"{m}月" for m in range(1, 13)]
    row = monthly.branches.index("一村党支部")
    march_found = [
        f for f in march.findings if f.rule_id in monthly_rules and f.importance in ("error", "warning")
    ]
    assert monthly.value(row, 2) == len(march_found) > 0
    assert sorted(monthly.section().items[(row, 3)]) == sorted(
        f"{f.rule_id} {f.message}" for f in march_found
    )
    titles = [c.title for c in report_charts(report)]
    assert any("各支部逐月问题数" in t for t in titles) and any("全部达标的支部数" in t for t in titles)


def test_cli_stats_json_and_pdf_carry_the_new_tables_the_pipeline_and_the_monthly_checks(
    db_path: Path, town: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pypdf import PdfReader

    code, out, _ = run(db_path, capsys, "report", "stats", "--year", "2025", "--json")
    assert code == 0
    data = json.loads(out)
    tables = {t["id"]: t for t in data["tables"]}
    assert tables["organisations_change"]["rows"] == [["党组织数", 2, 1, 1, 2]]
    assert tables["appraisal"]["rows"][0] == ["党员总数", 8, 2]
    assert [p["title"] for p in data["progress"]] == [
        "发展党员工作进度（截至2025年12月31日）",
        "2025年逐月检查问题数",
    ]
    assert data["checks_passed"] is True

    pdf = tmp_path / "年报.pdf"
    code, out, _ = run(db_path, capsys, "report", "stats", "--year", "2025", "--pdf", str(pdf))
    assert code == 0 and out.startswith(f"已保存 {pdf}")
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    for words in (
        "民主评议党员",
        "党组织数量变化",
        "依据：《中国共产党党员教育管理工作条例》（2019）第十八条",
        "2025年各支部逐月问题数",
    ):
        assert words in text


def test_cli_stats_with_a_handbook_pack_that_does_not_exist_says_so_and_writes_nothing(
    db_path: Path, town: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "年报.xlsx"
    code, out, err = run(
        db_path,
        capsys,
        "report",
        "stats",
        "--year",
        "2025",
        "--handbook",
        str(tmp_path / "无.toml"),
        "--xlsx",
        str(target),
    )
    assert code != 0 and out == "" and "文件不存在" in err
    assert not target.exists()


def test_a_member_admitted_this_year_counts_by_age_at_admission_there_and_by_age_on_31_december_in_the_roster(
    db: Database, build: Builder, people: People
) -> None:
    one = build.branch("B01", "一村党支部", founded_on=date(2000, 1, 1)).id
    people.add(one, "新党员", date(2025, 3, 1), birth=date(1994, 10, 1), status="probationary")
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    assert report.members_of("admitted", "26至30岁", "合计") == ["一村党支部 新党员"]  # 30 on 2025-03-01
    assert report.members_of("basic", "31至35岁", "合计") == ["一村党支部 新党员"]  # 31 on 2025-12-31
    assert report.failures == []


def test_the_record_and_organisation_tables_on_postgresql(pg_database: Database) -> None:
    build = Builder(pg_database)
    build_town(pg_database, build, People(build, pg_database))
    with pg_database.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    assert report.failures == []
    assert _col(report, "admitted")["发展党员总数"] == 2
    assert _col(report, "appraisal")["未评定等次"] == 5
    assert _col(report, "training")["32学时及以上"] == 1
    assert report.table("organisations_change").matrix() == [["党组织数", 2, 1, 1, 2]]
    assert _col(report, "party_groups")["党小组总数"] == 2
