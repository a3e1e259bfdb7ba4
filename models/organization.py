"""Township, branches (党委/党总支/党支部), party groups and committee seats."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Tracked


class Township(Tracked, Base):
    __tablename__ = "township"
    __label__ = "乡镇"  # what a clerk calls its records (recycle bin, audit log)

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    county: Mapped[str] = mapped_column(String(100), default="")

    branches: Mapped[list[Branch]] = relationship(back_populates="township")


class Branch(Tracked, Base):
    __tablename__ = "branch"
    __label__ = "党组织"  # what a clerk calls its records (recycle bin, audit log)
    __table_args__ = (UniqueConstraint("township_id", "code"),)

    township_id: Mapped[str] = mapped_column(ForeignKey("township.id"), index=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("branch.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="branch", info={"enum": "BranchKind"})
    domain: Mapped[str] = mapped_column(String(16), default="rural", info={"enum": "BranchDomain"})
    founded_on: Mapped[date | None] = mapped_column(Date)
    term_start: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # 撤销/合并: a branch with members or records is never deleted, only dissolved from this day.
    dissolved_on: Mapped[date | None] = mapped_column(Date)
    dissolved_reason: Mapped[str] = mapped_column(String(200), default="")

    township: Mapped[Township] = relationship(back_populates="branches")
    parent: Mapped[Branch | None] = relationship(remote_side="Branch.id")


class PartyGroup(Tracked, Base):
    __tablename__ = "party_group"
    __label__ = "党小组"  # what a clerk calls its records (recycle bin, audit log)

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # 组长. No foreign key on purpose: member → party_group already has one, and a cycle would leave
    # sync without a safe insert order; services.groups checks the leader is a member of the branch.
    # ``info["references"]`` declares it for sync's ownership check (services/sync/ownership.py).
    leader_id: Mapped[str | None] = mapped_column(String(36), index=True, info={"references": "member.id"})
    # 成立日期: the group is judged (党小组会 each month) only from this day; None = unknown (always).
    founded_on: Mapped[date | None] = mapped_column(Date)
    dissolved_on: Mapped[date | None] = mapped_column(Date)


class PartyGroupMembership(Tracked, Base):
    """A member's time in one 党小组, so a 党小组会 of the past is judged against who was in the group
    then. ``start_on``: the first day in it (None: since before any move was recorded — the member's
    first group); ``end_on``: the first day no longer in it (None: still in it). ``Member.party_group_id``
    stays the current group; a member with no row here (written in bulk, or before this table existed)
    has been in that group throughout. Written by ``services.groups`` only."""

    __tablename__ = "party_group_membership"
    __label__ = "党小组编组记录"  # what a clerk calls its records (recycle bin, audit log)

    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    party_group_id: Mapped[str] = mapped_column(ForeignKey("party_group.id"), index=True)
    start_on: Mapped[date | None] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)


class BranchTerm(Tracked, Base):
    """One term (届) of a branch committee; the branch's ``term_start``/``term_end`` mirror the
    current one. ``due_on`` is when the term expires by the pack's term length, ``ended_on`` the day
    the next election (换届) closed it."""

    __tablename__ = "branch_term"
    __label__ = "支委会任期"  # what a clerk calls its records (recycle bin, audit log)

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    start_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    meeting_id: Mapped[str | None] = mapped_column(ForeignKey("meeting.id"), index=True)  # 选举大会


class CommitteeSeat(Tracked, Base):
    __tablename__ = "committee_seat"
    __label__ = "支委任职"  # what a clerk calls its records (recycle bin, audit log)

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), info={"enum": "CommitteeRole"})
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    elected_how: Mapped[str] = mapped_column(String(50), default="")  # 换届选举 / 补选 / 上级任命 …
    term_id: Mapped[str | None] = mapped_column(ForeignKey("branch_term.id"), index=True)
