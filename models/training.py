"""教育培训: study sessions and trainings, with hours per member."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Tracked


class TrainingSession(Tracked, Base):
    __tablename__ = "training_session"

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="study", info={"enum": "TrainingKind"})
    held_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)  # length of the session
    organizer: Mapped[str] = mapped_column(String(100), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text, default="")


class TrainingAttendance(Tracked, Base):
    __tablename__ = "training_attendance"
    __label__ = "培训出席"  # what a clerk calls its records (recycle bin, audit log)
    __table_args__ = (UniqueConstraint("session_id", "member_id"),)

    session_id: Mapped[str] = mapped_column(ForeignKey("training_session.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    minutes: Mapped[int] = mapped_column(Integer)  # credited to this member
