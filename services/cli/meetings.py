"""`meeting add|list|show|delete`: meeting records from the command line."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import time

from sqlalchemy.orm import Session

from models import Member
from models.enums import AttendanceStatus, MeetingType, label
from services import committee, groups, localtime, meetings, org, textclean
from services.cli import Context, coded, emit, parse_date
from services.cli._ids import is_prefix, short_id
from services.errors import ValidationError, ValidationErrors
from services.meetings import kinds_label


def register(sub: argparse._SubParsersAction) -> None:
    m = sub.add_parser("meeting", help="会议记录").add_subparsers(dest="action", required=True)
    add = m.add_parser("add", help="记录一次会议（默认全员出席，用 --leave/--absent 标出例外）")
    add.add_argument("--branch", required=True, help="支部代码")
    add.add_argument("--type", required=True, **coded(MeetingType))
    add.add_argument("--date", required=True)
    add.add_argument("--time", default=None, help="开始时间 HH:MM")
    add.add_argument("--topics", required=True)
    add.add_argument("--place", default="")
    add.add_argument("--host", default="")
    add.add_argument("--recorder", default="")
    add.add_argument("--minutes", default="")
    add.add_argument("--resolutions", default="")
    add.add_argument("--lecturer", default="")
    add.add_argument(
        "--also",
        action="append",
        default=[],
        **coded(MeetingType, "同一次活动也算作的其他会议类型（可重复），如 --type life --also appraisal"),
    )
    add.add_argument("--recorded-on", default=None, help="记录日期 YYYY-MM-DD（补录时为纸质记录上的日期）")
    add.add_argument("--backfilled", action="store_true", help="从纸质记录补录（须给出 --recorded-on）")
    add.add_argument("--leave", action="append", default=[], metavar="姓名:原因", help="请假")
    add.add_argument("--absent", action="append", default=[], metavar="姓名[:原因]", help="缺席")
    add.add_argument(
        "--observer",
        action="append",
        default=[],
        metavar="姓名:单位或职务",
        help="列席（非本支部党员，如驻村第一书记；不计入应到人数），可重复",
    )
    add.add_argument("--group", default=None, help="党小组会：党小组名称")
    add.add_argument(
        "--force",
        action="store_true",
        help="确认保存：无人出席、或同一天已有同类型会议记录时（纸质记录确实如此）",
    )
    add.add_argument("--json", action="store_true", help="以 JSON 输出新记录的编号（供脚本使用）")
    add.set_defaults(handler=meeting_add)

    ls = m.add_parser("list", help="会议列表")
    ls.add_argument("--branch", default=None)
    ls.add_argument("--year", type=int, default=None)
    ls.add_argument("--type", default=None, **coded(MeetingType))
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=meeting_list)

    show = m.add_parser("show", help="会议详情与出席")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=meeting_show)

    rm = m.add_parser("delete", help="删除（移入回收站）")
    rm.add_argument("id")
    rm.set_defaults(handler=meeting_delete)


def _exceptions(specs: list[str], status: str) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for spec in specs:
        name, _, reason = spec.replace("：", ":").partition(":")  # a full-width colon typed in Chinese IME
        name = textclean.clean_key(name, person=True)
        if name in out:
            raise ValidationError("attendance", f"{name} 的出席情况写了两次，请只写一次。")
        out[name] = (status, textclean.clean_free(reason).strip())
    return out


def _attendance(
    expected: list[Member], exceptions: dict[str, tuple[str, str]]
) -> list[meetings.AttendanceInput]:
    """Everyone expected, present unless named in ``exceptions`` (by name, or by member id where two
    members share a name). A name that is not expected, or that two expected members share, is refused
    (``ValidationError("attendance")``): one person's leave must never be written for another."""
    by_key: dict[str, list[Member]] = {}
    for m in expected:
        by_key.setdefault(m.name, []).append(m)
        by_key.setdefault(m.id, []).append(m)
    for key in exceptions:  # a short id as printed by member list/add (its first 8 characters or more)
        found = [m for m in expected if m.id.startswith(key.lower())] if is_prefix(key.lower()) else []
        if key not in by_key and found:
            by_key[key] = found
    unknown = sorted(k for k in exceptions if k not in by_key)
    if unknown:
        raise ValidationError("attendance", f"{'、'.join(unknown)} 不在应到人员中。")
    for key in exceptions:
        if len(by_key[key]) > 1:
            raise ValidationError(
                "attendance",
                f"应到人员中有 {len(by_key[key])} 名「{key}」，按姓名无法区分；请改用党员编号"
                f"（member list --json 中的 id），如 --leave 编号:原因。",
            )
    chosen = {by_key[k][0].id: v for k, v in exceptions.items()}
    return [
        meetings.AttendanceInput(m.id, *chosen.get(m.id, (AttendanceStatus.PRESENT, ""))) for m in expected
    ]


def meeting_add(args: argparse.Namespace, ctx: Context) -> int:
    held_on = parse_date(args.date, "held_on")
    start = None
    if args.time:
        try:
            hh, mm = args.time.split(":")
            start = time(int(hh), int(mm))
        except ValueError:
            raise ValidationError(
                "start_time", f"无法识别的时间：{args.time}（请用 09:30 的格式）。"
            ) from None
    on_leave = _exceptions(args.leave, AttendanceStatus.LEAVE)
    absent = _exceptions(args.absent, AttendanceStatus.ABSENT)
    if both := sorted(on_leave.keys() & absent.keys()):
        raise ValidationError("attendance", f"{'、'.join(both)} 不能既请假又缺席，请只写一种。")
    exceptions = on_leave | absent
    guests = []
    for spec in args.observer:
        name, _, unit = spec.replace("：", ":").partition(":")  # a full-width colon typed in Chinese IME
        guests.append(meetings.GuestInput(name.strip(), unit.strip()))
    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        group_id = None
        if args.group:
            found = groups.group_by_name(s, branch.id, args.group)
            if found is None:
                raise ValidationError("party_group_id", f"本支部没有名为「{args.group}」的党小组。")
            group_id = found.id
        expected = meetings.expected_attendees(s, branch.id, args.type, held_on, group_id)
        attendance = _attendance(expected, exceptions)
        data = meetings.MeetingInput(
            type=args.type,
            held_on=held_on,
            start_time=start,
            topics=args.topics,
            place=args.place,
            host=args.host,
            recorder=args.recorder,
            minutes=args.minutes,
            resolutions=args.resolutions,
            lecturer=args.lecturer,
            party_group_id=group_id,
            attendance=attendance,
            guests=guests,
            also_types=list(args.also),
            recorded_on=parse_date(args.recorded_on, "recorded_on") if args.recorded_on else None,
            backfilled=args.backfilled,
        )
        if problems := meetings.check_meeting_input(s, branch.id, data):  # what can never be saved first
            raise ValidationErrors(problems)
        warnings = meetings.entry_warnings(s, branch.id, data)
        if warnings and not args.force:
            raise ValidationErrors(
                [
                    ValidationError(w.field, f"{w.message}确认无误请加 --force 再保存；本次没有保存。")
                    for w in warnings
                ]
            )
        meeting = meetings.create_meeting(s, branch.id, data)
        q = meetings.meeting_quorum(s, meeting)
        meeting_id = meeting.id
    if args.json:
        emit({"id": meeting_id, "type": args.type, "held_on": held_on.isoformat()}, True)
        return 0
    what = kinds_label(args.type, list(args.also)) + (f"（{args.group}）" if args.group else "")
    print(f"已保存 {held_on.isoformat()} {what}，编号 {short_id(meeting_id)}。")
    for w in warnings:
        print(f"已按 --force 保存。提示：{w.message.split('。')[0]}。")
    print(q.describe())
    late = (localtime.local_today() - held_on).days
    if late > 7 and not args.recorded_on:
        print(
            f"提示：会议已过去 {late} 天，记录日期按今天登记，对标检查会提示“会后按时录入”。如这是从纸质记录"
            f"补录，请加 --backfilled --recorded-on 纸质记录上的日期（本条可 meeting delete {short_id(meeting_id)} "
            "后重新录入）。"
        )
    if guests:
        print("列席：" + "、".join(f"{g.name}（{g.unit}）" if g.unit else g.name for g in guests))
    return 0


def meeting_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        ids = org.descendant_branch_ids(s, org.branch_by_code(s, args.branch).id) if args.branch else None
        rows = meetings.list_meetings(
            s, meetings.MeetingFilter(branch_ids=ids, year=args.year, types=[args.type] if args.type else [])
        )
    if args.json:
        emit([asdict(r) for r in rows], True)
    else:
        several = len({r.branch_id for r in rows}) > 1
        for r in rows:
            where = f"{r.branch_name}\t" if several else ""
            kinds = f"{r.type_label}（{r.group_name}）" if r.group_name else r.type_label
            print(
                f"{r.held_on}\t{where}{kinds}\t到会 {r.present}/{r.expected}\t{r.topics[:30]}\t{short_id(r.id)}"
            )
        print(f"共 {len(rows)} 次" + ("（最后一列为编号，meeting show 编号 查看详情）" if rows else ""))
    return 0


def meeting_show(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().reader() as s:
        m = meetings.get_meeting(s, args.id)
        q = meetings.meeting_quorum(s, m)
        people = {a.member_id: s.get(Member, a.member_id) for a in m.attendance}
        names = {k: (v.name if v else "?") for k, v in people.items()}
        attendance = [
            {"name": names[a.member_id], "status": a.status, "reason": a.reason}
            for a in m.attendance
            if not a.deleted
        ]
        data: dict[str, object] = {
            "id": m.id,
            "type": m.type,
            "type_label": kinds_label(m.type, m.also_types),
            "also_types": [k for k in m.also_types.split(",") if k],
            "recorded_on": m.recorded_on.isoformat() if m.recorded_on else None,
            "backfilled": m.backfilled,
            "held_on": m.held_on.isoformat(),
            "start_time": m.start_time.strftime("%H:%M") if m.start_time else None,
            "end_time": m.end_time.strftime("%H:%M") if m.end_time else None,
            "place": m.place,
            "host": m.host,
            "recorder": m.recorder,
            "lecturer": m.lecturer,
            "topics": m.topics,
            "minutes": m.minutes,
            "resolutions": m.resolutions,
            "quorum": q.describe(),
            "quorum_met": q.met,
            "attendance": attendance,
            "observers": [{"name": g.name, "unit": g.unit} for g in meetings.guests(s, m.id)],
            "excluded": [
                {"name": names.get(x.member_id) or _name(s, x.member_id), "ground": x.ground, "note": x.note}
                for x in committee.exclusions(s, m.id)
            ],
        }
    if args.json:
        emit(data, True)
    else:
        when = " – ".join(t.strftime("%H:%M") for t in (m.start_time, m.end_time) if t)
        lines = {
            "类型": data["type_label"],
            "日期": f"{data['held_on']} {when}".strip(),
            "地点": m.place,
            "主持人": m.host,
            "记录人": m.recorder,
            "授课人": m.lecturer,
            "议题": m.topics,
            "会议记录": m.minutes,
            "决议": m.resolutions,
            "到会": data["quorum"],
        }
        for key, value in lines.items():
            if value:
                print(f"{key}：{value}")
        if m.backfilled:
            print(f"补录：记录日期 {data['recorded_on'] or '未填'}")
        for a in attendance:
            print(f"  {a['name']}\t{label(AttendanceStatus(a['status']))}\t{a['reason']}")
        for g in data["observers"]:  # type: ignore[attr-defined]
            print(f"  {g['name']}\t列席\t{g['unit']}")
    return 0


def _name(session: Session, member_id: str) -> str:
    person = session.get(Member, member_id)
    return person.name if person else "?"


def meeting_delete(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        meetings.delete_meeting(s, args.id)
    print("已移入回收站")
    return 0
