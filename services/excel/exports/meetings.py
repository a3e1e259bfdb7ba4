"""会议记录 and 出席情况: one row per meeting, and one row per person per meeting."""

from __future__ import annotations

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from models import Attendance, Branch, Meeting, MeetingGuest, Member, PartyGroup
from models.enums import LABELS
from services.dates import in_year
from services.excel.export import ExportColumn, ExportSpec, ExportTable
from services.excel.layouts import MEETINGS


def _scope(stmt: Select, branch_ids: list[str] | None, year: int | None) -> Select:
    stmt = stmt.where(Meeting.deleted.is_(False))
    if branch_ids is not None:
        stmt = stmt.where(Meeting.branch_id.in_(branch_ids))
    if year:
        stmt = stmt.where(*in_year(Meeting.held_on, year))
    return stmt


def meetings_table(session: Session, branch_ids: list[str] | None, year: int | None) -> ExportTable:
    live = and_(Attendance.meeting_id == Meeting.id, Attendance.deleted.is_(False))
    counted = func.sum(case((Attendance.status != "observer", 1), else_=0))
    present = func.sum(case((Attendance.status == "present", 1), else_=0))
    leave = func.sum(case((Attendance.status == "leave", 1), else_=0))
    absent = func.sum(case((Attendance.status == "absent", 1), else_=0))
    stmt = _scope(
        select(Meeting, Branch.name, PartyGroup.name, counted, present, leave, absent)
        .join(Branch, Branch.id == Meeting.branch_id)
        .outerjoin(PartyGroup, PartyGroup.id == Meeting.party_group_id)
        .outerjoin(Attendance, live)
        .group_by(Meeting.id, Branch.name, PartyGroup.name)
        .order_by(Branch.sort_order, Meeting.held_on, Meeting.start_time),
        branch_ids,
        year,
    )
    columns = [ExportColumn(c.header, c.width) for c in MEETINGS.columns if c.key != "branch"] + [
        ExportColumn("支部", 16),
        ExportColumn("应到", 6),
        ExportColumn("实到", 6),
        ExportColumn("请假", 6),
        ExportColumn("缺席", 6),
        ExportColumn("列席（非本支部）", 20),
    ]
    guests: dict[str, list[str]] = {}
    for meeting_id, name, unit in session.execute(
        _scope(
            select(MeetingGuest.meeting_id, MeetingGuest.name, MeetingGuest.unit)
            .join(Meeting, Meeting.id == MeetingGuest.meeting_id)
            .where(MeetingGuest.deleted.is_(False))
            .order_by(MeetingGuest.meeting_id, MeetingGuest.sort_order),
            branch_ids,
            year,
        )
    ):
        guests.setdefault(meeting_id, []).append(f"{name}（{unit}）" if unit else name)
    rows = (
        [
            i,
            m.held_on,
            LABELS["MeetingType"].get(m.type, m.type),
            "、".join(LABELS["MeetingType"].get(k, k) for k in m.also_types.split(",") if k),
            m.topics,
            m.place,
            m.host,
            m.recorder,
            m.lecturer,
            group or "",
            m.minutes,
            m.resolutions,
            m.recorded_on,
            "是" if m.backfilled else "否",
            branch,
            int(n or 0),
            int(p or 0),
            int(lv or 0),
            int(ab or 0),
            "、".join(guests.get(m.id, [])),
        ]
        for i, (m, branch, group, n, p, lv, ab) in enumerate(session.execute(stmt), start=1)
    )
    return ExportTable("会议记录", columns, rows)


def attendance_table(session: Session, branch_ids: list[str] | None, year: int | None) -> ExportTable:
    stmt = _scope(
        select(
            Meeting.held_on,
            Meeting.type,
            Branch.name,
            Meeting.topics,
            Member.name,
            Member.id_number,
            Attendance.status,
            Attendance.reason,
        )
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .join(Member, Member.id == Attendance.member_id)
        .join(Branch, Branch.id == Meeting.branch_id)
        .where(Attendance.deleted.is_(False))
        .order_by(Branch.sort_order, Meeting.held_on, Meeting.id, Attendance.sort_order),
        branch_ids,
        year,
    )
    columns = [
        ExportColumn("会议日期", 12),
        ExportColumn("会议类型", 14),
        ExportColumn("支部", 16),
        ExportColumn("议题", 30),
        ExportColumn("姓名", 10),
        ExportColumn("公民身份号码", 21),
        ExportColumn("出席情况", 10),
        ExportColumn("原因", 20),
    ]
    kinds, statuses = LABELS["MeetingType"], LABELS["AttendanceStatus"]
    rows = [
        [held, kinds.get(kind, kind), branch, topics, name, idn, statuses.get(status, status), reason]
        for held, kind, branch, topics, name, idn, status, reason in session.execute(stmt)
    ]
    return ExportTable("出席情况", columns, rows)


EXPORTS = [
    ExportSpec("meetings", "会议记录", meetings_table, uses_year=True),
    ExportSpec("attendance", "出席情况", attendance_table, uses_year=True),
]
