"""`print-archive`, `print-meeting`: printed archive booklets and meeting-record forms as PDF."""

from __future__ import annotations

import argparse

from sqlalchemy import select

from models import Township
from services import org
from services.cli import Context
from services.errors import NotFound
from services.printing.booklet import BookletOptions, print_branch_booklet, print_meeting_form
from services.printing.township import print_township


def register(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("print-archive", help="打印支部年度台账（封面、目录清单、各台账、会议记录）为 PDF")
    who = a.add_mutually_exclusive_group(required=True)
    who.add_argument("--branch", help="支部代码：打印该支部的台账到 OUT（.pdf 文件）")
    who.add_argument("--township", help="乡镇代码：每个支部一册，保存到 OUT（文件夹）")
    a.add_argument("--jobs", type=int, default=1, help="--township 时同时排版的进程数（默认 1）")
    a.add_argument("--year", required=True, type=int, help="年度，例如 2026")
    a.add_argument("--volume", type=int, default=1, help="卷号（默认 1）")
    a.add_argument("--keeper", default="", help="保管人")
    a.add_argument("--title", default="", help="台账名称（默认“<支部名称>工作台账”）")
    a.add_argument("--no-forms", action="store_true", help="不附会议记录表")
    a.add_argument("out", help="输出 PDF 路径（--township 时为文件夹）")
    a.set_defaults(handler=print_archive)

    m = sub.add_parser("print-meeting", help="打印一次会议的会议记录表为 PDF")
    m.add_argument("id", help="会议记录编号（meeting list --json 中的 id）")
    m.add_argument("out", help="输出 PDF 路径")
    m.set_defaults(handler=print_meeting)


def print_archive(args: argparse.Namespace, ctx: Context) -> int:
    options = BookletOptions(
        volume=args.volume, keeper=args.keeper, ledger_name=args.title, include_forms=not args.no_forms
    )
    if args.township:
        with ctx.db().reader() as s:
            township = s.scalar(
                select(Township).where(Township.code == args.township, Township.deleted.is_(False))
            )
            if township is None:
                raise NotFound(f"找不到代码为 {args.township} 的乡镇。")
        results = print_township(
            ctx.db().url, township.id, args.year, args.out, jobs=args.jobs, options=options
        )
        for r in results:
            print(r.describe())
        print(f"共 {len(results)} 册，{sum(r.pages for r in results)} 页")
        return 0
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
