"""支部台账 — entry point. Without a command it starts the GUI; every other command is headless.

python main.py [--db PATH|URL]                 start the desktop app
python main.py [--db …] COMMAND …              run a command (see --help)
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from services import cli
from services.cli._parser import IntermixedParser, parse_command_line
from services.errors import LedgerError
from services.fileperms import restrict_umask
from services.version import APP_VERSION


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line parser for ``argv`` (default: this process's arguments).

    Only the module of the command ``argv`` names is imported (found with a first parse in which
    every command is a stub); the others are listed by name and help line (``services.cli.COMMANDS``).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    probe, sub = _parser()
    cli.register_all(sub)
    word = _command_word(probe, args)
    if word is not None and word not in sub.choices:
        # Not a listed command: it may be the group of a ledger declared without a COMMANDS line.
        cli.register_declared(sub)
    known, _rest = probe.parse_known_args(args)  # --help and --version print and exit here
    parser, sub = _parser()
    cli.register_all(sub, known.command)
    return parser


def _command_word(parser: argparse.ArgumentParser, args: list[str]) -> str | None:
    """The first word of ``args`` that is neither a global option nor the value of one (the command)."""
    takes_value = {o for a in parser._actions if a.nargs != 0 for o in a.option_strings}
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = arg in takes_value
        else:
            return arg
    return None


def _parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    parser = IntermixedParser(prog="main.py", description="支部台账 — 党支部标准化台账（离线版）")
    parser.add_argument("--version", action="version", version=f"支部台账 {APP_VERSION}")
    parser.add_argument("--db", default=None, help="数据库文件路径或 URL（sqlite:///… / postgresql://…）")
    parser.add_argument("--user", default="cli", help="登录用户名（未设置账号时只记录在操作日志中）")
    parser.add_argument(
        "--password-file", default=None, help="密码文件（第一行为密码）；也可用环境变量 LEDGER_PASSWORD"
    )
    parser.add_argument(
        "--local-admin", action="store_true", help="以数据库文件所有者身份作为本机管理员（记入操作日志）"
    )
    parser.add_argument("--demo-if-empty", action="store_true", help="GUI：数据库为空时载入演示数据")
    parser.add_argument(
        "--new-ledger", action="store_true", help="--db 指向一个空文件（0 字节）时，确认在其中新建台账"
    )
    parser.add_argument(
        "--selftest",
        action="store_true",
        help="自检：在临时目录中试用各项功能（不碰真实数据），全部通过返回 0",
    )
    parser.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)  # bench/startup.py
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    shot = sub.add_parser("screenshot", help="离屏渲染主窗口并保存为 PNG")
    shot.add_argument("out", help="输出 PNG 路径")
    shot.add_argument("--tab", default=None, help="要显示的标签页（名称或序号）")
    shot.add_argument("--branch", default=None, help="选中的支部代码")
    return parser, sub


def _render_window(db_target: str, out_png: Path, branch_code: str | None) -> str:
    """The self-test's GUI step (services/selftest.py does not import Qt itself)."""
    from gui.probe import render_main_window

    return render_main_window(db_target, out_png, branch_code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(argv)
    args = parse_command_line(parser, argv)  # options and positionals in any order
    if args.selftest:  # before the context below: the self-test never touches the real user data
        from services import selftest

        return selftest.run(render_window=_render_window)
    restrict_umask()  # database, backups and attachments are owner-only
    ctx = cli.Context(
        db_target=args.db or cli.default_target(),
        user=args.user,
        password_file=args.password_file,
        local_admin=args.local_admin,
        new_ledger=args.new_ledger,
        command=" ".join(argv if argv is not None else sys.argv[1:]),
    )
    try:
        if args.startup_probe:
            from gui.probe import startup_probe

            return startup_probe(ctx.db_target)
        if args.command is None:
            from gui.app import run_gui

            return run_gui(ctx.db_target, demo_if_empty=args.demo_if_empty)
        if args.command == "screenshot":
            from gui.app import screenshot

            return screenshot(ctx.db_target, args.out, tab=args.tab, branch_code=args.branch)
        handler: cli.Handler = args.handler
        with cli.OutputGate(sys.stdout).installed() as gate:
            ctx.gate = gate
            if args.command != "county":  # the county desk has its own database and no id arguments
                from services.cli._ids import expand_short_ids

                expand_short_ids(args, ctx)  # "1a2b3c4d" for a full record id, wherever ids are taken
            return handler(args, ctx)
    except LedgerError as exc:
        print(f"错误：{cli.error_text(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`main.py audit list | head`): stop quietly. Later writes (the flush at
        # exit) go to devnull instead of raising again (Python docs, "Note on SIGPIPE").
        _silence_stdout()
        return 1
    except Exception as exc:  # a traceback may carry names and ID numbers: private log, plain words
        from services import crashlog

        print(f"错误：{crashlog.report(exc)}", file=sys.stderr)
        return 1
    finally:
        ctx.close()


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout already closed or not a real file (tests)
        pass


if __name__ == "__main__":
    import multiprocessing

    # In the bundle, a spawned worker (township printing) starts this same program: run the worker here.
    multiprocessing.freeze_support()
    sys.exit(main())
