"""`template`, `import-roster`, `import-meetings`, `export-xlsx`: Excel in and out from the command line.

Import exit codes: 0 imported (or a clean dry run), 1 problems found and nothing written,
2 the file or the arguments cannot be used.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from services import org
from services.cli import Context, emit
from services.errors import NotFound
from services.excel.errors import ExcelFileError, ImportRefused
from services.excel.plan import ACTION_LABELS, ImportPlan, ImportResult

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:
    # Kept light: openpyxl and the export registry load only when an Excel command runs.
    t = sub.add_parser("template", help="生成 Excel 导入模板")
    t.add_argument("kind", choices=["meetings", "roster"], help="roster 党员花名册；meetings 会议记录")
    t.add_argument("out", help="输出 .xlsx 路径")
    t.set_defaults(handler=template_cmd)

    for name, helptext in (
        ("import-roster", "从 Excel 导入党员花名册"),
        ("import-meetings", "从 Excel 导入会议记录"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("file", help=".xlsx 文件")
        p.add_argument("--branch", required=True, help="导入到哪个支部（支部代码）")
        p.add_argument("--sheet", default=None, help="工作表名称（默认自动查找）")
        p.add_argument("--dry-run", action="store_true", help="只检查并列出问题，不写入")
        p.add_argument("--valid-only", action="store_true", help="只导入没有错误的行")
        p.add_argument("--confirm-updates", action="store_true", help="应用对已有记录的修改")
        p.add_argument(
            "--hidden-rows",
            choices=["include", "exclude"],
            default=None,
            help="Excel 中隐藏或被筛选掉的行（及隐藏的工作表）：include 一并导入，exclude 跳过；不指定时有这样的行就不导入并提示",
        )
        p.add_argument("--today", default=None, help=argparse.SUPPRESS)
        p.add_argument("--json", action="store_true")
        if name == "import-roster":
            p.add_argument(
                "--create-groups", action="store_true", help="表中本支部还没有的党小组，导入时新建"
            )
        p.set_defaults(handler=import_cmd, kind=name.removeprefix("import-"))

    e = sub.add_parser("export-xlsx", help="导出 Excel")
    e.add_argument("what", help="要导出的表（如 members、meetings、attendance；用 list 列出全部）")
    e.add_argument("out", nargs="?", default=None, help="输出 .xlsx 路径")
    e.add_argument("--branch", default=None, help="支部代码（含下级；默认全部）")
    e.add_argument("--year", type=int, default=None, help="年度（会议、出席等）")
    e.set_defaults(handler=export_cmd)


def template_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.excel.templates import write_template

    try:
        path = write_template(args.kind, Path(args.out))
    except ExcelFileError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(f"已生成模板：{path}")
    return EXIT_OK


def _importer(
    kind: str,
) -> tuple[Callable[..., ImportPlan], Callable[..., ImportResult]]:
    if kind == "roster":
        from services.excel.roster_import import apply_roster_import, plan_roster_import

        return plan_roster_import, apply_roster_import
    from services.excel.meeting_import import apply_meeting_import, plan_meeting_import

    return plan_meeting_import, apply_meeting_import


def _print_plan(plan: ImportPlan) -> None:
    print(f"文件 {plan.file}，工作表“{plan.sheet}”，表头在第 {plan.header_row} 行。")
    for row in plan.rows:
        if row.action == "update":
            changes = "；".join(f"{c.field}：{c.old or '（空）'} → {c.new or '（空）'}" for c in row.changes)
            print(f"  第 {row.row} 行 {ACTION_LABELS[row.action]}：{changes}")
    for p in plan.problems:
        print(f"  {p.describe()}")
    for p in plan.notices:
        print(f"  提示：{p.describe()}")
    print(plan.summary())


def import_cmd(args: argparse.Namespace, ctx: Context) -> int:
    planner, applier = _importer(args.kind)
    path = Path(args.file)
    if not path.is_file():
        print(f"错误：文件不存在：{args.file}", file=sys.stderr)
        return EXIT_UNUSABLE
    today = None
    if args.today:
        from services.cli import parse_date

        today = parse_date(args.today, "today")
    db = ctx.db()
    try:
        with db.transaction(ctx.user) as s:
            branch_id = _branch_id(s, args.branch)
            extra = {"create_groups": True} if getattr(args, "create_groups", False) else {}
            plan = planner(
                s, branch_id, path, today=today, sheet=args.sheet, hidden_rows=args.hidden_rows, **extra
            )
            if args.dry_run or (plan.problems and not args.valid_only):
                s.rollback()
                result = None
            else:
                result = applier(
                    s,
                    branch_id,
                    plan,
                    valid_only=args.valid_only,
                    confirm_updates=args.confirm_updates,
                    today=today,
                )
    except NotFound as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return EXIT_UNUSABLE
    except ExcelFileError as exc:
        _fail(args.json, "unusable", exc.message)
        return EXIT_UNUSABLE
    except ImportRefused as exc:
        _fail(args.json, "refused", exc.message)
        return EXIT_PROBLEMS
    if args.json:
        emit(
            {
                "status": _status(plan, result),
                "plan": plan.as_dict(),
                "result": result.as_dict() if result else None,
            },
            True,
        )
    else:
        _print_plan(plan)
        if result is not None:
            print("已导入：" + result.summary())
        elif plan.problems:
            print("有问题，没有导入任何数据。改正后重新导入，或加 --valid-only 只导入没有错误的行。")
        else:
            print("检查通过（--dry-run，未写入）。")
    if plan.problems and (args.dry_run or not args.valid_only):
        return EXIT_PROBLEMS
    return EXIT_OK


def _status(plan: ImportPlan, result: ImportResult | None) -> str:
    if result is not None:
        return "imported"
    return "problems" if plan.problems else "checked"


def _fail(as_json: bool, status: str, message: str) -> None:
    if as_json:
        emit({"status": status, "message": message}, True)
    print(f"错误：{message}", file=sys.stderr)


def _branch_id(s: Session, code: str) -> str:
    return org.branch_by_code(s, code).id


def export_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.excel import export

    specs = export.registry()
    if args.what == "list":
        for name, spec in sorted(specs.items()):
            print(f"{name}\t{spec.label}{'（可按年度）' if spec.uses_year else ''}")
        return EXIT_OK
    if args.what not in specs or not args.out:
        problem = f"没有名为 {args.what} 的导出" if args.what not in specs else "请给出输出文件路径"
        print(f"错误：{problem}。可选：{'、'.join(sorted(specs))}。", file=sys.stderr)
        return EXIT_UNUSABLE
    with ctx.db().reader() as s:
        try:
            ids = org.descendant_branch_ids(s, _branch_id(s, args.branch)) if args.branch else None
        except NotFound as exc:
            print(f"错误：{exc.message}", file=sys.stderr)
            return EXIT_UNUSABLE
        try:
            report = export.export_xlsx(s, args.what, Path(args.out), branch_ids=ids, year=args.year)
        except ExcelFileError as exc:
            print(f"错误：{exc.message}", file=sys.stderr)
            return EXIT_UNUSABLE
    print(f"已导出 {report.rows} 行到 {report.path}")
    return EXIT_OK
