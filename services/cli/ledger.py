"""`ledger list <ledger>` and `ledger do <ledger> <action> --field …`: every declared ledger on the
command line, with arguments generated from its declaration (like qutebrowser's ``cmdutils``).

The ledgers and their columns come from ``services.ledgers.catalog``, the actions and their fields from
``services.ledgers.actions``: a field ``paid_fen`` of kind money becomes ``--paid-fen`` (yuan), a choice
field lists its codes and labels, a member field takes the member's id. Errors name the argument
(``--paid-fen：金额格式不正确…``) and exit non-zero; nothing is written before the whole input is valid.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from services import org
from services.cli import Context, emit
from services.cli._ids import short_id
from services.cli._parser import group, subcommand
from services.errors import ErrorCollector, ValidationError, ValidationErrors
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


@dataclass(frozen=True)
class Spelling:
    """How one generated command spells its fields: ``ledger do`` uses the keys (``--paid-fen``), an
    old command the options it always had (``--amount``, a first positional argument)."""

    old: bool

    def name(self, f: Field) -> str:
        """The option (``--amount``) or, for the positional field, its metavar."""
        return option(f.option if self.old and f.option else f.key)

    def fields(self, action: Action) -> tuple[Field, ...]:
        """The action's fields, then (old commands) the fields that find its row."""
        by = action.row_by.fields if self.old and action.row_by is not None else ()
        return (*action.fields, *by)

    def positional(self, action: Action) -> str:
        return action.positional if self.old else ""


def add_arguments(parser: argparse.ArgumentParser, action: Action, spell: Spelling) -> None:
    """One argument per field of ``action`` (all read as text; the field's kind parses them)."""
    seen: dict[str, list[Field]] = {}
    for f in spell.fields(action):
        seen.setdefault(spell.name(f), []).append(f)
    for name, same in seen.items():
        f = same[0]
        if f.key == spell.positional(action):
            parser.add_argument(f.key, metavar=f.label, help=_help(f))
        elif f.kind.name == "bool":
            parser.add_argument(name, dest=f.key, action="store_true", help=f.label)
        elif spell.old and f.const is not None:
            parser.add_argument(name, dest=f.key, action="store_const", const=f.const, help=_help(f))
        elif len(same) > 1:  # one old option filling several fields: --introducers A B
            parser.add_argument(name, dest=f.key, nargs=len(same), help="、".join(g.label for g in same))
        else:
            parser.add_argument(name, dest=f.key, default=None, help=_help(f))
    if action.needs_row:
        if spell.positional(action) == "row":
            parser.add_argument("row", metavar="ID", help="要操作的记录ID")
        else:
            parser.add_argument("--row", required=action.row_by is None or not spell.old, help=_ROW_HELP)
    if action.needs_branch or not action.needs_row:
        parser.add_argument("--branch", default=None, help="支部代码")
    parser.set_defaults(handler=do_cmd, declared=action, spelling=spell)


_ROW_HELP = "要操作的记录ID（ledger list --json 可查）"


def _given(args: argparse.Namespace, action: Action, spell: Spelling) -> dict[str, Any]:
    """What was typed for each field; an option filling several fields is spread over them."""
    out: dict[str, Any] = {}
    seen: dict[str, list[Field]] = {}
    for f in spell.fields(action):
        seen.setdefault(spell.name(f), []).append(f)
    for same in seen.values():
        typed = getattr(args, same[0].key, None)
        if len(same) > 1:
            for f, text in zip(same, typed or [None] * len(same), strict=True):
                out[f.key] = text
        else:
            out[same[0].key] = typed
    return out


def values(action: Action, args: argparse.Namespace, spell: Spelling) -> dict[str, Any]:
    """Every field parsed by its kind; ValidationErrors of ALL bad fields together, each naming its field
    in Chinese and its option."""
    typed = _given(args, action, spell)
    out: dict[str, Any] = {}
    found = ErrorCollector()
    for f in spell.fields(action):
        with found.check():
            try:
                out[f.key] = f.parse(typed[f.key])
            except ValidationError as exc:
                raise _named(exc, action, spell) from None
    found.raise_if_any()
    return out


def _named(exc: ValidationError, action: Action, spell: Spelling) -> ValidationError:
    """The error with the field it is about in front, in Chinese and as typed
    (``金额（元）（--amount）：…``); the branch and the row too; each of several."""
    if isinstance(exc, ValidationErrors):
        return ValidationErrors([_named(e, action, spell) for e in exc.errors])
    if str(exc).startswith(("--", "支部（", "记录（")) or "（--" in str(exc).split("：")[0]:
        return exc
    for f in spell.fields(action):
        if exc.field == f.key:
            where = f.key if f.key == spell.positional(action) else spell.name(f)
            return ValidationError(exc.field, f"{f.label}（{where}）：{exc}")
    if exc.field in ("branch", "branch_id"):
        return ValidationError(exc.field, "支部（--branch）：请用 --branch 写支部代码。")
    if exc.field == "row":
        where = "ID" if spell.positional(action) == "row" else "--row"
        return ValidationError(exc.field, f"记录（{where}）：{exc}")
    return exc


def register(sub: argparse._SubParsersAction) -> None:
    top = group(sub, "ledger", "任一台账：列出记录或执行登记操作", "what")
    ls = subcommand(top, "list", "列出一个台账的记录", list_cmd, json=True)
    ls.add_argument("ledger", choices=list(LISTINGS), help="台账代码")
    ls.add_argument("--branch", default=None, help="支部代码（含下级）；不写为全部")
    ls.add_argument("--year", type=int, default=None)
    do = group(top, "do", "执行台账的登记操作", "ledger")
    for code, actions in ACTIONS.items():
        per = group(do, code, LISTINGS[code].title if code in LISTINGS else code)
        for action in actions:
            add_arguments(per.add_parser(action.title, help=action.title), action, Spelling(old=False))


def old_commands(name: str) -> list[Action]:
    """The declared actions that keep an old command under ``name`` (``fee`` → set, generate, pay)."""
    return [a for acts in ACTIONS.values() for a in acts if a.command.split(" ")[0] == name]


def command_group(sub: argparse._SubParsersAction, name: str, help_text: str) -> argparse._SubParsersAction:
    """The top-level command ``group`` with its old subcommands generated from the declared actions;
    the caller adds the commands that only read (reports, lists)."""
    subs = group(sub, name, help_text)
    for action in old_commands(name):
        name = action.command.split(" ", 1)[1]
        add_arguments(subs.add_parser(name, help=action.title), action, Spelling(old=True))
    return subs


def declared_groups(sub: argparse._SubParsersAction, known: set[str]) -> None:
    """The command groups of declared actions that no module registers (a ledger declared with a new
    ``command = "cash add"``): generated whole, so the new ledger needs no CLI code."""
    firsts = {a.command.split(" ")[0]: code for code, acts in ACTIONS.items() for a in acts if a.command}
    for name, code in firsts.items():
        if name not in known and name not in sub.choices:
            command_group(sub, name, LISTINGS[code].title if code in LISTINGS else name)


def list_cmd(args: argparse.Namespace, ctx: Context) -> int:
    listing = LISTINGS[args.ledger]
    with ctx.db().reader() as s:
        ids = org.descendant_branch_ids(s, org.branch_by_code(s, args.branch).id) if args.branch else None
        rows = listing.load(s, ids, args.year)
    shown = [{"id": r["id"], **{c.title: listing.display(r, c.key) for c in listing.columns}} for r in rows]
    if args.json:
        emit(shown, True)
    elif not shown:
        print(f"无{listing.title}记录{f'（{args.year} 年）' if args.year else ''}。")
    else:
        print("\t".join(["编号", *(c.title for c in listing.columns)]))
        for r in shown:  # the short id, as every other listing prints it (``--json`` keeps the full one)
            print("\t".join([short_id(str(r["id"])), *(str(v) for k, v in r.items() if k != "id")]))
    return 0


def do_cmd(args: argparse.Namespace, ctx: Context) -> int:
    action: Action = args.declared
    spell: Spelling = args.spelling
    given = values(action, args, spell)
    try:
        with ctx.db().transaction(ctx.user) as s:
            branch = org.branch_by_code(s, args.branch).id if getattr(args, "branch", None) else None
            row = getattr(args, "row", None)
            if action.needs_row and row is None and action.row_by is not None:
                row = action.row_by.find(s, given)
            result = action.run(s, Target(branch, row), given)
            row_id = getattr(result, "id", None)
            said = action.said(result) if action.said is not None else None
            warning = getattr(result, "warning", "")
    except ValidationError as exc:
        raise _named(exc, action, spell) from None
    name = getattr(result, "name", "")
    text = said or f"已保存：{action.title}" + (f" {name}" if isinstance(name, str) and name else "")
    print(f"{text}，编号 {short_id(row_id)}" if isinstance(row_id, str) else text)
    if warning:
        print(f"提醒：{warning}")
    return 0
