"""The tamper-evident change log (操作日志).

One row per changed record and flush, written in the same transaction as the change. Each entry
carries the SHA-256 of the previous entry's hash plus its own canonical JSON, so editing or deleting
a row breaks the chain; ``audit_head`` holds the last number and hash, so cutting entries off the
end is noticed too. Local bookkeeping: never synced, never ``Tracked``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __label__ = "操作日志"  # what a clerk calls its records (recycle bin, audit log)
    __table_args__ = (
        Index("ix_audit_log_table_row", "table_name", "row_id"),
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_user", "user"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    user: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(16))  # AuditAction code
    table_name: Mapped[str] = mapped_column(String(64), default="")
    row_id: Mapped[str] = mapped_column(String(64), default="")
    changes: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON {field: [old, new]}
    tx: Mapped[str] = mapped_column(String(36), default="")  # one id per transaction
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the number and hash of the newest audit entry."""

    __tablename__ = "audit_head"
    __label__ = "操作日志校验"  # what a clerk calls its records (recycle bin, audit log)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")
