"""Receiver-side sync bookkeeping (county): devices, received and held packages, conflicts.

Local to the database that receives packages; none of these tables is exported (not ``Tracked``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class SyncDevice(Base):
    """A township device this database has received packages from, and how far it got."""

    __tablename__ = "sync_device"
    __label__ = "同步设备"  # what a clerk calls its records (recycle bin, audit log)

    # The stream: "<device id>.<generation>" (format 2), or the bare device id of a format-1 stream
    # not yet seen in a generation. Change numbers are only comparable inside one stream.
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    township_code: Mapped[str] = mapped_column(String(32))
    township_id: Mapped[str] = mapped_column(String(36))
    public_key: Mapped[str] = mapped_column(String(100))  # Ed25519, base64; the last key that signed
    generation: Mapped[str] = mapped_column(String(32), default="", server_default="")
    high_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # all of 1..high_seq received
    first_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SyncReceived(Base):
    """One imported package (the key is the SHA-256 of the file: re-importing it is a no-op)."""

    __tablename__ = "sync_received"
    __label__ = "收到的同步包"  # what a clerk calls its records (recycle bin, audit log)
    __table_args__ = (Index("ix_sync_received_county_seq", "county_seq_from", "county_seq_to"),)

    package_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    township_code: Mapped[str] = mapped_column(String(32))
    seq_from: Mapped[int] = mapped_column(BigInteger)
    seq_to: Mapped[int] = mapped_column(BigInteger)
    file_name: Mapped[str] = mapped_column(String(255))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    # The block of this database's change numbers the package was written with: a row whose
    # row_seq falls in it was last written by this package's device.
    county_seq_from: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    county_seq_to: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    generation: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # JSON [[generation, fork_seq|null], …] newest first: which versions the sender had seen.
    lineage: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    # The device change number of every row written, in county change-number order (int64 LE).
    device_seqs: Mapped[bytes | None] = mapped_column(LargeBinary)


class SyncHeld(Base):
    """A package that arrived before the one(s) it follows; applied once the gap is filled."""

    __tablename__ = "sync_held"
    __label__ = "暂存的同步包"  # what a clerk calls its records (recycle bin, audit log)

    package_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    township_code: Mapped[str] = mapped_column(String(32))
    seq_from: Mapped[int] = mapped_column(BigInteger)
    seq_to: Mapped[int] = mapped_column(BigInteger)
    file_name: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(1000))  # copy kept in the data folder
    missing_from: Mapped[int] = mapped_column(BigInteger)
    missing_to: Mapped[int] = mapped_column(BigInteger)
    held_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(16), default="gap", server_default="gap")  # gap / enroll
    township_id: Mapped[str] = mapped_column(String(36), default="", server_default="")
    error: Mapped[str] = mapped_column(Text, default="", server_default="")  # why a release failed


class SyncEnrollment(Base):
    """A device key allowed (or asking, or no longer allowed) to send packages for one township.

    Decided by a person at the county (``sync device approve/replace/revoke``); the fingerprint is
    computed from the key itself. status: pending (待登记) / enrolled / revoked.
    """

    __tablename__ = "sync_enrollment"
    __label__ = "同步登记"  # what a clerk calls its records (recycle bin, audit log)

    public_key: Mapped[str] = mapped_column(String(100), primary_key=True)  # Ed25519, base64
    key_id: Mapped[str] = mapped_column(String(16), index=True)
    township_id: Mapped[str] = mapped_column(String(36), index=True)
    township_code: Mapped[str] = mapped_column(String(32))
    device_id: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(200), default="")


class SyncConflict(Base):
    """A row changed on two devices: the default winner is applied, both versions kept for a person."""

    __tablename__ = "sync_conflict"
    __label__ = "同步冲突"  # what a clerk calls its records (recycle bin, audit log)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(64), index=True)
    row_id: Mapped[str] = mapped_column(String(36), index=True)
    package_id: Mapped[str] = mapped_column(String(64))
    winner_device: Mapped[str] = mapped_column(String(64))
    loser_device: Mapped[str] = mapped_column(String(64))
    winner_json: Mapped[str] = mapped_column(Text)
    loser_json: Mapped[str] = mapped_column(Text)
    loser_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # the loser's sequence on its device
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / kept / swapped
    detected_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str] = mapped_column(String(64), default="")


class CountyOutbox(Base):
    """County → township: what the county sends back inside its acknowledgements (the return channel).

    kind: notice (通知) / pack (手册包更新) / decision (冲突处理结果). ``township_code`` empty = every
    township. ``payload`` is canonical JSON (services/county/outbox.py defines its shape per kind).
    """

    __tablename__ = "county_outbox"
    __label__ = "县级下发"  # what a clerk calls its records (recycle bin, audit log)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    township_code: Mapped[str] = mapped_column(String(32), default="", server_default="")
    title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="", server_default="")


class CountyItem(Base):
    """Township side: an item of the return channel received in a verified acknowledgement.

    status: new (未读/待安装) / read / installed / applied / skipped / refused; ``note`` says why.
    """

    __tablename__ = "county_item"
    __label__ = "县级汇总条目"  # what a clerk calls its records (recycle bin, audit log)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the county's outbox id
    kind: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    payload: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ack_file: Mapped[str] = mapped_column(String(255), default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
