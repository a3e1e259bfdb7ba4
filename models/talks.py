"""谈心谈话, 民主评议党员 grades, and the 流动党员 contact log: records the handbook rules need."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Tracked


class HeartTalk(Tracked, Base):
    """One 谈心谈话: a committee member (``talker_id``) talked with a member, on a day, about a topic."""

    __tablename__ = "heart_talk"

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    talker_id: Mapped[str] = mapped_column(ForeignKey("member.id"))
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    on: Mapped[date] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(String(1000), default="")


class AppraisalGrade(Tracked, Base):
    """A member's 民主评议 grade for a year (优秀/合格/基本合格/不合格) and, for 不合格, the follow-up."""

    __tablename__ = "appraisal_grade"
    __table_args__ = (UniqueConstraint("member_id", "year"),)

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(16), info={"enum": "AppraisalGradeCode"})
    follow_up: Mapped[str] = mapped_column(  # FollowUp code or "" (不合格 only)
        String(16), default="", info={"enum": "FollowUp"}
    )
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(String(500), default="")


class FlowContact(Tracked, Base):
    """One contact with a 流动党员 while away (电话、微信、走访、书信)."""

    __tablename__ = "flow_contact"

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    on: Mapped[date] = mapped_column(Date)
    way: Mapped[str] = mapped_column(String(16), info={"enum": "ContactWay"})
    content: Mapped[str] = mapped_column(String(500))
