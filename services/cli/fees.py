"""`fee …` and `fund …`: 党费 and branch funds from the command line (amounts in yuan, stored in fen)."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from models.enums import FeeCategory, FundDirection
from services import fees, org
from services.cli import Context, emit, parse_date
from services.ledgers.values import normalise_month


def register(sub: argparse._SubParsersAction) -> None:
    f = sub.add_parser("fee", help="党费").add_subparsers(dest="action", required=True)
    due = f.add_parser("set", help="核定某党员某月应交党费")
    due.add_argument("member_id")
    due.add_argument("--month", required=True, help="2026-07")
    due.add_argument(
        "--category",
        required=True,
        choices=[c.value for c in FeeCategory],
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
    add.add_argument("--direction", required=True, choices=[d.value for d in FundDirection])
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
    print(f"{row.month} 应交 {fees.yuan(row.due_fen)} 元")
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
    """Runs judged by the lapse rules of the pack in use (as the check judges them), not fixed 3/5/6."""
    from services.handbook.pack import pack_in_use

    month = normalise_month(args.month)
    pack = pack_in_use()
    with ctx.db().reader() as s:
        ids = org.descendant_branch_ids(s, org.branch_by_code(s, args.branch).id) if args.branch else None
        judged = [
            (title, [(r, r.level(*levels)) for r in runs(s, month, ids)])
            for title, runs, levels in (
                ("连续未交党费", fees.unpaid_runs, fees.lapse_thresholds(pack, "dues")),
                ("连续未参加组织生活", fees.life_gap_runs, fees.lapse_thresholds(pack, "life")),
            )
        ]
    shown = [[(r, lvl) for r, lvl in runs if lvl] for _title, runs in judged]
    if args.json:
        emit(
            {
                key: [asdict(r) | {"level": lvl} for r, lvl in runs]
                for key, runs in zip(("unpaid", "no_organisational_life"), shown, strict=True)
            },
            True,
        )
    else:
        for (title, _), runs in zip(judged, shown, strict=True):
            for r, lvl in runs:
                tag = "错误" if lvl == "error" else "警告"
                print(f"[{tag}] {r.name}：{title} {r.months} 个月（自 {r.since} 起）")
    return 1 if any(lvl == "error" for runs in shown for _r, lvl in runs) else 0


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
