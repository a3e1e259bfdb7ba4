"""Commands for the smaller ledgers: transfers and flow, training, decisions and 党务公开, the 八有
venue, rectification and weak branches, evidence filing.

Every command that records something (``transfer out``, ``talk grade``, ``problem close`` …) is generated
from the ledgers' declared actions (``services.ledgers.actions``, via ``command_group``); the reports and
lists that only read are written here."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import date

from models.enums import (
    DecisionStepCode,
    ExemptionKind,
    VenueItem,
    label,
)
from services import (
    decisions,
    exemptions,
    filing,
    org,
    rectification,
    training,
    venue,
)
from services.cli import Context, emit
from services.cli._parser import subcommand
from services.cli.ledger import command_group


def register(sub: argparse._SubParsersAction) -> None:
    t = command_group(sub, "transfer", "组织关系转接与流动党员")  # out, in, flow, return
    p = subcommand(t, "history", "党员经历", history, json=True)
    p.add_argument("member_id")
    e = command_group(sub, "exempt", "请假、年老体弱、免交/少交党费登记")  # add, rm
    p = subcommand(e, "list", "列出某党员的登记", exempt_list, json=True)
    p.add_argument("member_id")
    command_group(sub, "talk", "谈心谈话、民主评议等次、流动党员联系")  # add, grade, contact

    tr = command_group(sub, "training", "教育培训")  # add
    p = subcommand(tr, "hours", "年度学时统计", training_hours, json=True)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--target", type=int, default=32, help="年度学时目标")
    p.add_argument("--branch", default=None)

    d = command_group(sub, "decision", "决策（四议两公开）")  # add, step, disclose
    p = subcommand(d, "list", "决策进度", decision_list, json=True)
    p.add_argument("--branch", default=None)
    p.add_argument("--year", type=int, default=None)

    v = command_group(sub, "venue", "阵地建设（八有）")  # check
    p = subcommand(v, "status", "八有达标情况", venue_show)
    p.add_argument("--branch", required=True)

    r = command_group(sub, "problem", "督查与整改")  # add, start, close, weak
    subcommand(r, "overdue", "逾期未整改问题", problem_overdue, json=True)

    f = subcommand(sub, "file-evidence", "资料归档到目录", file_evidence)
    f.add_argument("--branch", required=True)
    f.add_argument("--item", required=True, help="资料目录代码")
    f.add_argument("--year", type=int, required=True)
    f.add_argument("--title", required=True)
    src = f.add_mutually_exclusive_group()
    src.add_argument("--file", default=None, help="要归档的扫描件或照片（存入附件库后归档）")
    src.add_argument("--attachment", default=None, help="已导入的附件 ID（attach add）")
    f.add_argument("--pack", default=None, help="手册包文件（默认：本机选用的手册包），用于核对资料目录代码")


def exempt_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        rows = [
            {
                "id": r.id,
                "kind": r.kind,
                "kind_label": label(ExemptionKind(r.kind)),
                "start_on": r.start_on.isoformat(),
                "end_on": r.end_on.isoformat() if r.end_on else None,
                "reason": r.reason,
                "approved_by": r.approved_by,
                "reduced_fen": r.reduced_fen,
            }
            for r in exemptions.list_exemptions(s, args.member_id)
        ]
    if args.json:
        emit(rows, True)
        return 0
    if not rows:
        print("无请假或免于要求登记。")
    for r in rows:
        print(f"{r['start_on']}\t{r['end_on'] or '长期'}\t{r['kind_label']}\t{r['reason']}\t{r['id']}")
    return 0


def history(args: argparse.Namespace, ctx: Context) -> int:
    """The member page as text (or JSON): history, the 发展党员 file, dues of the last 12 months."""
    from services.member_page import member_page

    with ctx.db().reader() as s:
        page = member_page(s, args.member_id)
    if args.json:
        emit(asdict(page), True)
        return 0
    print(f"{page.name}\t{page.branch_name}\t{page.state}" + ("\t流动在外" if page.is_flowing else ""))
    for day, text in page.history:
        print(f"{day}\t{text}")
    if page.development:
        print("发展党员档案：" + "；".join(f"{step} {when or '—'}" for step, when in page.development))
        print(page.development_note)
    if page.dues is not None:
        print("党费：" + page.dues.text())
    return 0


def training_hours(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        ids = org.descendant_branch_ids(s, org.branch_by_code(s, args.branch).id) if args.branch else None
        rows = training.yearly_hours(s, args.year, args.target, ids)
    if args.json:
        emit([asdict(r) | {"met": r.met} for r in rows], True)
    else:
        if not rows:
            print(f"无：{args.year} 年没有可统计学时的党员。")
        for r in rows:
            print(f"{r.name}\t{r.minutes / 60:.1f} 学时\t{'达标' if r.met else '未达标'}")
    return 0


def decision_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        ids = org.descendant_branch_ids(s, org.branch_by_code(s, args.branch).id) if args.branch else None
        rows = decisions.progress(s, ids, args.year)
    if args.json:
        emit([asdict(r) | {"complete": r.complete} for r in rows], True)
    else:
        if not rows:
            print("无决策事项。")
        for r in rows:
            missing = "、".join(label(DecisionStepCode(m)) for m in r.missing) or "完成"
            print(f"{r.proposed_on}\t{r.title}\t待办：{missing}")
    return 0


def venue_show(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        for v in venue.venue_status(s, org.branch_by_code(s, args.branch).id):
            state = "未检查" if v.checked_on is None else ("达标" if v.met else "未达标")
            photo = "有照片" if v.has_photo else "无照片"
            print(f"{label(VenueItem(v.item))}\t{state}\t{v.checked_on or ''}\t{photo}")
    return 0


def problem_overdue(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        rows = rectification.overdue(s, date.today())
        data = [
            {
                "id": r.id,
                "branch_id": r.branch_id,
                "category": r.category,
                "deadline": r.deadline,
                "status": r.status,
            }
            for r in rows
        ]
    if data or args.json:
        emit(data, args.json)
    else:
        print("无逾期未整改的问题。")
    return 1 if rows else 0


def file_evidence(args: argparse.Namespace, ctx: Context) -> int:
    from pathlib import Path

    from services.handbook.pack import PackHolder, load_pack

    pack = load_pack(Path(args.pack)) if args.pack else PackHolder.startup().pack
    known = filing.catalog_codes(pack)
    with ctx.db().transaction(ctx.user) as s:
        branch_id = org.branch_by_code(s, args.branch).id
        if args.file:
            row = filing.file_document(
                s, branch_id, args.item, args.year, args.title, args.file, date.today(), known
            )
        else:
            row = filing.file_evidence(
                s,
                branch_id,
                args.item,
                args.year,
                args.title,
                args.attachment,
                date.today(),
                known,
                needs_file=filing.highlight_items(pack),
            )
    print(row.id)
    return 0
