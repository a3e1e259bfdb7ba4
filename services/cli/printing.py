"""`print-archive`, `print-meeting`: printed archive booklets and meeting-record forms as PDF."""

from __future__ import annotations

import argparse

from services import org
from services.cli import Context
from services.printing.booklet import BookletOptions, print_branch_booklet, print_meeting_form


def register(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("print-archive", help="打印支部年度台账（封面、目录清单、各台账、会议记录）为 PDF")
    a.add_argument("--branch", required=True, help="支部代码")
    a.add_argument("--year", required=True, type=int, help="年度，例如 2026")
    a.add_argument("--volume", type=int, default=1, help="卷号（默认 1）")
    a.add_argument("--keeper", default="", help="保管人")
    a.add_argument("--title", default="", help="台账名称（默认“<支部名称>工作台账”）")
    a.add_argument("--no-forms", action="store_true", help="不附会议记录表")
    a.add_argument("out", help="输出 PDF 路径")
    a.set_defaults(handler=print_archive)

    m = sub.add_parser("print-meeting", help="打印一次会议的会议记录表为 PDF")
    m.add_argument("id", help="会议记录编号（meeting list --json 中的 id）")
    m.add_argument("out", help="输出 PDF 路径")
    m.set_defaults(handler=print_meeting)


def print_archive(args: argparse.Namespace, ctx: Context) -> int:
    options = BookletOptions(
        volume=args.volume, keeper=args.keeper, ledger_name=args.title, include_forms=not args.no_forms
    )
    with ctx.db().reader() as s:
        branch = org.branch_by_code(s, args.branch)
        result = print_branch_booklet(s, branch.id, args.year, args.out, options)
    print(result.describe())
    return 0


def print_meeting(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        result = print_meeting_form(s, args.id, args.out)
    print(result.describe())
    return 0
