"""`demo`: fill a database with a realistic synthetic township (same seed → same data)."""

from __future__ import annotations

import argparse

from services import demo
from services.cli import Context, parse_date


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="生成演示数据（乡镇、支部、党员、十年会议记录）")
    p.add_argument(
        "--scale",
        default="township",
        choices=demo.SCALES,
        help="small：3 个支部约 60 人；township：30 个党组织约 3000 人；county：3 个乡镇",
    )
    p.add_argument("--seed", type=int, default=1, help="随机种子（相同种子生成相同数据）")
    p.add_argument("--years", type=int, default=None, help="会议记录年数（small 默认 2，其余 10）")
    p.add_argument("--today", default=None, help="以该日期为“今天”生成（便于复现），默认今天")
    p.add_argument("--quiet", action="store_true", help="只输出汇总一行")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    today = parse_date(args.today, "today") if args.today else None
    summary = demo.generate(ctx.db(), args.scale, args.seed, args.years, today=today, user=ctx.user)
    rows = summary.rows
    print(
        f"已生成演示数据：{'、'.join(summary.townships)}；党组织 {rows.get('branch', 0)} 个，"
        f"党员 {rows.get('member', 0)} 人，会议 {rows.get('meeting', 0)} 次，出席记录 {rows.get('attendance', 0)} 条，"
        f"共 {summary.total_rows} 行，用时 {summary.seconds:.1f} 秒。"
    )
    if not args.quiet:
        for line in summary.profiles.values():
            print(f"  {line}")
    return 0
