"""阵地建设: each branch's activity venue checked against the 八有 standard."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Tracked


class VenueCheck(Tracked, Base):
    """One 八有 item checked on a date; its photo is an Attachment owned by this row."""

    __tablename__ = "venue_check"

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    item: Mapped[str] = mapped_column(String(24), info={"enum": "VenueItem"})
    checked_on: Mapped[date] = mapped_column(Date)
    met: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(String(500), default="")
