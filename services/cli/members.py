"""`member add|list|delete`: the roster from the command line."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from models.enums import Discipline, Education, Gender, MemberState, MemberStatus, Occupation, label
from services import localtime, members, org
from services.cli import Context, coded, emit, parse_date
from services.cli._ids import short_id


def register(sub: argparse._SubParsersAction) -> None:
    m = sub.add_parser("member", help="党员").add_subparsers(dest="action", required=True)
    add = m.add_parser("add", help="登记党员")
    add.add_argument("--branch", required=True, help="支部代码")
    add.add_argument("--name", required=True)
    add.add_argument("--id-number", required=True, help="公民身份号码")
    add.add_argument("--joined", required=True, help="入党日期")
    add.add_argument("--full-on", default=None, help="转正日期")
    add.add_argument(
        "--status",
        default=None,
        **coded(
            MemberStatus,
            "党员类别；不写时：入党满一年为正式党员，不满一年为预备党员（党章第七条，预备期一年）",
        ),
    )
    add.add_argument("--discipline", default="none", **coded(Discipline))
    add.add_argument("--ethnicity", default="汉族")
    add.add_argument("--education", default=None, **coded(Education, "学历"))
    add.add_argument("--phone", default="")
    add.add_argument("--flowing", action="store_true", help="流动党员")
    add.add_argument("--occupation", default=None, **coded(Occupation, "职业（党内统计类别）"))
    add.add_argument("--migrant-worker", action="store_true", help="农民工")
    add.add_argument("--hardship", action="store_true", help="困难党员")
    add.add_argument("--json", action="store_true", help="以 JSON 输出新党员的编号（供脚本使用）")
    add.set_defaults(handler=member_add)

    ls = m.add_parser("list", help="党员名册")
    ls.add_argument("--branch", default=None, help="支部代码（含下级）")
    ls.add_argument("--search", default="", help="按姓名/身份证号/电话搜索")
    ls.add_argument("--all", action="store_true", help="包括已转出、去世等")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=member_list)

    st = m.add_parser("state", help="登记去世、出党（转出请用 transfer out）")
    st.add_argument("id")
    st.add_argument(
        "--state",
        required=True,
        **coded(MemberState, "状态（转出请用 transfer out）", only=("deceased", "left", "active")),
    )
    st.add_argument("--date", required=True)
    st.set_defaults(handler=member_state)

    rm = m.add_parser("delete", help="删除（移入回收站）")
    rm.add_argument("id")
    rm.set_defaults(handler=member_delete)


def member_add(args: argparse.Namespace, ctx: Context) -> int:
    joined_on = parse_date(args.joined, "joined_on")
    full_on = parse_date(args.full_on, "full_member_on") if args.full_on else None
    # not given: the one-year probation (党章第七条) says which it can be
    status = args.status or members.derived_status(joined_on, full_on, localtime.local_today())
    data = members.MemberInput(
        name=args.name,
        id_number=args.id_number,
        joined_on=joined_on,
        full_member_on=full_on,
        status=status,
        discipline=args.discipline,
        ethnicity=args.ethnicity,
        education=args.education or "",
        phone=args.phone,
        is_flowing=args.flowing,
        occupation=args.occupation or "",
        is_migrant_worker=args.migrant_worker,
        is_hardship=args.hardship,
    )
    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        m = members.create_member(s, branch.id, data)
        member_id, name, status, branch_name = m.id, m.name, m.status, branch.name
    if args.json:
        emit({"id": member_id, "name": name, "status": status}, True)
    else:
        print(
            f"已登记党员 {name}（{label(MemberStatus(status))}，{branch_name}），编号 {short_id(member_id)}。"
        )
    return 0


def member_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        ids = org.descendant_branch_ids(s, org.branch_by_code(s, args.branch).id) if args.branch else None
        rows = members.roster(s, ids, args.search, include_inactive=args.all)
    if args.json:
        emit([asdict(r) for r in rows], True)
    else:
        for r in rows:
            print(
                f"{r.name}\t{label(Gender(r.gender))}\t{r.id_number}\t{label(MemberStatus(r.status))}"
                f"\t{r.branch_name}\t{r.phone}\t{short_id(r.id)}"
            )
        print(f"共 {len(rows)} 人" + ("（最后一列为党员编号，可用于 --leave 编号:原因 等）" if rows else ""))
    return 0


def member_delete(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        members.delete_member(s, args.id)
    print("已移入回收站")
    return 0


def member_state(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        m = members.set_member_state(s, args.id, args.state, parse_date(args.date, "left_on"))
    print(f"{m.name}：{label(MemberState(m.state))}")
    return 0
