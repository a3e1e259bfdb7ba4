"""一季一调度: the quarter of a township (or one branch) — each branch's trend over the quarter's three
months (meetings held, attendance rate, findings of each month from the handbook engine) and the findings
of the quarter itself (quarterly rules such as 党员大会 and 党课 are judged only on the whole quarter)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from services import fees
from services.errors import ValidationError
from services.handbook.pack import Pack
from services.handbook.period import month as month_period
from services.handbook.period import quarter as quarter_period
from services.reports.charts import Chart
from services.reports.common import Month, check_month, scope, scoped_check
from services.reports.monthly import BranchMonth, _empty_month, _fill_counts, percent
from services.reports.output import Document, Section

_QUARTER = re.compile(r"^\s*(\d{4})\s*[Qq]\s*([1-4])\s*$")


@dataclass
class BranchTrend:
    code: str
    name: str
    months: list[BranchMonth]  # the quarter's three months, in order
    errors: list[int]  # findings of importance 错误 per month
    warnings: list[int]  # 警告 per month

    def meetings(self) -> list[int]:
        return [sum(m.meetings.values()) for m in self.months]


@dataclass
class QuarterReport:
    year: int
    quarter: int
    title: str
    months: list[Month]
    branches: list[BranchTrend]
    findings: list[dict[str, Any]]  # the quarter's own findings (window = the quarter)

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度"

    def lines(self) -> list[str]:
        out = [
            f"{self.title} {self.label} 一季一调度",
            "一、各支部逐月情况（会议次数 / 出勤率 / 错误 / 警告）",
        ]
        for b in self.branches:
            cells = [
                f"{m.month}月 {n}次 {bm.rate_text()} 错{e} 警{w}"
                for m, bm, n, e, w in zip(
                    self.months, b.months, b.meetings(), b.errors, b.warnings, strict=True
                )
            ]
            out.append(f"  {b.name}：" + "；".join(cells))
        out.append(f"二、本季度问题（{len(self.findings)} 条）")
        out += [f"  {f['branch_name']} [{f['importance_label']}] {f['message']}" for f in self.findings]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": f"{self.year}Q{self.quarter}",
            "title": self.title,
            "months": [str(m) for m in self.months],
            "branches": [
                {
                    "code": b.code,
                    "name": b.name,
                    "meetings": b.meetings(),
                    "attendance_rate": [
                        None if m.attendance_rate is None else round(m.attendance_rate, 4) for m in b.months
                    ],
                    "errors": b.errors,
                    "warnings": b.warnings,
                }
                for b in self.branches
            ],
            "findings": [
                {k: f[k] for k in ("branch_code", "importance", "rule_id", "period", "message")}
                for f in self.findings
            ],
        }


def parse_quarter(text: str, field: str = "period") -> tuple[int, int]:
    """``2026Q3`` → (2026, 3); raises ValidationError(field) otherwise."""
    match = _QUARTER.match(str(text or ""))
    if not match:
        raise ValidationError(field, f"无法识别的季度“{text}”（请用 2026Q3 的格式）。")
    return int(match[1]), int(match[2])


def quarter_report(
    session: Session,
    period_text: str,
    branch_code: str | None = None,
    *,
    today: date | None = None,
    pack: Pack | None = None,
    township_code: str | None = None,
) -> QuarterReport:
    """一季一调度 of ``period_text`` (2026Q3). The quarter must have begun by ``today`` and not lie before
    the first branch was founded (ValidationError("period")); NotFound for an unknown branch code."""
    from services.handbook.pack import load_pack

    today = today or date.today()
    year, q = parse_quarter(period_text)
    months = [Month(year, 3 * q - 2 + i) for i in range(3)]
    where = scope(session, branch_code, township_code)
    # the quarter must have begun, and must not have ended before the first branch was founded
    check_month(session, where, months[0], today, field="period", past=False)
    check_month(session, where, months[-1], today, field="period", future=False)
    pack = pack or load_pack()
    code_of = {b.id: where.code(b) for b in where.branches}
    trends = {where.code(b): BranchTrend(where.code(b), where.name(b), [], [], []) for b in where.branches}
    # The quarter's check and its last month's judge the lapse runs of the same month: computed once.
    with fees.shared_lapse_runs(session):
        for m in months:
            rows = {where.code(b): _empty_month(b, where) for b in where.branches}
            if (m.year, m.month) <= (today.year, today.month):
                _fill_counts(session, where.ids, m, rows, code_of)
                found = scoped_check(session, pack, month_period(m.year, m.month), where, today).findings
            else:
                found = []
            for code, trend in trends.items():
                trend.months.append(rows[code])
                mine = [f for f in found if code_of.get(f.branch_id) == code]
                trend.errors.append(sum(1 for f in mine if f.importance == "error"))
                trend.warnings.append(sum(1 for f in mine if f.importance == "warning"))
        whole = scoped_check(session, pack, quarter_period(year, q), where, today)
    order = {b.id: i for i, b in enumerate(where.branches)}
    own = [f for f in whole.findings if f.period == f"{year}Q{q}"]
    own.sort(key=lambda f: (order.get(f.branch_id, 0), -f.rank, f.rule_id))
    return QuarterReport(year, q, where.title(), months, list(trends.values()), [f.to_dict() for f in own])


def document(report: QuarterReport) -> Document:
    head = ["支部"]
    for m in report.months:
        head += [f"{m.month}月会议", f"{m.month}月出勤率", f"{m.month}月错误/警告"]
    rows = []
    for b in report.branches:
        line: list[object] = [b.name]
        for bm, n, e, w in zip(b.months, b.meetings(), b.errors, b.warnings, strict=True):
            line += [n, bm.rate_text(), f"{e}/{w}"]
        rows.append(line)
    items = {
        (i, 1 + 3 * j): [x for kind in sorted(bm.meeting_items) for x in bm.meeting_items[kind]]
        for i, b in enumerate(report.branches)
        for j, bm in enumerate(b.months)
    }
    trend = Section("各支部逐月情况", head, rows, widths=[16, *([6, 7, 7] * 3)], items=items)
    findings = Section(
        "本季度问题（按季度判定的规则）",
        ["支部", "级别", "规则", "问题"],
        [[f["branch_name"], f["importance_label"], f["rule_id"], f["message"]] for f in report.findings],
        widths=[16, 6, 10, 60],
        empty="本季度按季度判定的规则未发现问题。",
    )
    title = f"{report.title} {report.label} 一季一调度"
    return Document(title, report.title, [trend, findings], charts(report))


def charts(report: QuarterReport) -> list[Chart]:
    """Each branch's trend over the quarter's months: attendance rate and meetings (the 逐月 table's numbers)."""
    months = [m.label() for m in report.months]
    return [
        Chart(
            f"图1 {report.label}各支部逐月出勤率",
            "line",
            months,
            [(b.name, [percent(m.attendance_rate) for m in b.months]) for b in report.branches],
            unit="%",
        ),
        Chart(
            f"图2 {report.label}各支部逐月会议次数",
            "line",
            months,
            [(b.name, b.meetings()) for b in report.branches],
            unit="次",
        ),
    ]
