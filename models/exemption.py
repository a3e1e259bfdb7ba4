"""Approved reasons a member owes no organisational life or dues for a time (请假, 年老体弱, 免交/少交)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Tracked


class MemberExemption(Tracked, Base):
    """One approved exemption with its dates (``end_on`` None: open-ended, e.g. 年老体弱)."""

    __tablename__ = "member_exemption"

    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), info={"enum": "ExemptionKind"})
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    reduced_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # 少交: the approved monthly amount
    approved_by: Mapped[str] = mapped_column(String(100), default="")  # who approved (支委会, 书记 …)
    reason: Mapped[str] = mapped_column(String(500), default="")
