"""Commands for the smaller ledgers: transfers and flow, training, decisions and 党务公开, the 八有
venue, rectification and weak branches, evidence filing."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import date

from models.enums import (
    AppraisalGradeCode,
    ContactWay,
    DecisionStepCode,
    ExemptionKind,
    FollowUp,
    VenueItem,
    label,
)
from services import (
    decisions,
    exemptions,
    fees,
    filing,
    org,
    rectification,
    talks,
    training,
    transfers,
    venue,
)
from services.cli import Context, emit, parse_date


def _cmd(
    group: argparse._SubParsersAction, name: str, help_text: str, handler: object
) -> argparse.ArgumentParser:
    p = group.add_parser(name, help=help_text)
    p.set_defaults(handler=handler)
    return p


def register(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser("transfer", help="组织关系转接与流动党员").add_subparsers(dest="action", required=True)
    p = _cmd(t, "out", "转出", transfer_out)
    p.add_argument("member_id")
    p.add_argument("--date", required=True)
    p.add_argument("--to", required=True, help="转往的党组织")
    p.add_argument("--letter", default="", help="介绍信编号")
    p = _cmd(t, "in", "转入（党员已登记在名册中）", transfer_in)
    p.add_argument("member_id")
    p.add_argument("--branch", required=True)
    p.add_argument("--date", required=True)
    p.add_argument("--from", dest="from_org", required=True)
    p.add_argument("--letter", default="")
    p = _cmd(t, "flow", "登记外出流动", flow_start)
    p.add_argument("member_id")
    p.add_argument("--to", required=True, help="流入地")
    p.add_argument("--since", required=True)
    p.add_argument("--contact", default="", help="在流入地的联系方式（必填）")
    p = _cmd(t, "return", "流动结束返回", flow_end)
    p.add_argument("member_id")
    p.add_argument("--date", required=True)
    e = sub.add_parser("exempt", help="请假、年老体弱、免交/少交党费登记").add_subparsers(
        dest="action", required=True
    )
    p = _cmd(e, "add", "登记", exempt_add)
    p.add_argument("member_id")
    p.add_argument("--kind", required=True, choices=[k.value for k in ExemptionKind])
    p.add_argument("--from", dest="start_on", required=True, help="开始日期")
    p.add_argument("--to", dest="end_on", default=None, help="截止日期（请假必填）")
    p.add_argument("--reason", default="", help="事由（必填）")
    p.add_argument("--approved-by", default="", help="批准人或批准机构")
    p.add_argument("--reduced", default=None, help="少交党费：批准的每月金额（元）")
    p = _cmd(e, "list", "列出某党员的登记", exempt_list)
    p.add_argument("member_id")
    p.add_argument("--json", action="store_true")
    p = _cmd(e, "rm", "删除（移入回收站）", exempt_rm)
    p.add_argument("id")
    tk = sub.add_parser("talk", help="谈心谈话、民主评议等次、流动党员联系").add_subparsers(
        dest="action", required=True
    )
    p = _cmd(tk, "add", "登记谈心谈话", talk_add)
    p.add_argument("--talker", required=True, help="谈话人（支部委员）党员ID")
    p.add_argument("--member", required=True, help="谈话对象党员ID")
    p.add_argument("--date", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--notes", default="")
    p = _cmd(tk, "grade", "评定民主评议等次", talk_grade)
    p.add_argument("member_id")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--grade", required=True, choices=[g.value for g in AppraisalGradeCode])
    p.add_argument("--follow-up", default="", choices=["", *[f.value for f in FollowUp]])
    p.add_argument("--follow-up-date", default=None)
    p = _cmd(tk, "contact", "登记与流动党员的联系", talk_contact)
    p.add_argument("member_id")
    p.add_argument("--date", required=True)
    p.add_argument("--way", required=True, choices=[w.value for w in ContactWay])
    p.add_argument("--content", required=True)
    p = _cmd(t, "history", "党员经历", history)
    p.add_argument("member_id")
    p.add_argument("--json", action="store_true")

    tr = sub.add_parser("training", help="教育培训").add_subparsers(dest="action", required=True)
    p = _cmd(tr, "add", "登记学习培训（默认全体党员参加）", training_add)
    p.add_argument("--branch", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--date", required=True)
    p.add_argument("--hours", type=float, required=True)
    p.add_argument("--kind", default="study", choices=["study", "training", "online", "lecture"])
    p = _cmd(tr, "hours", "年度学时统计", training_hours)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--target", type=int, default=32, help="年度学时目标")
    p.add_argument("--branch", default=None)
    p.add_argument("--json", action="store_true")

    d = sub.add_parser("decision", help="决策（四议两公开）").add_subparsers(dest="action", required=True)
    p = _cmd(d, "add", "登记决策事项（党支部提议）", decision_add)
    p.add_argument("--branch", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--date", required=True)
    p.add_argument("--ordinary", action="store_true", help="非“四议两公开”事项")
    p = _cmd(d, "step", "登记一个步骤", decision_step)
    p.add_argument("id")
    p.add_argument("--step", required=True, choices=decisions.FOUR_TWO)
    p.add_argument("--date", required=True)
    p = _cmd(d, "list", "决策进度", decision_list)
    p.add_argument("--branch", default=None)
    p.add_argument("--year", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p = _cmd(d, "disclose", "登记党务公开", disclose)
    p.add_argument("--branch", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--date", required=True)
    p.add_argument("--until", default=None)

    v = sub.add_parser("venue", help="阵地建设（八有）").add_subparsers(dest="action", required=True)
    p = _cmd(v, "check", "登记一项检查", venue_check)
    p.add_argument("--branch", required=True)
    p.add_argument("--item", required=True, choices=[i.value for i in VenueItem])
    p.add_argument("--date", required=True)
    p.add_argument("--met", action="store_true", help="达标")
    p.add_argument("--notes", default="")
    p = _cmd(v, "status", "八有达标情况", venue_show)
    p.add_argument("--branch", required=True)

    r = sub.add_parser("problem", help="督查与整改").add_subparsers(dest="action", required=True)
    p = _cmd(r, "add", "登记问题", problem_add)
    p.add_argument("--branch", required=True)
    p.add_argument("--category", required=True)
    p.add_argument("--description", required=True)
    p.add_argument("--found", required=True)
    p.add_argument("--deadline", required=True)
    p.add_argument("--responsible", default="")
    p = _cmd(r, "start", "开始整改（状态改为“整改中”）", problem_start)
    p.add_argument("id")
    p = _cmd(r, "close", "整改销号", problem_close)
    p.add_argument("id")
    p.add_argument("--date", required=True)
    p.add_argument("--evidence", required=True)
    p = _cmd(r, "overdue", "逾期未整改问题", problem_overdue)
    p.add_argument("--json", action="store_true")
    p = _cmd(r, "weak", "列为软弱涣散党组织", weak_flag)
    p.add_argument("--branch", required=True)
    p.add_argument("--date", required=True)
    p.add_argument("--reason", required=True)

    f = sub.add_parser("file-evidence", help="资料归档到目录")
    f.set_defaults(handler=file_evidence)
    f.add_argument("--branch", required=True)
    f.add_argument("--item", required=True, help="资料目录代码")
    f.add_argument("--year", type=int, required=True)
    f.add_argument("--title", required=True)
    src = f.add_mutually_exclusive_group()
    src.add_argument("--file", default=None, help="要归档的扫描件或照片（存入附件库后归档）")
    src.add_argument("--attachment", default=None, help="已导入的附件 ID（attach add）")
    f.add_argument("--pack", default=None, help="手册包文件（默认：本机选用的手册包），用于核对资料目录代码")


def transfer_out(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        transfers.transfer_out(s, args.member_id, parse_date(args.date), args.to, args.letter)
    print("已转出")
    return 0


def transfer_in(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        transfers.transfer_in(s, args.member_id, branch.id, parse_date(args.date), args.from_org, args.letter)
    print("已转入")
    return 0


def flow_start(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        transfers.start_flow(s, args.member_id, args.to, parse_date(args.since), args.contact)
    print("已登记为流动党员")
    return 0


def exempt_add(args: argparse.Namespace, ctx: Context) -> int:
    data = exemptions.ExemptionInput(
        kind=args.kind,
        start_on=parse_date(args.start_on, "start_on"),
        end_on=parse_date(args.end_on, "end_on") if args.end_on else None,
        reason=args.reason,
        approved_by=args.approved_by,
        reduced_fen=fees.parse_yuan(args.reduced, "reduced_fen") if args.reduced else 0,
    )
    with ctx.db().transaction(ctx.user) as s:
        row = exemptions.add_exemption(s, args.member_id, data)
        row_id = row.id
    print(row_id)
    print("已登记")
    return 0


def talk_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        talks.record_talk(s, args.talker, args.member, parse_date(args.date, "on"), args.topic, args.notes)
    print("已登记")
    return 0


def talk_grade(args: argparse.Namespace, ctx: Context) -> int:
    follow_on = parse_date(args.follow_up_date, "follow_up_on") if args.follow_up_date else None
    with ctx.db().transaction(ctx.user) as s:
        result = talks.record_grade(s, args.member_id, args.year, args.grade, args.follow_up, follow_on)
    print("已评定")
    if result.warning:
        print(f"提醒：{result.warning}")
    return 0


def talk_contact(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        talks.record_contact(s, args.member_id, parse_date(args.date, "on"), args.way, args.content)
    print("已登记")
    return 0


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
    for r in rows:
        print(f"{r['start_on']}\t{r['end_on'] or '长期'}\t{r['kind_label']}\t{r['reason']}\t{r['id']}")
    return 0


def exempt_rm(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        exemptions.delete_exemption(s, args.id)
    print("已删除（可在回收站恢复）")
    return 0


def flow_end(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        transfers.end_flow(s, args.member_id, parse_date(args.date))
    print("已登记返回")
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


def training_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        data = training.TrainingInput(
            args.title, parse_date(args.date), round(args.hours * 60), kind=args.kind
        )
        session_id = training.create_session(s, org.branch_by_code(s, args.branch).id, data).id
    print(session_id)
    return 0


def training_hours(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        ids = org.descendant_branch_ids(s, org.branch_by_code(s, args.branch).id) if args.branch else None
        rows = training.yearly_hours(s, args.year, args.target, ids)
    if args.json:
        emit([asdict(r) | {"met": r.met} for r in rows], True)
    else:
        for r in rows:
            print(f"{r.name}\t{r.minutes / 60:.1f} 学时\t{'达标' if r.met else '未达标'}")
    return 0


def decision_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        d = decisions.create_decision(
            s,
            org.branch_by_code(s, args.branch).id,
            args.title,
            parse_date(args.date),
            procedure="ordinary" if args.ordinary else "four_two",
        )
    print(d.id)
    return 0


def decision_step(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        decisions.record_step(s, args.id, args.step, parse_date(args.date))
    print("已登记")
    return 0


def decision_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        ids = org.descendant_branch_ids(s, org.branch_by_code(s, args.branch).id) if args.branch else None
        rows = decisions.progress(s, ids, args.year)
    if args.json:
        emit([asdict(r) | {"complete": r.complete} for r in rows], True)
    else:
        for r in rows:
            missing = "、".join(label(DecisionStepCode(m)) for m in r.missing) or "完成"
            print(f"{r.proposed_on}\t{r.title}\t待办：{missing}")
    return 0


def disclose(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        until = parse_date(args.until) if args.until else None
        decisions.post_disclosure(
            s, org.branch_by_code(s, args.branch).id, args.title, parse_date(args.date), until
        )
    print("已登记")
    return 0


def venue_check(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        row = venue.record_check(
            s, org.branch_by_code(s, args.branch).id, args.item, parse_date(args.date), args.met, args.notes
        )
    print(row.id)
    return 0


def venue_show(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        for v in venue.venue_status(s, org.branch_by_code(s, args.branch).id):
            state = "未检查" if v.checked_on is None else ("达标" if v.met else "未达标")
            photo = "有照片" if v.has_photo else "无照片"
            print(f"{label(VenueItem(v.item))}\t{state}\t{v.checked_on or ''}\t{photo}")
    return 0


def problem_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        row = rectification.open_problem(
            s,
            org.branch_by_code(s, args.branch).id,
            args.category,
            args.description,
            parse_date(args.found),
            parse_date(args.deadline),
            args.responsible,
        )
    print(row.id)
    return 0


def problem_start(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        rectification.start_work(s, args.id)
    print("已改为整改中")
    return 0


def problem_close(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        rectification.close_problem(s, args.id, parse_date(args.date), args.evidence)
    print("已销号")
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
    emit(data, args.json)
    return 1 if rows else 0


def weak_flag(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        row = rectification.flag_weak(
            s, org.branch_by_code(s, args.branch).id, parse_date(args.date), args.reason
        )
    print(row.id)
    return 0


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
