"""Device enrollment at the county: which device keys may send packages for which township.

A key becomes trusted for one township only when a person at the county approves it, after
comparing the fingerprint — computed here from the key itself, never taken from a manifest — with
the one the township laptop shows (`sync key device`). Packages from a key that is not enrolled are
held as 待登记 and imported when it is approved; a reinstalled laptop (new key, same township) is
re-registered with ``replace``; a lost laptop is revoked and its packages are refused from then on.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import SyncDevice, SyncEnrollment, SyncHeld, utcnow
from services.db import Database
from services.sync.errors import PackageRejected, SyncError
from services.sync.package import OpenedPackage
from services.sync.signing import key_id

STATUS = {"pending": "待登记", "enrolled": "已登记", "revoked": "已注销"}


def fingerprint(public_key_b64: str) -> str:
    """The fingerprint people compare: first 16 hex of SHA-256 of the raw 32-byte key."""
    try:
        return key_id(base64.b64decode(public_key_b64, validate=True))
    except (binascii.Error, ValueError):
        return "（无效密钥）"


def check(s: Session, opened: OpenedPackage) -> str | None:
    """None when the package's key is enrolled for its township; else why it is held (待登记).

    Raises ``PackageRejected`` for a revoked key or a key enrolled for another township.
    """
    m = opened.manifest
    fp = fingerprint(m.device_public_key)
    row = s.get(SyncEnrollment, m.device_public_key)
    if row is None:
        s.add(
            SyncEnrollment(
                public_key=m.device_public_key,
                key_id=fp,
                township_id=m.township_id,
                township_code=m.township_code,
                device_id=m.device_id,
                status="pending",
                requested_at=utcnow(),
            )
        )
        s.flush()
        row = s.get(SyncEnrollment, m.device_public_key)
    assert row is not None
    if row.status == "revoked":
        raise PackageRejected(
            f"同步包 {opened.file_name} 由已注销的设备签发（密钥指纹 {fp}，原属乡镇 {row.township_code}），已拒绝。"
            "如该电脑已找回并仍在使用，请在县里重新登记该设备。"
        )
    if row.township_id != m.township_id:
        raise PackageRejected(
            f"同步包 {opened.file_name} 声明属于乡镇 {m.township_code}，但签发它的设备（密钥指纹 {fp}）"
            f"登记的是乡镇 {row.township_code}，已拒绝。"
        )
    if row.status == "enrolled":
        return None
    return (
        f"签发它的设备（密钥指纹 {fp}）尚未登记为乡镇 {m.township_code} 的设备。请电话核对乡镇电脑上"
        f"`sync key device` 显示的指纹，一致后运行 `sync device approve {fp}`；是重装的电脑则运行 "
        f"`sync device replace 旧指纹 {fp}`。"
    )


@dataclass
class DeviceView:
    key_id: str
    township_code: str
    township_id: str
    device_id: str
    status: str
    requested_at: str
    decided_at: str
    decided_by: str
    held: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"status_label": STATUS.get(self.status, self.status)}


def list_devices(db: Database) -> list[DeviceView]:
    with db.reader() as s:
        rows = s.scalars(
            select(SyncEnrollment).order_by(SyncEnrollment.township_code, SyncEnrollment.requested_at)
        )
        out = []
        for r in rows:
            held = len(_held_for(s, r))
            out.append(
                DeviceView(
                    key_id=r.key_id,
                    township_code=r.township_code,
                    township_id=r.township_id,
                    device_id=r.device_id,
                    status=r.status,
                    requested_at=r.requested_at.isoformat(timespec="seconds"),
                    decided_at=r.decided_at.isoformat(timespec="seconds") if r.decided_at else "",
                    decided_by=r.decided_by,
                    held=held,
                )
            )
        return out


def _held_for(s: Session, row: SyncEnrollment) -> list[SyncHeld]:
    if not row.device_id:
        return []
    return list(
        s.scalars(
            select(SyncHeld)
            .where(SyncHeld.reason == "enroll", SyncHeld.device_id.startswith(row.device_id))
            .order_by(SyncHeld.seq_from)
        )
    )


def _find(s: Session, fp: str) -> SyncEnrollment:
    fp = fp.strip().lower()
    rows = list(s.scalars(select(SyncEnrollment).where(SyncEnrollment.key_id == fp)))
    if not rows:
        raise SyncError(f"没有指纹为 {fp} 的设备。请用 `sync device list` 查看待登记和已登记的设备。")
    if len(rows) > 1:
        raise SyncError(f"指纹 {fp} 对应多个密钥，请联系技术支持。")
    return rows[0]


def approve(db: Database, fp: str, *, user: str = "") -> DeviceView:
    """Enroll a pending key for the township it asked for (after comparing fingerprints by phone)."""
    with db.transaction(user) as s:
        row = _find(s, fp)
        if row.status == "revoked":
            raise SyncError(f"设备 {row.key_id} 已注销，不能直接恢复。如确需恢复，请先核实后联系技术支持。")
        others = s.scalars(
            select(SyncEnrollment).where(
                SyncEnrollment.township_id == row.township_id,
                SyncEnrollment.status == "enrolled",
                SyncEnrollment.public_key != row.public_key,
            )
        ).all()
        if others and row.status != "enrolled":
            names = "、".join(o.key_id for o in others)
            raise SyncError(
                f"乡镇 {row.township_code} 已有登记的设备（指纹 {names}）。如果这是重装或更换的电脑，"
                f"请运行 `sync device replace {others[0].key_id} {row.key_id}`（同时注销旧设备）；"
                "如果确实是该乡镇的第二台电脑，请加 --additional。"
            )
        _enroll(row, user)
    return _view(db, row.key_id)


def approve_additional(db: Database, fp: str, *, user: str = "") -> DeviceView:
    """Enroll a second device for a township that already has one (both stay trusted)."""
    with db.transaction(user) as s:
        row = _find(s, fp)
        if row.status == "revoked":
            raise SyncError(f"设备 {row.key_id} 已注销，不能直接恢复。")
        _enroll(row, user)
    return _view(db, row.key_id)


def replace(db: Database, old_fp: str, new_fp: str, *, user: str = "") -> DeviceView:
    """Re-register a reinstalled laptop: revoke the old key, enroll the new one for the same township."""
    with db.transaction(user) as s:
        old, new = _find(s, old_fp), _find(s, new_fp)
        if old.township_id != new.township_id:
            raise SyncError(
                f"旧设备 {old.key_id} 属于乡镇 {old.township_code}，新设备 {new.key_id} 申请的是乡镇 "
                f"{new.township_code}，不能互相替换。"
            )
        if new.status == "revoked":
            raise SyncError(f"设备 {new.key_id} 已注销，不能登记。")
        old.status, old.decided_at, old.decided_by = "revoked", utcnow(), user
        old.note = f"由 {new.key_id} 替换"
        _enroll(new, user)
    return _view(db, new.key_id)


def revoke(db: Database, fp: str, *, user: str = "") -> DeviceView:
    """A lost or retired laptop: its packages are refused from now on; what it sent stays."""
    with db.transaction(user) as s:
        row = _find(s, fp)
        row.status, row.decided_at, row.decided_by = "revoked", utcnow(), user
    return _view(db, fp)


def retired_devices(s: Session, township_id: str) -> set[str]:
    """Device ids (stream prefixes) of the township's laptops whose key is revoked — replaced after a
    reinstall, or lost. A package whose lineage continues one of their generations comes from the
    laptop that took its place (its ledger put back from a backup file), so what the retired laptop
    had sent and the re-base no longer has is listed as lost (``receiver._lost_on_township``); a
    second laptop still in use is never retired, so its records are never called lost."""
    revoked = select(SyncEnrollment.public_key).where(
        SyncEnrollment.township_id == township_id, SyncEnrollment.status == "revoked"
    )
    streams = s.scalars(select(SyncDevice.device_id).where(SyncDevice.public_key.in_(revoked)))
    return {str(stream).split(".")[0] for stream in streams}


def _enroll(row: SyncEnrollment, user: str) -> None:
    row.status, row.decided_at, row.decided_by = "enrolled", utcnow(), user


def _view(db: Database, fp: str) -> DeviceView:
    return next(v for v in list_devices(db) if v.key_id == fp.strip().lower())


def register(
    db: Database, public_key_b64: str, township_code: str, township_id: str, *, user: str = ""
) -> DeviceView:
    """Enroll a key handed over in advance (its fingerprint checked by a person) for one township.

    For a county that registers a laptop before its first package arrives. Raises ``SyncError`` if
    the key is not a 32-byte Ed25519 key or is already enrolled/revoked for another township.
    """
    try:
        raw = base64.b64decode(public_key_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SyncError("设备公钥不是有效的 Base64 文本。") from exc
    if len(raw) != 32:
        raise SyncError("设备公钥长度不对（应为 32 字节的 Ed25519 公钥）。")
    with db.transaction(user) as s:
        row = s.get(SyncEnrollment, public_key_b64)
        if row is not None and row.township_id != township_id:
            raise SyncError(
                f"该设备已登记为乡镇 {row.township_code} 的设备，不能再登记给乡镇 {township_code}。"
            )
        if row is not None and row.status == "revoked":
            raise SyncError(f"设备 {row.key_id} 已注销，不能再登记。")
        if row is None:
            row = SyncEnrollment(
                public_key=public_key_b64,
                key_id=key_id(raw),
                township_id=township_id,
                township_code=township_code,
                device_id="",
                requested_at=utcnow(),
            )
            s.add(row)
        _enroll(row, user)
    return _view(db, key_id(raw))
