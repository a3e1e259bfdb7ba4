"""The command-line parser: options and positionals in any order, as clerks type them.

argparse alone binds an optional positional (``nargs="?"``) as soon as it meets the first positional, so
``export-xlsx attendance --year 2025 OUT.xlsx`` failed with "unrecognized arguments: OUT.xlsx" while
``export-xlsx attendance OUT.xlsx --year 2025`` worked. Every leaf command here is parsed with
``parse_known_intermixed_args`` (options first, then the positionals that are left), and global options
(``--db``, ``--user`` …) may also come after the command.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any


class IntermixedParser(argparse.ArgumentParser):
    """An ArgumentParser whose leaf parsers (those without sub-commands) accept intermixed arguments.

    Sub-parsers made with ``add_subparsers`` inherit the class, so every command gets it. A parser with
    sub-commands, or with a mutually exclusive group mixing options and positionals (which argparse
    cannot intermix), parses as usual.
    """

    _intermixing = False

    def _can_intermix(self) -> bool:
        if any(isinstance(a, argparse._SubParsersAction) for a in self._actions):
            return False
        return not any(
            any(not a.option_strings for a in group._group_actions)
            for group in self._mutually_exclusive_groups
        )

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> tuple[Any, list[str]]:
        if self._intermixing or not self._can_intermix():
            return super().parse_known_args(args, namespace)
        self._intermixing = True  # parse_known_intermixed_args calls parse_known_args itself (3.12)
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def parse_command_line(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv`` with ``parser`` (the top-level one); global options may follow the command.

    Arguments the command does not know are parsed again as global options only, so
    ``main.py export-xlsx members out.xlsx --db x.sqlite`` works; anything still left is an error
    (argparse prints usage and exits 2).
    """
    args, rest = parser.parse_known_args(argv)
    if rest:
        globals_only = argparse.ArgumentParser(prog=parser.prog, add_help=False)
        for action in parser._actions:
            if action.option_strings and not isinstance(
                action, (argparse._HelpAction, argparse._VersionAction)
            ):
                globals_only._add_action(action)
        args, still = globals_only.parse_known_args(rest, args)
        if still:
            parser.error(f"无法识别的参数：{' '.join(still)}")
    return args


def group(sub: argparse._SubParsersAction, name: str, help_text: str, dest: str = "action") -> Any:
    """A command that only holds subcommands (``sync``, ``county``, ``sync key`` …); returns the group
    to add them to (``subcommand``). A missing subcommand is an argparse error (exit 2)."""
    return sub.add_parser(name, help=help_text).add_subparsers(dest=dest, required=True)


def subcommand(
    grp: argparse._SubParsersAction, name: str, help_text: str, handler: Any, *, json: bool = False
) -> argparse.ArgumentParser:
    """One subcommand: its parser with ``handler`` set and, with ``json``, the ``--json`` switch of the
    commands that can print machine-readable output. Returns the parser for the command's own arguments."""
    p = grp.add_parser(name, help=help_text)
    if json:
        p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(handler=handler)
    return p
