"""`notice list|show`: notices the county sent back inside acknowledgements (township side)."""

from __future__ import annotations

import argparse

from services.cli import Context, emit
from services.cli._parser import group, subcommand


def register(sub: argparse._SubParsersAction) -> None:
    no = group(sub, "notice", "县里发来的通知（随回执送达）")
    subcommand(no, "list", "列出通知（最新的在前）", list_cmd, json=True)
    sh = subcommand(no, "show", "显示一个通知（标为已读，附件存到本机）", show_cmd, json=True)
    sh.add_argument("id", help="通知编号（前几位即可）")


def list_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.sync.inbox import list_items

    with ctx.db().reader() as s:
        views = list_items(s, "notice")
    if args.json:
        emit([v.to_json() for v in views], True)
        return 0
    if not views:
        print("还没有收到县里的通知（通知随县里的回执送达，请先导入回执）。")
    for v in views:
        due = f"  截止 {v.due.isoformat()}" if v.due else ""
        mark = "【未读】" if v.status == "new" else ""
        print(f"{v.id[:8]}  {v.to_json()['issued_at_local']}  {mark}{v.title}{due}")
    return 0


def show_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.sync.inbox import open_notice

    view, paths = open_notice(ctx.db(), args.id, user=ctx.user)
    if args.json:
        emit(view.to_json() | {"attachment_files": [str(p) for p in paths]}, True)
        return 0
    data = view.to_json()
    print(
        f"通知：{view.title}\n下发时间：{data['issued_at_local']}"
        + (f"\n截止日期：{view.due.isoformat()}" if view.due else "")
    )
    print()
    print(view.payload.get("text", ""))
    for p in paths:
        print(f"附件：{p}")
    return 0
