"""`report birthdays|month|quarter|stats`: township reports from the records (政治生日, 一月一分析, 一季一调度,
党内统计年报).

Each command reads in one read-only session, then writes at most one file (xlsx or PDF, atomic and
verified) and prints only after the file is in place. Bad input (a month in the future, before the
township existed, an unknown branch) names the field and exits 1 with nothing written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import date
from typing import Any

from services.cli import Context, emit, parse_date


def register(sub: argparse._SubParsersAction) -> None:
    rep = sub.add_parser("report", help="乡镇报表：政治生日名单、一月一分析、党内统计年报").add_subparsers(
        dest="report", required=True
    )
    b = rep.add_parser("birthdays", help="某月过政治生日的党员（入党周年、党龄，光荣在党50年标记）")
    b.add_argument("--month", required=True, help="月份，如 2026-12（最多可查到一年后）")
    _common(b)
    b.set_defaults(handler=birthdays_cmd)

    m = rep.add_parser("month", help="一月一分析：各支部本月记录、问题和下月到期事项")
    m.add_argument("--period", required=True, help="月份，如 2026-11（不能是将来的月份）")
    m.add_argument("--pack", default=None, help="手册包文件（默认本机选用的手册包，同 check）")
    _common(m)
    m.set_defaults(handler=month_cmd)

    qp = rep.add_parser("quarter", help="一季一调度：各支部逐月趋势和本季度问题")
    qp.add_argument("--period", required=True, help="季度，如 2026Q3（须已开始）")
    qp.add_argument("--pack", default=None, help="手册包文件（默认本机选用的手册包，同 check）")
    _common(qp)
    qp.set_defaults(handler=quarter_cmd)

    st = rep.add_parser("stats", help="党内统计年报（按12月31日统计，附核对结果）")
    st.add_argument("--year", required=True, type=int, help="年度，如 2025（须已结束）")
    st.add_argument("--pack", default=None, help="统计表式文件（默认内置表式）")
    st.add_argument(
        "--handbook", default=None, help="逐月检查所用的手册包文件（默认本机选用的手册包，同 check）"
    )
    _common(st)
    st.set_defaults(handler=stats_cmd)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--branch", default=None, help="支部代码（或 乡镇代码/支部代码）；默认数据库中的全部乡镇")
    p.add_argument("--township", default=None, help="乡镇代码：只统计这个乡镇（全县数据库中）")
    p.add_argument("--json", action="store_true")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--xlsx", default=None, metavar="F", help="保存为 Excel 文件")
    out.add_argument("--pdf", default=None, metavar="F", help="保存为 PDF 文件")
    p.add_argument("--today", default=None, help=argparse.SUPPRESS)


def _today(args: argparse.Namespace) -> date:
    return parse_date(args.today, "today") if args.today else date.today()


def _handbook_pack(path: str | None) -> Any:
    """``--pack`` when given, else the pack chosen on this computer (as ``check`` and the GUI)."""
    from services.handbook.pack import PackHolder, load_pack

    if path:
        return load_pack(path)
    holder = PackHolder.startup()
    if holder.last_error is not None:
        print(f"注意：{holder.last_error.message}（暂用默认手册包）", file=sys.stderr)
    return holder.pack


def _save(args: argparse.Namespace, document: object) -> str | None:
    from services.reports import output

    if args.xlsx:
        rows = output.write_xlsx(document, args.xlsx)  # type: ignore[arg-type]
        return f"已保存 {args.xlsx}（{rows} 行）"
    if args.pdf:
        pages = output.write_pdf(document, args.pdf)  # type: ignore[arg-type]
        return f"已保存 {args.pdf}（{pages} 页）"
    return None


def _show(args: argparse.Namespace, as_json: object, lines: Iterable[str], saved: str | None) -> int:
    """One way out for every report: ``--json`` on stdout, else the text unless a file was written;
    the "已保存" line only after the file is in place (stderr with ``--json``, keeping stdout parseable)."""
    if args.json:
        emit(as_json, True)
    elif saved is None:
        for line in lines:
            print(line)
    if saved:
        print(saved, file=sys.stderr if args.json else sys.stdout)
    return 0


def birthdays_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.reports.birthdays import birthdays, document

    today = _today(args)
    with ctx.db().reader() as s:
        report = birthdays(s, args.month, args.branch, today=today, township_code=args.township)
    as_json = {
        "month": str(report.month),
        "title": report.title,
        "members": [r.as_dict() for r in report.rows],
    }
    return _show(args, as_json, report.lines(), _save(args, document(report)))


def month_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.reports.monthly import document, month_report

    today = _today(args)
    pack = _handbook_pack(args.pack)
    with ctx.db().reader() as s:
        report = month_report(
            s, args.period, args.branch, today=today, pack=pack, township_code=args.township
        )
    return _show(args, report.as_dict(), report.lines(), _save(args, document(report)))


def stats_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.reports.statistics import document, load_stats_pack, statistics

    today = _today(args)
    pack = load_stats_pack(args.pack)
    handbook = _handbook_pack(args.handbook)
    with ctx.db().reader() as s:
        report = statistics(
            s, args.year, args.branch, today=today, pack=pack, township_code=args.township, handbook=handbook
        )
    return _show(args, report.as_dict(), report.lines(), _save(args, document(report)))


def quarter_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.reports.quarterly import document, quarter_report

    today = _today(args)
    pack = _handbook_pack(args.pack)
    with ctx.db().reader() as s:
        report = quarter_report(
            s, args.period, args.branch, today=today, pack=pack, township_code=args.township
        )
    return _show(args, report.as_dict(), report.lines(), _save(args, document(report)))
