"""组织关系转接 and 流动党员: a member's movements, kept as history."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Tracked


class MemberTransfer(Tracked, Base):
    __tablename__ = "member_transfer"

    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8), info={"enum": "TransferDirection"})
    on: Mapped[date] = mapped_column(Date)
    counterpart: Mapped[str] = mapped_column(String(200), default="")  # 转自 / 转往 organisation
    letter_no: Mapped[str] = mapped_column(String(64), default="")  # 介绍信编号
    notes: Mapped[str] = mapped_column(String(500), default="")


class FlowRecord(Tracked, Base):
    """A period during which a member is 流动党员 (working away), with where and how to reach them."""

    __tablename__ = "flow_record"

    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    destination: Mapped[str] = mapped_column(String(200))
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    contact: Mapped[str] = mapped_column(String(100), default="")
    notes: Mapped[str] = mapped_column(String(500), default="")
