"""Party members (党员)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Tracked


class Member(Tracked, Base):
    __tablename__ = "member"
    __label__ = "党员"  # what a clerk calls its records (recycle bin, audit log)
    __table_args__ = (
        Index("ix_member_township_idnum", "township_id", "id_number"),
        # Covering index of the roster search (services.members.roster_source): scanned instead of the table.
        Index("ix_member_search", "name", "id_number", "phone", "branch_id", "state", "deleted", "id"),
        # The roster's default order (pinyin), read a batch at a time with ORDER BY … LIMIT.
        Index("ix_member_name_key", "name_key", "id"),
    )

    township_id: Mapped[str] = mapped_column(ForeignKey("township.id"), index=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    party_group_id: Mapped[str | None] = mapped_column(ForeignKey("party_group.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    # Derived from the name (services.collation, set with it by services.members.stored_values): the
    # pinyin order as a plain string, so SQL sorts names like a clerk; the initials so "zs" finds 张三.
    name_key: Mapped[str] = mapped_column(String(255), default="", server_default="")
    name_initials: Mapped[str] = mapped_column(String(50), default="", server_default="")
    gender: Mapped[str] = mapped_column(String(8), info={"enum": "Gender"})
    ethnicity: Mapped[str] = mapped_column(String(20), default="汉族")
    birth_date: Mapped[date] = mapped_column(Date)
    id_number: Mapped[str] = mapped_column(String(18))
    education: Mapped[str] = mapped_column(
        String(16), default="", info={"enum": "Education"}
    )  # Education code or ""
    phone: Mapped[str] = mapped_column(String(32), default="")
    joined_on: Mapped[date] = mapped_column(Date)  # 入党日期
    full_member_on: Mapped[date | None] = mapped_column(Date)  # 转正日期
    status: Mapped[str] = mapped_column(String(16), default="full", info={"enum": "MemberStatus"})
    discipline: Mapped[str] = mapped_column(String(16), default="none", info={"enum": "Discipline"})
    is_flowing: Mapped[bool] = mapped_column(default=False)  # 流动党员
    occupation: Mapped[str] = mapped_column(
        String(16), default="", server_default="", info={"enum": "Occupation"}
    )  # Occupation code or ""
    is_migrant_worker: Mapped[bool] = mapped_column(default=False, server_default=false())  # 农民工
    is_hardship: Mapped[bool] = mapped_column(default=False, server_default=false())  # 困难党员
    state: Mapped[str] = mapped_column(String(16), default="active", info={"enum": "MemberState"})
    branch_since: Mapped[date] = mapped_column(Date)  # in this branch from
    left_on: Mapped[date | None] = mapped_column(Date)  # transferred out / deceased / left
    notes: Mapped[str] = mapped_column(String(500), default="")

    def in_branch_on(self, day: date) -> bool:
        """Whether the member belonged to ``branch_id`` on ``day``."""
        return self.branch_since <= day and (self.left_on is None or day < self.left_on)

    @property
    def can_vote(self) -> bool:
        return self.status == "full" and self.discipline != "probation"

    def can_vote_on(self, day: date) -> bool:
        """Voting rights at a meeting on ``day``: a full member by then (a 预备党员 converted later did
        not vote yet). 留党察看 has no dates on record, so the current discipline applies."""
        converted = self.full_member_on is None or self.full_member_on <= day
        return self.can_vote and converted
