"""全县总览: every township's branches × months, coloured by the worst finding, and the star
distribution per township — the township's own 对标检查 (``services.handbook.engine.evaluate``, the
same pack, the same rules) run once over every branch the county has received.

Shapes: ``cells`` are 13 integers per branch, months 1–12 then 全年 (a year's finding or a
point-in-time one); each is ``NOT_JUDGED`` (-1: the month has not ended on ``as_of`` and nothing was
found), 0 达标, 1 提示 (or an explained warning), 2 警告, 3 错误 — the ranks of
``services.handbook.pack.IMPORTANCE_RANK``. Stars are the 赤峰 rating of ``services.handbook.stars``
(a full calendar year only; 党委/党总支 are not rated). Dates are local calendar dates.

Output: ``write_overview_xlsx`` (services/excel/export.write_xlsx: atomic, read back) and
``render_overview_pdf``/``write_overview_pdf`` (services/printing layout and embedded fonts).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch, Township
from services import localtime
from services.errors import ValidationError
from services.handbook.engine import CheckResult, evaluate
from services.handbook.findings import Completeness, Finding, StarRating
from services.handbook.pack import Pack
from services.handbook.period import Period, containing, parse_period

NOT_JUDGED = -1
MONTHS = 13  # 1–12 and 全年
CELL_WORDS = {NOT_JUDGED: "", 0: "达标", 1: "提示", 2: "警告", 3: "错误"}
CELL_SHORT = {NOT_JUDGED: "—", 0: "达", 1: "提", 2: "警", 3: "错"}
MIN_YEAR, MAX_YEAR = 2000, 2100

if TYPE_CHECKING:
    from services.printing.layout import Rendered


def column_of(finding: Finding) -> int:
    """1-based column of a finding: its month; a quarter's finding in the quarter's last month; a
    year's or a point-in-time finding in 全年 (13)."""
    label = finding.period
    if len(label) == 7 and label[4] == "-":
        return int(label[5:])
    if "Q" in label:
        return int(label[-1]) * 3
    return MONTHS


@dataclass(frozen=True)
class BranchLine:
    """One row of the grid."""

    township_id: str
    township_code: str
    township_name: str
    branch_id: str
    branch_code: str
    branch_name: str
    cells: tuple[int, ...]  # 13: months 1–12, 全年; NOT_JUDGED / 0 / 1 / 2 / 3
    rating: StarRating
    errors: int
    warnings: int

    @property
    def stars(self) -> int | None:
        """Stars when rated, else None."""
        return self.rating.total if self.rating.rated else None


@dataclass
class TownshipStars:
    """Star distribution of one township's rated branches."""

    township_id: str
    code: str
    name: str
    branches: int = 0
    not_rated: int = 0
    by_stars: dict[int, int] = field(default_factory=dict)  # stars → rated branches with that many
    errors: int = 0  # branches with at least one 错误 finding in the year

    @property
    def rated(self) -> int:
        return sum(self.by_stars.values())

    @property
    def average(self) -> float | None:
        """Mean stars over rated branches; None when none is rated."""
        return sum(k * n for k, n in self.by_stars.items()) / self.rated if self.rated else None


@dataclass
class CountyOverview:
    year: int
    as_of: date
    pack_name: str
    pack_version: str
    townships: list[TownshipStars]
    lines: list[BranchLine]
    result: CheckResult  # the whole check, for drill-down
    seconds: float = 0.0

    @property
    def max_stars(self) -> int:
        """The largest star count any township reached (the distribution's last column)."""
        return max((k for t in self.townships for k in t.by_stars), default=0)


@dataclass(frozen=True)
class BranchDetail:
    """Drill-down of one branch (read-only): its findings, its ledgers' completeness, its rating."""

    line: BranchLine
    findings: list[Finding]
    completeness: list[Completeness]


def check_year(year: int) -> Period:
    """The calendar year as a check period; ``ValidationError("year", …)`` outside 2000–2100."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError("year", f"年份应在 {MIN_YEAR} 到 {MAX_YEAR} 之间，现在是 {year}。")
    return parse_period(str(year))


def county_overview(session: Session, pack: Pack, year: int, *, as_of: date | None = None) -> CountyOverview:
    """The 全县总览 for ``year`` over every live branch of every township in this database, judged by
    ``pack`` as seen on ``as_of`` (default today). Read-only. Raises ``ValidationError("year", …)`` for
    a year outside 2000–2100 or one that has not begun on ``as_of`` (no records: nothing to rate)."""
    started = time.perf_counter()
    period = check_year(year)
    day = as_of or localtime.local_today()
    if period.start > day:
        raise ValidationError("year", f"{year} 年还没有开始（截至 {day}），没有可汇总的记录。")
    result = evaluate(session, pack, period, as_of=as_of)
    towns = {
        t.id: t
        for t in session.scalars(select(Township).where(Township.deleted.is_(False)).order_by(Township.code))
    }
    branch_town: dict[str, str] = {
        bid: tid for bid, tid in session.execute(select(Branch.id, Branch.township_id))
    }
    worst: dict[tuple[str, int], int] = {}
    errors: dict[str, int] = {}
    warnings: dict[str, int] = {}
    for f in result.findings:
        key = (f.branch_id, column_of(f))
        worst[key] = max(worst.get(key, 0), 1 if f.explained else f.rank)
        if f.importance == "error":
            errors[f.branch_id] = errors.get(f.branch_id, 0) + 1
        elif f.importance == "warning" and not f.explained:
            warnings[f.branch_id] = warnings.get(f.branch_id, 0) + 1
    judged = [_month_judged(containing(date(year, m, 1), "month"), result.as_of) for m in range(1, 13)]
    judged.append(True)
    stars = {t_id: TownshipStars(t_id, t.code, t.name) for t_id, t in towns.items()}
    lines: list[BranchLine] = []
    for b in result.branches:
        town_id = branch_town.get(b.id, "")
        town = towns.get(town_id)
        if town is None:  # a branch of a deleted township is not the county's
            continue
        cells = tuple(
            worst.get((b.id, col), 0 if judged[col - 1] else NOT_JUDGED) for col in range(1, MONTHS + 1)
        )
        rating = result.stars[b.id]
        line = BranchLine(
            town_id, town.code, town.name, b.id, b.code, b.name, cells, rating,
            errors.get(b.id, 0), warnings.get(b.id, 0),
        )  # fmt: skip
        lines.append(line)
        dist = stars[town_id]
        dist.branches += 1
        dist.errors += 1 if line.errors else 0
        if rating.rated:
            dist.by_stars[rating.total] = dist.by_stars.get(rating.total, 0) + 1
        else:
            dist.not_rated += 1
    lines.sort(key=lambda ln: (ln.township_code, ln.branch_code))
    return CountyOverview(
        year,
        result.as_of,
        pack.pack.name,
        pack.pack.version,
        list(stars.values()),
        lines,
        result,
        time.perf_counter() - started,
    )


def _month_judged(month: Period, as_of: date) -> bool:
    return month.end < as_of


def branch_detail(overview: CountyOverview, branch_id: str) -> BranchDetail:
    """The drill-down of one branch of ``overview``; ``NotFound`` when it is not in it."""
    from services.errors import NotFound

    line = next((ln for ln in overview.lines if ln.branch_id == branch_id), None)
    if line is None:
        raise NotFound("这个支部不在全县总览中（可能已删除或属于已删除的乡镇）。")
    result = overview.result
    return BranchDetail(
        line,
        result.for_branch(branch_id),
        [c for c in result.completeness if c.branch_id == branch_id],
    )


# --- tables for export and print ------------------------------------------------------------------

GRID_HEADERS = ["乡镇", "支部代码", "支部", "星级", *[f"{m}月" for m in range(1, 13)], "全年", "错误", "警告"]


def grid_rows(overview: CountyOverview, *, short: bool = False) -> list[list[object]]:
    """The grid as plain rows (``GRID_HEADERS``); ``short`` uses one character per cell (print)."""
    words = CELL_SHORT if short else CELL_WORDS
    return [
        [
            ln.township_name,
            ln.branch_code,
            ln.branch_name,
            ln.rating.label if ln.rating.rated else "不评星",
            *[words[c] for c in ln.cells],
            ln.errors,
            ln.warnings,
        ]
        for ln in overview.lines
    ]


def star_headers(overview: CountyOverview) -> list[str]:
    return [
        "乡镇",
        "支部数",
        "评星支部",
        *[f"★{k}" for k in range(overview.max_stars + 1)],
        "平均星级",
        "不评星",
        "有错误的支部",
    ]


def star_rows(overview: CountyOverview) -> list[list[object]]:
    """Per township: branches, rated, count per star level 0…max, average (1 decimal), not rated."""
    return [
        [
            t.name,
            t.branches,
            t.rated,
            *[t.by_stars.get(k, 0) for k in range(overview.max_stars + 1)],
            "—" if t.average is None else f"{t.average:.1f}",
            t.not_rated,
            t.errors,
        ]
        for t in overview.townships
    ]


def write_overview_xlsx(overview: CountyOverview, path: Path) -> int:
    """Two sheets, 全县总览 (grid) and 星级分布; returns data rows written. Raises ``ExcelFileError``
    (folder missing, disk full, read-back differs) and leaves no file then."""
    from services.excel.export import ExportColumn, ExportTable, write_xlsx

    widths = {"乡镇": 14, "支部": 28, "星级": 14}
    grid = ExportTable(
        f"{overview.year}年全县总览",
        [ExportColumn(h, widths.get(h, 7)) for h in GRID_HEADERS],
        grid_rows(overview),
    )
    dist = ExportTable(
        "星级分布",
        [ExportColumn(h, 14 if h == "乡镇" else 9) for h in star_headers(overview)],
        star_rows(overview),
    )
    return write_xlsx([grid, dist], Path(path))


def render_overview_pdf(overview: CountyOverview) -> Rendered:
    """The printable overview (A4, embedded CJK font): title, star distribution, the grid with
    one character per month (达/提/警/错, — not yet judged). Returns the laid-out PDF (bytes, pages)."""
    from reportlab.platypus import Paragraph, Spacer

    from services.printing.layout import RunningHead, data_table, esc, render, styles

    st = styles()
    title = f"{overview.year}年度全县党支部对标检查总览"
    story = [
        Paragraph(esc(title), st.h1),
        Paragraph(
            esc(
                f"手册包 {overview.pack_name} {overview.pack_version}，截至 {overview.as_of:%Y-%m-%d}；"
                f"乡镇 {len(overview.townships)} 个，支部 {len(overview.lines)} 个。"
                "月份格：达＝达标，提＝提示，警＝警告，错＝错误，—＝尚未到检查时间。"
            ),
            st.note,
        ),
        Paragraph("一、各乡镇星级分布", st.h2),
    ]
    sh = star_headers(overview)
    story.append(data_table(sh, star_rows(overview), [24, 12, 12, *[9] * (overview.max_stars + 1), 13, 12, 14],
                            center=list(range(1, len(sh))), small=True, empty="没有乡镇。"))  # fmt: skip
    story += [Spacer(1, 4), Paragraph("二、支部 × 月份", st.h2)]
    headers = ["乡镇", "支部", "星级", *[str(m) for m in range(1, 13)], "全年"]
    rows = [[r[0], r[2], r[3], *r[4:17]] for r in grid_rows(overview, short=True)]
    story.append(data_table(headers, rows, [18, 40, 18, *[6.5] * 12, 8], center=list(range(3, 16)),
                            small=True, empty="没有支部。"))  # fmt: skip
    return render(story, RunningHead("全县总览", title), title=title)


def write_overview_pdf(overview: CountyOverview, path: Path) -> Path:
    """Render and write atomically (read back with pypdf); ``OutputError`` names what went wrong."""
    from services.printing.output import write_pdf

    rendered = render_overview_pdf(overview)
    return write_pdf(rendered.data, path, rendered.pages)
