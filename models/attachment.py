"""Attachments (photos, scanned sign-in sheets): metadata here, bytes stored once by SHA-256."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Tracked


class Attachment(Tracked, Base):
    __tablename__ = "attachment"
    __label__ = "附件"  # what a clerk calls its records (recycle bin, audit log)
    __table_args__ = (Index("ix_attachment_owner", "owner_type", "owner_id"),)

    owner_type: Mapped[str] = mapped_column(String(32))  # table name of the owning record
    owner_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(16), default="photo", info={"enum": "AttachmentKind"})
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    caption: Mapped[str] = mapped_column(String(200), default="")
