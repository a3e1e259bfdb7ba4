"""`fee …` and `fund …`: 党费 and branch funds from the command line (amounts in yuan, stored in fen).

The commands that write (``fee set/generate/pay``, ``fund add``) are generated from the ledgers'
declared actions (``services.ledgers.actions``); only the reports are written here."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from services import fees, org
from services.cli import Context, emit
from services.cli.ledger import command_group
from services.ledgers.values import normalise_month


def register(sub: argparse._SubParsersAction) -> None:
    f = command_group(sub, "fee", "党费")  # set, generate, pay: from the 党费 ledger's declared actions
    arr = f.add_parser("arrears", help="连续未交党费 / 未参加组织生活的党员")
    arr.add_argument("--month", required=True, help="截至月份 2026-10")
    arr.add_argument("--branch", default=None)
    arr.add_argument("--json", action="store_true")
    arr.set_defaults(handler=arrears)

    fund = command_group(sub, "fund", "活动经费")  # add: from the 活动经费 ledger's declared action
    bal = fund.add_parser("balance", help="经费结余")
    bal.add_argument("--branch", required=True)
    bal.set_defaults(handler=fund_balance)


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
    elif not any(shown):
        print(f"无：截至 {month} 没有连续未交党费或连续未参加组织生活的党员。")
    else:
        for (title, _), runs in zip(judged, shown, strict=True):
            for r, lvl in runs:
                tag = "错误" if lvl == "error" else "警告"
                print(f"[{tag}] {r.name}：{title} {r.months} 个月（自 {r.since} 起）")
    return 1 if any(lvl == "error" for runs in shown for _r, lvl in runs) else 0


def fund_balance(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        print(f"结余 {fees.yuan(fees.fund_balance_fen(s, org.branch_by_code(s, args.branch).id))} 元")
    return 0
