"""`meeting add|list|show|delete`: meeting records from the command line."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import time

from models import Member
from models.enums import AttendanceStatus, MeetingType, label
from services import meetings, org, textclean
from services.cli import Context, emit, parse_date
from services.errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    m = sub.add_parser("meeting", help="会议记录").add_subparsers(dest="action", required=True)
    add = m.add_parser("add", help="记录一次会议（默认全员出席，用 --leave/--absent 标出例外）")
    add.add_argument("--branch", required=True, help="支部代码")
    add.add_argument("--type", required=True, choices=[t.value for t in MeetingType])
    add.add_argument("--date", required=True)
    add.add_argument("--time", default=None, help="开始时间 HH:MM")
    add.add_argument("--topics", required=True)
    add.add_argument("--place", default="")
    add.add_argument("--host", default="")
    add.add_argument("--recorder", default="")
    add.add_argument("--minutes", default="")
    add.add_argument("--resolutions", default="")
    add.add_argument("--lecturer", default="")
    add.add_argument("--leave", action="append", default=[], metavar="姓名:原因", help="请假")
    add.add_argument("--absent", action="append", default=[], metavar="姓名[:原因]", help="缺席")
    add.set_defaults(handler=meeting_add)

    ls = m.add_parser("list", help="会议列表")
    ls.add_argument("--branch", default=None)
    ls.add_argument("--year", type=int, default=None)
    ls.add_argument("--type", default=None, choices=[t.value for t in MeetingType])
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
    out = {}
    for spec in specs:
        name, _, reason = spec.replace("：", ":").partition(":")  # a full-width colon typed in Chinese IME
        out[textclean.clean_key(name, person=True)] = (status, textclean.clean_free(reason).strip())
    return out


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
    exceptions = _exceptions(args.leave, AttendanceStatus.LEAVE) | _exceptions(
        args.absent, AttendanceStatus.ABSENT
    )
    with ctx.db().transaction(ctx.user) as s:
        branch = org.branch_by_code(s, args.branch)
        expected = meetings.expected_attendees(s, branch.id, args.type, held_on)
        names = {m.name for m in expected}
        unknown = sorted(set(exceptions) - names)
        if unknown:
            raise ValidationError("attendance", f"{'、'.join(unknown)} 不在应到人员中。")
        attendance = [
            meetings.AttendanceInput(m.id, *exceptions.get(m.name, (AttendanceStatus.PRESENT, "")))
            for m in expected
        ]
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
            attendance=attendance,
        )
        meeting = meetings.create_meeting(s, branch.id, data)
        q = meetings.meeting_quorum(s, meeting)
        print(meeting.id)
        print(q.describe())
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
        for r in rows:
            print(f"{r.held_on}\t{r.type_label}\t{r.present}/{r.expected}\t{r.topics[:30]}\t{r.id}")
        print(f"共 {len(rows)} 次")
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
            "type_label": label(MeetingType(m.type)),
            "held_on": m.held_on.isoformat(),
            "place": m.place,
            "host": m.host,
            "recorder": m.recorder,
            "topics": m.topics,
            "minutes": m.minutes,
            "resolutions": m.resolutions,
            "quorum": q.describe(),
            "quorum_met": q.met,
            "attendance": attendance,
        }
    if args.json:
        emit(data, True)
    else:
        for key in ("type_label", "held_on", "place", "host", "recorder", "topics", "resolutions", "quorum"):
            print(f"{key}: {data[key]}")
        for a in attendance:
            print(f"  {a['name']}\t{label(AttendanceStatus(a['status']))}\t{a['reason']}")
    return 0


def meeting_delete(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db().transaction(ctx.user) as s:
        meetings.delete_meeting(s, args.id)
    print("已移入回收站")
    return 0
