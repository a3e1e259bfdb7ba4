"""County side: merge verified packages into this database, one transaction per package.

Order of business for a package: verify the file completely (``package.read_package``); refuse it
if it belongs to another township, comes from a key other than the one its device used before,
cannot be mapped onto this schema, is an empty full export, or has a row whose parent exists
nowhere; treat a package already received (same file, or a range already covered) as a no-op;
hold a package that leaves a gap; otherwise write every row through Core bulk statements with
change numbers from ``allocate_seq`` (the flush hook does not see Core writes) and one audit
summary per table. Conflicts follow docs/sync-package.md: the later ``updated_at`` wins, then the
larger device id; the other version is kept in ``sync_conflict`` for a person to choose.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import SyncConflict, SyncDevice, SyncHeld, SyncOrigin, SyncReceived, Township, utcnow
from services import attachments as attachment_store
from services import audit
from services.db import Database, allocate_seq
from services.paths import data_dir
from services.sync import state
from services.sync.crypto import load_county_key
from services.sync.errors import PackageRejected, SyncError
from services.sync.fileio import write_atomic
from services.sync.package import OpenedPackage, Progress, read_package
from services.sync.tables import (
    comparable,
    decode_row,
    default_for,
    encode_row,
    self_fk_columns,
    synced_tables,
)

CHUNK = 2000
ORIGIN: Table = SyncOrigin.__table__  # type: ignore[assignment]
LOCAL = "county"  # label of edits made in this database itself (no package origin)


@dataclass
class ImportResult:
    file_name: str
    package_id: str
    status: str  # imported / duplicate / held
    message: str
    township_code: str
    device_id: str
    seq_from: int
    seq_to: int
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    conflicts: int = 0
    attachments: int = 0
    seconds: float = 0.0
    released: list[ImportResult] = field(default_factory=list)  # held packages applied after this one

    @property
    def rows_written(self) -> int:
        return sum(self.inserted.values()) + sum(self.updated.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "package_id": self.package_id,
            "status": self.status,
            "message": self.message,
            "township": self.township_code,
            "device_id": self.device_id,
            "seq_from": self.seq_from,
            "seq_to": self.seq_to,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "attachments": self.attachments,
            "seconds": round(self.seconds, 3),
            "released": [r.to_json() for r in self.released],
        }


def held_dir() -> Path:
    return data_dir() / "sync" / "held"


def _result(opened: OpenedPackage, status: str, message: str) -> ImportResult:
    m = opened.manifest
    return ImportResult(
        file_name=opened.file_name,
        package_id=opened.package_id,
        status=status,
        message=message,
        township_code=m.township_code,
        device_id=m.device_id,
        seq_from=m.seq_from,
        seq_to=m.seq_to,
    )


def import_package(
    db: Database,
    path: Path,
    *,
    user: str = "",
    county_key: X25519PrivateKey | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Verify and merge one package; then apply any held packages it made contiguous."""
    started = time.perf_counter()
    opened = read_package(Path(path), county_key=county_key or load_county_key(), progress=progress)
    result = apply_package(db, opened, user=user)
    result.seconds = time.perf_counter() - started
    if result.status == "imported":
        result.released = release_held(db, opened.manifest.device_id, user=user, county_key=county_key)
    return result


def apply_package(db: Database, opened: OpenedPackage, *, user: str = "") -> ImportResult:
    m = opened.manifest
    try:
        with db.transaction(user) as s:
            if (seen := s.get(SyncReceived, opened.package_id)) is not None:
                return _result(
                    opened,
                    "duplicate",
                    f"此包已于 {seen.received_at:%Y-%m-%d %H:%M} 导入过，本次未做任何更改。",
                )
            device = s.get(SyncDevice, m.device_id)
            _check_identity(s, opened, device)
            high = device.high_seq if device is not None else 0
            if m.seq_to <= high:
                return _result(
                    opened,
                    "duplicate",
                    f"此包的第 {m.seq_from}–{m.seq_to} 号更改已全部收到（该设备已收到第 {high} 号及以前），"
                    "本次未做任何更改。",
                )
            if m.seq_from > high + 1:
                return _hold(s, opened, high)
            if m.total_rows == 0:
                raise PackageRejected(
                    f"同步包 {opened.file_name} 是空的{'全量包' if m.full else '包'}（来源数据库没有数据），"
                    "不会用它覆盖县里的数据。请检查乡镇电脑上的数据库是否正确。"
                )
            plan = _plan(s, opened)
            _write_blobs(s, opened)
            result = _execute(s, opened, plan)
            _record(s, opened, device, result)
            audit.record_bulk(
                s,
                user,
                {t: result.inserted.get(t, 0) + result.updated.get(t, 0) for t in plan.order},
                note=f"导入同步包 {opened.file_name}",
            )
            return result
    except IntegrityError as exc:
        raise PackageRejected(
            f"同步包 {opened.file_name} 与县库中已有的数据冲突（唯一性约束），已整体回滚，未写入任何数据："
            f"{str(exc.orig).splitlines()[0]}"
        ) from exc


def _check_identity(s: Session, opened: OpenedPackage, device: SyncDevice | None) -> None:
    m = opened.manifest
    if device is not None:
        if device.public_key != m.device_public_key:
            raise PackageRejected(
                f"同步包 {opened.file_name} 的签名密钥（指纹 {m.device_key_id}）与设备 {m.device_id[:8]} "
                "此前使用的密钥不同，已拒绝。如乡镇电脑重装过系统，请联系县里重新登记该设备。"
            )
        if device.township_code != m.township_code or device.township_id != m.township_id:
            raise PackageRejected(
                f"同步包 {opened.file_name} 声明属于乡镇 {m.township_code}，但该设备此前属于乡镇 "
                f"{device.township_code}，已拒绝。请确认拿的是哪个乡镇的 U 盘。"
            )
    by_code = s.execute(select(Township.id).where(Township.code == m.township_code)).scalar_one_or_none()
    if by_code is not None and by_code != m.township_id:
        raise PackageRejected(
            f"同步包 {opened.file_name} 的乡镇代码 {m.township_code} 在县库中已属于另一个乡镇记录，已拒绝。"
            "这是另一个乡镇（或重建过的数据库）的包，请核对乡镇代码。"
        )
    by_id = s.get(Township, m.township_id)
    if by_id is not None and by_id.code != m.township_code:
        raise PackageRejected(
            f"同步包 {opened.file_name} 声明乡镇代码为 {m.township_code}，县库中同一乡镇的代码是 {by_id.code}，已拒绝。"
        )


def _hold(s: Session, opened: OpenedPackage, high: int) -> ImportResult:
    m = opened.manifest
    missing = f"第 {high + 1}–{m.seq_from - 1} 号"
    message = (
        f"同步包 {opened.file_name}（第 {m.seq_from}–{m.seq_to} 号）暂不导入：还缺该设备{missing}更改的包。"
        f"已暂存，收到缺少的包后会自动导入。请让乡镇 {m.township_code} 补交包含{missing}更改的包"
        "（或重新导出全量包）。"
    )
    if s.get(SyncHeld, opened.package_id) is None:
        target = held_dir() / f"{opened.package_id}.ltpkg"
        write_atomic(target, opened.path.read_bytes())
        s.add(
            SyncHeld(
                package_id=opened.package_id,
                device_id=m.device_id,
                township_code=m.township_code,
                seq_from=m.seq_from,
                seq_to=m.seq_to,
                file_name=opened.file_name,
                stored_path=str(target),
                missing_from=high + 1,
                missing_to=m.seq_from - 1,
            )
        )
    return _result(opened, "held", message)


@dataclass
class Plan:
    order: list[str]
    tables: dict[str, Table]
    rows: dict[str, list[dict[str, Any]]]  # decoded, every receiver column present
    device_seq: dict[str, dict[str, int]]  # table -> row id -> the row's sequence number on the device


def _plan(s: Session, opened: OpenedPackage) -> Plan:
    """Every check that needs the database, before anything is written."""
    m = opened.manifest
    known = {t.name: t for t in synced_tables()}
    unknown = sorted(set(m.tables) - set(known))
    if unknown:
        raise PackageRejected(
            f"同步包 {opened.file_name} 含有本机不认识的数据表（{'、'.join(unknown)}），来自更新版本的软件"
            f"（数据库版本 {m.schema_revision}）。请先升级县级软件再导入。"
        )
    plan = Plan(order=[], tables={}, rows={}, device_seq={})
    for name, table in known.items():
        raw_rows = opened.rows.get(name)
        if not raw_rows:
            continue
        columns = list(m.tables[name]["columns"])
        extra = sorted(set(columns) - set(table.c.keys()))
        if extra:
            raise PackageRejected(
                f"同步包中表 {name} 有本机不认识的列（{'、'.join(extra)}），来自更新版本的软件"
                f"（数据库版本 {m.schema_revision}）。请先升级县级软件再导入。"
            )
        fill: dict[str, Any] = {}
        for col in set(table.c.keys()) - set(columns):
            ok, value = default_for(table, col)
            if not ok:
                raise PackageRejected(
                    f"同步包来自旧版本软件（数据库版本 {m.schema_revision}），表 {name} 缺少必填的列 {col}，"
                    "无法对应到本机的数据结构。请先升级乡镇电脑上的软件，再重新导出。"
                )
            fill[col] = value
        decoded = [fill | decode_row(table, r) for r in raw_rows]
        plan.order.append(name)
        plan.tables[name] = table
        plan.rows[name] = decoded
        plan.device_seq[name] = {r["id"]: int(r.get("row_seq") or 0) for r in raw_rows}
    _check_township(opened, plan)
    _check_parents(s, plan)
    return plan


def _check_township(opened: OpenedPackage, plan: Plan) -> None:
    m = opened.manifest
    for name, rows in plan.rows.items():
        table = plan.tables[name]
        if name == "township":
            strangers = [r for r in rows if r["id"] != m.township_id]
        elif "township_id" in table.c:
            strangers = [r for r in rows if r["township_id"] != m.township_id]
        else:
            continue
        if strangers:
            raise PackageRejected(
                f"同步包声明属于乡镇 {m.township_code}，但表 {name} 中有 {len(strangers)} 条记录属于其他乡镇"
                f"（例如 {strangers[0]['id']}），已拒绝，未写入任何数据。"
            )


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(values)
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _check_parents(s: Session, plan: Plan) -> None:
    ids = {name: {r["id"] for r in rows} for name, rows in plan.rows.items()}
    for name, rows in plan.rows.items():
        table = plan.tables[name]
        for fk in table.foreign_keys:
            col, ref = fk.parent.name, fk.column
            wanted = {r[col] for r in rows if r.get(col) is not None}
            if ref.name == "id":
                wanted -= ids.get(ref.table.name, set())
            found: set[Any] = set()
            for chunk in _chunks(wanted):
                found.update(s.execute(select(ref).where(ref.in_(chunk))).scalars())
            missing = wanted - found
            if missing:
                example = next(r for r in rows if r.get(col) in missing)
                raise PackageRejected(
                    f"同步包中表 {name} 的记录 {example['id']} 的 {col} 指向 {ref.table.name} 中不存在的记录 "
                    f"{example[col]}（共 {len(missing)} 个上级记录缺失），已拒绝，未写入任何数据。"
                    "请先导入包含这些上级记录的包，或在乡镇电脑上导出全量包。"
                )


def _write_blobs(s: Session, opened: OpenedPackage) -> None:
    names = {r.get("sha256"): r.get("filename", "") for r in opened.rows.get("attachment", [])}
    for sha, data in opened.blobs.items():
        target = attachment_store.blob_path(s, sha, str(names.get(sha) or ""))
        if not target.exists():
            write_atomic(target, data)


def _topo(rows: list[dict[str, Any]], cols: list[str]) -> list[dict[str, Any]]:
    """Parents before children inside one self-referencing table (e.g. 党总支 before its 支部)."""
    if not cols:
        return rows
    pending = {r["id"]: r for r in rows}
    out: list[dict[str, Any]] = []
    while pending:
        ready = [
            r for r in pending.values() if all(r.get(c) not in pending or r.get(c) == r["id"] for c in cols)
        ]
        if not ready:  # a cycle: let the database report it
            ready = list(pending.values())
        for r in ready:
            out.append(r)
            del pending[r["id"]]
    return out


def _execute(s: Session, opened: OpenedPackage, plan: Plan) -> ImportResult:
    m = opened.manifest
    result = _result(opened, "imported", "")
    local_id = state.device_id(s)
    inserts: dict[str, list[dict[str, Any]]] = {}
    updates: dict[str, list[dict[str, Any]]] = {}
    origins_new: list[dict[str, Any]] = []
    origins_upd: list[dict[str, Any]] = []
    conflicts: list[SyncConflict] = []
    for name in plan.order:
        table = plan.tables[name]
        rows = plan.rows[name]
        seqs = plan.device_seq[name]
        existing: dict[str, Any] = {}
        origin: dict[str, SyncOrigin] = {}
        for chunk in _chunks(r["id"] for r in rows):
            existing.update(
                {e["id"]: e for e in s.execute(select(table).where(table.c.id.in_(chunk))).mappings()}
            )
            origin.update(
                {o.row_id: o for o in s.scalars(select(SyncOrigin).where(SyncOrigin.row_id.in_(chunk)))}
            )
        ins: list[dict[str, Any]] = []
        upd: list[dict[str, Any]] = []
        for row in rows:
            rid = row["id"]
            mine = {"row_id": rid, "table_name": name, "device_id": m.device_id, "device_seq": seqs[rid]}
            old = existing.get(rid)
            if old is None:
                ins.append(row)
                (origins_upd if rid in origin else origins_new).append(mine)
                continue
            theirs = comparable(encode_row(table, old))
            ours = comparable(encode_row(table, row))
            if theirs == ours:
                result.unchanged += 1
                continue
            o = origin.get(rid)
            if o is not None and o.device_id == m.device_id:
                if seqs[rid] <= o.device_seq:
                    result.unchanged += 1  # an older copy of a row this device has sent since
                    continue
                upd.append(row)
                origins_upd.append(mine)
                continue
            # Changed here (or by another device) and on this device: a conflict, never silent.
            other_dev = o.device_id if o is not None else f"{LOCAL}:{local_id}"
            incoming_wins = (row["updated_at"], m.device_id) > (old["updated_at"], other_dev)
            winner, loser = (ours, theirs) if incoming_wins else (theirs, ours)
            conflicts.append(
                SyncConflict(
                    table_name=name,
                    row_id=rid,
                    package_id=opened.package_id,
                    winner_device=m.device_id if incoming_wins else other_dev,
                    loser_device=other_dev if incoming_wins else m.device_id,
                    winner_json=json.dumps(winner, ensure_ascii=False, sort_keys=True),
                    loser_json=json.dumps(loser, ensure_ascii=False, sort_keys=True),
                    loser_seq=(o.device_seq if o is not None else 0) if incoming_wins else seqs[rid],
                )
            )
            if incoming_wins:
                upd.append(row)
                (origins_upd if o is not None else origins_new).append(mine)
        inserts[name] = _topo(ins, self_fk_columns(table))
        updates[name] = upd
    total = sum(len(v) for v in inserts.values()) + sum(len(v) for v in updates.values())
    seq = allocate_seq(s, total) - total if total else 0
    for name in plan.order:
        table = plan.tables[name]
        ins, upd = inserts[name], updates[name]
        for row in ins:
            seq += 1
            row["row_seq"] = seq
        for row in upd:
            seq += 1
            row["row_seq"] = seq
        if ins:
            s.execute(insert(table), ins)
            result.inserted[name] = len(ins)
        if upd:
            params = [{"_pk": r["id"]} | {k: v for k, v in r.items() if k != "id"} for r in upd]
            s.execute(update(table).where(table.c.id == bindparam("_pk")), params)
            result.updated[name] = len(upd)
    if origins_new:
        s.execute(insert(SyncOrigin), origins_new)
    if origins_upd:
        s.execute(
            update(ORIGIN).where(ORIGIN.c.row_id == bindparam("_pk")),
            [
                {
                    "_pk": o["row_id"],
                    "table_name": o["table_name"],
                    "device_id": o["device_id"],
                    "device_seq": o["device_seq"],
                }
                for o in origins_upd
            ],
        )
    s.add_all(conflicts)
    result.conflicts = len(conflicts)
    result.attachments = len(opened.blobs)
    parts = [f"新增 {sum(result.inserted.values())} 条", f"更新 {sum(result.updated.values())} 条"]
    if result.unchanged:
        parts.append(f"{result.unchanged} 条已是最新")
    result.message = f"已导入 {opened.file_name}（第 {m.seq_from}–{m.seq_to} 号）：{'，'.join(parts)}。"
    if conflicts:
        result.message += (
            f"有 {len(conflicts)} 条记录在两处都被修改过，已按“修改时间较晚者优先”处理，"
            "请在“同步冲突”列表中逐条确认。"
        )
    return result


def _record(s: Session, opened: OpenedPackage, device: SyncDevice | None, result: ImportResult) -> None:
    m = opened.manifest
    now = utcnow()
    if device is None:
        device = SyncDevice(
            device_id=m.device_id,
            township_code=m.township_code,
            township_id=m.township_id,
            public_key=m.device_public_key,
            high_seq=0,
            first_seen=now,
        )
        s.add(device)
    device.high_seq = max(device.high_seq, m.seq_to)
    device.last_seen = now
    s.add(
        SyncReceived(
            package_id=opened.package_id,
            device_id=m.device_id,
            township_code=m.township_code,
            seq_from=m.seq_from,
            seq_to=m.seq_to,
            file_name=opened.file_name[:255],
            rows=m.total_rows,
            inserted=sum(result.inserted.values()),
            updated=sum(result.updated.values()),
            conflicts=result.conflicts,
            received_at=now,
        )
    )
    s.flush()


def release_held(
    db: Database, device_id: str, *, user: str = "", county_key: X25519PrivateKey | None = None
) -> list[ImportResult]:
    """Apply held packages of ``device_id`` that no longer leave a gap, oldest first."""
    released: list[ImportResult] = []
    while True:
        with db.reader() as s:
            device = s.get(SyncDevice, device_id)
            high = device.high_seq if device is not None else 0
            held = s.scalars(
                select(SyncHeld).where(SyncHeld.device_id == device_id).order_by(SyncHeld.seq_from)
            ).first()
        if held is None or held.seq_from > high + 1:
            return released
        stored = Path(held.stored_path)
        try:
            opened = read_package(stored, county_key=county_key or load_county_key())
            result = apply_package(db, opened, user=user)
        except SyncError as exc:
            result = ImportResult(
                file_name=held.file_name,
                package_id=held.package_id,
                status="rejected",
                message=exc.message,
                township_code=held.township_code,
                device_id=device_id,
                seq_from=held.seq_from,
                seq_to=held.seq_to,
            )
        with db.transaction(user) as s:
            row = s.get(SyncHeld, held.package_id)
            if row is not None:
                s.delete(row)
        stored.unlink(missing_ok=True)
        released.append(result)
