"""`recycle list|restore`: the 回收站 from the command line."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from services import localtime, recycle
from services.cli import Context, emit
from services.cli._ids import expand_short_ids, short_id
from services.errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("recycle", help="回收站").add_subparsers(dest="action", required=True)
    ls = r.add_parser("list", help="已删除的记录")
    ls.add_argument("--table", default="", help="只看某个数据表，如 member、meeting")
    ls.add_argument("--limit", type=int, default=200)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=recycle_list)
    rs = r.add_parser("restore", help="恢复一条记录（连同一起删除的出席、附件）")
    rs.add_argument(
        "what",
        nargs="+",
        metavar="[表] 编号",
        help="记录编号（recycle list 第二列，前 8 位即可）；表名可省略",
    )
    rs.set_defaults(handler=recycle_restore)


def recycle_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        rows = recycle.list_deleted(s, args.table, limit=args.limit)
    if args.json:
        emit([{**asdict(r), "deleted_at_local": localtime.show(r.deleted_at)} for r in rows], True)
        return 0
    for r in rows:
        when = localtime.show(r.deleted_at)
        print(f"{r.table}\t{short_id(r.id)}\t{r.table_label}\t{r.title}\t{when}\t{r.deleted_by}")
    print(f"回收站共 {len(rows)} 条" + ("（恢复：recycle restore 编号）" if rows else ""))
    return 0


def recycle_restore(args: argparse.Namespace, ctx: Context) -> int:
    if len(args.what) > 2:
        raise ValidationError(
            "id", "请只给出一个记录编号（可在前面加表名，如 recycle restore meeting 1a2b3c4d）。"
        )
    table, row_id = args.what if len(args.what) == 2 else ("", args.what[0])
    ref = argparse.Namespace(id=row_id)
    expand_short_ids(ref, ctx)  # the 8 characters recycle list shows
    with ctx.db().transaction(ctx.user) as s:
        table = table or recycle.table_of(s, ref.id)
        result = recycle.restore(s, table, ref.id)
    print(result.describe())
    return 0
