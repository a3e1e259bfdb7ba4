"""Township, branches (党委/党总支/党支部), party groups and committee seats."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Tracked


class Township(Tracked, Base):
    __tablename__ = "township"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    county: Mapped[str] = mapped_column(String(100), default="")

    branches: Mapped[list[Branch]] = relationship(back_populates="township")


class Branch(Tracked, Base):
    __tablename__ = "branch"
    __table_args__ = (UniqueConstraint("township_id", "code"),)

    township_id: Mapped[str] = mapped_column(ForeignKey("township.id"), index=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("branch.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="branch")  # BranchKind
    domain: Mapped[str] = mapped_column(String(16), default="rural")  # BranchDomain
    founded_on: Mapped[date | None] = mapped_column(Date)
    term_start: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    township: Mapped[Township] = relationship(back_populates="branches")
    parent: Mapped[Branch | None] = relationship(remote_side="Branch.id")


class PartyGroup(Tracked, Base):
    __tablename__ = "party_group"

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class CommitteeSeat(Tracked, Base):
    __tablename__ = "committee_seat"

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # CommitteeRole
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
