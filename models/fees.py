"""党费 (monthly dues per member) and branch funds. Money is integer fen, never a float."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Tracked


class FeeDue(Tracked, Base):
    """What one member owes for one month, and what was paid."""

    __tablename__ = "fee_due"
    __table_args__ = (
        UniqueConstraint("member_id", "month"),
        Index("ix_fee_due_branch_month", "branch_id", "month"),
    )

    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    category: Mapped[str] = mapped_column(String(16), info={"enum": "FeeCategory"})
    income_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # after-tax monthly income
    due_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_on: Mapped[date | None] = mapped_column(Date)
    receipt_no: Mapped[str] = mapped_column(String(64), default="")


class FundEntry(Tracked, Base):
    """活动经费 and other branch money in or out."""

    __tablename__ = "fund_entry"

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    on: Mapped[date] = mapped_column(Date)
    direction: Mapped[str] = mapped_column(String(8), info={"enum": "FundDirection"})
    category: Mapped[str] = mapped_column(String(32))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(500), default="")
    voucher_no: Mapped[str] = mapped_column(String(64), default="")
