"""`audit verify|list`: check the hash chain of the 操作日志 and search it."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from models.enums import AuditAction, label
from services import audit, backup, localtime
from services.cli import Context, coded, emit, parse_date
from services.errors import ValidationError
from services.recycle import table_label
from services.sync import anchor as sync_anchor


def register(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("audit", help="操作日志").add_subparsers(dest="action", required=True)
    v = a.add_parser("verify", help="校验操作日志是否被改动（失败时退出码 1）")
    v.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="N:HASH",
        help="另外比对一个日志锚点（台账封面上印的“末条校验值”、县里回执中的锚点），可多次给出",
    )
    v.set_defaults(handler=audit_verify)
    ls = a.add_parser("list", help="查看操作日志（新的在前）")
    ls.add_argument("--user", dest="by", default="", help="操作人")
    ls.add_argument("--table", default="", help="数据表，如 member、meeting")
    ls.add_argument("--record", default="", help="记录 ID")
    ls.add_argument("--action", dest="kind", default=None, **coded(AuditAction, "操作类型"))
    ls.add_argument("--since", default=None, help="起始日期（本地日期，含当天）")
    ls.add_argument("--until", default=None, help="截止日期（本地日期，含当天）")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--offset", type=int, default=0)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=audit_list)


def audit_verify(args: argparse.Namespace, ctx: Context) -> int:
    """The chain itself, then every anchor kept outside it: automatic backups and given anchors."""
    anchors = []
    for text in args.anchor:
        parsed = audit.parse_anchor(text.strip())
        if parsed is None:
            raise ValidationError("anchor", f"无法识别的日志锚点：{text}（格式：条数:校验值，如 120:ab12…）")
        anchors.append(parsed)
    db = ctx.db()
    with db.reader() as s:
        results = [audit.verify(s)]
        results += [audit.check_anchor(s, n, h, f"给出的锚点 {n}:{h[:12]}… ") for n, h in anchors]
        if (confirmed := sync_anchor.county_confirmed(s)) is not None:
            results.append(audit.check_anchor(s, *confirmed, "县里回执确认收到的日志 "))
    results += backup.check_backup_chains(db)
    for result in results:
        print(("" if result.ok else "不通过：") + result.message)
    return 0 if all(r.ok for r in results) else 1


def audit_list(args: argparse.Namespace, ctx: Context) -> int:
    flt = audit.AuditFilter(
        user=args.by,
        table=args.table,
        row_id=args.record,
        action=args.kind or "",
        since=parse_date(args.since, "since") if args.since else None,
        until=parse_date(args.until, "until") if args.until else None,
    )
    with ctx.db().reader() as s:
        rows = audit.list_entries(s, flt, limit=args.limit, offset=args.offset)
        total = audit.count_entries(s, flt)
    if args.json:
        emit(
            [
                {**asdict(r), "at": r.at.isoformat() + "Z", "at_local": localtime.show(r.at, seconds=True)}
                for r in rows
            ],
            True,
        )
        return 0
    if not rows:
        print(
            f"共 {total} 条，第 {args.offset + 1} 条以后没有更多记录。"
            if total
            else "没有符合条件的操作日志。"
        )
        return 0
    for r in rows:
        where = f"{table_label(r.table_name)} {r.row_id}".strip()
        when = localtime.show(r.at, seconds=True)
        print(f"{r.id}\t{when}\t{r.user}\t{label(AuditAction(r.action))}\t{where}\t{r.describe()}")
    print(f"共 {total} 条，显示第 {args.offset + 1}–{args.offset + len(rows)} 条（时间为本地时间）")
    return 0
