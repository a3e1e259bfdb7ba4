"""决策与公开: decisions with their steps (villages: 四议两公开) and 党务公开 postings."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Tracked


class Decision(Tracked, Base):
    __tablename__ = "decision"

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    procedure: Mapped[str] = mapped_column(
        String(16), default="four_two", info={"enum": "DecisionProcedure"}
    )  # four_two / ordinary
    proposed_on: Mapped[date] = mapped_column(Date)
    content: Mapped[str] = mapped_column(Text, default="")


class DecisionStep(Tracked, Base):
    __tablename__ = "decision_step"
    __label__ = "决策步骤"  # what a clerk calls its records (recycle bin, audit log)
    __table_args__ = (UniqueConstraint("decision_id", "step"),)

    decision_id: Mapped[str] = mapped_column(ForeignKey("decision.id"), index=True)
    step: Mapped[str] = mapped_column(String(24), info={"enum": "DecisionStepCode"})
    done_on: Mapped[date] = mapped_column(Date)
    meeting_id: Mapped[str | None] = mapped_column(ForeignKey("meeting.id"))
    notes: Mapped[str] = mapped_column(String(500), default="")


class DisclosurePosting(Tracked, Base):
    """党务公开: what was posted, where, from when to when."""

    __tablename__ = "disclosure_posting"

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    posted_on: Mapped[date] = mapped_column(Date)
    until_on: Mapped[date | None] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(32), default="公开栏")
    content: Mapped[str] = mapped_column(Text, default="")
