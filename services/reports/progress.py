"""Two views over time that the township reports chart: the development pipeline on a day (how many people
stand at each step of 发展党员) and the handbook check's month-by-month results of a year per branch.

Each is a :class:`Breakdown` — a table of branches × columns whose every counted cell keeps the names it
counts (the drill-down), with the charts drawn from the same numbers — so a report adds it as one more
section and its charts (``section()`` / ``charts()``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DevelopmentRecord
from services.reports.charts import Chart
from services.reports.common import Scope
from services.reports.output import Section

if TYPE_CHECKING:
    from services.handbook.pack import Pack

# 发展党员工作细则 (2014): 入党申请人 → 入党积极分子 → 发展对象 → 预备党员 → 正式党员.
PIPELINE = (
    ("applicant", "入党申请人"),
    ("activist", "入党积极分子"),
    ("candidate", "发展对象"),
    ("probationary", "预备党员"),
    ("full", "正式党员（本年转正）"),
)


@dataclass
class Breakdown:
    """Branches (rows, then a 合计 row) × ``columns``; ``items[row][col]`` the names a cell counts."""

    title: str
    note: str
    columns: list[str]
    branches: list[str]
    items: list[list[list[str]]]  # per branch, per column: what the cell counts
    charts: list[Chart] = field(default_factory=list)
    total_label: str = "合计"

    def value(self, row: int, col: int) -> int:
        return len(self.items[row][col])

    def totals(self) -> list[int]:
        return [sum(self.value(r, c) for r in range(len(self.branches))) for c in range(len(self.columns))]

    def section(self) -> Section:
        rows: list[list[object]] = [
            [name, *(self.value(r, c) for c in range(len(self.columns)))]
            for r, name in enumerate(self.branches)
        ]
        rows.append([self.total_label, *self.totals()])
        items = {
            (r, c + 1): sorted(self.items[r][c])
            for r in range(len(self.branches))
            for c in range(len(self.columns))
        }
        last = len(self.branches)
        for c in range(len(self.columns)):
            items[(last, c + 1)] = sorted(x for r in range(last) for x in self.items[r][c])
        width = 6 if len(self.columns) > 6 else 10
        return Section(
            self.title,
            ["支部", *self.columns],
            rows,
            widths=[18, *([width] * len(self.columns))],
            note=self.note,
            items=items,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": self.columns,
            "rows": [
                [name, *(self.value(r, c) for c in range(len(self.columns)))]
                for r, name in enumerate(self.branches)
            ],
            "totals": self.totals(),
        }


def stage_on(r: DevelopmentRecord, day: date) -> str | None:
    """The pipeline step a development record stands at on ``day`` from the dates of its steps (None: not
    yet applied, withdrawn by then, or converted in an earlier year). 正式党员 counts those whose
    conversion (转正, the 支部党员大会's date) fell in ``day``'s year up to ``day``."""
    if r.applied_on is None or r.applied_on > day:
        return None
    if r.withdrawn_on is not None and r.withdrawn_on <= day:
        return None
    if r.admitted_on is not None and r.admitted_on <= day:
        if r.converted_on is not None and r.converted_on <= day:
            return "full" if r.converted_on.year == day.year else None
        return "probationary"
    if r.candidate_on is not None and r.candidate_on <= day:
        return "candidate"
    if r.activist_on is not None and r.activist_on <= day:
        return "activist"
    return "applicant"


def pipeline_on(session: Session, where: Scope, day: date) -> Breakdown:
    """发展党员工作进度 on ``day``: per branch, the people at each step (发展党员工作细则 2014, ../shared/
    domain.md development pipeline), from the dates recorded in the development ledger. One read."""
    index = {b.id: i for i, b in enumerate(where.branches)}
    items: list[list[list[str]]] = [[[] for _ in PIPELINE] for _ in where.branches]
    column = {code: i for i, (code, _label) in enumerate(PIPELINE)}
    rows = session.scalars(
        select(DevelopmentRecord).where(
            DevelopmentRecord.deleted.is_(False),
            DevelopmentRecord.branch_id.in_(where.ids),
            DevelopmentRecord.applied_on <= day,
        )
    )
    for r in rows:
        stage = stage_on(r, day)
        if stage is not None:
            items[index[r.branch_id]][column[stage]].append(r.name)
    out = Breakdown(
        f"发展党员工作进度（截至{day.year}年{day.month}月{day.day}日）",
        "按发展党员台账中各环节的日期统计；正式党员一栏为当年转正的人数。",
        [label for _c, label in PIPELINE],
        [where.name(b) for b in where.branches],
        items,
    )
    out.charts.append(
        Chart(
            f"发展党员工作进度（截至{day.isoformat()}）",
            "bar",
            out.columns,
            [("人数", out.totals())],
        )
    )
    return out


def compliance_by_month(
    session: Session, where: Scope, year: int, today: date, pack: Pack | None = None
) -> Breakdown:
    """The handbook check of ``year`` (``pack``'s rules with ``per = "month"``, default the built-in pack;
    as of ``today``)
    month by month: per branch the problems found each month (支委会, 党小组会, 主题党日, 党费 …),
    and a chart of each branch's count over the months and of the branches with none.

    Months after ``today`` are left empty (not judged yet)."""
    from services.handbook.engine import evaluate
    from services.handbook.pack import load_pack
    from services.handbook.period import year as year_period

    pack = pack or load_pack()
    # only the rules judged month by month (``per = "month"``): the others find nothing a month owns,
    # and leaving them out (with the evidence counts) keeps the yearly report quick
    monthly = [r for r in pack.rule if getattr(r, "per", None) == "month"]
    result = evaluate(
        session,
        pack.model_copy(update={"rule": monthly}),
        year_period(year),
        branch_ids=None if where.whole else where.ids,
        as_of=today,
        with_evidence=False,
    )
    index = {b.id: i for i, b in enumerate(where.branches)}
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    col = {label: i for i, label in enumerate(months)}
    items: list[list[list[str]]] = [[[] for _ in months] for _ in where.branches]
    for f in result.findings:
        if f.period in col and f.branch_id in index and f.importance in ("error", "warning"):
            items[index[f.branch_id]][col[f.period]].append(f"{f.rule_id} {f.message}")
    judged = [m for m in range(1, 13) if date(year, m, 1) <= today]
    out = Breakdown(
        f"{year}年逐月检查问题数",
        "按手册逐月判定的规则（三会一课、主题党日、党费等）每月发现的问题条数（错误和提醒），0 为当月全部达标。",
        [f"{m}月" for m in range(1, 13)],
        [where.name(b) for b in where.branches],
        items,
    )
    names = out.columns[: len(judged)] if judged else out.columns
    out.charts.append(
        Chart(
            f"{year}年各支部逐月问题数",
            "line",
            names,
            [
                (where.name(b), [out.value(i, c) for c in range(len(names))])
                for i, b in enumerate(where.branches)
            ],
            unit="条",
        )
    )
    clean = [sum(1 for i in range(len(where.branches)) if out.value(i, c) == 0) for c in range(len(names))]
    out.charts.append(Chart(f"{year}年各月全部达标的支部数", "bar", names, [("支部数", clean)], unit="个"))
    return out
