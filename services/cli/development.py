"""`dev …`: the development pipeline (发展党员) from the command line."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import date

from sqlalchemy import select

from models import DevelopmentRecord
from models.enums import DevelopmentStage, label
from services import development as dev
from services import org
from services.cli import Context, emit, parse_date
from services.cli._ids import short_id
from services.workdays import working_days


def register(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser("dev", help="发展党员").add_subparsers(dest="action", required=True)
    add = d.add_parser("apply", help="登记入党申请人")
    add.add_argument("--branch", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--id-number", required=True)
    add.add_argument("--applied", required=True, help="递交申请日期")
    add.add_argument("--phone", default="")
    add.set_defaults(handler=apply)

    for name, help_text in (
        ("talk", "谈话"),
        ("activist", "确定为入党积极分子"),
        ("review", "积极分子考察"),
        ("candidate", "确定为发展对象"),
        ("convert", "支部大会讨论转正（转正日期为预备期满之日）"),
        ("approve", "上级党委审批"),
        ("oath", "入党宣誓"),
    ):
        p = d.add_parser(name, help=help_text)
        p.add_argument("id")
        p.add_argument("--date", required=True)
        p.set_defaults(handler=step, step=name)

    pb = d.add_parser("publicity", help="发展对象公示")
    pb.add_argument("id")
    pb.add_argument("--from", dest="start", required=True)
    pb.add_argument("--to", dest="end", required=True)
    pb.set_defaults(handler=publicity)

    tr = d.add_parser("training", help="发展对象培训与政审")
    tr.add_argument("id")
    tr.add_argument("--days", type=int, required=True)
    tr.add_argument("--hours", type=int, required=True)
    tr.add_argument("--review", default=None, help="政治审查日期")
    tr.set_defaults(handler=training)

    ad = d.add_parser("admit", help="支部大会接收为预备党员（生成党员记录）")
    ad.add_argument("id")
    ad.add_argument("--date", required=True)
    ad.add_argument("--introducers", nargs=2, required=True, metavar="党员ID")
    ad.set_defaults(handler=admit)

    ex = d.add_parser("extend", help="延长预备期")
    ex.add_argument("id")
    ex.add_argument("--months", type=int, required=True)
    ex.set_defaults(handler=extend)

    wd = d.add_parser("withdraw", help="终止培养")
    wd.add_argument("id")
    wd.add_argument("--date", required=True)
    wd.add_argument("--reason", required=True)
    wd.set_defaults(handler=withdraw)

    ls = d.add_parser("list", help="发展党员名单与时限问题")
    ls.add_argument("--branch", default=None)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=list_records)

    pl = d.add_parser("pipeline", help="全镇发展党员概况：各支部各阶段人数，积极分子储备不足的支部")
    pl.add_argument("--branch", default=None, help="只看此党组织及其下属支部（代码）")
    pl.add_argument("--pack", default=None, help="手册包文件（默认：本机选用的手册包）")
    pl.add_argument("--json", action="store_true")
    pl.set_defaults(handler=pipeline)


def apply(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        data = dev.ApplicantInput(
            args.name, args.id_number, parse_date(args.applied, "applied_on"), args.phone
        )
        applicant = dev.create_applicant(s, branch.id, data)
        applicant_id, name = applicant.id, applicant.name
    print(f"已登记入党申请人 {name}，编号 {short_id(applicant_id)}。")
    return 0


def step(args: argparse.Namespace, ctx: Context) -> int:
    on = parse_date(args.date)
    actions = {
        "talk": dev.record_talk,
        "activist": dev.make_activist,
        "review": dev.review_activist,
        "candidate": dev.make_candidate,
        "convert": dev.convert,
        "approve": dev.record_approval,
        "oath": dev.record_oath,
    }
    with ctx.db().transaction(ctx.user) as s:
        record = actions[args.step](s, args.id, on)
    print(f"{record.name}：{label(DevelopmentStage(record.stage))}")
    return 0


def publicity(args: argparse.Namespace, ctx: Context) -> int:
    start, end = parse_date(args.start, "publicity_from"), parse_date(args.end, "publicity_to")
    with ctx.db().transaction(ctx.user) as s:
        dev.record_publicity(s, args.id, start, end)
    print(f"已记录（{working_days(start, end).describe()}）")
    return 0


def training(args: argparse.Namespace, ctx: Context) -> int:
    review = parse_date(args.review, "political_review_on") if args.review else None
    with ctx.db().transaction(ctx.user) as s:
        dev.record_training(s, args.id, args.days, args.hours, review)
    print("已记录")
    return 0


def admit(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        member = dev.admit(s, args.id, parse_date(args.date, "admitted_on"), tuple(args.introducers))
        member_id, name = member.id, member.name
    print(f"已接收 {name} 为预备党员，党员编号 {short_id(member_id)}。")
    return 0


def extend(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        dev.extend_probation(s, args.id, args.months)
    print("已延长预备期")
    return 0


def withdraw(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        dev.withdraw(s, args.id, parse_date(args.date), args.reason)
    print("已终止培养")
    return 0


def list_records(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        stmt = select(DevelopmentRecord).where(DevelopmentRecord.deleted.is_(False))
        if args.branch:
            stmt = stmt.where(
                DevelopmentRecord.branch_id.in_(
                    org.descendant_branch_ids(s, org.branch_by_code(s, args.branch).id)
                )
            )
        records = list(s.scalars(stmt.order_by(DevelopmentRecord.applied_on)))
        issues = dev.pipeline_issues(records, date.today())
    rows = [
        {
            "id": r.id,
            "name": r.name,
            "stage": r.stage,
            "stage_label": label(DevelopmentStage(r.stage)),
            "applied_on": r.applied_on,
        }
        for r in records
    ]
    if args.json:
        emit({"records": rows, "issues": [asdict(i) for i in issues]}, True)
    else:
        for r in rows:
            print(f"{r['name']}\t{r['stage_label']}\t{r['applied_on']}\t{r['id']}")
        for i in issues:
            print(f"[{'错误' if i.level == 'error' else '警告'}] {i.message}")
    return 0


def pipeline(args: argparse.Namespace, ctx: Context) -> int:
    from pathlib import Path

    from services.handbook.pack import PackHolder, load_pack
    from services.pipeline import STAGES, pipeline_table, reserve_from_pack

    pack = load_pack(Path(args.pack)) if args.pack else PackHolder.startup().pack
    reserve = reserve_from_pack(pack)
    with ctx.db().reader() as s:
        ids = org.descendant_branch_ids(s, org.branch_by_code(s, args.branch).id) if args.branch else None
        rows = pipeline_table(s, ids, reserve)
    if args.json:
        emit(
            {
                "reserve": None
                if reserve is None
                else {"rule": reserve.rule_id, "min_activists": reserve.minimum, "domains": reserve.domains},
                "branches": [r.as_dict() for r in rows],
            },
            True,
        )
        return 0
    print("\t".join(["支部", *(label(st) for st in STAGES), "合计"]))
    for r in rows:
        counts = [r.counts.get(st.value, 0) for st in STAGES]
        mark = "\t← 积极分子不足" if r.short else ""
        print("\t".join([r.name, *map(str, counts), str(sum(counts))]) + mark)
    if reserve is not None:
        short = [r for r in rows if r.short]
        print(f"积极分子少于 {reserve.minimum} 名（{reserve.rule_id}）：{len(short)} 个支部")
    return 0
