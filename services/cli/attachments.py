"""`attach add|list|remove`: photos and scanned sheets attached to meeting records."""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass

from services import attachments
from services.cli import Context, emit
from services.cli._ids import short_id


def register(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("attach", help="会议附件（照片、签到表）").add_subparsers(dest="action", required=True)
    add = a.add_parser("add", help="给会议记录添加附件")
    add.add_argument("meeting_id", metavar="MEETING_ID")
    add.add_argument("file", metavar="FILE")
    add.add_argument("--kind", default="photo", choices=sorted(attachments.KINDS), help="默认 photo（照片）")
    add.add_argument("--caption", default="", help="说明文字")
    add.set_defaults(handler=attach_add)

    ls = a.add_parser("list", help="列出会议记录的附件")
    ls.add_argument("meeting_id", metavar="MEETING_ID")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=attach_list)

    rm = a.add_parser("remove", help="移除附件（移入回收站）")
    rm.add_argument("attachment_id", metavar="ATTACHMENT_ID")
    rm.set_defaults(handler=attach_remove)


@dataclass
class _Row:
    id: str
    kind: str
    filename: str
    size: int
    sha256: str
    caption: str
    path: str


def attach_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        att = attachments.store_file(s, "meeting", args.meeting_id, args.file, args.kind, args.caption)
    print(
        f"已添加{attachments.KINDS[att.kind]} {att.filename}（{att.size} 字节，SHA-256 {att.sha256[:12]}…），"
        f"编号 {short_id(att.id)}。"
    )
    return 0


def attach_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        from services.meetings import get_meeting

        get_meeting(s, args.meeting_id)
        rows = [
            _Row(
                a.id,
                a.kind,
                a.filename,
                a.size,
                a.sha256,
                a.caption,
                str(attachments.blob_path(s, a.sha256, a.filename)),
            )
            for a in attachments.list_attachments(s, "meeting", args.meeting_id)
        ]
    if args.json:
        emit([asdict(r) for r in rows], True)
    else:
        for r in rows:
            print(f"{r.id}\t{attachments.KINDS.get(r.kind, r.kind)}\t{r.filename}\t{r.size}\t{r.caption}")
        print(f"共 {len(rows)} 个附件")
    return 0


def attach_remove(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        attachments.remove_attachment(s, args.attachment_id)
    print("已移入回收站")
    return 0
