"""待补: per township, the last package received, the packages held and what each waits for, and the
exact instruction to give the township clerk (Chinese).

Read-only: a 查阅 user may look. Times are stored UTC and shown in local time (``*_local``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DbMeta, SyncDevice, SyncEnrollment, SyncHeld, SyncReceived, Township, utcnow
from services import localtime
from services.db import Database
from services.sync import enrollment
from services.sync.enrollment import (
    REBASE_NOTE,
    pending_message,
    rebase_steps,
    refused_packages,
    reinstate_steps,
)
from services.sync.errors import SyncError
from services.sync.wording import numbers


def _local(utc_iso: str) -> str:
    try:
        return localtime.show(datetime.fromisoformat(utc_iso))
    except ValueError:
        return utc_iso


@dataclass
class HeldPackage:
    """A package kept at the county. ``reason``: gap (waits for change numbers ``missing_from``–
    ``missing_to`` of the same device) or enroll (its device awaits 设备登记). ``error``: why its
    release failed last time ("" when none)."""

    file_name: str
    seq_from: int
    seq_to: int
    reason: str
    missing_from: int
    missing_to: int
    held_at: datetime  # UTC
    error: str = ""
    key_id: str = ""  # fingerprint of the key that signed it, computed from the key in the package
    # "" (its gap can still be filled), "superseded" (the township restored or re-based since: the
    # numbers it waits for no longer exist) or "revoked" (every key of its device is revoked)
    stuck: str = ""
    enrolled: bool = False  # reason enroll, but its device has been enrolled since (release failed)

    @property
    def waits_for(self) -> str:
        if self.reason == "enroll" and self.enrolled:
            return "发送它的电脑已登记，但这个包未能导入（原因见后）"
        if self.reason == "enroll":
            return f"等待县里登记发送它的电脑（设备登记，密钥指纹 {self.key_id or '未知'}）"
        if self.stuck == "superseded":
            return f"缺{numbers(self.missing_from, self.missing_to)}更改，乡镇已恢复备份或重新发送全部数据，无法再补"
        if self.stuck == "revoked":
            return f"缺{numbers(self.missing_from, self.missing_to)}更改，发送它的设备已注销，不会再导入"
        return f"缺{numbers(self.missing_from, self.missing_to)}更改"

    def to_json(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "seq_from": self.seq_from,
            "seq_to": self.seq_to,
            "reason": self.reason,
            "missing_from": self.missing_from,
            "missing_to": self.missing_to,
            "held_at_local": localtime.show(self.held_at),
            "waits_for": self.waits_for,
            "error": self.error,
            "key_id": self.key_id,
            "stuck": self.stuck,
        }


@dataclass
class TownshipPending:
    """One township's line on the 待补 screen. ``instruction`` is what to tell its clerk (Chinese);
    ``ok`` is True when nothing is held and nothing is awaited."""

    code: str
    name: str
    last_file: str = ""
    last_received_at: datetime | None = None  # UTC
    received_through: int = 0  # of its latest device stream
    held: list[HeldPackage] = field(default_factory=list)
    pending_keys: list[str] = field(default_factory=list)  # fingerprints awaiting enrollment
    pending_why: dict[str, str] = field(default_factory=dict)  # fingerprint → enrollment.pending_message
    rebase_keys: list[str] = field(default_factory=list)  # enrolled, still to adopt a re-base file
    refused: list[dict[str, str]] = field(default_factory=list)  # packages of revoked keys refused
    rejected: list[dict[str, str]] = field(default_factory=list)  # other refusals not yet made good
    instruction: str = ""

    @property
    def ok(self) -> bool:
        return (
            not self.held
            and not self.pending_keys
            and not self.rebase_keys
            and not self.refused
            and not self.rejected
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "township": self.code,
            "name": self.name,
            "last_file": self.last_file,
            "last_received_at_local": localtime.show(self.last_received_at),
            "received_through": self.received_through,
            "held": [h.to_json() for h in self.held],
            "pending_keys": self.pending_keys,
            "rebase_keys": self.rebase_keys,
            "refused": self.refused,
            "rejected": self.rejected,
            "instruction": self.instruction,
            "ok": self.ok,
        }


def _instruction(t: TownshipPending) -> str:
    parts: list[str] = []
    gaps = [h for h in t.held if h.reason == "gap" and not h.stuck]
    failed = [h for h in t.held if h.error and not h.stuck]
    superseded = [h.file_name for h in t.held if h.stuck == "superseded"]
    revoked = [h.file_name for h in t.held if h.stuck == "revoked"]
    if t.pending_keys and not t.pending_why:
        fps = "、".join(t.pending_keys)
        parts.append(
            f"请给乡镇 {t.code} 的同志打电话：在乡镇电脑上运行 `sync key device`（或“数据同步”里）念出本机密钥指纹，"
            f"与 {fps} 逐字核对一致后，在“设备登记”中批准；不一致则不要批准，请对方检查是否用错了电脑。"
        )
    parts.extend(t.pending_why[fp] for fp in t.pending_keys if fp in t.pending_why)
    for fp in t.rebase_keys:
        parts.append(
            f"乡镇 {t.code} 的电脑 {fp} 已登记，但它是重新建立乡镇的（没有备份的重装电脑），还没有对齐："
            + rebase_steps(fp, t.code)
        )
    for r in t.refused:
        parts.append(
            f"乡镇 {t.code} 交来的包 {r.get('file_name', '')}（{_local(r.get('at', ''))}）来自已注销的设备 "
            f"{r['key_id']}，已拒收，其中的记录没有导入。" + reinstate_steps(r["key_id"])
        )
    for r in t.rejected:
        parts.append(
            f"乡镇 {t.code} 交来的包 {r.get('file_name', '')}（{_local(r.get('at', ''))}）未能导入：{r.get('reason', '')}"
            "请把原因告诉乡镇，处理后重新导出同步包交来。"
        )
    if gaps:
        lo = min(h.missing_from for h in gaps)
        hi = max(h.missing_to for h in gaps)
        parts.append(
            f"请乡镇 {t.code} 的同志先在乡镇电脑上导入县里最新的回执（数据同步 → 导入回执），再导出一次同步包"
            f"（数据同步 → 导出同步包）交来：新包会从第 {t.received_through + 1} 号更改起，补上缺少的{numbers(lo, hi)}。"
            "如果交来后仍显示缺包，请对方导出全量包（勾选“全量”，或命令 `sync export --full`）。"
        )
    if failed:
        names = "、".join(h.file_name for h in failed)
        parts.append(
            f"暂存的包 {names} 复核或导入失败（原因见列表），请乡镇 {t.code} 导出全量包（`sync export --full`）重新交来。"
        )
    if superseded:
        parts.append(
            f"暂存的包 {'、'.join(superseded)} 是乡镇 {t.code} 恢复备份（或复制数据库）之前发来的：乡镇此后已重新发送"
            "现有的全部数据，这些包缺少的更改已无法补交，也不会再自动导入，包中的记录乡镇电脑上可能已经没有了。"
            f"请与乡镇 {t.code} 逐条核对（`sync verify 暂存的包` 可查看内容），需要的记录请乡镇重新录入后再同步；"
            "核对完后用 `county held-discard 文件名` 移出待补。"
        )
    if revoked:
        parts.append(
            f"暂存的包 {'、'.join(revoked)} 由乡镇 {t.code} 已注销的设备发来，不会再导入。"
            f"请与乡镇 {t.code} 核对其中的记录，需要的请乡镇在已登记的电脑上重新录入后再同步；"
            "核对完后用 `county held-discard 文件名` 移出待补。"
        )
    if not parts:
        if t.last_file:
            return f"无需补交：乡镇 {t.code} 的包已全部导入（收到第 {t.received_through} 号更改为止）。"
        return f"乡镇 {t.code} 还没有交过同步包：请对方在乡镇电脑上导出同步包交来。"
    return "".join(parts)


def _signer(held: SyncHeld) -> str:
    """Fingerprint of the key that signed a held package, from the key in its stored copy."""
    key = enrollment.held_key(held)
    return enrollment.fingerprint(key) if key else ""


REJECTED_KEY = "county.rejected."  # + township code + "." + 8 hex of the device: the last refusal


def note_rejected(
    db: Database, code: str, device: str, file_name: str, reason: str, *, user: str = ""
) -> None:
    """Remember a package of township ``code`` refused at 接收 (named as on the stick, ``device`` = the 8
    hex of the device id in its name), so 待补 lists it — with the reason — until a later package of
    that device is imported. Own transaction: the refused import rolled back."""
    from services.county.mode import is_county
    from services.sync import state

    with db.transaction(user) as s:
        if not is_county(s):
            return
        state.put_json(
            s,
            f"{REJECTED_KEY}{code}.{device}",
            {
                "township": code,
                "device": device,
                "file_name": file_name,
                "reason": reason[:500],
                "at": utcnow().isoformat(timespec="seconds"),
            },
        )


def _rejected(session: Session) -> list[dict[str, str]]:
    """Refusals not yet followed by an imported package of the same device (see ``note_rejected``)."""
    from services.sync import state

    out = []
    for meta in session.scalars(select(DbMeta).where(DbMeta.key.startswith(REJECTED_KEY))):
        data = {k: str(v) for k, v in (state.get_json(session, meta.key) or {}).items()}
        try:
            at = datetime.fromisoformat(data.get("at", ""))
        except ValueError:
            continue
        later = session.scalars(
            select(SyncReceived.package_id)
            .where(SyncReceived.device_id.startswith(data.get("device", "-")), SyncReceived.received_at > at)
            .limit(1)
        ).first()
        if later is None:
            out.append(data)
    return out


def pending_by_township(session: Session) -> list[TownshipPending]:
    """Every township known here (received, held or asking for enrollment), ordered by code, with its
    last package, held packages and the instruction for its clerk. Read-only, any role."""
    towns: dict[str, TownshipPending] = {}

    def town(code: str) -> TownshipPending:
        if code not in towns:
            towns[code] = TownshipPending(code=code, name="")
        return towns[code]

    for t in session.scalars(select(Township).where(Township.deleted.is_(False))):
        town(t.code).name = t.name
    for r in session.scalars(select(SyncReceived).order_by(SyncReceived.received_at)):
        tp = town(r.township_code)
        tp.last_file, tp.last_received_at = r.file_name, r.received_at
    latest: dict[str, datetime] = {}
    for d in session.scalars(select(SyncDevice)):
        tp = town(d.township_code)
        if d.township_code not in latest or d.last_seen >= latest[d.township_code]:
            latest[d.township_code] = d.last_seen
            tp.received_through = d.high_seq
    forked = _superseded_generations(session)
    enrolled_devices = [
        e.device_id
        for e in session.scalars(select(SyncEnrollment).where(SyncEnrollment.status == "enrolled"))
        if e.device_id
    ]
    for h in session.scalars(select(SyncHeld).order_by(SyncHeld.township_code, SyncHeld.seq_from)):
        town(h.township_code).held.append(
            HeldPackage(
                file_name=h.file_name,
                seq_from=h.seq_from,
                seq_to=h.seq_to,
                reason=h.reason,
                missing_from=h.missing_from,
                missing_to=h.missing_to,
                held_at=h.held_at,
                error=h.error or "",
                key_id=_signer(h),
                stuck=_stuck(session, h, forked),
                enrolled=h.reason == "enroll" and any(h.device_id.startswith(d) for d in enrolled_devices),
            )
        )
    for e in session.scalars(select(SyncEnrollment).where(SyncEnrollment.status == "pending")):
        town(e.township_code).pending_keys.append(e.key_id)
        town(e.township_code).pending_why[e.key_id] = pending_message(session, e, e.township_id)
    for e in session.scalars(select(SyncEnrollment).where(SyncEnrollment.status == "enrolled")):
        if e.note.startswith(REBASE_NOTE):
            town(e.township_code).rebase_keys.append(e.key_id)
    for refused in refused_packages(session):
        town(refused.get("township", "")).refused.append(refused)
    for rejected in _rejected(session):
        town(rejected["township"]).rejected.append(rejected)
    for tp in towns.values():
        tp.instruction = _instruction(tp)
    return [towns[c] for c in sorted(towns)]


def _superseded_generations(session: Session) -> set[str]:
    """``<device id>.<first 16 hex of a generation>`` of every stream a later generation of the same
    database has forked from (known from the lineage of the re-bases received: they start at 1)."""
    out: set[str] = set()
    rows = session.execute(
        select(SyncReceived.device_id, SyncReceived.lineage).where(SyncReceived.seq_from == 1)
    )
    for stream, lineage in rows:
        try:
            chain = json.loads(lineage or "[]")
        except ValueError:
            continue
        device = str(stream).split(".")[0]
        out.update(f"{device}.{str(x[0])[:16]}" for x in chain[1:] if isinstance(x, list) and x)
    return out


def _stuck(session: Session, held: SyncHeld, forked: set[str]) -> str:
    """Why a package held for a gap can never be released ("" when it still can)."""
    if held.reason != "gap":
        return ""
    if held.device_id in forked:
        return "superseded"
    keys = session.scalars(
        select(SyncEnrollment.status).where(SyncEnrollment.device_id == held.device_id.split(".")[0])
    ).all()
    return "revoked" if keys and all(k == "revoked" for k in keys) else ""


def discard_held(db: Database, file_name: str, *, user: str = "") -> HeldPackage:
    """Take a held package off the 待补 list after a person checked it with the township (one whose
    gap can no longer be filled, or that is not wanted). ``file_name``: as listed by ``county pending``.
    The stored copy stays in the held folder; audited as ``county_held_discarded``. Raises
    ``SyncError`` naming the name when no held package has it."""
    from services.county.mode import county_action

    with county_action(db, "移出暂存的同步包", "county_held_discarded", user=user) as s:
        rows = s.scalars(select(SyncHeld).where(SyncHeld.file_name == file_name)).all()
        if not rows:
            raise SyncError(
                f"没有名为 {file_name} 的暂存同步包。请用 `county pending` 查看暂存的包及其文件名。"
            )
        row = rows[0]
        view = HeldPackage(
            file_name=row.file_name,
            seq_from=row.seq_from,
            seq_to=row.seq_to,
            reason=row.reason,
            missing_from=row.missing_from,
            missing_to=row.missing_to,
            held_at=row.held_at,
            error=row.error or "",
        )
        s.info["county_detail"] |= {
            "file": row.file_name,
            "township": row.township_code,
            "seq": [row.seq_from, row.seq_to],
            "stored_path": row.stored_path,
        }
        s.delete(row)
    return view
