"""`township …`, `branch …`, `group …`, `committee …`, `election record`: setting up a township's
organisation from the command line (each command one audited transaction; a 查阅 user writes nothing)."""

from __future__ import annotations

import argparse
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Member, Township
from models.enums import BranchDomain, BranchKind, CommitteeRole, ExclusionGround, code_for, label
from services import committee, groups, org
from services.cli import Context, coded, emit, parse_date
from services.cli._ids import is_prefix, short_id
from services.errors import NotFound, ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser("township", help="乡镇").add_subparsers(dest="action", required=True)
    add = t.add_parser("add", help="新建乡镇")
    add.add_argument("code", help="乡镇代码，如 T01")
    add.add_argument("name", help="乡镇名称，如 城关镇")
    add.add_argument("--county", default="")
    add.set_defaults(handler=township_add)
    ed = t.add_parser("edit", help="修改乡镇")
    ed.add_argument("code", help="现在的乡镇代码")
    ed.add_argument("--code", dest="new_code", default=None, help="新代码")
    ed.add_argument("--name", default=None)
    ed.add_argument("--county", default=None)
    ed.set_defaults(handler=township_edit)

    b = sub.add_parser("branch", help="党组织").add_subparsers(dest="action", required=True)
    add = b.add_parser("add", help="新建党组织")
    add.add_argument("code", help="支部代码，如 B01（本乡镇内唯一）")
    add.add_argument("name", help="党组织名称，如 一村党支部")
    add.add_argument("--township", required=True, help="乡镇代码")
    add.add_argument("--kind", default="branch", **coded(BranchKind))
    add.add_argument("--domain", default="rural", **coded(BranchDomain))
    add.add_argument("--founded", default=None, help="成立日期")
    add.add_argument("--parent", default=None, help="上级党组织代码")
    add.add_argument("--term-start", default=None, help="本届任期开始日期（届满按领域自动计算）")
    add.set_defaults(handler=branch_add)
    imp = b.add_parser(
        "import", help="从 Excel 导入本乡镇的党组织（代码、名称、类别、领域、成立日期、上级代码）"
    )
    imp.add_argument("file")
    imp.add_argument("--township", required=True, help="乡镇代码")
    imp.set_defaults(handler=branch_import)
    ed = b.add_parser("edit", help="修改党组织（名称、代码、类别、领域、上级、成立日期）")
    ed.add_argument("code", help="现在的支部代码")
    ed.add_argument("--code", dest="new_code", default=None, help="新代码")
    ed.add_argument("--name", default=None)
    ed.add_argument("--kind", default=None, **coded(BranchKind))
    ed.add_argument("--domain", default=None, **coded(BranchDomain))
    ed.add_argument("--parent", default=None, help="上级党组织代码；空字符串表示直属乡镇党委")
    ed.add_argument("--founded", default=None, help="成立日期")
    ed.add_argument("--term-start", default=None, help="登记本届任期开始（未经本系统换届的现任一届）")
    ed.set_defaults(handler=branch_edit)
    dis = b.add_parser("dissolve", help="撤销或合并（有党员或记录的组织只能撤销，不能删除）")
    dis.add_argument("code", help="支部代码")
    dis.add_argument("--date", required=True, help="撤销日期")
    dis.add_argument("--reason", required=True, help="原因，如：并入某某党支部")
    dis.set_defaults(handler=branch_dissolve)
    rm = b.add_parser("delete", help="删除误建的空党组织（移入回收站）")
    rm.add_argument("code", help="支部代码")
    rm.set_defaults(handler=branch_delete)
    ls = b.add_parser("list", help="列出党组织")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=branch_list)

    g = sub.add_parser("group", help="党小组").add_subparsers(dest="action", required=True)
    add = g.add_parser("add", help="新建党小组")
    add.add_argument("name", nargs="?", default=None, help="党小组名称（也可用 --name）")
    add.add_argument("--name", dest="name_opt", default=None, help="党小组名称")
    add.add_argument("--branch", required=True, help="支部代码")
    add.add_argument("--leader", default=None, help="组长（党员编号或姓名）")
    add.add_argument(
        "--founded",
        default=None,
        help="成立日期（不写：未登记，对标检查从第一次党小组会记录起要求每月开会，此前不查）",
    )
    add.set_defaults(handler=group_add)
    fnd = g.add_parser("founded", help="登记或更正党小组成立日期")
    fnd.add_argument("--branch", required=True)
    fnd.add_argument("--group", required=True)
    fnd.add_argument("--date", required=True, help="成立日期")
    fnd.set_defaults(handler=group_founded)
    ren = g.add_parser("rename", help="党小组改名")
    ren.add_argument("--branch", required=True)
    ren.add_argument("--group", required=True, help="现在的名称")
    ren.add_argument("--name", required=True, help="新名称")
    ren.set_defaults(handler=group_rename)
    lead = g.add_parser("leader", help="设定组长")
    lead.add_argument("--branch", required=True)
    lead.add_argument("--group", required=True)
    lead.add_argument("--member", default=None, help="组长（编号或姓名）；省略表示不设组长")
    lead.set_defaults(handler=group_leader)
    asg = g.add_parser("assign", help="把党员编入党小组（可一次多人）")
    asg.add_argument("--branch", required=True)
    asg.add_argument("--group", default=None, help="党小组名称；省略则移出党小组")
    asg.add_argument("members", nargs="*", help="党员编号或姓名")
    asg.add_argument("--members", dest="member_list", default="", help="也可逗号分隔：ID1,ID2,…")
    asg.add_argument(
        "--date", default=None, help="调组日期（默认今天）；此前的党小组会仍按原党小组要求这些党员"
    )
    asg.set_defaults(handler=group_assign)
    dis = g.add_parser("dissolve", help="撤销党小组（组员移出，记录保留）")
    dis.add_argument("--branch", required=True)
    dis.add_argument("--group", required=True)
    dis.add_argument("--date", default=None, help="撤销日期（默认今天）")
    dis.set_defaults(handler=group_dissolve)
    ls = g.add_parser("list", help="列出党小组")
    ls.add_argument("--branch", required=True)
    ls.add_argument("--all", action="store_true", help="含已撤销的")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=group_list)

    c = sub.add_parser("committee", help="支部委员会").add_subparsers(dest="action", required=True)
    seat = c.add_parser("seat", help="任职").add_subparsers(dest="seat_action", required=True)
    add = seat.add_parser("add", help="登记任职（仅正式党员；同一时间一名书记）")
    add.add_argument("--branch", required=True)
    add.add_argument("--member", required=True, help="党员编号或姓名")
    add.add_argument(
        "--role",
        required=True,
        help="职务代码或名称：" + "、".join(f"{r.value}={label(r)}" for r in CommitteeRole),
    )
    add.add_argument("--from", dest="start", required=True, help="任职日期")
    add.add_argument("--to", dest="end", default=None, help="离任日期（不填：现任）")
    add.add_argument("--how", default="", help="产生方式，如：补选、上级任命")
    add.set_defaults(handler=seat_add)
    end = seat.add_parser("end", help="结束任职")
    end.add_argument("seat", nargs="?", default=None, help="任职编号（见 committee list --json）")
    end.add_argument("--branch", default=None)
    end.add_argument("--member", default=None, help="与 --branch 同用：该党员现任的职务")
    end.add_argument("--date", default=None, help="离任日期（默认今天）")
    end.set_defaults(handler=seat_end)
    ls = c.add_parser("list", help="支委名单")
    ls.add_argument("--branch", required=True)
    ls.add_argument("--on", default=None, help="某日在任的（默认：全部任职记录）")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=committee_list)
    ci = c.add_parser("import", help="从 Excel 导入支委名单（姓名、职务、任职日期、离任日期、产生方式）")
    ci.add_argument("file")
    ci.add_argument("--branch", required=True)
    ci.set_defaults(handler=committee_import)
    tl = c.add_parser("terms", help="历届任期")
    tl.add_argument("--branch", required=True)
    tl.add_argument("--json", action="store_true")
    tl.set_defaults(handler=term_list)

    e = sub.add_parser("election", help="换届选举").add_subparsers(dest="action", required=True)
    rec = e.add_parser("record", help="记录换届选举大会：结束上届任职、开始新一届")
    rec.add_argument("--branch", required=True)
    rec.add_argument("--date", required=True)
    rec.add_argument(
        "--elected",
        required=True,
        help="当选：编号或姓名:职务, 逗号分隔，如 张三:secretary,李四:organization",
    )
    rec.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="党员:理由代码[:说明]",
        help="不计入应到会：" + "、".join(f"{g.value}={label(g)}" for g in ExclusionGround),
    )
    rec.add_argument("--leave", action="append", default=[], metavar="党员:原因")
    rec.add_argument("--absent", action="append", default=[], metavar="党员:原因")
    rec.add_argument("--observer", action="append", default=[], metavar="姓名:单位或职务", help="列席")
    rec.add_argument("--topics", default="换届选举")
    rec.add_argument("--place", default="")
    rec.add_argument("--host", default="")
    rec.add_argument("--recorder", default="")
    rec.set_defaults(handler=election_record)


def township_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        t = org.create_township(s, args.code, args.name, args.county)
        name, code = t.name, t.code
    print(f"已新建乡镇 {name}（{code}）")
    return 0


def branch_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        township = s.scalar(select(Township).where(Township.code == args.township))
        if township is None:
            raise NotFound(f"找不到代码为 {args.township} 的乡镇。")
        parent = org.branch_by_code(s, args.parent).id if args.parent else None
        founded = parse_date(args.founded, "founded_on") if args.founded else None
        term_start = parse_date(args.term_start, "term_start") if args.term_start else None
        b = org.create_branch(
            s,
            township.id,
            args.code,
            args.name,
            kind=args.kind,
            domain=args.domain,
            founded_on=founded,
            parent_id=parent,
            term_start=term_start,
        )
        name, code = b.name, b.code
    print(f"已新建 {name}（{code}）")
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
                        "domain": n.domain,
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
            code, field = str(r["kind"]), str(r["domain"])
            kind = label(BranchKind(code)) if code in BranchKind.__members__.values() else "乡镇"
            domain = f"\t{label(BranchDomain(field))}" if field else ""
            print(f"{'  ' * int(str(r['depth']))}{r['code']}\t{r['name']}\t{kind}{domain}\t{r['members']} 人")
    return 0


def member_ref(session: Session, branch_id: str, ref: str, field: str = "member_id") -> Member:
    """A member of the branch by id or by name (a name shared by two members must be given as id)."""
    ref = ref.strip()
    found = session.get(Member, ref)
    if found is not None and not found.deleted:
        if found.branch_id != branch_id:
            raise ValidationError(field, f"{found.name} 不是本支部党员。")
        return found
    named = list(
        session.scalars(
            select(Member).where(Member.branch_id == branch_id, Member.name == ref, Member.deleted.is_(False))
        )
    )
    if not named and is_prefix(ref.lower()):  # the short id the CLI prints (first 8 characters or more)
        named = list(
            session.scalars(
                select(Member).where(
                    Member.branch_id == branch_id,
                    Member.id.startswith(ref.lower()),
                    Member.deleted.is_(False),
                )
            )
        )
    if not named:
        raise ValidationError(field, f"本支部没有名为「{ref}」的党员（也可用党员编号）。")
    if len(named) > 1:
        raise ValidationError(field, f"本支部有 {len(named)} 名「{ref}」，请用党员编号区分。")
    return named[0]


def _group(session: Session, branch_id: str, name: str) -> str:
    g = groups.group_by_name(session, branch_id, name)
    if g is None:
        raise ValidationError("party_group_id", f"本支部没有名为「{name}」的党小组。")
    return g.id


def township_edit(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        t = org.township_by_code(s, args.code)
        org.update_township(
            s,
            t.id,
            code=args.new_code if args.new_code is not None else t.code,
            name=args.name if args.name is not None else t.name,
            county=args.county if args.county is not None else t.county,
        )
        name, code = t.name, t.code
    print(f"已修改乡镇 {name}（{code}）")
    return 0


def branch_edit(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        b = org.branch_by_code(s, args.code)
        if args.parent is None:
            parent = b.parent_id
        else:
            parent = org.branch_by_code(s, args.parent).id if args.parent.strip() else None
        founded = b.founded_on
        if args.founded is not None:
            founded = parse_date(args.founded, "founded_on") if args.founded.strip() else None
        org.update_branch(
            s,
            b.id,
            code=args.new_code if args.new_code is not None else b.code,
            name=args.name if args.name is not None else b.name,
            kind=args.kind or b.kind,
            domain=args.domain or b.domain,
            parent_id=parent,
            founded_on=founded,
        )
        if args.term_start:
            committee.start_term(s, b.id, parse_date(args.term_start, "term_start"))
        name, code = b.name, b.code
    print(f"已修改 {name}（{code}）")
    return 0


def branch_import(args: argparse.Namespace, ctx: Context) -> int:
    from pathlib import Path

    from services.excel.branch_import import import_branches

    with ctx.db().transaction(ctx.user) as s:
        township = org.township_by_code(s, args.township)
        ids = import_branches(s, township.id, Path(args.file))
    print(f"已导入 {len(ids)} 个党组织")
    return 0


def branch_dissolve(args: argparse.Namespace, ctx: Context) -> int:
    on = parse_date(args.date, "dissolved_on")
    with ctx.db().transaction(ctx.user) as s:
        b = org.branch_by_code(s, args.code)
        org.dissolve_branch(s, b.id, on, args.reason)
        name = b.name
    print(f"已撤销 {name}（自 {on.isoformat()}）")
    return 0


def branch_delete(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        b = org.branch_by_code(s, args.code)
        org.delete_branch(s, b.id)
        name = b.name
    print(f"已删除 {name}（可在回收站恢复）")
    return 0


def group_add(args: argparse.Namespace, ctx: Context) -> int:
    name = args.name_opt if args.name_opt is not None else args.name
    if name is None:
        raise ValidationError("name", "请用 --name 给出党小组名称。")
    founded = parse_date(args.founded, "founded_on") if args.founded else None
    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        leader = member_ref(s, branch.id, args.leader, "leader_id").id if args.leader else None
        # No --founded: the date is not known (a group that has met for years, set up in the app
        # today); it is not "today", which would refuse every earlier 党小组会 the clerk back-fills.
        g = groups.create_group(
            s, branch.id, name, leader_id=leader, founded_on=founded, founding_unknown=founded is None
        )
        name, gid = g.name, g.id
    if founded:
        print(f"已新建党小组 {name}（{founded.isoformat()} 成立），编号 {short_id(gid)}。")
    else:
        print(
            f"已新建党小组 {name}，编号 {short_id(gid)}。成立日期未登记：对标检查从第一次党小组会记录起"
            f"要求每月开会；知道日期时请补登：group founded --branch {args.branch} --group {name} --date 成立日期"
        )
    return 0


def group_founded(args: argparse.Namespace, ctx: Context) -> int:
    on = parse_date(args.date, "founded_on")
    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        groups.set_founded(s, _group(s, branch.id, args.group), on)
    print(f"已更正成立日期为 {on.isoformat()}")
    return 0


def group_rename(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        groups.rename_group(s, _group(s, branch.id, args.group), args.name)
    print(f"已改名为 {args.name.strip()}")
    return 0


def group_leader(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        leader = member_ref(s, branch.id, args.member, "leader_id") if args.member else None
        groups.set_leader(s, _group(s, branch.id, args.group), leader.id if leader else None)
        who = leader.name if leader else ""
    print(f"已设 {who} 为组长" if who else "已取消组长")
    return 0


def group_assign(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        group_id = _group(s, branch.id, args.group) if args.group else None
        refs = [*args.members, *(r for r in args.member_list.split(",") if r.strip())]
        if not refs:
            raise ValidationError("member_ids", "请给出要编组的党员（编号或姓名）。")
        ids = [member_ref(s, branch.id, ref, "member_ids").id for ref in refs]
        on = parse_date(args.date, "on") if args.date else None
        changed = groups.assign_members(s, group_id, ids, branch_id=branch.id, on=on)
    where = f"编入{args.group}" if args.group else "移出党小组"
    since = f"（自 {on.isoformat()}）" if on else ""
    print(f"已将 {changed} 名党员{where}{since}")
    return 0


def group_dissolve(args: argparse.Namespace, ctx: Context) -> int:
    on = parse_date(args.date, "dissolved_on") if args.date else date.today()
    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        groups.dissolve_group(s, _group(s, branch.id, args.group), on)
    print(f"已撤销党小组 {args.group}（自 {on.isoformat()}）")
    return 0


def group_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        branch = org.branch_by_code(s, args.branch)
        rows = [
            {
                "id": g.id,
                "name": g.name,
                "leader_id": g.leader_id,
                "leader": g.leader_name,
                "members": g.members,
                "founded_on": g.founded_on.isoformat() if g.founded_on else None,
                "dissolved_on": g.dissolved_on.isoformat() if g.dissolved_on else None,
            }
            for g in groups.list_groups(s, branch.id, include_dissolved=args.all)
        ]
    if args.json:
        emit(rows, True)
    else:
        if not rows:
            print(f"无：{args.branch} 没有{'' if args.all else '现有的'}党小组。")
        for r in rows:
            since = (
                f"\t{r['founded_on']} 成立" if r["founded_on"] else "\t成立日期未登记（group founded 补登）"
            )
            print(f"{r['name']}\t组长 {r['leader'] or '—'}\t{r['members']} 人{since}")
    return 0


def _role(text: str) -> str:
    code = code_for("CommitteeRole", text)
    if code is None:
        codes = "、".join(f"{r.value}={label(r)}" for r in CommitteeRole)
        raise ValidationError("role", f"未知的职务：{text}。可用：{codes}。")
    return code


def seat_add(args: argparse.Namespace, ctx: Context) -> int:
    start = parse_date(args.start, "start_on")
    end = parse_date(args.end, "end_on") if args.end else None
    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        member = member_ref(s, branch.id, args.member)
        role = _role(args.role)
        warnings = committee.seat_warnings(s, member.id, role, start)
        seat = committee.add_seat(s, branch.id, member.id, role, start, end, elected_how=args.how)
        seat_id, name = seat.id, member.name
    print(
        f"已登记 {name} 任{label(CommitteeRole(role))}（自 {start.isoformat()}），编号 {short_id(seat_id)}。"
    )
    for w in warnings:
        print(f"提示：{w}")
    return 0


def seat_end(args: argparse.Namespace, ctx: Context) -> int:
    on = parse_date(args.date, "end_on") if args.date else date.today()
    with ctx.db().transaction(ctx.user) as s:
        if args.seat:
            seat_id = args.seat
        else:
            if not (args.branch and args.member):
                raise ValidationError("seat", "请给出任职编号，或同时给出 --branch 与 --member。")
            branch = org.branch_by_code(s, args.branch)
            member = member_ref(s, branch.id, args.member)
            current = [
                r for r in committee.seats(s, branch.id) if r.member_id == member.id and r.end_on is None
            ]
            if not current:
                raise ValidationError("member_id", f"{member.name} 目前没有在任的职务。")
            seat_id = current[0].id
        committee.end_seat(s, seat_id, on)
    print(f"已结束任职（{on.isoformat()} 起不再担任）")
    return 0


def committee_list(args: argparse.Namespace, ctx: Context) -> int:
    on = parse_date(args.on, "on") if args.on else None
    with ctx.db().reader() as s:
        branch = org.branch_by_code(s, args.branch)
        rows = [
            {
                "id": r.id,
                "member_id": r.member_id,
                "name": r.member_name,
                "role": r.role,
                "role_label": r.role_label,
                "start_on": r.start_on.isoformat(),
                "end_on": r.end_on.isoformat() if r.end_on else None,
                "elected_how": r.elected_how,
                "term_id": r.term_id,
            }
            for r in committee.seats(s, branch.id, on=on)
        ]
    if args.json:
        emit(rows, True)
    else:
        if not rows:
            print(f"无：{args.branch} 没有{f'{on.isoformat()} 在任的' if on else ''}支委任职记录。")
        for r in rows:
            until = r["end_on"] or "至今"
            print(f"{r['role_label']}\t{r['name']}\t{r['start_on']} — {until}")
    return 0


def committee_import(args: argparse.Namespace, ctx: Context) -> int:
    from pathlib import Path

    from services.excel.committee_import import import_committee

    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        ids = import_committee(s, branch.id, Path(args.file))
    print(f"已登记 {len(ids)} 条任职")
    return 0


def term_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        branch = org.branch_by_code(s, args.branch)
        rows = [
            {
                "id": t.id,
                "start_on": t.start_on.isoformat(),
                "due_on": t.due_on.isoformat(),
                "ended_on": t.ended_on.isoformat() if t.ended_on else None,
                "meeting_id": t.meeting_id,
            }
            for t in committee.terms(s, branch.id)
        ]
    if args.json:
        emit(rows, True)
    else:
        if not rows:
            print(f"无：{args.branch} 没有任期记录。")
        for r in rows:
            print(
                f"{r['start_on']} 起，{r['due_on']} 届满"
                + (f"，{r['ended_on']} 换届" if r["ended_on"] else "（本届）")
            )
    return 0


def _pairs(session: Session, branch_id: str, specs: list[str], field: str) -> list[tuple[str, str]]:
    out = []
    for spec in specs:
        who, _, rest = spec.partition(":")
        out.append((member_ref(session, branch_id, who, field).id, rest.strip()))
    return out


def election_record(args: argparse.Namespace, ctx: Context) -> int:
    held_on = parse_date(args.date, "held_on")
    guests = []
    for spec in args.observer:
        name, _, unit = spec.partition(":")
        guests.append((name.strip(), unit.strip()))
    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        elected = [
            (mid, _role(role))
            for mid, role in _pairs(
                s, branch.id, [p for p in args.elected.split(",") if p.strip()], "elected"
            )
        ]
        excluded = []
        for spec in args.exclude:
            who, _, rest = spec.partition(":")
            ground, _, note = rest.partition(":")
            excluded.append(
                committee.Exclusion(member_ref(s, branch.id, who, "excluded").id, ground.strip(), note)
            )
        result = committee.record_election(
            s,
            branch.id,
            committee.ElectionInput(
                held_on=held_on,
                elected=elected,
                excluded=excluded,
                leave=_pairs(s, branch.id, args.leave, "attendance"),
                absent=_pairs(s, branch.id, args.absent, "attendance"),
                topics=args.topics,
                place=args.place,
                host=args.host,
                recorder=args.recorder,
                guests=guests,
            ),
        )
    print(
        f"已记录换届选举，新一届自 {held_on.isoformat()} 起；选举大会会议记录编号 {short_id(result.meeting_id)}。"
    )
    print(result.quorum.describe())
    for w in result.warnings:
        print(f"提示：{w}")
    return 0
