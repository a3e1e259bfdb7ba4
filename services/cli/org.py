"""`township …`, `branch …`, `group …`: the organisation tree from the command line."""

from __future__ import annotations

import argparse

from sqlalchemy import select

from models import Township
from models.enums import BranchDomain, BranchKind
from services import org
from services.cli import Context, emit, parse_date
from services.errors import NotFound


def register(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser("township", help="乡镇").add_subparsers(dest="action", required=True)
    add = t.add_parser("add", help="新建乡镇")
    add.add_argument("code")
    add.add_argument("name")
    add.add_argument("--county", default="")
    add.set_defaults(handler=township_add)

    b = sub.add_parser("branch", help="党组织").add_subparsers(dest="action", required=True)
    add = b.add_parser("add", help="新建党组织")
    add.add_argument("code")
    add.add_argument("name")
    add.add_argument("--township", required=True, help="乡镇代码")
    add.add_argument("--kind", default="branch", choices=[k.value for k in BranchKind])
    add.add_argument("--domain", default="rural", choices=[d.value for d in BranchDomain])
    add.add_argument("--founded", default=None, help="成立日期")
    add.add_argument("--parent", default=None, help="上级党组织代码")
    add.set_defaults(handler=branch_add)
    ls = b.add_parser("list", help="列出党组织")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=branch_list)

    g = sub.add_parser("group", help="党小组").add_subparsers(dest="action", required=True)
    add = g.add_parser("add", help="新建党小组")
    add.add_argument("name")
    add.add_argument("--branch", required=True, help="支部代码")
    add.set_defaults(handler=group_add)


def township_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        t = org.create_township(s, args.code, args.name, args.county)
    print(f"已新建乡镇 {t.name}（{t.code}）")
    return 0


def branch_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        township = s.scalar(select(Township).where(Township.code == args.township))
        if township is None:
            raise NotFound(f"找不到代码为 {args.township} 的乡镇。")
        parent = org.branch_by_code(s, args.parent).id if args.parent else None
        founded = parse_date(args.founded, "founded_on") if args.founded else None
        b = org.create_branch(
            s,
            township.id,
            args.code,
            args.name,
            kind=args.kind,
            domain=args.domain,
            founded_on=founded,
            parent_id=parent,
        )
    print(f"已新建 {b.name}（{b.code}）")
    return 0


def branch_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        rows: list[dict[str, object]] = []

        def walk(nodes: list[org.TreeNode], depth: int) -> None:
            for n in nodes:
                rows.append(
                    {
                        "code": n.code,
                        "name": n.name,
                        "kind": n.kind,
                        "members": n.member_count,
                        "depth": depth,
                    }
                )
                walk(n.children, depth + 1)

        walk(org.organization_tree(s), 0)
    if args.json:
        emit(rows, True)
    else:
        for r in rows:
            print(f"{'  ' * int(str(r['depth']))}{r['code']}\t{r['name']}\t{r['members']} 人")
    return 0


def group_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        g = org.create_party_group(s, branch.id, args.name)
    print(f"已新建党小组 {g.name}")
    return 0
