"""Charts of the reports: their numbers are the report's table numbers (checked against the tables and,
in the xlsx, by resolving each native chart's cell references), and their Chinese labels come out of the
PDF (drawn in the embedded CJK font)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from services.db import Database
from services.reports import monthly, output, quarterly, statistics
from services.reports.charts import Chart, drawing
from tests.conftest import Builder
from tests.reports.conftest import TODAY, People, meeting


@pytest.fixture
def town(db: Database, build: Builder, people: People) -> dict[str, str]:
    one = build.branch("B01", "一村党支部").id
    two = build.branch("B02", "二社区党支部", domain="community").id
    ids = {
        "甲": people.add(one, "甲", date(2000, 7, 1), birth=date(1950, 1, 1), education="senior"),
        "乙": people.add(
            one, "乙", date(2010, 7, 1), birth=date(1990, 1, 1), male=False, occupation="worker"
        ),
        "丙": people.add(one, "丙", date(2012, 7, 1), birth=date(1975, 1, 1), education="bachelor"),
        "丁": people.add(two, "丁", date(1990, 7, 1), birth=date(1955, 1, 1), occupation="retired"),
        "戊": people.add(two, "戊", date(2015, 7, 1), birth=date(1992, 1, 1), education="bachelor"),
    }
    out = {k: m.id for k, m in ids.items()} | {"one": one, "two": two}
    meeting(
        db,
        one,
        "congress",
        date(2026, 9, 10),
        {out["甲"]: "present", out["乙"]: "absent", out["丙"]: "present"},
    )
    meeting(
        db,
        one,
        "theme_day",
        date(2026, 9, 20),
        {out["甲"]: "present", out["乙"]: "present", out["丙"]: "leave"},
    )
    meeting(db, two, "theme_day", date(2026, 8, 20), {out["丁"]: "present", out["戊"]: "present"})
    return out


def _ref_values(wb: Any, ref: str) -> list[Any]:
    """The cell values an Excel chart reference such as '图表'!$B$3:$B$10 points at."""
    sheet, cells = ref.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?", cells)
    assert m is not None, ref
    first, last = f"{m[1]}{m[2]}", f"{m[3] or m[1]}{m[4] or m[2]}"
    return [c.value for row in ws[first:last] for c in (row if isinstance(row, tuple) else (row,))]


def _xlsx_charts(path: Path) -> list[tuple[str, list[str], list[tuple[str, list[Any]]]]]:
    """Each native chart of the 图表 sheet as (title, categories, [(series name, values)])."""
    wb = load_workbook(path)
    ws = wb[output.CHART_SHEET]
    found = []
    for ch in ws._charts:
        title = "".join(r.t for p in ch.title.tx.rich.p for r in (p.r or []))
        series = []
        cats: list[str] = []
        for s in ch.series:
            cats = _ref_values(wb, s.cat.strRef.f if s.cat.strRef is not None else s.cat.numRef.f)
            name = _ref_values(wb, s.tx.strRef.f)[0]
            series.append((name, _ref_values(wb, s.val.numRef.f)))
        found.append((title, cats, series))
    return found


def _as_xlsx(chart: Chart) -> tuple[str, list[str], list[tuple[str, list[Any]]]]:
    return (
        chart.title,
        list(chart.categories),
        [(f"{n}（{chart.unit}）", list(v)) for n, v in chart.series],
    )


def test_statistics_charts_are_the_tables_numbers(db: Database, town: dict[str, str], tmp_path: Path) -> None:
    with db.reader() as s:
        report = statistics.statistics(s, 2025, today=TODAY)
    charts = {c.title: c for c in statistics.charts(report)}
    basic, occ, change = report.table("basic"), report.table("occupation"), report.table("change")
    ages = charts["图2 党员基本情况"]
    assert list(ages.categories) == basic.rows[3:]  # the age bands, the finest partition
    assert (
        dict(ages.series)["合计"]
        == [basic.value(r, "合计") for r in basic.rows[3:]]
        == [0, 2, 0, 0, 1, 0, 0, 2]  # ages 33, 35 · 50 · 70, 75
    )
    assert sum(dict(ages.series)["合计"]) == basic.value("党员总数", "合计") == 5
    jobs = charts["图5 党员职业"]
    assert (
        dict(jobs.series)["合计"] == [occ.value(r, "合计") for r in occ.rows[1:]] == [1, 3, 0, 0, 0, 0, 0, 1]
    )
    assert list(charts["图1 党员数量变化"].series[0][1]) == [
        change.value("党员数", c) for c in change.columns
    ]

    path = tmp_path / "年报.xlsx"
    output.write_xlsx(statistics.document(report), path)
    assert _xlsx_charts(path) == [_as_xlsx(c) for c in statistics.charts(report)]
    # the 图表 sheet's numbers are also the table sheet's numbers
    wb = load_workbook(path)
    sheet_rows = {r[0]: r[1] for r in wb["党员基本情况"].iter_rows(min_row=2, values_only=True)}
    assert [sheet_rows[r] for r in ages.categories] == dict(ages.series)["合计"]


def test_month_charts_show_each_branch_attendance_and_meetings(
    db: Database, town: dict[str, str], tmp_path: Path
) -> None:
    with db.reader() as s:
        report = monthly.month_report(s, "2026-09", today=TODAY)
    rate, meets, pipeline = monthly.charts(report)
    assert pipeline.title == "图3 发展党员工作进度（截至2026-09-30）"
    assert report.pipeline is not None and list(pipeline.series[0][1]) == report.pipeline.totals()
    assert list(rate.categories) == ["一村党支部", "二社区党支部"]
    # 一村: 3 present of 6 expected (congress 2/3, theme day 2/3 with 丙 on leave): 66.7 %; 二社区: no meeting
    assert list(rate.series[0][1]) == [66.7, 0.0]
    assert [b.rate_text() for b in report.branches] == ["66.7%", "—"]
    assert dict(meets.series) == {"支部党员大会": [1, 0], "主题党日": [1, 0]}
    path = tmp_path / "一月一分析.xlsx"
    output.write_xlsx(monthly.document(report), path)
    assert load_workbook(path).sheetnames[-1] == "图表"
    assert _xlsx_charts(path) == [_as_xlsx(c) for c in monthly.charts(report)]


def test_pipeline_and_monthly_check_charts_are_their_tables_numbers_in_the_xlsx(
    db: Database, build: Builder, town: dict[str, str], tmp_path: Path
) -> None:
    from services import development

    with db.transaction("test") as s:
        for name, applied, activist in (
            ("申请一", date(2025, 3, 1), None),
            ("积极一", date(2024, 3, 1), date(2024, 9, 1)),
        ):
            data = development.ApplicantInput(name, build.id_number(date(2001, 1, 1)), applied)
            rec = development.create_applicant(s, town["two"], data, today=TODAY)
            if activist is not None:
                development.make_activist(s, rec.id, activist, today=TODAY)
    with db.reader() as s:
        report = statistics.statistics(s, 2025, today=TODAY)
    pipeline, monthly_checks = report.extras
    by_title = {c.title.split(" ", 1)[1]: c for c in statistics.charts(report)}
    flow = by_title["发展党员工作进度（截至2025-12-31）"]
    assert list(flow.series[0][1]) == pipeline.totals() == [1, 1, 0, 0, 0]
    lines = by_title["2025年各支部逐月问题数"]
    assert (lines.kind, list(lines.categories)) == ("line", [f"{m}月" for m in range(1, 13)])
    assert dict(lines.series) == {
        name: [monthly_checks.value(i, c) for c in range(12)]
        for i, name in enumerate(monthly_checks.branches)
    }
    clean = by_title["2025年各月全部达标的支部数"]
    assert list(clean.series[0][1]) == [
        sum(1 for i in range(2) if monthly_checks.value(i, c) == 0) for c in range(12)
    ]
    path = tmp_path / "年报.xlsx"
    output.write_xlsx(statistics.document(report), path)
    assert _xlsx_charts(path) == [_as_xlsx(c) for c in statistics.charts(report)]
    wb = load_workbook(path)
    rows = list(wb[pipeline.title].iter_rows(min_row=2, values_only=True))
    assert list(rows[-1]) == ["合计", *pipeline.totals()]
    checks = {r[0]: list(r[1:]) for r in wb[monthly_checks.title].iter_rows(min_row=2, values_only=True)}
    assert [checks[name] for name in monthly_checks.branches] == [list(v) for _n, v in lines.series]


def test_quarter_charts_are_each_branch_trend_over_the_months(db: Database, town: dict[str, str]) -> None:
    with db.reader() as s:
        report = quarterly.quarter_report(s, "2026Q3", today=TODAY)
    rate, meets = quarterly.charts(report)
    assert (rate.kind, list(rate.categories)) == ("line", ["2026年7月", "2026年8月", "2026年9月"])
    assert dict(meets.series) == {"一村党支部": [0, 0, 2], "二社区党支部": [0, 1, 0]}
    assert dict(rate.series) == {"一村党支部": [0.0, 0.0, 66.7], "二社区党支部": [0.0, 100.0, 0.0]}
    assert [b.meetings() for b in report.branches] == [[0, 0, 2], [0, 1, 0]]


def test_pdf_charts_draw_their_chinese_labels_in_the_embedded_font(
    db: Database, town: dict[str, str], tmp_path: Path
) -> None:
    with db.reader() as s:
        report = statistics.statistics(s, 2025, today=TODAY)
    path = tmp_path / "年报.pdf"
    output.write_pdf(statistics.document(report), path)
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    for label in ("图2 党员基本情况", "图5 党员职业", "工人（工勤技能人员）"):
        assert label in text
    fonts = {
        str(f.get_object()["/BaseFont"])
        for page in PdfReader(path).pages
        for f in (page["/Resources"].get("/Font") or {}).values()
    }
    assert fonts and all("WenQuanYiMicroHei" in f for f in fonts)  # no non-embedded Helvetica
    # the drawing itself holds the chart's numbers
    chart = statistics.charts(report)[1]
    plot = drawing(chart).contents[2]  # paper, title, plot
    assert [list(row) for row in plot.data] == [[float(v) for v in vals] for _n, vals in chart.series]


def test_a_chart_whose_series_does_not_fit_its_categories_is_refused() -> None:
    with pytest.raises(ValueError, match="series 合计 has 1 values"):
        Chart("图", "bar", ["甲", "乙"], [("合计", [1])])
