"""Per-database bookkeeping that is not synced: the change counter and key/value facts."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ChangeCounter(Base):
    """One row holding the last change sequence number handed out in this database."""

    __tablename__ = "change_counter"
    __label__ = "变更计数"  # what a clerk calls its records (recycle bin, audit log)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class DbMeta(Base):
    """Facts about this database file: device id, app version that last wrote it, …"""

    __tablename__ = "db_meta"
    __label__ = "系统设置"  # what a clerk calls its records (recycle bin, audit log)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(4000), default="")
