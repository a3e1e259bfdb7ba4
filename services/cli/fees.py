"""`fee …` and `fund …`: 党费 and branch funds from the command line (amounts in yuan, stored in fen)."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from services import fees, org
from services.cli import Context, emit, parse_date


def register(sub: argparse._SubParsersAction) -> None:
    f = sub.add_parser("fee", help="党费").add_subparsers(dest="action", required=True)
    due = f.add_parser("set", help="核定某党员某月应交党费")
    due.add_argument("member_id")
    due.add_argument("--month", required=True, help="2026-07")
    due.add_argument(
        "--category",
        required=True,
        choices=["salaried", "retired", "farmer", "student", "unemployed", "relief"],
    )
    due.add_argument("--income", default="0", help="税后月收入（元）")
    due.set_defaults(handler=set_due)

    gen = f.add_parser("generate", help="按上月类别为全支部生成某月应交党费")
    gen.add_argument("--branch", required=True)
    gen.add_argument("--month", required=True)
    gen.set_defaults(handler=generate)

    pay = f.add_parser("pay", help="登记交纳")
    pay.add_argument("member_id")
    pay.add_argument("--month", required=True)
    pay.add_argument("--amount", required=True, help="金额（元）")
    pay.add_argument("--date", required=True)
    pay.add_argument("--receipt", default="")
    pay.set_defaults(handler=pay_fee)

    arr = f.add_parser("arrears", help="连续未交党费 / 未参加组织生活的党员")
    arr.add_argument("--month", required=True, help="截至月份 2026-10")
    arr.add_argument("--branch", default=None)
    arr.add_argument("--json", action="store_true")
    arr.set_defaults(handler=arrears)

    fund = sub.add_parser("fund", help="活动经费").add_subparsers(dest="action", required=True)
    add = fund.add_parser("add", help="登记收支")
    add.add_argument("--branch", required=True)
    add.add_argument("--date", required=True)
    add.add_argument("--direction", required=True, choices=["income", "expense"])
    add.add_argument("--category", required=True)
    add.add_argument("--amount", required=True, help="金额（元）")
    add.add_argument("--description", default="")
    add.add_argument("--voucher", default="")
    add.set_defaults(handler=fund_add)
    bal = fund.add_parser("balance", help="经费结余")
    bal.add_argument("--branch", required=True)
    bal.set_defaults(handler=fund_balance)


def set_due(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        row = fees.set_due(
            s,
            args.member_id,
            args.month,
            args.category,
            fees.parse_yuan(args.income, "income_fen"),
            fees.current_schedule(),
        )
    print(f"{args.month} 应交 {fees.yuan(row.due_fen)} 元")
    return 0


def generate(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        branch_id = org.branch_by_code(s, args.branch).id
        count = fees.generate_month(s, branch_id, args.month, {}, fees.current_schedule())
    print(f"已生成 {count} 条")
    return 0


def pay_fee(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        fees.record_payment(
            s,
            args.member_id,
            args.month,
            fees.parse_yuan(args.amount, "paid_fen"),
            parse_date(args.date),
            args.receipt,
            fees.current_schedule(),
        )
    print("已登记")
    return 0


def arrears(args: argparse.Namespace, ctx: Context) -> int:
    fees.parse_month(args.month)
    with ctx.db().reader() as s:
        ids = org.descendant_branch_ids(s, org.branch_by_code(s, args.branch).id) if args.branch else None
        unpaid = [r for r in fees.unpaid_runs(s, args.month, ids) if r.level()]
        no_life = [r for r in fees.life_gap_runs(s, args.month, ids) if r.level()]
    if args.json:
        emit(
            {
                "unpaid": [asdict(r) | {"level": r.level()} for r in unpaid],
                "no_organisational_life": [asdict(r) | {"level": r.level()} for r in no_life],
            },
            True,
        )
    else:
        for title, runs in (("连续未交党费", unpaid), ("连续未参加组织生活", no_life)):
            for r in runs:
                tag = "错误" if r.level() == "error" else "警告"
                print(f"[{tag}] {r.name}：{title} {r.months} 个月（自 {r.since} 起）")
    return 1 if any(r.level() == "error" for r in unpaid + no_life) else 0


def fund_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        fees.add_fund_entry(
            s,
            org.branch_by_code(s, args.branch).id,
            parse_date(args.date),
            args.direction,
            args.category,
            fees.parse_yuan(args.amount, "amount_fen"),
            args.description,
            args.voucher,
        )
    print("已登记")
    return 0


def fund_balance(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        print(f"结余 {fees.yuan(fees.fund_balance_fen(s, org.branch_by_code(s, args.branch).id))} 元")
    return 0
