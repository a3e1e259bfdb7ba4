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

from models import DbMeta, SyncDevice, SyncEnrollment, SyncHeld, Township, utcnow
from services import audit, localtime
from services.db import Database
from services.sync import state
from services.sync.errors import PackageRejected, SyncError
from services.sync.package import OpenedPackage
from services.sync.signing import b64, key_id

STATUS = {"pending": "待登记", "enrolled": "已登记", "revoked": "已注销"}
REBASE_NOTE = "待对齐"  # ``note`` of an enrolled key whose laptop still has to adopt the re-base file
REFUSED_KEY = "county.refused."  # + fingerprint: DbMeta JSON of the last package refused as revoked


class DeviceRevoked(PackageRejected):
    """A package signed by a revoked key: refused, nothing written. ``fingerprint`` / ``township_code``
    name the device; the message (``revoked_message``) says what the township can do and how the
    county may deliberately reinstate it."""

    def __init__(self, file_name: str, row: SyncEnrollment) -> None:
        super().__init__(revoked_message(file_name, row))
        self.file_name, self.fingerprint, self.township_code = file_name, row.key_id, row.township_code


def reinstate_steps(fp: str) -> str:
    """What to do with a revoked laptop's unsent records (Chinese, exact commands)."""
    return (
        f"如果这台电脑已找回、它上面还没送到县里的记录需要收下：核实后在县里运行 "
        f"`sync device approve {fp} --reinstate`（恢复登记），再运行 `county receive U盘文件夹` 重新接收它的包；"
        "收下后如不再使用这台电脑，再运行 `sync device revoke` 注销。决定不收下时，请乡镇在已登记的电脑上重新录入"
        f"这些记录，并在县里运行 `sync device revoke {fp}` 确认（“待补”中不再提示）。"
    )


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

    Raises ``DeviceRevoked`` (a ``PackageRejected``) for a revoked key (a package the county held
    for a gap while the key was enrolled excepted: what a device sent before its revocation stays),
    ``PackageRejected`` for a key not in its one base64 spelling, a key enrolled for another township
    code, or a package an enrolled key exported before it adopted the county's re-base file
    (``services.sync.rebase``: same township code, the laptop's own township record).
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
        raise DeviceRevoked(opened.file_name, row)
    if row.township_code != m.township_code:
        raise PackageRejected(
            f"同步包 {opened.file_name} 声明属于乡镇 {m.township_code}，但签发它的设备（密钥指纹 {fp}）"
            f"{'登记的是' if row.status == 'enrolled' else '此前申请登记的是'}乡镇 {row.township_code}，已拒绝。"
        )
    if row.status == "enrolled" and row.township_id != m.township_id:
        raise PackageRejected(
            f"同步包 {opened.file_name} 是设备 {fp} 在对齐乡镇记录之前导出的：包里乡镇 {m.township_code} 的记录是"
            "在这台电脑上重新建立的，与县里的不是同一条，已拒绝，未写入任何数据（这个包以后也不能导入，可从 U 盘上删除；"
            "其中的记录仍在那台电脑上）。" + rebase_steps(row.key_id, row.township_code)
        )
    if row.status in ("enrolled", "revoked"):  # revoked here: held while it was enrolled
        if row.status == "enrolled" and row.note.startswith(REBASE_NOTE):
            row.note = ""  # the laptop has adopted the county's township record
        return None
    return pending_message(s, row, m.township_id)


def rebase_steps(fp: str, code: str) -> str:
    """The exact steps (Chinese) that bring a re-created township laptop onto the county's records."""
    return (
        f"请按以下步骤对齐：① 在县里运行 `sync device rebase-file {fp} U盘文件夹`，写出给该电脑的对齐文件；"
        f"② 在乡镇 {code} 的这台电脑上运行 `sync rebase 对齐文件`（改用县里的乡镇和支部编号，已录入的记录保留）；"
        "③ 再运行 `sync export U盘文件夹` 导出同步包交给县里。"
    )


def pending_message(s: Session, row: SyncEnrollment, township_id: str) -> str:
    """Why a key is 待登记 and the exact command(s) for the county (compare the fingerprint first)."""
    fp, code = row.key_id, row.township_code
    others = _enrolled_for(s, code, row.public_key)
    county_town = _county_township_id(s, code)
    head = (
        f"签发它的设备（密钥指纹 {fp}）尚未登记为乡镇 {code} 的设备。请先电话核对乡镇电脑上 "
        f"`sync key device` 显示的指纹（或“设备登记”中核对），一致后"
    )
    if not others:
        text = f"运行 `sync device approve {fp}`。"
    else:
        names = "、".join(o.key_id for o in others)
        text = (
            f"：乡镇 {code} 已有登记的设备（指纹 {names}）。如果这是重装或更换的电脑，运行 "
            f"`sync device replace {others[0].key_id} {fp}`（同时注销旧设备）；如果确实是该乡镇的第二台电脑，运行 "
            f"`sync device approve {fp} --additional`。"
        )
    if county_town is not None and county_town != township_id:
        text += (
            f"该电脑上的乡镇 {code} 记录是重新建立的（与县里的不是同一条，像是重装后没有备份的电脑）：登记后还需"
            "按提示写出对齐文件交给乡镇。"
        )
    return head + text


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
        "把新的密钥指纹报给县里，县里电话核对后登记（`sync device approve 新指纹`），再重新导出（它上面还没送到县里的"
        f"记录都在新包中）。县里也可核实后运行 `sync device approve {row.key_id} --reinstate` 恢复登记原密钥，再用 "
        "`county receive U盘文件夹` 重新接收这个包；决定不收下这些记录时，请在县里运行 "
        f"`sync device revoke {row.key_id}` 确认（“待补”中不再提示）。"
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
    note: str = ""
    discarded: int = 0  # packages awaiting its enrollment dropped when it was revoked
    refused_file: str = ""  # revoked: the last package refused (name as on the stick), not yet decided
    dropped: int = 0  # 待登记 packages dropped when it was enrolled: exported before its re-base

    @property
    def needs_rebase(self) -> bool:
        """Enrolled, but its laptop re-created the township: it must adopt a re-base file first."""
        return self.status == "enrolled" and self.note.startswith(REBASE_NOTE)

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {
            "status_label": STATUS.get(self.status, self.status),
            "needs_rebase": self.needs_rebase,
        }


def list_devices(db: Database) -> list[DeviceView]:
    with db.reader() as s:
        rows = s.scalars(
            select(SyncEnrollment).order_by(SyncEnrollment.township_code, SyncEnrollment.requested_at)
        )
        waiting = Counter(held_key(h) for h in s.scalars(select(SyncHeld).where(SyncHeld.reason == "enroll")))
        out = []
        refused = {r["key_id"]: r.get("file_name", "") for r in refused_packages(s)}
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
                    note=r.note,
                    refused_file=refused.get(r.key_id, "") if r.status == "revoked" else "",
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


def _enrolled_for(s: Session, code: str, other_than: str) -> list[SyncEnrollment]:
    """Keys enrolled for the township with ``code`` (a township is known to a person by its code: a
    laptop reinstalled without a backup re-creates it under a new record id), except ``other_than``."""
    return list(
        s.scalars(
            select(SyncEnrollment)
            .where(
                SyncEnrollment.township_code == code,
                SyncEnrollment.status == "enrolled",
                SyncEnrollment.public_key != other_than,
            )
            .order_by(SyncEnrollment.decided_at)
        )
    )


def _county_township_id(s: Session, code: str) -> str | None:
    return s.scalars(select(Township.id).where(Township.code == code)).first()


def approve(
    db: Database, fp: str, *, additional: bool = False, reinstate: bool = False, user: str = ""
) -> DeviceView:
    """Enroll a key for the township it asked for (after comparing fingerprints by phone).

    A township that already has an enrolled key is refused unless ``additional`` (a second computer;
    both stay trusted) — the message names both fingerprints and the ``replace`` command for a
    reinstalled laptop. A revoked key is enrolled again only with ``reinstate`` (a laptop found
    again whose unsent records the county decides to take; its refused packages must then be
    received again). When the key's laptop re-created the township (same code, another record id),
    the key is enrolled for the county's record and marked 待对齐 (``DeviceView.needs_rebase``).
    Raises ``SyncError`` (Chinese, naming the fingerprints and the command to use).
    """
    with db.transaction(user) as s:
        row = _find(s, fp)
        if row.status == "revoked" and not reinstate:
            raise SyncError(
                f"设备 {row.key_id}（乡镇 {row.township_code}）已注销，没有直接批准。"
                + reinstate_steps(row.key_id)
            )
        if reinstate and row.status != "revoked":
            raise SyncError(
                f"设备 {row.key_id} 没有注销（{STATUS.get(row.status, row.status)}），不需要 --reinstate。"
            )
        others = _enrolled_for(s, row.township_code, row.public_key)
        if others and row.status != "enrolled" and not (additional or reinstate):
            names = "、".join(o.key_id for o in others)
            raise SyncError(
                f"乡镇 {row.township_code} 已有登记的设备（指纹 {names}），新设备指纹 {row.key_id}。"
                f"如果这是重装或更换的电脑，请运行 `sync device replace {others[0].key_id} {row.key_id}`"
                f"（同时注销旧设备 {others[0].key_id}）；如果确实是该乡镇的第二台电脑，请运行 "
                f"`sync device approve {row.key_id} --additional`。"
            )
        if reinstate:
            if (refused := s.get(DbMeta, REFUSED_KEY + row.key_id)) is not None:
                s.delete(refused)
            row.note = "恢复登记"
        dropped = _enroll(s, row, user)
        audit.record_event(
            s,
            "sync_device_approved",
            {
                "key_id": row.key_id,
                "township": row.township_code,
                "additional": additional,
                "reinstate": reinstate,
            },
        )
    _unlink(dropped)
    return _view(db, row.key_id, dropped=len(dropped))


def approve_additional(db: Database, fp: str, *, user: str = "") -> DeviceView:
    """Enroll a second device for a township that already has one (both stay trusted)."""
    return approve(db, fp, additional=True, user=user)


def replace(db: Database, old_fp: str, new_fp: str, *, user: str = "") -> DeviceView:
    """Re-register a reinstalled laptop: revoke the old key, enroll the new one for the same township.

    The township is the same when the codes are (a laptop reinstalled without a backup re-creates
    its township under a new record id: the new key is then enrolled for the county's record and
    marked 待对齐, ``DeviceView.needs_rebase``). Raises ``SyncError`` when the codes differ, the two
    fingerprints are the same device, the new key is revoked or the old one is still only pending.
    """
    with db.transaction(user) as s:
        old, new = _find(s, old_fp), _find(s, new_fp)
        if old.public_key == new.public_key:
            raise SyncError(f"旧设备和新设备是同一个指纹 {old.key_id}，请核对后重新输入。")
        if old.township_code != new.township_code:
            raise SyncError(
                f"旧设备 {old.key_id} 属于乡镇 {old.township_code}，新设备 {new.key_id} 申请的是乡镇 "
                f"{new.township_code}，不能互相替换。"
            )
        if old.status == "pending":
            raise SyncError(
                f"旧设备 {old.key_id} 还没有登记过（待登记），无需替换：请直接运行 `sync device approve {new.key_id}`。"
            )
        if new.status == "revoked":
            raise SyncError(f"设备 {new.key_id} 已注销，不能登记。" + reinstate_steps(new.key_id))
        old.status, old.decided_at, old.decided_by = "revoked", utcnow(), user
        old.note = f"由 {new.key_id} 替换"
        dropped = _enroll(s, new, user)
        files = _discard_held(s, old)
        audit.record_event(
            s, "sync_device_replaced", {"old": old.key_id, "new": new.key_id, "township": new.township_code}
        )
    _unlink(dropped + files)
    return _view(db, new.key_id, dropped=len(dropped))


def revoke(db: Database, fp: str, *, user: str = "") -> DeviceView:
    """A lost or retired laptop: its packages are refused from now on; what it sent stays. Revoking
    a revoked key again confirms its refused packages are not taken (待补 stops listing them)."""
    with db.transaction(user) as s:
        row = _find(s, fp)
        refused = s.get(DbMeta, REFUSED_KEY + row.key_id)
        if row.status == "revoked" and refused is not None:  # again: its refused packages are not taken
            s.delete(refused)
        row.status, row.decided_at, row.decided_by = "revoked", utcnow(), user
        files = _discard_held(s, row)
        audit.record_event(s, "sync_device_revoked", {"key_id": row.key_id, "township": row.township_code})
    _unlink(files)
    view = _view(db, fp)
    view.discarded = len(files)
    return view


def revocations(s: Session) -> list[dict[str, Any]]:
    """Every revoked key of this county database, as plain values (``keep_revocations`` puts them back).

    Read from the live database before a backup replaces it (``services.backup.restore``)."""
    cols = ("public_key", "key_id", "township_id", "township_code", "device_id", "requested_at")
    return [
        {c: getattr(r, c) for c in cols}
        | {"decided_at": r.decided_at, "decided_by": r.decided_by, "note": r.note}
        for r in s.scalars(select(SyncEnrollment).where(SyncEnrollment.status == "revoked"))
    ]


def keep_revocations(s: Session, revoked: list[dict[str, Any]]) -> int:
    """After a county restore: a key revoked in the live database stays revoked, whatever the backup
    says (a backup from before the revocation would trust a lost or stolen laptop's key again —
    revocation is newer knowledge than any backup holds, like the townships' pinned county).
    ``revoked``: ``revocations`` of the database before the swap. Returns how many rows changed;
    audited (``sync_revocation_kept``)."""
    changed = 0
    for values in revoked:
        row = s.get(SyncEnrollment, values["public_key"])
        if row is not None and row.status == "revoked":
            continue
        if row is None:
            row = SyncEnrollment(**{k: v for k, v in values.items()})
            s.add(row)
        row.status = "revoked"
        row.decided_at, row.decided_by, row.note = values["decided_at"], values["decided_by"], values["note"]
        changed += 1
        audit.record_event(
            s, "sync_revocation_kept", {"key_id": values["key_id"], "township": values["township_code"]}
        )
    return changed


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


def _discard_held(s: Session, row: SyncEnrollment) -> list[str]:
    """A revoked key's packages awaiting its enrollment are never imported: drop them (the stored
    copies are removed after the commit). Packages it sent while enrolled stay held."""
    held = held_for_key(s, row.public_key)
    for h in held:
        s.delete(h)
    return [h.stored_path for h in held]


def note_refused(db: Database, refused: DeviceRevoked, *, user: str = "") -> None:
    """Remember that a package of a revoked key was refused (file name as on the stick, local time
    shown by 待补), so 待补 says so instead of "已全部导入". Own transaction: the import rolled back."""
    with db.transaction(user) as s:
        state.put_json(
            s,
            REFUSED_KEY + refused.fingerprint,
            {
                "file_name": refused.file_name,
                "township": refused.township_code,
                "at": utcnow().isoformat(timespec="seconds"),
            },
        )


def refused_packages(s: Session) -> list[dict[str, str]]:
    """Packages refused because their key is revoked (latest per key, not yet reinstated):
    ``{"key_id", "township", "file_name", "at"}`` with ``at`` UTC ISO text."""
    out: list[dict[str, str]] = []
    for meta in s.scalars(select(DbMeta).where(DbMeta.key.startswith(REFUSED_KEY)).order_by(DbMeta.key)):
        data = state.get_json(s, meta.key) or {}
        out.append({"key_id": meta.key[len(REFUSED_KEY) :]} | {k: str(v) for k, v in data.items()})
    return out


def _enroll(s: Session, row: SyncEnrollment, user: str) -> list[str]:
    """Enroll ``row``; a key whose laptop re-created its township (same code, another record id) is
    enrolled for the county's record and marked 待对齐; its 待登记 packages carrying the laptop's own
    record can never be imported and are dropped (the laptop still holds every row: after the
    re-base its next export carries them). Returns the stored copies to remove after the commit."""
    row.status, row.decided_at, row.decided_by = "enrolled", utcnow(), user
    county_town = _county_township_id(s, row.township_code)
    if county_town is None or county_town == row.township_id:
        return []
    stale = [h for h in held_for_key(s, row.public_key) if h.township_id != county_town]
    for h in stale:
        s.delete(h)
    row.township_id, row.note = county_town, f"{REBASE_NOTE}（乡镇记录在该电脑上重建过）"
    return [h.stored_path for h in stale]


def _unlink(paths: list[str]) -> None:
    for p in paths:
        Path(p).unlink(missing_ok=True)


def _view(db: Database, fp: str, *, dropped: int = 0) -> DeviceView:
    view = next(v for v in list_devices(db) if v.key_id == fp.strip().lower())
    view.dropped = dropped
    return view


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
        if row is not None and row.township_code != township_code:
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
        _enroll(s, row, user)
    return _view(db, key_id(raw))
