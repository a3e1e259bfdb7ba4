"""`ledger list <ledger>` and `ledger do <ledger> <action> --field …`: every declared ledger on the
command line, with arguments generated from its declaration (like qutebrowser's ``cmdutils``).

The ledgers and their columns come from ``services.ledgers.catalog``, the actions and their fields from
``services.ledgers.actions``: a field ``paid_fen`` of kind money becomes ``--paid-fen`` (yuan), a choice
field lists its codes and labels, a member field takes the member's id. Errors name the argument
(``--paid-fen：金额格式不正确…``) and exit non-zero; nothing is written before the whole input is valid.
"""

from __future__ import annotations

import argparse
from typing import Any

from services import org
from services.cli import Context, emit
from services.errors import ErrorCollector, ValidationError
from services.ledgers.actions import ACTIONS, Action, Field, Target
from services.ledgers.catalog import LISTINGS


def option(key: str) -> str:
    """The command-line option of a field key: ``paid_fen`` → ``--paid-fen``."""
    return "--" + key.replace("_", "-")


def _help(f: Field) -> str:
    text = f.label + ("" if f.required else "（可空）")
    if f.choices:
        text += "；可选：" + "、".join(f"{code}={label}" for code, label in f.choices)
    if f.kind.name == "member":
        text += "；党员ID"
    return text


def add_arguments(parser: argparse.ArgumentParser, action: Action) -> None:
    """One ``--option`` per field of ``action`` (all read as text; the field's kind parses them)."""
    for f in action.fields:
        if f.kind.name == "bool":
            parser.add_argument(option(f.key), dest=f.key, action="store_true", help=f.label)
        else:
            parser.add_argument(option(f.key), dest=f.key, default=None, help=_help(f))
    if action.needs_row:
        parser.add_argument("--row", required=True, help="要操作的记录ID（ledger list --json 可查）")
    if action.needs_branch or not action.needs_row:
        parser.add_argument("--branch", default=None, help="支部代码")


def values(action: Action, args: argparse.Namespace) -> dict[str, Any]:
    """Every field parsed by its kind; ValidationErrors of ALL bad fields together, each naming its option."""
    out: dict[str, Any] = {}
    found = ErrorCollector()
    for f in action.fields:
        with found.check():
            try:
                out[f.key] = f.parse(getattr(args, f.key))
            except ValidationError as exc:
                raise _named(exc, action) from None
    found.raise_if_any()
    return out


def _named(exc: ValidationError, action: Action) -> ValidationError:
    """The error with the option it is about in front (``--paid-fen：…``), when it is a field's."""
    keys = {f.key for f in action.fields}
    if exc.field in keys and not str(exc).startswith("--"):
        return ValidationError(exc.field, f"{option(exc.field)}：{exc}")
    return exc


def register(sub: argparse._SubParsersAction) -> None:
    top = sub.add_parser("ledger", help="任一台账：列出记录或执行登记操作").add_subparsers(
        dest="what", required=True
    )
    ls = top.add_parser("list", help="列出一个台账的记录")
    ls.add_argument("ledger", choices=list(LISTINGS), help="台账代码")
    ls.add_argument("--branch", default=None, help="支部代码（含下级）；不写为全部")
    ls.add_argument("--year", type=int, default=None)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=list_cmd)
    do = top.add_parser("do", help="执行台账的登记操作").add_subparsers(dest="ledger", required=True)
    for code, actions in ACTIONS.items():
        title = LISTINGS[code].title if code in LISTINGS else code
        per = do.add_parser(code, help=title).add_subparsers(dest="action", required=True)
        for action in actions:
            p = per.add_parser(action.title, help=action.title)
            add_arguments(p, action)
            p.set_defaults(handler=do_cmd, declared=action)


def list_cmd(args: argparse.Namespace, ctx: Context) -> int:
    listing = LISTINGS[args.ledger]
    with ctx.db().reader() as s:
        ids = org.descendant_branch_ids(s, org.branch_by_code(s, args.branch).id) if args.branch else None
        rows = listing.load(s, ids, args.year)
    shown = [{"id": r["id"], **{c.title: listing.display(r, c.key) for c in listing.columns}} for r in rows]
    if args.json:
        emit(shown, True)
    else:
        print("\t".join(["ID", *(c.title for c in listing.columns)]))
        for r in shown:
            print("\t".join(str(v) for v in r.values()))
    return 0


def do_cmd(args: argparse.Namespace, ctx: Context) -> int:
    action: Action = args.declared
    given = values(action, args)
    try:
        with ctx.db().transaction(ctx.user) as s:
            branch = org.branch_by_code(s, args.branch).id if getattr(args, "branch", None) else None
            result = action.run(s, Target(branch, getattr(args, "row", None)), given)
    except ValidationError as exc:
        raise _named(exc, action) from None
    row_id = getattr(result, "id", None)
    print(f"已保存：{action.title}" + (f"（{row_id}）" if row_id else ""))
    return 0
