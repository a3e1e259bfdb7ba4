"""County side: merge verified packages into this database, one transaction per package.

Order of business for a package: verify the file completely (``package.read_package``); refuse it
if it belongs to another township, comes from a key other than the one its device used before,
cannot be mapped onto this schema, is an empty full export, or has a row whose parent exists
nowhere; treat a package already received (same file, or a range already covered) as a no-op;
hold a package that leaves a gap; otherwise write every row through Core bulk statements (COPY on
PostgreSQL) with change numbers from ``allocate_seq`` (the flush hook does not see Core writes) and
one audit summary per table. The rows are read twice from the package's ``RowStore``, block by
block — once to check them, keeping only their key columns, once to write them — so memory is
bounded by a block budget and the key columns, not by the package. Conflicts follow docs/sync-package.md: the later ``updated_at`` wins, then the
larger device id; the other version is kept in ``sync_conflict`` for a person to choose.
"""

from __future__ import annotations

import hashlib
import json
import os
import reprlib
import shutil
import time
from array import array
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC as UTC_TZ
from itertools import repeat
from operator import itemgetter, setitem
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import Boolean, Connection, Integer, String, Table, bindparam, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from models import (
    ChangeCounter,
    SyncConflict,
    SyncDevice,
    SyncEnrollment,
    SyncHeld,
    SyncReceived,
    Township,
    utcnow,
)
from services import attachments as attachment_store
from services import audit, collation, localtime, textclean
from services.db import Database, allocate_seq
from services.paths import data_dir
from services.sync import anchor as sync_anchor
from services.sync import copies, enrollment, natural_keys, ownership, state
from services.sync.conflicts import CopiedHistory, duplicate_people, send_back_lost, versions_conflict
from services.sync.crypto import load_county_key
from services.sync.errors import PackageRejected, SyncError
from services.sync.fileio import atomic_file, write_atomic
from services.sync.package import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    OpenedPackage,
    Progress,
    RowStore,
    collector_paused,
    read_package,
)
from services.sync.tables import (
    check_text_column,
    comparable,
    decode_row,
    default_for,
    encode_row,
    in_values,
    self_fk_columns,
    synced_tables,
    table_by_name,
    text_pattern,
)
from services.sync.values import BadValue, check_column, column_words, table_words

CHUNK = 50_000  # ids per look-up (one parameter: an array or a JSON document)
WRITE_BATCH = 20_000  # rows per executemany
LOCAL = "county"  # label of edits made in this database itself (no package origin)


@dataclass
class ImportResult:
    file_name: str
    package_id: str
    status: str  # imported / duplicate / held (gap) / pending (待登记) / rejected
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
        device_id=m.stream,
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
    key = county_key or load_county_key()
    with (
        collector_paused(),
        read_package(
            Path(path), county_key=key, progress=progress, spool_dir=_spool_parent(db), blocks=True
        ) as opened,
    ):
        if key is not None and opened.manifest.encryption is None:
            raise PackageRejected(
                f"同步包 {opened.file_name} 没有加密，但本机已有县级密钥：按规定县里只接收加密的包。"
                "请在乡镇电脑上运行 `sync key county-set 县级公钥文件` 后重新导出。"
            )
        result = apply_package(db, opened, user=user)
    result.seconds = time.perf_counter() - started
    if result.status == "imported":
        result.released = release_held(db, opened.manifest.stream, user=user, county_key=county_key)
    return result


STALE_SECONDS = 6 * 3600  # staging older than this belongs to an import that was killed


def _spool_parent(db: Database) -> Path:
    """Where a package's attachments are staged while it is read: inside the attachment store, so
    moving a file into place at commit is a rename on the same disk. Staging folders and partial
    files an import killed mid-way left behind (power cut, task manager) are removed first."""
    with db.reader() as s:
        store = attachment_store.store_dir(s)
    _sweep_stale(store)
    return store / ".incoming"


def _sweep_stale(store: Path) -> None:
    """Remove ``.incoming/ltpkg-*`` folders and ``*.part`` files older than ``STALE_SECONDS``."""
    if not store.is_dir():
        return
    cutoff = time.time() - STALE_SECONDS
    try:
        stale = [d for d in (store / ".incoming").glob("ltpkg-*") if d.stat().st_mtime < cutoff]
        stale += [f for f in store.glob("??/*.part") if f.stat().st_mtime < cutoff]
    except OSError:
        return
    for item in stale:
        if item.is_dir():
            shutil.rmtree(item, ignore_errors=True)
        else:
            item.unlink(missing_ok=True)


def apply_package(db: Database, opened: OpenedPackage, *, user: str = "") -> ImportResult:
    """Merge one verified package in one transaction (or hold it, or refuse it naming why)."""
    m = opened.manifest
    staged: Staged | None = None
    try:
        with db.transaction(user) as s:
            if (seen := s.get(SyncReceived, opened.package_id)) is not None:
                return _result(
                    opened,
                    "duplicate",
                    f"此包已于 {localtime.show(seen.received_at)} 导入过，本次未做任何更改。",
                )
            _check_clock(opened)
            _check_identity(s, opened, by_code=False)  # an existing township's id under another code
            # Enrollment before the code check: an unknown key naming an existing code with a new township
            # record is a laptop reinstalled without a backup (held as 待登记 for the re-base) or a stranger
            # (held until a person compares fingerprints); an enrolled key is refused there naming the re-base.
            trust = enrollment.check(s, opened)
            if trust is not None:
                return _hold(s, opened, 0, reason="enroll", message=trust)
            _check_identity(s, opened, by_code=True)
            device = _stream(s, opened)
            enrollment.check_stream(s, opened, device.public_key if device is not None else None)
            high = device.high_seq if device is not None else 0
            if m.seq_to <= high:
                return _result(
                    opened,
                    "duplicate",
                    f"此包的第 {m.seq_from}–{m.seq_to} 号更改已全部收到（该设备本世代已收到第 {high} 号及以前），"
                    "本次未做任何更改。",
                )
            if m.seq_from > high + 1:
                _check_gap(opened, high)
                return _hold(s, opened, high)
            if m.total_rows == 0:
                raise PackageRejected(
                    f"同步包 {opened.file_name} 是空的{'全量包' if m.full else '包'}（来源数据库没有数据），"
                    "不会用它覆盖县里的数据。请检查乡镇电脑上的数据库是否正确。"
                )
            plan = _plan(s, opened, high)
            staged = _stage_blobs(s, opened, plan)
            result, first, last, seqs = _execute(s, opened, plan)
            if warning := sync_anchor.check_received(s, m.stream, m.audit_anchor):  # per change stream
                result.message = f"{result.message}\n警告：{warning}".strip()
            if device is None and (copied := copies.second_database(s, opened)):
                result.message = f"{result.message}\n注意：{copied}"
            _record(s, opened, device, result, (first, last), seqs)
            audit.record_bulk(
                s,
                user,
                {t: result.inserted.get(t, 0) + result.updated.get(t, 0) for t in plan.order},
                note=f"导入同步包 {opened.file_name}",
            )
            s.flush()
        staged.commit()  # files take their names only once the rows are committed
        return result
    except BaseException as exc:
        if staged is not None:
            staged.discard()  # rolled back (or the commit failed): no file stays behind
        if isinstance(exc, DBAPIError):
            raise PackageRejected(_db_error_message(opened, exc)) from exc
        raise


def _db_error_message(opened: OpenedPackage, exc: DBAPIError) -> str:
    """Classify a database error for the clerk: size, date, concurrency, constraint."""
    detail = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
    low = detail.lower()
    head = f"同步包 {opened.file_name} 未能写入县库，已整体回滚，未写入任何数据："
    if "too long" in low or "value too long" in low or "string data, right truncated" in low:
        return head + f"有文字超过了字段长度上限（{detail}）。"
    if ("date" in low or "time" in low) and ("invalid" in low or "out of range" in low):
        return head + f"有无效的日期（{detail}）。"
    locked = (
        "could not serialize",
        "deadlock",
        "database is locked",
        "lock timeout",
        "could not obtain lock",
    )
    if any(w in low for w in locked) or "due to lock" in low:
        return head + f"另一项导入或修改正在同时进行（{detail}）。请稍后重试。"
    if "unique" in low or "duplicate key" in low:
        return head + f"与县库中已有的记录重复（唯一性约束：{detail}）。"
    if "foreign key" in low:
        return head + f"有记录指向不存在的上级记录（外键约束：{detail}）。"
    if "not null" in low or "null value" in low:
        return head + f"有必填项为空（{detail}）。"
    if "out of range" in low or "too large" in low or "overflow" in low:
        return head + f"有超出范围的数值（{detail}）。"
    if "0x00" in low or "invalid byte sequence" in low or "surrogate" in low:
        return head + f"有无法保存的字符（{detail}）。"
    if "disk" in low or "no space" in low or "full" in low:
        return head + f"县里电脑的磁盘空间不足或无法写入（{detail}）。请腾出空间后重试。"
    return head + f"数据库拒绝了写入（{detail}）。"


CLOCK_SLACK_DAYS = 1
MAX_SEQ_STEP = 1_000_000  # change numbers a device may skip beyond the rows it sends


def _check_clock(opened: OpenedPackage) -> None:
    """The package's own time must not be ahead of the county clock (a wrong clock wins conflicts)."""
    from datetime import datetime, timedelta

    m = opened.manifest
    try:
        made = datetime.fromisoformat(m.created_at.rstrip("Z"))
    except ValueError as exc:
        raise PackageRejected(
            f"同步包 {opened.file_name} 的导出时间 {m.created_at!r} 无效，已拒绝。"
        ) from exc
    if made.tzinfo is not None:
        made = made.astimezone(UTC_TZ).replace(tzinfo=None)
    if made > utcnow() + timedelta(days=CLOCK_SLACK_DAYS):
        shown = localtime.show(made, seconds=True) if made.year < 9999 else m.created_at
        raise PackageRejected(
            f"同步包 {opened.file_name} 的导出时间 {shown}（本地时间）晚于县里电脑的"
            f"当前时间 {localtime.show(utcnow(), seconds=True)}：乡镇电脑的时钟可能不准。"
            "请先校准乡镇电脑的日期和时间，再重新导出。"
        )


def _check_gap(opened: OpenedPackage, high: int) -> None:
    """A gap no laptop could leave (more than ``MAX_SEQ_STEP`` numbers missing) is refused, not held:
    held, it would wait forever and every later package of the device would wait behind it."""
    m = opened.manifest
    if m.seq_from - high - 1 > MAX_SEQ_STEP:
        raise PackageRejected(
            f"同步包 {opened.file_name} 从第 {m.seq_from} 号更改序号开始，县里只收到该设备的第 {high} 号，"
            f"中间缺少的序号远超任何电脑能产生的数量，疑似伪造或设备计数器损坏，已拒绝，未暂存。"
            "请在乡镇电脑上运行 `sync export --full` 重新导出。"
        )


def _check_identity(s: Session, opened: OpenedPackage, *, by_code: bool) -> None:
    """The manifest's township must be the county's: its id not under another code here and (``by_code``,
    after the enrollment check) its code not another township record's. Raises ``PackageRejected``."""
    m = opened.manifest
    by_id = s.get(Township, m.township_id)
    if by_id is not None and by_id.code != m.township_code:
        raise PackageRejected(
            f"同步包 {opened.file_name} 声明乡镇代码为 {m.township_code}，县库中同一乡镇的代码是 {by_id.code}，已拒绝。"
        )
    if not by_code:
        return
    by_code_id = s.execute(select(Township.id).where(Township.code == m.township_code)).scalar_one_or_none()
    if by_code_id is not None and by_code_id != m.township_id:
        raise PackageRejected(
            f"同步包 {opened.file_name} 的乡镇代码 {m.township_code} 在县库中已属于另一个乡镇记录，已拒绝。"
            "这是另一个乡镇（或重建过的数据库）的包，请核对乡镇代码。"
        )


def _stream(s: Session, opened: OpenedPackage) -> SyncDevice | None:
    """The county's record of this device's current generation (a format-1 stream is adopted once)."""
    m = opened.manifest
    device = s.get(SyncDevice, m.stream)
    if device is None and m.generation and len(m.lineage) == 1:
        legacy = s.get(SyncDevice, m.device_id)
        if legacy is not None and legacy.generation == "":
            # First format-2 package of a database that synced under format 1: same numbers, same stream.
            for model in (SyncDevice, SyncReceived, SyncHeld):
                s.execute(update(model).where(model.device_id == m.device_id).values(device_id=m.stream))
            s.execute(
                update(SyncDevice).where(SyncDevice.device_id == m.stream).values(generation=m.generation)
            )
            s.expire_all()
            device = s.get(SyncDevice, m.stream)
    if device is not None and device.township_id != m.township_id:
        raise PackageRejected(
            f"同步包 {opened.file_name} 声明属于乡镇 {m.township_code}，但该设备此前属于乡镇 "
            f"{device.township_code}，已拒绝。请确认拿的是哪个乡镇的 U 盘。"
        )
    return device


def _safe_code(code: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in code)[:32] or "township"


def _hold(
    s: Session, opened: OpenedPackage, high: int, *, reason: str = "gap", message: str = ""
) -> ImportResult:
    """Keep a verified package for later (a gap before it, or its device awaits enrollment)."""
    m = opened.manifest
    name = f"乡镇 {m.township_code} 第 {m.seq_from}–{m.seq_to} 号更改的包（{opened.file_name}）"
    if reason == "gap":
        missing = f"第 {high + 1}–{m.seq_from - 1} 号"
        message = (
            f"{name}暂不导入：还缺该设备{missing}更改的包。已暂存，收到缺少的包后会自动导入。"
            f"请让乡镇 {m.township_code} 补交包含{missing}更改的包（或在乡镇电脑上运行 `sync export --full` 导出全量包）。"
        )
        missing_from, missing_to = high + 1, m.seq_from - 1
    else:
        message = f"{name}暂存为“待登记”，未导入：{message}"
        missing_from = missing_to = 0
    row = s.get(SyncHeld, opened.package_id)
    if row is None:
        target = held_dir() / (
            f"{_safe_code(m.township_code)}_{m.seq_from}-{m.seq_to}_{opened.package_id[:12]}.ltpkg"
        )
        with opened.path.open("rb") as src, atomic_file(target) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)  # in chunks: a held package is never read whole
        s.add(
            SyncHeld(
                package_id=opened.package_id,
                device_id=m.stream,
                township_code=m.township_code,
                township_id=m.township_id,
                seq_from=m.seq_from,
                seq_to=m.seq_to,
                file_name=opened.file_name,
                stored_path=str(target),
                missing_from=missing_from,
                missing_to=missing_to,
                reason=reason,
            )
        )
    else:
        row.reason, row.missing_from, row.missing_to, row.error = reason, missing_from, missing_to, ""
    return _result(opened, "held" if reason == "gap" else "pending", message)


@dataclass
class Block:
    """Rows of one table being checked or written: a block of the package, never the whole table."""

    table: Table
    columns: list[str]  # the receiver's column order
    rows: list[list[Any]]  # canonical values in that order

    def index(self, column: str) -> int:
        return self.columns.index(column)


@dataclass
class TablePlan:
    """What the checks across tables need of one table, kept while its rows are not: the key columns.

    ``keys`` maps a column (``id``, every foreign key, ``owner_type``/``owner_id``, and for
    attachments ``sha256``/``deleted``) to its values, one per row in file order; the rows themselves
    stay in the package's ``RowStore`` (mapped to ``columns`` and cleaned by the first pass).
    """

    table: Table
    columns: list[str]  # the receiver's column order
    keys: dict[str, list[Any]]
    count: int = 0
    seq_lo: int = 0  # smallest / largest change number on the device
    seq_hi: int = 0
    id_set: set[Any] = field(default_factory=set)  # ``ids`` as a set, made once for every check

    def index(self, column: str) -> int:
        return self.columns.index(column)

    @property
    def ids(self) -> list[Any]:
        return self.keys["id"]

    def column(self, name: str) -> list[Any]:
        return self.keys[name]


@dataclass
class Plan:
    order: list[str]
    tables: dict[str, TablePlan]
    present: dict[str, set[str]] = field(default_factory=dict)  # ids already in this database, per table


def key_columns(table: Table) -> list[str]:
    """The columns the checks across tables read (ownership, parents, attachments)."""
    refs = {fk.parent.name for fk in table.foreign_keys} | {c for c, _t in ownership.references(table)}
    cols = ["id", *sorted(refs - {"id"})]
    cols += [c for c in ("owner_type", "owner_id") if c in table.c and c not in cols]
    if table.name == "attachment":
        cols += ["sha256", "deleted"]
    if table.name == ownership.ROOT:
        cols += ["name"]
    return cols


LOCAL_COLUMNS_SET = frozenset({"row_seq"})
EARLIEST_STAMP = "2000-01-01 00:00:00.000000"


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


def _plan(s: Session, opened: OpenedPackage, high: int = 0) -> Plan:
    """Every check that needs the database, before anything is written.

    First pass over the rows, block by block (``opened.store``): each block is mapped to this
    schema's columns, cleaned, checked (types, entry rules, clock, township) and put back; only the
    key columns of every table are kept for the checks across tables (parents, ownership).
    """
    m = opened.manifest
    store = _store_of(opened)
    known = table_by_name()
    ownership.check_local_tables(opened)
    unknown = sorted(set(m.tables) - set(known))
    if unknown:
        raise PackageRejected(
            f"同步包 {opened.file_name} 含有本机不认识的数据表（{'、'.join(unknown)}），来自更新版本的软件"
            f"（数据库版本 {m.schema_revision}）。请先升级县级软件再导入。"
        )
    plan = Plan(order=[], tables={})
    for name, table in known.items():
        if not store.count(name):
            continue
        theirs = opened.columns(name)
        ours = [c.name for c in table.columns]
        extra = sorted(set(theirs) - set(ours))
        if extra:
            raise PackageRejected(
                f"同步包中表 {name} 有本机不认识的列（{'、'.join(extra)}），来自更新版本的软件"
                f"（数据库版本 {m.schema_revision}）。请先升级县级软件再导入。"
            )
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
        keys = key_columns(table)
        tp = TablePlan(table=table, columns=ours, keys={k: [] for k in keys}, seq_lo=0, seq_hi=0)
        seq_at = ours.index("row_seq")
        for index, raw_rows in store.blocks(name):
            if theirs == ours:
                rows = raw_rows
            else:
                rows = [[r[where[c]] if c in where else fill[c] for c in ours] for r in raw_rows]
            columns = list(zip(*rows, strict=True))  # column-wise once, for every check
            _check_values(opened, Block(table=table, columns=ours, rows=rows), columns)  # types first
            typed = rows
            rows = _derive(table, ours, _clean_text(table, ours, rows))
            if rows is not typed:
                columns = list(zip(*rows, strict=True))
            block = Block(table=table, columns=ours, rows=rows)
            _check_rules(opened, block, columns)
            _check_township(opened, block, columns)
            seqs = columns[seq_at]  # integers (checked above) or NULL, counted as 0
            lo, hi = (min(seqs), max(seqs)) if None not in seqs else (0, max((v or 0) for v in seqs))
            tp.seq_lo = lo if not tp.count else min(tp.seq_lo, lo)
            tp.seq_hi = max(tp.seq_hi, hi)
            tp.count += len(rows)
            for k in keys:
                tp.keys[k].extend(columns[ours.index(k)])
            if rows is not raw_rows:
                store.replace(name, index, rows)
            del rows, raw_rows, columns, block, typed
        tp.id_set = set(tp.ids)
        plan.order.append(name)
        plan.tables[name] = tp
    _check_seq_bounds(opened, plan, high)
    _check_parents(s, plan)
    plan.present = ownership.check(s, opened, plan.tables)
    for tp in plan.tables.values():  # the checks are done: the writes need no set of every id
        tp.id_set = set()
    return plan


def _store_of(opened: OpenedPackage) -> RowStore:
    """The package's rows by block; a package read with its rows in memory is wrapped (no copy)."""
    if opened.store is None:
        store = RowStore(lambda: opened.spool_dir(None), budget=1 << 62)
        for table, rows in opened.rows.items():
            if rows:
                store.add(table, rows)
        opened.store = store
    return opened.store


def _derive(table: Table, columns: list[str], rows: list[list[Any]]) -> list[list[Any]]:
    """Columns derived from another column of the row (``collation.DERIVED``: the roster's pinyin sort
    key and initials) recomputed from the received source, once per distinct value: a package from a
    version before them carries the default (every member would sort first) and a sender's derived
    value is not trusted. Rows already right are returned as they are."""
    derived = [
        (columns.index(col), columns.index(source), fn)
        for (name, col), (source, fn) in collation.DERIVED.items()
        if name == table.name and col in columns and source in columns
    ]
    if not derived:
        return rows
    out = rows
    for at, source_at, fn in derived:
        values = {v: fn(v) for v in set(map(itemgetter(source_at), rows)) if isinstance(v, str)}
        current = list(map(itemgetter(at), out))  # column-wise, in C
        if current == list(map(values.get, map(itemgetter(source_at), out), current)):
            continue
        if out is rows:
            out = [list(r) for r in rows]
        for r in out:
            if isinstance(r[source_at], str):
                r[at] = values[r[source_at]]
    return out


def _clean_text(table: Table, columns: list[str], rows: list[list[Any]]) -> list[list[Any]]:
    """Text cleaned as entry cleans it (``services.textclean``): a package from an older version may
    carry what this version never stores (control characters, zero-width spaces, name-dot variants),
    and what the county keeps must be writable in every output. Rows untouched are returned as they are."""
    text_columns = [
        (i, policy)
        for i, name in enumerate(columns)
        if (policy := textclean.policy_for(name)) is not None and isinstance(table.c[name].type, String)
    ]
    if not text_columns:
        return rows
    # Each distinct value is cleaned once; rows are copied only when some value changes (rarely).
    changes: list[tuple[int, dict[str, str]]] = []
    for i, policy in text_columns:
        try:
            distinct = set(map(itemgetter(i), rows))  # in C; other types are refused later
        except TypeError:  # an unhashable value (a list where text belongs): refused by the type check
            continue
        if policy == textclean.FREE and set(map(type, distinct)) <= {str, type(None)}:
            distinct.discard(None)
            if textclean.is_clean_free(distinct):  # the usual case: nothing to clean, one pass in C
                continue
        fixed = {
            v: cleaned
            for v in distinct
            if isinstance(v, str) and v and (cleaned := textclean.clean(v, policy)) != v
        }
        if fixed:
            changes.append((i, fixed))
    if not changes:
        return rows
    out: list[list[Any]] = []
    for row in rows:
        new: list[Any] | None = None
        for i, fixed in changes:
            value = row[i]
            if isinstance(value, str) and value in fixed:
                if new is None:
                    new = list(row)
                new[i] = fixed[value]
        out.append(row if new is None else new)
    return out


def _check_rules(opened: OpenedPackage, tp: Block, columns: list[tuple[Any, ...]]) -> None:
    """The entry rules per column (services/sync/values.py) and timestamps against the county clock.

    ``columns``: the rows column by column (after ``_check_values``: types are already right).
    """
    from datetime import datetime, timedelta

    m = opened.manifest
    for i, col in enumerate(tp.columns):
        if col in LOCAL_COLUMNS_SET:
            continue
        try:
            check_column(tp.table, col, columns[i], app_version=m.app_version)
        except BadValue as bad:
            raise PackageRejected(
                f"同步包 {opened.file_name} 中表 {table_words(tp.table.name)} 的记录 "
                f"{_shown_id(tp.rows[bad.index][tp.index('id')])} 的 {column_words(col)} 值 "
                f"{_short(tp.rows[bad.index][i])} {bad.reason}，本机无法保存，已拒绝整个包，未写入任何数据。"
            ) from None
    latest = (utcnow() + timedelta(days=CLOCK_SLACK_DAYS)).isoformat(sep=" ", timespec="microseconds")
    for col in ("created_at", "updated_at", "deleted_at"):
        if col not in tp.columns:
            continue
        at = tp.index(col)
        present = columns[at] if None not in columns[at] else tuple(filter(None, columns[at]))
        hi, lo = max(present, default=None), min(present, default=None)
        if hi is None or lo is None:
            continue
        if hi > latest or lo < EARLIEST_STAMP:
            bad_value = hi if hi > latest else lo
            row = next(r for r in tp.rows if r[at] == bad_value)
            when = (
                "晚于县里电脑的当前时间"
                if bad_value == hi and hi > latest
                else f"早于 {EARLIEST_STAMP[:4]} 年"
            )
            shown = localtime.show(datetime.fromisoformat(bad_value), seconds=True)
            raise PackageRejected(
                f"同步包 {opened.file_name} 中表 {table_words(tp.table.name)} 的记录 {row[tp.index('id')]} 的 "
                f"{column_words(col)} 为 "
                f"{shown}（本地时间），{when}：乡镇电脑的时钟可能不准。请校准时钟并核对该记录后重新导出。"
            )


_REPR = reprlib.Repr(maxlevel=2, maxlist=3, maxdict=2, maxstring=40, maxother=40)


def _short(value: Any) -> str:
    """A received value as a message shows it: escaped (control characters, lone surrogates), never
    long (a 300,000-character name, a list of a million items) and never deeply nested."""
    if isinstance(value, str):  # repr escapes what is not printable
        shown = repr(value[:40])
        return shown if len(value) <= 40 else f"{shown[:30]}…（共 {len(value)} 个字符）"
    return _REPR.repr(value)


def _shown_id(rid: Any) -> str:
    """A record id for a message: as it is when printable, else escaped."""
    return rid if isinstance(rid, str) and rid.isprintable() and len(rid) <= 64 else _short(rid)


def _check_seq_bounds(opened: OpenedPackage, plan: Plan, high: int) -> None:
    """Rows' change numbers inside the declared range; the range no further than the rows justify."""
    m = opened.manifest
    top = 0
    for tp in plan.tables.values():
        if not tp.count:
            continue
        lo, hi = tp.seq_lo, tp.seq_hi
        top = max(top, hi)
        floor = 1 if m.full else m.seq_from
        if lo < floor or hi > m.seq_to:
            raise PackageRejected(
                f"同步包 {opened.file_name} 中表 {tp.table.name} 有记录的更改序号（{lo}–{hi}）不在包声明的范围 "
                f"{m.seq_from}–{m.seq_to} 内，已拒绝。"
            )
    if m.seq_to - max(top, high) > MAX_SEQ_STEP:
        raise PackageRejected(
            f"同步包 {opened.file_name} 声明的更改序号到第 {m.seq_to} 号，远超包内记录的最大序号 {top}，"
            "疑似伪造或设备计数器损坏，已拒绝。请在乡镇电脑上重新导出。"
        )


def _check_values(opened: OpenedPackage, tp: Block, columns: list[tuple[Any, ...]]) -> None:
    """Types and canonical text per column, one pass each: what is stored must read back."""
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
                f"同步包 {opened.file_name} 中表 {table_words(tp.table.name)} 的记录 "
                f"{_shown_id(tp.rows[bad][tp.index('id')])} 的 {column_words(col.name)} 值无效"
                f"（{_short(tp.rows[bad][i])}），已拒绝，未写入任何数据。"
            )


def _check_township(opened: OpenedPackage, block: Block, columns: list[tuple[Any, ...]]) -> None:
    """Every row of the package names the manifest's township (its own id, or ``township_id``)."""
    m = opened.manifest
    name = block.table.name
    if name == "township":
        if "code" in block.columns and set(columns[block.index("code")]) - {m.township_code}:
            raise PackageRejected(
                f"同步包声明属于乡镇 {m.township_code}，但包中的乡镇记录把代码改成了其他值，已拒绝，未写入任何数据。"
                "乡镇代码只能在县里更改。"
            )
        at = block.index("id")
    elif "township_id" in block.columns:
        at = block.index("township_id")
    else:
        return
    if set(columns[at]) - {m.township_id}:
        strangers = [r for r in block.rows if r[at] != m.township_id]
        raise PackageRejected(
            f"同步包声明属于乡镇 {m.township_code}，但表 {name} 中有 {len(strangers)} 条记录属于其他乡镇"
            f"（例如 {strangers[0][block.index('id')]}），已拒绝，未写入任何数据。"
        )


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(values)
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _check_parents(s: Session, plan: Plan) -> None:
    ids = {name: tp.id_set for name, tp in plan.tables.items()}
    for name, tp in plan.tables.items():
        for fk in tp.table.foreign_keys:
            values, ref = tp.column(fk.parent.name), fk.column
            wanted = set(values) - {None}
            if ref.name == "id":
                wanted -= ids.get(ref.table.name, set())
            found: set[Any] = set()
            for chunk in _chunks(wanted):
                found.update(s.execute(select(ref).where(in_values(s, ref, chunk))).scalars())
            missing = wanted - found
            if missing:
                i = next(k for k, v in enumerate(values) if v in missing)
                raise PackageRejected(
                    f"同步包中表 {name} 的记录 {tp.ids[i]} 的 {fk.parent.name} 指向 "
                    f"{ref.table.name} 中不存在的记录 {values[i]}（共 {len(missing)} 个上级记录缺失），"
                    "已拒绝，未写入任何数据。请先导入包含这些上级记录的包，或在乡镇电脑上导出全量包。"
                )


SAFE_SUFFIXES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}


def safe_suffix(head: bytes) -> str:
    """The stored file's suffix from its content (never from the package): a safe list or ``.bin``."""
    if head.startswith(b"%PDF-"):
        return SAFE_SUFFIXES["application/pdf"]
    mime = attachment_store._image_mime(head)
    return SAFE_SUFFIXES.get(mime or "", ".bin")


@dataclass
class Staged:
    """Attachment files written under temporary names; renamed into place after the commit."""

    moves: list[tuple[Path, Path]] = field(default_factory=list)
    repairs: set[Path] = field(default_factory=set)  # targets whose stored bytes no longer match

    def commit(self) -> None:
        for tmp, target in self.moves:
            if target.exists() and target not in self.repairs:
                tmp.unlink(missing_ok=True)  # put there meanwhile by another import: the same bytes
            else:
                tmp.replace(target)
        self.moves.clear()

    def discard(self) -> None:
        for tmp, _target in self.moves:
            tmp.unlink(missing_ok=True)
        self.moves.clear()


def _stage_blobs(s: Session, opened: OpenedPackage, plan: Plan) -> Staged:
    """Only files a non-deleted attachment row of this package refers to, within the bounds."""
    tp = plan.tables.get("attachment")
    wanted: set[str] = set()
    if tp is not None:
        wanted = {
            sha for sha, gone in zip(tp.column("sha256"), tp.column("deleted"), strict=True) if not gone
        }
    loose = sorted(set(opened.blobs) - wanted)
    if loose:
        raise PackageRejected(
            f"同步包 {opened.file_name} 含有 {len(loose)} 个没有任何附件记录引用的文件（例如 {loose[0][:12]}…），"
            "已拒绝，未写入任何数据。"
        )
    # The exporter sends the bytes of every non-deleted attachment row it sends, unless the laptop lost
    # them (then listed): a row pointing at a file it did not send (another township's photo already
    # here, say) is refused.
    absent = sorted(wanted - set(opened.blobs) - set(opened.manifest.missing_attachments))
    if absent:
        raise PackageRejected(
            f"同步包 {opened.file_name} 中有 {len(absent)} 条附件记录引用的文件既不在包中，也没有列为乡镇电脑上"
            f"已丢失的附件（例如 {absent[0][:12]}…），包不完整，已拒绝，未写入任何数据。请在乡镇电脑上重新导出。"
        )
    blobs = {sha: opened.blobs[sha] for sha in wanted if sha in opened.blobs}
    sizes = [b.stat().st_size if isinstance(b, Path) else len(b) for b in blobs.values()]
    if len(blobs) > MAX_ATTACHMENTS or sum(sizes) > MAX_ATTACHMENT_BYTES:
        raise PackageRejected(
            f"同步包 {opened.file_name} 的附件超过每个包的上限（{MAX_ATTACHMENTS} 个、"
            f"{MAX_ATTACHMENT_BYTES >> 20} MB），已拒绝。请在乡镇电脑上分批导出。"
        )
    staged = Staged()
    try:
        for sha, data in blobs.items():
            target = attachment_store.store_dir(s) / sha[:2] / f"{sha}{safe_suffix(_head(data))}"
            if target.exists():
                if _sha256_of(target) == sha:
                    continue
                staged.repairs.add(target)  # damaged in the store: the verified copy replaces it
            tmp = target.with_name(f"{target.name}.{opened.package_id[:8]}.part")
            if isinstance(data, Path):
                _stage_file(data, tmp)
            else:
                write_atomic(tmp, data)
            staged.moves.append((tmp, target))
    except OSError as exc:
        staged.discard()
        raise SyncError(f"无法写入附件文件：{exc}。请检查磁盘空间后重试。") from exc
    return staged


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _head(data: bytes | Path) -> bytes:
    if isinstance(data, bytes):
        return data[:16]
    with data.open("rb") as f:
        return f.read(16)


def _stage_file(source: Path, tmp: Path) -> None:
    """Move a verified staging file next to its place in the store (a rename on the same disk, else a
    copy in chunks), flushed to disk: never read into memory."""
    tmp.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
        source.unlink(missing_ok=True)
    with tmp.open("rb+") as f:
        os.fsync(f.fileno())


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
    """Who last wrote a row here, and which version: from the block of change numbers each package used.

    For a row written by a package, ``version`` gives the sending device, the generation the version
    was written in (resolved through the package's lineage) and its change number on the device.
    """

    def __init__(self, s: Session, local: str) -> None:
        blocks = s.execute(
            select(
                SyncReceived.county_seq_from,
                SyncReceived.county_seq_to,
                SyncReceived.device_id,
                SyncReceived.package_id,
                SyncReceived.lineage,
            )
            .where(SyncReceived.county_seq_to > 0)
            .order_by(SyncReceived.county_seq_from)
        ).all()
        self.s = s
        self.starts = [b[0] for b in blocks]
        self.blocks = blocks
        self.local = local
        self._seqs: dict[str, array[int] | None] = {}

    def _block(self, row_seq: int) -> Any:
        i = bisect_right(self.starts, row_seq) - 1
        if i >= 0 and self.blocks[i][0] <= row_seq <= self.blocks[i][1]:
            return self.blocks[i]
        return None

    def device(self, row_seq: int) -> str:
        block = self._block(row_seq)
        return str(block[2]) if block is not None else self.local

    def version(self, row_seq: int) -> tuple[str, str, int] | None:
        """(device id, generation of the version, device change number), or None if not known."""
        block = self._block(row_seq)
        if block is None:
            return None
        package_id = block[3]
        if package_id not in self._seqs:
            raw = self.s.execute(
                select(SyncReceived.device_seqs).where(SyncReceived.package_id == package_id)
            ).scalar_one_or_none()
            seqs: array[int] | None = None
            if raw:
                seqs = array("q")
                seqs.frombytes(bytes(raw))
            self._seqs[package_id] = seqs
        seqs = self._seqs[package_id]
        offset = row_seq - block[0]
        if seqs is None or offset >= len(seqs):
            return None
        dev_seq = int(seqs[offset])
        lineage = json.loads(block[4] or "[]")
        return str(block[2]).split(".")[0], _generation_of(lineage, dev_seq), dev_seq


def _generation_of(lineage: list[list[Any]], dev_seq: int) -> str:
    """The generation a change number belongs to: the oldest ancestor whose fork point covers it."""
    for gen, fork in reversed(lineage):
        if fork is None or dev_seq <= int(fork):
            return str(gen)
    return ""


def _known(lineage: list[list[Any]], version: tuple[str, str, int] | None) -> bool:
    """Whether the sender had seen this version (so its row is a successor, not a rival).

    Generations are unique across databases, so a copy (another device id) that forked from the
    version's generation at or after the version's number has seen it too.
    """
    if version is None or not version[1]:
        return False
    for gen, fork in lineage:
        if gen == version[1]:
            return fork is None or version[2] <= int(fork)
    return False


def _already_listed(s: Session, table: str, row_id: str, version: dict[str, Any]) -> bool:
    """True when ``version`` is one side of a conflict still open for the row, or — on a county
    database, where the decision travels back to the township — of one already decided: a package
    sent again before its acknowledgement (or the decision) came back brings nothing new."""
    from services.county.mode import is_county

    stmt = select(SyncConflict.winner_json, SyncConflict.loser_json).where(
        SyncConflict.table_name == table, SyncConflict.row_id == row_id
    )
    if not is_county(s):
        stmt = stmt.where(SyncConflict.status == "open")
    return any(json.loads(w) == version or json.loads(lo) == version for w, lo in s.execute(stmt))


def _execute(s: Session, opened: OpenedPackage, plan: Plan) -> tuple[ImportResult, int, int, list[int]]:
    """Second pass: write every table, block by block, in dependency order.

    Change numbers: one block for the whole package is reserved first (as many as the package has
    rows, the most it can write) and what was not used is given back at the end — this transaction
    holds the counter, so the numbers stay contiguous. Rows already here are compared per block
    (only the ids ``plan.present`` lists are looked up).
    """
    m = opened.manifest
    store = _store_of(opened)
    result = _result(opened, "imported", "")
    origins = _Origins(s, f"{LOCAL}:{state.device_id(s)}")
    conflicts: list[SyncConflict] = []
    reserve = sum(tp.count for tp in plan.tables.values())
    reserved = allocate_seq(s, reserve) if reserve else 0
    first = reserved - reserve + 1
    seq = first - 1
    device_seqs = array("q")
    for name in plan.order:
        tp = plan.tables[name]
        table, id_at, seq_at = tp.table, tp.index("id"), tp.index("row_seq")
        present = plan.present.get(name, set())
        parents = [tp.index(c) for c in self_fk_columns(table)]
        blocks: Iterable[list[list[Any]]] = (rows for _i, rows in store.blocks(name))
        if parents:  # parents before children: the table's rows together (org tables are small)
            blocks = [[row for block in blocks for row in block]]
        for rows in blocks:
            ins, upd = (
                _classify(s, opened, tp, rows, present, origins, result, conflicts) if present else (rows, [])
            )
            if parents and ins:
                ins = _topo(ins, id_at, parents)
            theirs: list[Any] = []
            if ins:  # column-wise, in C: the device's numbers kept (NULL as 0), ours put in their place
                theirs = list(map(itemgetter(seq_at), ins))
                device_seqs.extend(theirs if None not in theirs else [v or 0 for v in theirs])
                deque(map(setitem, ins, repeat(seq_at), range(seq + 1, seq + 1 + len(ins))), maxlen=0)
                seq += len(ins)
            for row, device_seq in upd:
                seq += 1
                row[seq_at] = seq
                device_seqs.append(device_seq)
            if ins:  # a natural key held here by another row of the township: a conflict (natural_keys)
                n, won, listed = natural_keys.insert_settling_clashes(
                    s,
                    insert_rows,
                    opened,
                    table,
                    tp.columns,
                    ins,
                    theirs,
                    origins.device,
                    _already_listed,
                    conflicts,
                )
                result.inserted[name] = result.inserted.get(name, 0) + n
                result.unchanged += listed
                upd += won
            if upd:
                params = [
                    {"_pk": r[id_at]}
                    | {
                        k: v
                        for k, v in decode_row(table, dict(zip(tp.columns, r, strict=True))).items()
                        if k != "id"
                    }
                    for r, _q in upd
                ]
                s.execute(update(table).where(table.c.id == bindparam("_pk")), params)
                result.updated[name] = result.updated.get(name, 0) + len(upd)
            del rows, ins, upd
    if reserve and seq < reserved:  # give back the numbers not used (nobody else can have taken any)
        s.execute(
            update(ChangeCounter)
            .where(ChangeCounter.id == 1, ChangeCounter.value == reserved)
            .values(value=max(seq, first - 1))
        )
    if seq < first:  # nothing written: no block of change numbers
        first = seq = 0
    lost = _lost_on_township(s, opened, plan, origins) if m.seq_from == 1 and len(m.lineage) > 1 else []
    conflicts.extend(lost)
    s.add_all(conflicts)
    if lost:  # the county's version goes back to the township with the next acknowledgement
        send_back_lost(s, m.township_code, lost)
    result.conflicts = len(conflicts)
    result.attachments = len(opened.blobs)
    parts = [f"新增 {sum(result.inserted.values())} 条", f"更新 {sum(result.updated.values())} 条"]
    if result.unchanged:
        parts.append(f"{result.unchanged} 条已是最新")
    result.message = f"已导入乡镇 {m.township_code} 的 {opened.file_name}（第 {m.seq_from}–{m.seq_to} 号）：{'，'.join(parts)}。"
    if len(conflicts) > len(lost):
        result.message += (
            f"有 {len(conflicts) - len(lost)} 条记录在两处都被修改过，已按“修改时间较晚者优先”处理，"
            "请在“同步冲突”列表中逐条确认。"
        )
    if lost:
        result.message += (
            f"乡镇恢复备份后已没有 {len(lost)} 条此前送达县里的记录，县里仍保留，并随下次回执送回乡镇；"
            "已列入“同步冲突”请逐条确认。"
        )
    result.message += duplicate_people(s, m.township_id, first, seq) if seq else ""
    return result, first, seq, device_seqs.tolist()


def _classify(
    s: Session,
    opened: OpenedPackage,
    tp: TablePlan,
    rows: list[list[Any]],
    present: set[str],
    origins: _Origins,
    result: ImportResult,
    conflicts: list[SyncConflict],
) -> tuple[list[list[Any]], list[tuple[list[Any], int]]]:
    """Split a block into new rows and updates (with their device change numbers); rows equal to the
    county's are counted unchanged, rival versions become conflicts (the later ``updated_at`` wins)."""
    m = opened.manifest
    table, name, id_at, seq_at = tp.table, tp.table.name, tp.index("id"), tp.index("row_seq")
    copied = CopiedHistory(s, m.lineage, m.device_id)
    here = [r[id_at] for r in rows if r[id_at] in present]
    existing: dict[str, Any] = {}
    for chunk in _chunks(here):
        existing.update(
            {e["id"]: e for e in s.execute(select(table).where(in_values(s, table.c.id, chunk))).mappings()}
        )
    ins: list[list[Any]] = []
    upd: list[tuple[list[Any], int]] = []
    for row in rows:
        old = existing.get(row[id_at])
        if old is None:
            ins.append(row)
            continue
        dev_seq = int(row[seq_at] or 0)
        theirs = comparable(encode_row(table, old))
        ours = comparable(dict(zip(tp.columns, row, strict=True)))
        if theirs == ours:
            result.unchanged += 1
            continue
        other_dev = origins.device(int(old["row_seq"]))
        if other_dev == m.stream:
            upd.append((row, dev_seq))  # the same stream's later version (packages apply in order)
            continue
        if m.generation and _known(m.lineage, origins.version(int(old["row_seq"]))):
            upd.append((row, dev_seq))  # written after a version this database had seen
            continue
        if m.generation and copied.stale(dev_seq, origins.version(int(old["row_seq"]))):
            result.unchanged += 1  # an older version the county had from the original database
            continue
        if _already_listed(s, name, row[id_at], ours):
            result.unchanged += 1  # a re-sent version a conflict already holds (decided or open)
            continue
        # Changed here, by another device, or in a history the sender never saw (a restored or
        # copied database): a conflict, never silent.
        conflict, incoming_wins = versions_conflict(
            name, row[id_at], opened.package_id, (ours, m.stream, dev_seq), (theirs, other_dev)
        )
        conflicts.append(conflict)
        if incoming_wins:
            upd.append((row, dev_seq))
    return ins, upd


def insert_rows(conn: Connection, table: str, columns: list[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT ``rows`` (canonical values in ``columns`` order) into ``table`` on ``conn``'s transaction.

    PostgreSQL (psycopg 3): ``COPY … FROM STDIN``, the server casting the canonical text as it
    would for an INSERT (a bad value fails the COPY and rolls the transaction back like an INSERT).
    SQLite: the driver cursor's ``executemany`` of the rows as they are (lists of validated canonical
    values, stored unchanged) — no per-row parameter handling or tuple copy in SQLAlchemy. Other
    dialects: ``executemany`` through the engine in batches of ``WRITE_BATCH`` rows. A database
    error is raised as SQLAlchemy's ``DBAPIError`` (classified by the caller).
    """
    from services.roles import guard_cursor

    cols = ", ".join(f'"{c}"' for c in columns)
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join([mark] * len(columns))})'
    raw = conn.connection.driver_connection
    if conn.dialect.name == "sqlite" and raw is not None:
        import sqlite3

        guard_cursor(conn, None, sql, None, None, True)  # the driver cursor bypasses the engine's hook
        cursor = raw.cursor()
        try:
            cursor.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, None, exc, sqlite3.Error) from exc
        finally:
            cursor.close()
        return
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        import psycopg

        guard_cursor(conn, None, sql, None, None, True)  # the driver's COPY bypasses the engine's hook
        assert raw is not None
        copy_sql = f'COPY "{table}" ({cols}) FROM STDIN'
        try:
            with raw.cursor() as cur, cur.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:  # as SQLAlchemy reports an INSERT's error (classified by the caller)
            raise DBAPIError.instance(copy_sql, None, exc, psycopg.Error) from exc
        return
    for at in range(0, len(rows), WRITE_BATCH):  # batches: no second copy of every row
        conn.exec_driver_sql(sql, [tuple(r) for r in rows[at : at + WRITE_BATCH]])


def _lost_on_township(s: Session, opened: OpenedPackage, plan: Plan, origins: _Origins) -> list[SyncConflict]:
    """Rows this laptop sent before a restore that its re-base no longer has: listed, never dropped.

    The first package of a new generation holds every row of the database. A row here last written
    by this same device (or a laptop whose key it replaced) in another generation — an ancestor *after*
    the fork point, or a sibling (an earlier restore of the same backup) — that the re-base does not hold
    was lost on the township (the restore went back past it); the county keeps it and lists it for a
    person, once.
    """
    m = opened.manifest
    forks = {str(g): int(f) for g, f in m.lineage[1:]}
    mine = {m.device_id} | enrollment.retired_devices(s, m.township_id)  # and the laptops it replaced
    blocks = [
        (b[0], b[1]) for b in origins.blocks if str(b[2]).split(".")[0] in mine and str(b[2]) != m.stream
    ]
    if not blocks:
        return []
    found: list[SyncConflict] = []
    for table in synced_tables():
        tp = plan.tables.get(table.name)
        sent = set(tp.ids) if tp is not None else set()
        cond = or_(*[table.c.row_seq.between(a, b) for a, b in blocks])
        for row in s.execute(select(table).where(cond, table.c.deleted.is_(False))).mappings():
            if row["id"] in sent:
                continue
            version = origins.version(int(row["row_seq"]))
            # Seen before the fork (so the re-base would hold it), or unknown: not lost. A version of
            # another generation of this laptop — an ancestor after its fork point, or a history the
            # same old backup was restored from before (a sibling) — is gone from the township.
            if version is None or (version[1] in forks and version[2] <= forks[version[1]]):
                continue
            here = comparable(encode_row(table, row))
            if _already_listed(s, table.name, row["id"], here):
                continue  # listed by an earlier re-base already
            found.append(
                SyncConflict(
                    table_name=table.name,
                    row_id=row["id"],
                    package_id=opened.package_id,
                    winner_device=origins.device(int(row["row_seq"])),
                    loser_device=m.stream,
                    winner_json=json.dumps(here, ensure_ascii=False, sort_keys=True),
                    loser_json=json.dumps(here | {"deleted": True}, ensure_ascii=False, sort_keys=True),
                    loser_seq=0,
                )
            )
    return found


def _record(
    s: Session,
    opened: OpenedPackage,
    device: SyncDevice | None,
    result: ImportResult,
    block: tuple[int, int],
    device_seqs: list[int],
) -> None:
    m = opened.manifest
    now = utcnow()
    if device is None:
        device = SyncDevice(
            device_id=m.stream,
            township_code=m.township_code,
            township_id=m.township_id,
            public_key=m.device_public_key,
            generation=m.generation,
            high_seq=0,
            first_seen=now,
        )
        s.add(device)
    device.high_seq = max(device.high_seq, m.seq_to)
    device.public_key = m.device_public_key
    device.last_seen = now
    s.add(
        SyncReceived(
            package_id=opened.package_id,
            device_id=m.stream,
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
            generation=m.generation,
            lineage=json.dumps(m.lineage),
            device_seqs=array("q", device_seqs).tobytes(),
        )
    )
    s.flush()


def release_held(
    db: Database, stream: str, *, user: str = "", county_key: X25519PrivateKey | None = None
) -> list[ImportResult]:
    """Apply held packages of ``stream`` that no longer leave a gap, oldest first.

    A held copy that no longer verifies or is refused stays held with the reason recorded, and is
    reported (status ``rejected``) — never deleted silently.
    """
    released: list[ImportResult] = []
    tried: set[str] = set()
    while True:
        with db.reader() as s:
            device = s.get(SyncDevice, stream)
            high = device.high_seq if device is not None else 0
            held = s.scalars(
                select(SyncHeld)
                .where(
                    SyncHeld.device_id == stream, SyncHeld.reason == "gap", SyncHeld.package_id.not_in(tried)
                )
                .order_by(SyncHeld.seq_from)
            ).first()
        if held is None or held.seq_from > high + 1:
            return released
        tried.add(held.package_id)
        if held.seq_to <= high:  # its numbers came in another package: the copy is not needed
            released.append(drop_covered(db, held.package_id, high, user=user))
            continue
        released.append(retry_held(db, held.package_id, user=user, county_key=county_key))


def drop_covered(db: Database, package_id: str, high: int, *, user: str = "") -> ImportResult:
    """Remove a held package whose numbers the stream has received since (``high``) in another
    package — a full one, or one signed by the laptop's new key after a re-registration. Its copy is
    not read again: a damaged copy or a replaced key must not keep a finished stream 待补."""
    with db.transaction(user) as s:
        held = s.get(SyncHeld, package_id)
        assert held is not None
        s.delete(held)
        audit.record_event(
            s,
            "sync_held_covered",
            {"file": held.file_name, "township": held.township_code, "seq": [held.seq_from, held.seq_to]},
        )
    Path(held.stored_path).unlink(missing_ok=True)
    return ImportResult(
        file_name=held.file_name,
        package_id=held.package_id,
        status="duplicate",
        message=(
            f"暂存的乡镇 {held.township_code} 第 {held.seq_from}–{held.seq_to} 号更改的包（{held.file_name}）"
            f"已由县里收到的其他包补齐（该设备已收到第 {high} 号及以前），不再需要，已从暂存区移除。"
        ),
        township_code=held.township_code,
        device_id=held.device_id,
        seq_from=held.seq_from,
        seq_to=held.seq_to,
    )


def retry_held(
    db: Database, package_id: str, *, user: str = "", county_key: X25519PrivateKey | None = None
) -> ImportResult:
    """Import one held package again (its gap filled, or its device enrolled)."""
    with db.reader() as s:
        held = s.get(SyncHeld, package_id)
        assert held is not None
    stored = Path(held.stored_path)
    try:
        key = county_key or load_county_key()
        with (
            collector_paused(),
            read_package(stored, county_key=key, spool_dir=_spool_parent(db), blocks=True) as opened,
        ):
            opened.shown_name = held.file_name  # the name on the stick, not the held copy's
            result = apply_package(db, opened, user=user)
        # named as the clerk handed it in, not as the county's held copy is called
        result.message = result.message.replace(stored.name, held.file_name)
        result.file_name = held.file_name
    except SyncError as exc:
        message = (
            f"暂存的乡镇 {held.township_code} 第 {held.seq_from}–{held.seq_to} 号更改的包（{held.file_name}）"
            f"未能导入，仍保留在暂存区：{exc.message}"
        )
        with db.transaction(user) as s:
            row = s.get(SyncHeld, package_id)
            if row is not None:
                row.error = exc.message[:2000]
        return ImportResult(
            file_name=held.file_name,
            package_id=held.package_id,
            status="rejected",
            message=message,
            township_code=held.township_code,
            device_id=held.device_id,
            seq_from=held.seq_from,
            seq_to=held.seq_to,
        )
    if result.status in ("imported", "duplicate"):
        with db.transaction(user) as s:
            row = s.get(SyncHeld, package_id)
            if row is not None:
                s.delete(row)
        stored.unlink(missing_ok=True)
    return result


def release_enrolled(
    db: Database, fingerprint: str, *, user: str = "", county_key: X25519PrivateKey | None = None
) -> list[ImportResult]:
    """After ``sync device approve/replace``: import the packages held as 待登记 for that key."""
    with db.reader() as s:
        rows = s.scalars(
            select(SyncEnrollment).where(SyncEnrollment.key_id == fingerprint.strip().lower())
        ).all()
        held = [
            h.package_id
            for r in rows
            if r.status == "enrolled"
            for h in enrollment.held_for_key(s, r.public_key)  # by the key that signed it
        ]
    results: list[ImportResult] = []
    for package_id in held:
        result = retry_held(db, package_id, user=user, county_key=county_key)
        results.append(result)
        if result.status == "imported":
            result.released = release_held(
                db, _stream_of(db, package_id, result), user=user, county_key=county_key
            )
    return results


def _stream_of(db: Database, package_id: str, result: ImportResult) -> str:
    with db.reader() as s:
        row = s.get(SyncReceived, package_id)
        return row.device_id if row is not None else result.device_id
