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
import json
import re
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import SyncDevice, SyncEnrollment, SyncHeld, utcnow
from services import localtime
from services.db import Database
from services.sync.errors import PackageRejected, SyncError
from services.sync.package import OpenedPackage
from services.sync.signing import b64, key_id

STATUS = {"pending": "待登记", "enrolled": "已登记", "revoked": "已注销"}


def fingerprint(public_key_b64: str) -> str:
    """The fingerprint people compare: first 16 hex of SHA-256 of the raw 32-byte key."""
    try:
        return key_id(base64.b64decode(public_key_b64, validate=True))
    except (binascii.Error, ValueError):
        return "（无效密钥）"


def canonical(public_key_b64: str) -> str | None:
    """The one base64 spelling of a 32-byte key (padding bits zero), or None when it is not one.

    Base64 decoders ignore the two padding bits of a 32-byte key, so one key has four spellings;
    the county records keys by this spelling, so a revoked key cannot come back spelled otherwise."""
    try:
        raw = base64.b64decode(public_key_b64, validate=True)
    except (binascii.Error, ValueError):
        return None
    return b64(raw) if len(raw) == 32 else None


REPLACED_NOTE = re.compile(r"由 ([0-9a-f]{16}) 替换")


def check(s: Session, opened: OpenedPackage) -> str | None:
    """None when the package's key is enrolled for its township; else why it is held (待登记).

    Raises ``PackageRejected`` for a key not in its one base64 spelling, a revoked key (a package
    the county held for a gap while the key was enrolled excepted: what a device sent before its
    revocation stays) or a key enrolled for another township.
    """
    m = opened.manifest
    fp = fingerprint(m.device_public_key)
    if canonical(m.device_public_key) != m.device_public_key:
        raise PackageRejected(
            f"同步包 {opened.file_name} 中的设备公钥编码不规范（同一把密钥的另一种写法，密钥指纹 {fp}），"
            "本软件从不这样写，已拒绝，未写入任何数据。请勿使用此文件，并告知县里的管理员。"
        )
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
    if row.status == "revoked" and not _held_while_enrolled(s, opened):
        raise PackageRejected(revoked_message(opened.file_name, row))
    if row.township_id != m.township_id:
        raise PackageRejected(
            f"同步包 {opened.file_name} 声明属于乡镇 {m.township_code}，但签发它的设备（密钥指纹 {fp}）"
            f"登记的是乡镇 {row.township_code}，已拒绝。"
        )
    if row.status in ("enrolled", "revoked"):  # revoked here: held while it was enrolled
        return None
    return (
        f"签发它的设备（密钥指纹 {fp}）尚未登记为乡镇 {m.township_code} 的设备。请电话核对乡镇电脑“数据同步”窗口（或"
        f" `sync key device`）显示的指纹，一致后运行 `sync device approve {fp}`；是重装的电脑则运行 "
        f"`sync device replace 旧指纹 {fp}`。"
    )


def check_stream(s: Session, opened: OpenedPackage, last_key: str | None) -> None:
    """A device's change stream (database and generation) is continued by the key that signed it
    last, or by a key that took over from a revoked one (``replace``, or a found laptop's new key) —
    never by another laptop still enrolled that sends its own stream: its package would mark the
    other laptop's numbers as received and that laptop's own changes would then be taken for
    duplicates and never imported. (A new key with no stream of its own continuing the stream is
    the same database on a reinstalled laptop, even when the county enrolled it beside the old key.)

    ``last_key``: the key that signed the stream's last package here (None: a new stream). Raises
    ``PackageRejected``."""
    m = opened.manifest
    if last_key is None or last_key == m.device_public_key:
        return
    previous = s.get(SyncEnrollment, last_key)
    current = s.get(SyncEnrollment, m.device_public_key)
    if previous is None or previous.status != "enrolled" or current is None or current.status != "enrolled":
        return
    own = s.scalars(
        select(SyncDevice.device_id).where(
            SyncDevice.public_key == m.device_public_key, SyncDevice.device_id != m.stream
        )
    ).first()
    if own is None:  # a key with no stream of its own: the same database on a reinstalled laptop
        return
    raise PackageRejected(
        f"同步包 {opened.file_name} 声明接续乡镇 {m.township_code} 设备 {m.device_id[:8]} 的同步记录，"
        f"但这些记录一直由另一台已登记的电脑（密钥指纹 {previous.key_id}）签发，本包由 {current.key_id} 签发，"
        "已拒绝，未写入任何数据。如果这是重装后的同一台电脑，请在县里运行 "
        f"`sync device replace {previous.key_id} {current.key_id}`（注销旧密钥）后再导入；"
        "如果是另一台电脑，请在那台电脑上用它自己的台账导出。"
    )


def _held_while_enrolled(s: Session, opened: OpenedPackage) -> bool:
    """Whether the county already holds this very package for a gap: it passed the enrollment check
    when it arrived (a package awaiting enrollment is held as ``enroll``, never as ``gap``)."""
    held = s.get(SyncHeld, opened.package_id)
    return held is not None and held.reason == "gap"


def revoked_message(file_name: str, row: SyncEnrollment) -> str:
    """Why a revoked key's package is refused and what the township can actually do about it."""
    when = localtime.show(row.decided_at)
    head = f"同步包 {file_name} 由已注销的设备签发（密钥指纹 {row.key_id}，乡镇 {row.township_code}"
    replaced = REPLACED_NOTE.search(row.note or "")
    if replaced:
        return (
            f"{head}，{when} 已由新设备 {replaced.group(1)} 替换），已拒绝。这是旧电脑（或重装前）导出的包："
            "请在乡镇现在使用的电脑上重新导出同步包交来，县里尚未确认收到的更改都会包含在新包中。"
        )
    return (
        f"{head}，{when} 注销），已拒绝；它此前送来的数据保留。如果这台电脑已找回并要继续使用，"
        "请在这台电脑上运行 `sync key device --new` 生成新的签名密钥（旧密钥另存备份），"
        "把新的密钥指纹报给县里，县里电话核对后登记（`sync device approve 新指纹`），再重新导出。"
    )


def held_key(held: SyncHeld) -> str:
    """The signing key of a held package, from the manifest of its stored copy ("" if unreadable:
    the copy was verified when held; a damaged one is reported when it is released)."""
    try:
        with zipfile.ZipFile(Path(held.stored_path)) as z:
            doc = json.loads(z.read("manifest.json"))
        return str(doc["device"]["public_key"])
    except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile):
        return ""


def held_for_key(s: Session, public_key: str, *, reason: str = "enroll") -> list[SyncHeld]:
    """Packages held for ``reason`` that this key signed, oldest first — by the key in each stored
    package, not by device id (a stranger may copy a township's device id; a reinstalled laptop
    keeps its device id with a new key)."""
    rows = s.scalars(
        select(SyncHeld).where(SyncHeld.reason == reason).order_by(SyncHeld.seq_from, SyncHeld.held_at)
    )
    return [h for h in rows if held_key(h) == public_key]


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
    discarded: int = 0  # packages awaiting its enrollment dropped when it was revoked

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"status_label": STATUS.get(self.status, self.status)}


def list_devices(db: Database) -> list[DeviceView]:
    with db.reader() as s:
        rows = s.scalars(
            select(SyncEnrollment).order_by(SyncEnrollment.township_code, SyncEnrollment.requested_at)
        )
        waiting = Counter(held_key(h) for h in s.scalars(select(SyncHeld).where(SyncHeld.reason == "enroll")))
        out = []
        for r in rows:
            held = waiting.get(r.public_key, 0)
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
        files = _discard_held(s, old)
    _unlink(files)
    return _view(db, new.key_id)


def revoke(db: Database, fp: str, *, user: str = "") -> DeviceView:
    """A lost or retired laptop: its packages are refused from now on; what it sent stays."""
    with db.transaction(user) as s:
        row = _find(s, fp)
        row.status, row.decided_at, row.decided_by = "revoked", utcnow(), user
        files = _discard_held(s, row)
    _unlink(files)
    view = _view(db, fp)
    view.discarded = len(files)
    return view


def _discard_held(s: Session, row: SyncEnrollment) -> list[Path]:
    """A revoked key's packages awaiting its enrollment are never imported: drop them (the stored
    copies are removed after the commit). Packages it sent while enrolled stay held."""
    held = held_for_key(s, row.public_key)
    for h in held:
        s.delete(h)
    return [Path(h.stored_path) for h in held]


def _unlink(files: list[Path]) -> None:
    for path in files:
        path.unlink(missing_ok=True)


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
    public_key_b64 = b64(raw)  # the one spelling packages are checked against
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
