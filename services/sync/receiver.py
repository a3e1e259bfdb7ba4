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
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import Boolean, Integer, String, Table, bindparam, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from models import SyncConflict, SyncDevice, SyncHeld, SyncReceived, Township, utcnow
from services import attachments as attachment_store
from services import audit, localtime
from services.db import Database, allocate_seq
from services.paths import data_dir
from services.sync import anchor as sync_anchor
from services.sync import state
from services.sync.crypto import load_county_key
from services.sync.errors import PackageRejected, SyncError
from services.sync.fileio import write_atomic
from services.sync.package import OpenedPackage, Progress, read_package
from services.sync.tables import (
    check_text_column,
    comparable,
    decode_row,
    default_for,
    encode_row,
    self_fk_columns,
    synced_tables,
    text_pattern,
)

CHUNK = 2000
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
                    f"此包已于 {localtime.show(seen.received_at)} 导入过，本次未做任何更改。",
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
            result, first, last = _execute(s, opened, plan)
            if warning := sync_anchor.check_received(s, m.device_id, m.audit_anchor):  # i20
                result.message = f"{result.message}\n警告：{warning}".strip()
            _record(s, opened, device, result, (first, last))
            audit.record_bulk(
                s,
                user,
                {t: result.inserted.get(t, 0) + result.updated.get(t, 0) for t in plan.order},
                note=f"导入同步包 {opened.file_name}",
            )
            return result
    except DBAPIError as exc:
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
class TablePlan:
    table: Table
    columns: list[str]  # the receiver's column order
    rows: list[list[Any]]  # canonical values in that order
    device_seq: list[int]  # each row's change number on the device

    def index(self, column: str) -> int:
        return self.columns.index(column)


@dataclass
class Plan:
    order: list[str]
    tables: dict[str, TablePlan]


_PY_TYPES: list[tuple[type, frozenset[type]]] = [
    (Boolean, frozenset({bool})),
    (Integer, frozenset({int})),
    (String, frozenset({str})),
]


def _allowed_types(col_type: Any) -> frozenset[type] | None:
    for sa_type, allowed in _PY_TYPES:
        if isinstance(col_type, sa_type):
            return allowed
    return None


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
    plan = Plan(order=[], tables={})
    for name, table in known.items():
        raw_rows = opened.rows.get(name)
        if not raw_rows:
            continue
        theirs = opened.columns(name)
        ours = [c.name for c in table.columns]
        extra = sorted(set(theirs) - set(ours))
        if extra:
            raise PackageRejected(
                f"同步包中表 {name} 有本机不认识的列（{'、'.join(extra)}），来自更新版本的软件"
                f"（数据库版本 {m.schema_revision}）。请先升级县级软件再导入。"
            )
        if theirs == ours:
            rows = raw_rows
        else:
            fill: dict[str, Any] = {}
            for col in set(ours) - set(theirs):
                ok, value = default_for(table, col)
                if not ok:
                    raise PackageRejected(
                        f"同步包来自旧版本软件（数据库版本 {m.schema_revision}），表 {name} 缺少必填的列 {col}，"
                        "无法对应到本机的数据结构。请先升级乡镇电脑上的软件，再重新导出。"
                    )
                fill[col] = value
            where = {c: i for i, c in enumerate(theirs)}
            rows = [[r[where[c]] if c in where else fill[c] for c in ours] for r in raw_rows]
        seq_at = ours.index("row_seq")
        tp = TablePlan(table=table, columns=ours, rows=rows, device_seq=[int(r[seq_at] or 0) for r in rows])
        _check_values(opened, tp)
        plan.order.append(name)
        plan.tables[name] = tp
    _check_township(opened, plan)
    _check_parents(s, plan)
    return plan


def _check_values(opened: OpenedPackage, tp: TablePlan) -> None:
    """Types and canonical text per column, one pass each: what is stored must read back."""
    columns = list(zip(*tp.rows, strict=True))
    for i, col in enumerate(tp.table.columns):
        values = columns[i]
        pattern = text_pattern(col.type)
        bad: int | None = None
        if pattern is not None:
            bad = check_text_column(values, pattern)
        elif (allowed := _allowed_types(col.type)) is not None:
            found = set(map(type, values)) - {type(None)}
            if not found <= allowed:
                bad = next(j for j, v in enumerate(values) if v is not None and type(v) not in allowed)
        if bad is not None:
            raise PackageRejected(
                f"同步包 {opened.file_name} 中表 {tp.table.name} 的记录 {tp.rows[bad][tp.index('id')]} "
                f"的 {col.name} 值无效（{tp.rows[bad][i]!r}），已拒绝，未写入任何数据。"
            )


def _check_township(opened: OpenedPackage, plan: Plan) -> None:
    m = opened.manifest
    for name, tp in plan.tables.items():
        if name == "township":
            at = tp.index("id")
        elif "township_id" in tp.columns:
            at = tp.index("township_id")
        else:
            continue
        strangers = [r for r in tp.rows if r[at] != m.township_id]
        if strangers:
            raise PackageRejected(
                f"同步包声明属于乡镇 {m.township_code}，但表 {name} 中有 {len(strangers)} 条记录属于其他乡镇"
                f"（例如 {strangers[0][tp.index('id')]}），已拒绝，未写入任何数据。"
            )


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(values)
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _check_parents(s: Session, plan: Plan) -> None:
    ids = {name: {r[tp.index("id")] for r in tp.rows} for name, tp in plan.tables.items()}
    for name, tp in plan.tables.items():
        for fk in tp.table.foreign_keys:
            at, ref = tp.index(fk.parent.name), fk.column
            wanted = {r[at] for r in tp.rows} - {None}
            if ref.name == "id":
                wanted -= ids.get(ref.table.name, set())
            found: set[Any] = set()
            for chunk in _chunks(wanted):
                found.update(s.execute(select(ref).where(ref.in_(chunk))).scalars())
            missing = wanted - found
            if missing:
                example = next(r for r in tp.rows if r[at] in missing)
                raise PackageRejected(
                    f"同步包中表 {name} 的记录 {example[tp.index('id')]} 的 {fk.parent.name} 指向 "
                    f"{ref.table.name} 中不存在的记录 {example[at]}（共 {len(missing)} 个上级记录缺失），"
                    "已拒绝，未写入任何数据。请先导入包含这些上级记录的包，或在乡镇电脑上导出全量包。"
                )


def _write_blobs(s: Session, opened: OpenedPackage) -> None:
    names = {r.get("sha256"): r.get("filename", "") for r in opened.dicts("attachment")}
    for sha, data in opened.blobs.items():
        target = attachment_store.blob_path(s, sha, str(names.get(sha) or ""))
        if not target.exists():
            write_atomic(target, data)


def _topo(rows: list[list[Any]], id_at: int, parents: list[int]) -> list[list[Any]]:
    """Parents before children inside one self-referencing table (e.g. 党总支 before its 支部)."""
    if not parents:
        return rows
    pending = {r[id_at]: r for r in rows}
    out: list[list[Any]] = []
    while pending:
        ready = [r for r in pending.values() if all(r[p] not in pending or r[p] == r[id_at] for p in parents)]
        if not ready:  # a cycle: let the database report it
            ready = list(pending.values())
        for r in ready:
            out.append(r)
            del pending[r[id_at]]
    return out


class _Origins:
    """Which device last wrote a row here, from the block of change numbers its package used."""

    def __init__(self, s: Session, local: str) -> None:
        blocks = s.execute(
            select(SyncReceived.county_seq_from, SyncReceived.county_seq_to, SyncReceived.device_id)
            .where(SyncReceived.county_seq_to > 0)
            .order_by(SyncReceived.county_seq_from)
        ).all()
        self.starts = [b[0] for b in blocks]
        self.blocks = blocks
        self.local = local

    def device(self, row_seq: int) -> str:
        i = bisect_right(self.starts, row_seq) - 1
        if i >= 0 and self.blocks[i][0] <= row_seq <= self.blocks[i][1]:
            return str(self.blocks[i][2])
        return self.local


def _execute(s: Session, opened: OpenedPackage, plan: Plan) -> tuple[ImportResult, int, int]:
    m = opened.manifest
    result = _result(opened, "imported", "")
    origins = _Origins(s, f"{LOCAL}:{state.device_id(s)}")
    inserts: dict[str, list[list[Any]]] = {}
    updates: dict[str, list[list[Any]]] = {}
    conflicts: list[SyncConflict] = []
    for name in plan.order:
        tp = plan.tables[name]
        table, id_at = tp.table, tp.index("id")
        present: set[str] = set()
        for chunk in _chunks(r[id_at] for r in tp.rows):
            present.update(s.execute(select(table.c.id).where(table.c.id.in_(chunk))).scalars())
        ins: list[list[Any]] = []
        upd: list[list[Any]] = []
        if not present:
            ins = list(tp.rows)
        else:
            existing: dict[str, Any] = {}
            for chunk in _chunks(present):
                existing.update(
                    {e["id"]: e for e in s.execute(select(table).where(table.c.id.in_(chunk))).mappings()}
                )
            for row, dev_seq in zip(tp.rows, tp.device_seq, strict=True):
                old = existing.get(row[id_at])
                if old is None:
                    ins.append(row)
                    continue
                theirs = comparable(encode_row(table, old))
                ours = comparable(dict(zip(tp.columns, row, strict=True)))
                if theirs == ours:
                    result.unchanged += 1
                    continue
                other_dev = origins.device(int(old["row_seq"]))
                if other_dev == m.device_id:
                    upd.append(row)  # the same device's later version (packages apply in order)
                    continue
                # Changed here (or by another device) and on this device: a conflict, never silent.
                incoming_wins = (ours["updated_at"], m.device_id) > (theirs["updated_at"], other_dev)
                winner, loser = (ours, theirs) if incoming_wins else (theirs, ours)
                conflicts.append(
                    SyncConflict(
                        table_name=name,
                        row_id=row[id_at],
                        package_id=opened.package_id,
                        winner_device=m.device_id if incoming_wins else other_dev,
                        loser_device=other_dev if incoming_wins else m.device_id,
                        winner_json=json.dumps(winner, ensure_ascii=False, sort_keys=True),
                        loser_json=json.dumps(loser, ensure_ascii=False, sort_keys=True),
                        loser_seq=0 if incoming_wins else dev_seq,
                    )
                )
                if incoming_wins:
                    upd.append(row)
        parents = [tp.index(c) for c in self_fk_columns(table)]
        inserts[name] = _topo(ins, id_at, parents)
        updates[name] = upd
    total = sum(len(v) for v in inserts.values()) + sum(len(v) for v in updates.values())
    first = allocate_seq(s, total) - total + 1 if total else 0
    seq = first - 1
    conn = s.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for name in plan.order:
        tp = plan.tables[name]
        seq_at = tp.index("row_seq")
        ins, upd = inserts[name], updates[name]
        for row in ins:
            seq += 1
            row[seq_at] = seq
        for row in upd:
            seq += 1
            row[seq_at] = seq
        if ins:
            # Plain executemany of canonical values: SQLite stores this exact text, PostgreSQL casts it.
            cols = ", ".join(f'"{c}"' for c in tp.columns)
            sql = f'INSERT INTO "{name}" ({cols}) VALUES ({", ".join([mark] * len(tp.columns))})'
            conn.exec_driver_sql(sql, [tuple(r) for r in ins])
            result.inserted[name] = len(ins)
        if upd:
            params = [
                {"_pk": r[tp.index("id")]}
                | {
                    k: v
                    for k, v in decode_row(tp.table, dict(zip(tp.columns, r, strict=True))).items()
                    if k != "id"
                }
                for r in upd
            ]
            s.execute(update(tp.table).where(tp.table.c.id == bindparam("_pk")), params)
            result.updated[name] = len(upd)
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
    return result, first, seq


def _record(
    s: Session, opened: OpenedPackage, device: SyncDevice | None, result: ImportResult, block: tuple[int, int]
) -> None:
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
            county_seq_from=block[0],
            county_seq_to=block[1],
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
