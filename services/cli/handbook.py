"""`check` and `handbook validate|explain|catalog`: the standardization check from the command line."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from services import localtime, machine_settings, org
from services.cli import Context, emit, parse_date
from services.errors import ValidationError
from services.handbook import explanations
from services.handbook.engine import CheckResult
from services.handbook.ledgers import ledger_rows
from services.handbook.pack import Pack, PackHolder, chosen_pack_path, default_pack_path, load_pack
from services.handbook.period import parse_period
from services.handbook.service import find_finding, run_check


def register(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="对标检查：列出问题和星级（有“错误”时退出码为 1）")
    check.add_argument("--branch", default=None, help="支部代码（默认全部）")
    _period_or_year(check, "期间：2026-07 / 2026Q3 / 2026（默认今年）")
    check.add_argument("--pack", default=None, help="手册包文件（默认内置手册包）")
    check.add_argument("--as-of", default=None, help="按哪一天的情况检查（默认今天）")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=check_cmd)

    hb = sub.add_parser("handbook", help="手册包").add_subparsers(dest="action", required=True)
    val = hb.add_parser("validate", help="检查手册包文件")
    val.add_argument("path")
    val.set_defaults(handler=validate_cmd)

    ex = hb.add_parser("explain", help="为“警告”级问题附加说明（或 --withdraw 撤回）")
    ex.add_argument("--branch", required=True, help="支部代码")
    ex.add_argument("--rule", required=True, help="规则编号，如 LIFE-05")
    ex.add_argument("--period", required=True, help="问题所在期间：2026-07 / 2026Q3 / 2026")
    ex.add_argument("--text", default="", help="说明内容")
    ex.add_argument("--withdraw", action="store_true", help="撤回已有说明")
    ex.add_argument("--pack", default=None)
    ex.add_argument("--as-of", default=None)
    ex.set_defaults(handler=explain_cmd)

    cat = hb.add_parser("catalog", help="“3+7”目录：标准 → 规范 → 资料（可带支部和期间显示资料是否齐全）")
    cat.add_argument("--branch", default=None)
    _period_or_year(cat, "期间：2026-07 / 2026Q3 / 2026")
    cat.add_argument("--pack", default=None)
    cat.add_argument("--json", action="store_true")
    cat.set_defaults(handler=catalog_cmd)

    use = hb.add_parser("use", help="选择本机使用的手册包（界面“工具 → 载入手册包”同此）")
    use.add_argument("path", nargs="?", default=None, help="手册包文件；不写则显示当前使用的手册包")
    use.add_argument("--default", action="store_true", help="改回内置默认手册包")
    use.set_defaults(handler=use_cmd)

    iu = hb.add_parser("install-update", help="安装县里随回执下发的手册包更新（先显示，加 --yes 确认安装）")
    iu.add_argument("--yes", action="store_true", help="确认安装")
    iu.add_argument("--json", action="store_true")
    iu.set_defaults(handler=install_update_cmd)

    led = hb.add_parser("ledger", help="按手册包列出某个台账的内容（七个工作台账）")
    led.add_argument("ledger", help="台账编号，如 org_life")
    led.add_argument("--branch", required=True, help="支部代码")
    _period_or_year(led, "期间（默认今年）")
    led.add_argument("--pack", default=None)
    led.add_argument("--json", action="store_true")
    led.set_defaults(handler=ledger_cmd)


def _year(text: str) -> str:
    """``--year 2026`` → the period "2026"; anything but a year is refused naming the option."""
    if not text.strip().isdigit() or len(text.strip()) != 4:
        raise argparse.ArgumentTypeError(f"应为年份，如 2026（收到“{text}”）")
    return text.strip()


def _period_or_year(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``--period`` and, as other commands take a year, ``--year YYYY`` (the same as ``--period YYYY``)."""
    one = parser.add_mutually_exclusive_group()
    one.add_argument("--period", default=None, help=help_text)
    one.add_argument("--year", dest="period", type=_year, metavar="YYYY", help="年度（同 --period YYYY）")


def _pack(path: str | None) -> Pack:
    """``--pack`` when given, else the pack chosen on this computer (as in the GUI), else the default."""
    if path:
        return load_pack(Path(path))
    holder = PackHolder.startup()
    if holder.last_error is not None:
        print(f"注意：{holder.last_error.message}（暂用默认手册包）", file=sys.stderr)
    return holder.pack


def use_cmd(args: argparse.Namespace, ctx: Context) -> int:
    holder = PackHolder.default()
    if not args.default and not args.path:
        current = chosen_pack_path()
        print(f"当前使用：{current or default_pack_path()}")
        return 0
    db = ctx.db()  # the pack changes everyone's results on this computer: administrators only
    machine_settings.require_admin(db, "更换本机使用的手册包")
    if not args.default and not holder.reload(Path(args.path)):
        assert holder.last_error is not None
        raise holder.last_error
    previous = chosen_pack_path()
    holder.remember()
    machine_settings.record_change(
        db,
        "handbook_pack_changed",
        {
            "pack": f"{holder.pack.pack.name} {holder.pack.pack.version}",
            "path": str(holder.path),
            "previous": str(previous or "默认"),
        },
    )
    print(f"今后在本机使用手册包：{holder.pack.pack.name} {holder.pack.pack.version}（{holder.path}）")
    return 0


def install_update_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.sync.errors import SyncError
    from services.sync.inbox import install_pack_update, pending_pack

    db = ctx.db()
    with db.reader() as s:
        item = pending_pack(s)
    if item is None:
        raise SyncError("没有待安装的手册包更新（县里下发的手册包随回执送达，导入回执后才会出现）。")
    if not args.yes:
        current = PackHolder.startup().pack.pack
        print(
            f"县里下发了手册包 {item.payload.get('name', '')} {item.payload.get('version', '')}"
            f"（本机正在使用 {current.name} {current.version}）。\n"
            "安装后本机的对标检查按新手册包计算，原手册包保留。确认安装请运行：handbook install-update --yes"
        )
        return 1
    result = install_pack_update(db, user=ctx.user)
    emit(
        result.to_json()
        if args.json
        else (
            f"已安装县里下发的手册包 {result.name} {result.version}（{result.path}），原手册包保留（{result.previous}）。\n"
            f"今年的对标检查问题数：原手册包 {result.findings_before} 条，新手册包 {result.findings_after} 条。"
        ),
        args.json,
    )
    return 0


def _as_of(text: str | None) -> date | None:
    return parse_date(text, "as_of") if text else None


def check_cmd(args: argparse.Namespace, ctx: Context) -> int:
    pack = _pack(args.pack)
    period = parse_period(args.period or str(date.today().year))
    as_of = _as_of(args.as_of)
    if period.start > (as_of or localtime.local_today()):  # nothing recorded yet: no rating to give
        raise ValidationError(
            "period",
            f"期间 {period.label} 还没有开始（检查日期 {as_of or localtime.local_today()}），没有可检查的记录。",
        )
    with ctx.db().reader() as s:
        result = run_check(s, pack, period, branch_code=args.branch, as_of=as_of)
    if args.json:
        emit(result.to_dict(), True)
    else:
        print_result(result, pack)
    return 1 if result.has_errors else 0


def print_result(result: CheckResult, pack: Pack) -> None:
    standards = {s.id: s.name for s in pack.standard}
    rule_names = {rule_id: str(getattr(rule, "name", "")) for rule_id, rule in pack.rules_by_id().items()}
    print(
        f"对标检查 {result.period.title}（手册包 {pack.pack.name} {pack.pack.version}，截至 {result.as_of}）"
    )
    for b in result.branches:
        found = result.for_branch(b.id)
        star = result.stars[b.id]
        errors = sum(1 for f in found if f.importance == "error")
        warnings = sum(1 for f in found if f.importance == "warning")
        title = f"，{star.title}" if star.title else ""
        rating = (
            f"★{star.total}（基本星 {star.basic_stars}，特色星 {star.feature_stars}{title}）"
            if star.rated
            else star.label
        )
        print(f"\n■ {b.name}（{b.code}）  {rating}  错误 {errors}  警告 {warnings}")
        for f in found:
            mark = "［已说明］" if f.explained else ""
            print(
                f"  [{f.importance_label}] {f.rule_id}「{f.rule_name}」 {standards[f.standard_id]} {f.period}：{f.message}{mark}"
            )
            if f.explanation:
                print(f"      说明：{f.explanation}")
        for name, rules in star.failed_vetoes.items():
            titled = [f"{r}「{rule_names[r]}」" if rule_names.get(r) else r for r in rules]
            print(f"  未获“{name}”星：{'、'.join(titled)} 未达标")
    total_errors = sum(1 for f in result.findings if f.importance == "error")
    print(
        f"\n共 {len(result.branches)} 个党组织，问题 {len(result.findings)} 条，其中错误 {total_errors} 条。"
    )


def validate_cmd(args: argparse.Namespace, ctx: Context) -> int:
    pack = load_pack(Path(args.path))
    norms = sum(len(s.norm) for s in pack.standard)
    print(
        f"手册包有效：{pack.pack.name} {pack.pack.version}；标准 {len(pack.standard)} 项、规范 {norms} 项、"
        f"资料 {len(pack.evidence)} 项、台账 {len(pack.ledger)} 个、规则 {len(pack.rule)} 条、基本星 {len(pack.stars.basic)} 颗。"
    )
    return 0


def explain_cmd(args: argparse.Namespace, ctx: Context) -> int:
    pack = _pack(args.pack)
    period = parse_period(args.period)
    label = period.label  # a finding is about the window it names: check exactly that period
    with ctx.db().transaction(ctx.user) as s:
        result = run_check(s, pack, period, branch_code=args.branch, as_of=_as_of(args.as_of))
        code = org.branch_by_code(s, args.branch).code  # T01/B101 → B101: findings carry the bare code
        finding = find_finding(result, args.rule, code, label)
        withdrawn = explanations.withdraw(s, finding) if args.withdraw else None
        if withdrawn is None:
            explanations.attach(s, finding, args.text)
    if withdrawn is not None:
        print("已撤回说明" if withdrawn else "该问题没有说明，无需撤回")
        return 0
    print(f"已为 {args.branch} {label} {args.rule} 附加说明")
    return 0


def catalog_cmd(args: argparse.Namespace, ctx: Context) -> int:
    pack = _pack(args.pack)
    counts: dict[tuple[str, str], int] = {}
    filed: dict[tuple[str, str], int] = {}
    branch_id = None
    if args.branch:
        period = parse_period(args.period or str(date.today().year))
        with ctx.db().reader() as s:
            result = run_check(s, pack, period, branch_code=args.branch)
            branch_id = org.branch_by_code(s, args.branch).id
        counts = result.evidence_counts
        filed = result.filed_counts
    evidence = pack.evidence_by_id()
    tree: list[dict[str, Any]] = [
        {
            "standard": st.name,
            "ledger": pack.ledger_by_id()[st.ledger].name,
            "norms": [
                {
                    "norm": n.name,
                    "evidence": [
                        {
                            "name": evidence[e].name,
                            "count": counts.get((branch_id, e)) if branch_id else None,
                            "filed": filed.get((branch_id, e), 0) if branch_id else None,
                        }
                        for e in n.evidence
                    ],
                }
                for n in st.norm
            ],
        }
        for st in pack.standard
    ]
    if args.json:
        emit(tree, True)
        return 0
    for st in tree:
        print(f"{st['standard']}（{st['ledger']}）")
        for n in st["norms"]:
            print(f"  {n['norm']}")
            for e in n["evidence"]:
                shown = (
                    ""
                    if e["count"] is None
                    else ("  ✓ " if e["count"] or e["filed"] else "  ✗ ") + f"{e['count']} 条"
                )
                if e["filed"]:
                    shown += f"，归档 {e['filed']} 份"
                print(f"    · {e['name']}{shown}")
    return 0


def ledger_cmd(args: argparse.Namespace, ctx: Context) -> int:
    pack = _pack(args.pack)
    period = parse_period(args.period or str(date.today().year))
    with ctx.db().reader() as s:
        branch = org.branch_by_code(s, args.branch)
        rows = ledger_rows(s, pack, args.ledger, [branch.id], period)
    if args.json:
        emit(
            {
                "ledger": rows.name,
                "sections": [
                    {"title": sec.title, "headers": sec.headers, "rows": sec.rows} for sec in rows.sections
                ],
            },
            True,
        )
        return 0
    print(f"{rows.name} · {branch.name} · {period.title}")
    for sec in rows.sections:
        print(f"\n【{sec.title}】共 {len(sec.rows)} 条")
        print("\t".join(sec.headers))
        for row in sec.rows:
            print("\t".join(row))
    return 0
