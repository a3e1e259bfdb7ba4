"""Meetings (三会一课, 主题党日, 组织生活会, 民主评议) and their attendance."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Tracked


class Meeting(Tracked, Base):
    __tablename__ = "meeting"
    __label__ = "会议记录"  # what a clerk calls its records (recycle bin, audit log)
    __table_args__ = (Index("ix_meeting_branch_date", "branch_id", "held_on"),)

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"))
    type: Mapped[str] = mapped_column(String(16), info={"enum": "MeetingType"})
    held_on: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    place: Mapped[str] = mapped_column(String(200), default="")
    host: Mapped[str] = mapped_column(String(50), default="")
    recorder: Mapped[str] = mapped_column(String(50), default="")
    topics: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    resolutions: Mapped[str] = mapped_column(Text, default="")
    lecturer: Mapped[str] = mapped_column(String(50), default="")  # 党课
    party_group_id: Mapped[str | None] = mapped_column(ForeignKey("party_group.id"), index=True)
    # The record's own date of record (整理记录日期): today when typed in at once; for a record typed in
    # from paper (补录, ``backfilled``) the date written on the paper record. Timeliness is judged from it.
    recorded_on: Mapped[date | None] = mapped_column(Date)
    backfilled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Other kinds this one activity also was (组织生活会暨民主评议党员, 主题党日 with a 党课): MeetingType
    # codes joined by ",", never the primary ``type``; see services.meetings.COMPATIBLE.
    also_types: Mapped[str] = mapped_column(  # comma-separated MeetingType codes
        String(64), default="", info={"enum_list": "MeetingType"}
    )

    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="meeting", order_by="Attendance.sort_order"
    )


class Attendance(Tracked, Base):
    __tablename__ = "attendance"
    __label__ = "会议出席"  # what a clerk calls its records (recycle bin, audit log)
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="present", info={"enum": "AttendanceStatus"})
    reason: Mapped[str] = mapped_column(String(200), default="")
    sort_order: Mapped[int] = mapped_column(default=0)

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")


class MeetingGuest(Tracked, Base):
    """A 列席 person who is not a member of the branch (驻村第一书记, 包村干部, …): shown and printed
    as 列席, never among those who should attend, so never in the quorum."""

    __tablename__ = "meeting_guest"
    __label__ = "列席人员"  # what a clerk calls its records (recycle bin, audit log)

    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    meeting: Mapped[Meeting] = relationship()
    unit: Mapped[str] = mapped_column(String(100), default="")  # unit or title
    sort_order: Mapped[int] = mapped_column(default=0)


class MeetingExclusion(Tracked, Base):
    """A member left out of 应到会 at an election meeting, on an allowed ground (ExclusionGround)."""

    __tablename__ = "meeting_exclusion"
    __label__ = "不计入应到会"  # what a clerk calls its records (recycle bin, audit log)
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    ground: Mapped[str] = mapped_column(String(16), info={"enum": "ExclusionGround"})
    note: Mapped[str] = mapped_column(String(200), default="")
