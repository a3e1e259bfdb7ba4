"""`dev …`: the development pipeline (发展党员) from the command line: the steps are generated from the\n发展党员 ledger's declared actions; the name list and the township pipeline are written here."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import date

from sqlalchemy import select

from models import DevelopmentRecord
from models.enums import DevelopmentStage, label
from services import development as dev
from services import org
from services.cli import Context, emit
from services.cli.ledger import command_group


def register(sub: argparse._SubParsersAction) -> None:
    # apply, talk, activist, review, candidate, training, admit, publicity, approve, oath, convert,
    # extend, withdraw: generated from the 发展党员 ledger's declared actions.
    d = command_group(sub, "dev", "发展党员")
    ls = d.add_parser("list", help="发展党员名单与时限问题")
    ls.add_argument("--branch", default=None)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=list_records)

    pl = d.add_parser("pipeline", help="全镇发展党员概况：各支部各阶段人数，积极分子储备不足的支部")
    pl.add_argument("--branch", default=None, help="只看此党组织及其下属支部（代码）")
    pl.add_argument("--pack", default=None, help="手册包文件（默认：本机选用的手册包）")
    pl.add_argument("--json", action="store_true")
    pl.set_defaults(handler=pipeline)


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
        if not rows:
            print("无发展党员记录。")
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
