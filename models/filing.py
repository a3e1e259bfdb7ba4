"""资料归档: a scanned document or photo filed under a 标准 → 规范 → 资料 item of the catalog."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Tracked


class EvidenceFiling(Tracked, Base):
    __tablename__ = "evidence_filing"
    __label__ = "资料归档"  # what a clerk calls its records (recycle bin, audit log)

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    catalog_item: Mapped[str] = mapped_column(String(64), index=True)  # 资料 code in the handbook pack
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    attachment_id: Mapped[str | None] = mapped_column(ForeignKey("attachment.id"))
    filed_on: Mapped[date] = mapped_column(Date)
