"""督查与整改: problems found by inspections or checks, and weak (软弱涣散) branches."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Tracked


class Rectification(Tracked, Base):
    __tablename__ = "rectification"

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    source: Mapped[str] = mapped_column(
        String(16), default="inspection", info={"enum": "RectificationSource"}
    )
    category: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    rule_id: Mapped[str] = mapped_column(String(64), default="")  # handbook rule when raised by a check
    found_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    responsible: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(String(16), default="open", info={"enum": "RectificationStatus"})
    closed_on: Mapped[date | None] = mapped_column(Date)
    fix_evidence: Mapped[str] = mapped_column(Text, default="")


class WeakBranchFlag(Tracked, Base):
    """A branch listed as 软弱涣散 from ``flagged_on`` until rectified (``closed_on``)."""

    __tablename__ = "weak_branch_flag"

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    flagged_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closing_notes: Mapped[str] = mapped_column(Text, default="")
