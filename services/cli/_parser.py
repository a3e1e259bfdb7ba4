"""The command-line parser: options and positionals in any order, as clerks type them.

argparse alone binds an optional positional (``nargs="?"``) as soon as it meets the first positional, so
``export-xlsx attendance --year 2025 OUT.xlsx`` failed with "unrecognized arguments: OUT.xlsx" while
``export-xlsx attendance OUT.xlsx --year 2025`` worked. Every leaf command here is parsed with
``parse_known_intermixed_args`` (options first, then the positionals that are left), and global options
(``--db``, ``--user`` …) may also come after the command.

argparse's own messages ("the following arguments are required", "invalid int value", "invalid choice",
"usage:") are English; :data:`ARGPARSE_ZH` gives each the Chinese a clerk reads, and the parser's
``error`` names the argument and exits 2 as argparse does.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, TypeVar

_ActionT = TypeVar("_ActionT", bound=argparse.Action)

# argparse's message ids (Python 3.12, ``argparse._`` / ``ngettext``) → Chinese. An id not listed here
# (a newer Python's new wording) stays English rather than failing.
ARGPARSE_ZH: dict[str, str] = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "invalid %(type)s value: %(value)r": "无法识别的值 %(value)r（应为%(type)s）",
    "invalid choice: %(value)r (choose from %(choices)s)": "无法识别 %(value)r，可选：%(choices)s",
    "expected one argument": "后面须跟一个值",
    "expected at most one argument": "后面至多跟一个值",
    "expected at least one argument": "后面至少须跟一个值",
    "expected %s argument": "后面须跟 %s 个值",
    "expected %s arguments": "后面须跟 %s 个值",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "参数 %s 必须给出其中一个",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是：%(matches)s",
    "ignored explicit argument %r": "选项不接受值 %r",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
}
# Type names argparse puts in "invalid %(type)s value" (the converter's ``__name__``).
TYPE_ZH = {
    "int": "整数",
    "float": "数字",
    "existing_file": "已有的文件",
    "existing_path": "已有的文件或文件夹",
}


def _zh(message: str) -> str:
    return ARGPARSE_ZH.get(message, message)


def _zh_plural(singular: str, plural: str, n: int) -> str:
    return _zh(singular if n == 1 else plural)


def install_chinese_messages() -> None:
    """Make argparse speak Chinese in this process: its module-level ``_``/``ngettext`` are looked up
    when a message is made, so replacing them translates every parser (idempotent)."""
    argparse._ = _zh  # type: ignore[attr-defined]
    argparse.ngettext = _zh_plural  # type: ignore[attr-defined]


install_chinese_messages()


class IntermixedParser(argparse.ArgumentParser):
    """An ArgumentParser whose leaf parsers (those without sub-commands) accept intermixed arguments.

    Sub-parsers made with ``add_subparsers`` inherit the class, so every command gets it. A parser with
    sub-commands, or with a mutually exclusive group mixing options and positionals (which argparse
    cannot intermix), parses as usual.
    """

    _intermixing = False

    def error(self, message: str) -> NoReturn:
        """Print usage and a Chinese message naming the argument (type names in Chinese; a missing
        sub-command lists the sub-commands), then exit 2 as argparse does."""
        message = re.sub(r"（应为(\w+)）", lambda m: f"（应为{TYPE_ZH.get(m[1], m[1])}）", message)
        sub = next((a for a in self._actions if isinstance(a, argparse._SubParsersAction)), None)
        if (
            sub is not None
            and sub.dest
            and message == _zh("the following arguments are required: %s") % sub.dest
        ):
            message = "请给出子命令：" + "、".join(sub.choices)
        self.print_usage(sys.stderr)
        self.exit(2, _zh("%(prog)s: error: %(message)s\n") % {"prog": self.prog, "message": message})

    def _add_action(self, action: _ActionT) -> _ActionT:
        """Translate built-in help texts argparse sets as plain literals rather than through ``_``
        (3.12's ``--version``: "show program's version number and exit")."""
        if isinstance(action.help, str):
            action.help = _zh(action.help)
        return super()._add_action(action)

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
        saved_usage = self.usage
        if saved_usage is None:  # argparse cuts a 7-character "usage: " off; ours is "用法："
            usage = self.format_usage().strip()
            self.usage = usage.removeprefix(_zh("usage: "))
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False
            self.usage = saved_usage


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
