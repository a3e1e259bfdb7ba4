"""Township side: write the changes since the last acknowledgement (or everything) as one package."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from models import Attachment
from services import attachments as attachment_store
from services import demo_marker, localtime
from services.db import Database, current_seq, head_revision
from services.sync import anchor as sync_anchor
from services.sync import state
from services.sync.crypto import Sealer, new_sealer
from services.sync.errors import NothingToSync, SyncError
from services.sync.fileio import clean_stale_exports, fsync_dir, spool_prefix, spool_root, unverified_path
from services.sync.manifest import Manifest
from services.sync.package import SUFFIX, Progress, read_package, write_package
from services.sync.signing import b64, device_key, key_id, public_raw
from services.sync.tables import encode_values, sqlite_json_select, synced_tables
from services.version import APP_VERSION


@dataclass
class ExportResult:
    path: Path
    package_id: str
    township_code: str
    device_id: str
    seq_from: int
    seq_to: int
    full: bool
    encrypted: bool
    rows_by_table: dict[str, int]
    attachments: int
    missing_attachments: list[str] = field(default_factory=list)
    size: int = 0
    seconds: float = 0.0

    @property
    def file_name(self) -> str:
        return self.path.name

    @property
    def total_rows(self) -> int:
        return sum(self.rows_by_table.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "file_name": self.file_name,
            "package_id": self.package_id,
            "township": self.township_code,
            "device_id": self.device_id,
            "seq_from": self.seq_from,
            "seq_to": self.seq_to,
            "kind": "full" if self.full else "incremental",
            "encrypted": self.encrypted,
            "rows": self.rows_by_table,
            "total_rows": self.total_rows,
            "attachments": self.attachments,
            "missing_attachments": self.missing_attachments,
            "size": self.size,
            "seconds": round(self.seconds, 3),
        }


def pending_by_table(session: Session) -> dict[str, int]:
    """Rows changed since the last acknowledged sequence number, per table (only tables with changes)."""
    acked = state.acked_seq(session)
    counts: dict[str, int] = {}
    for table in synced_tables():
        n = session.execute(
            select(func.count()).select_from(table).where(table.c.row_seq > acked)
        ).scalar_one()
        if n:
            counts[table.name] = int(n)
    return counts


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text) or "township"


def package_name(township_code: str, device_id: str, seq_from: int, seq_to: int, when: datetime) -> str:
    """``T01_1a2b3c4d_1-40_20261130-124929.ltpkg``. ``when`` is the stored (UTC) time; the name carries
    it in the clerk's local time, as every screen shows it (the manifest keeps UTC; nothing parses
    the time back out of the name)."""
    local = localtime.to_local(when)
    return f"{_safe(township_code)}_{device_id[:8]}_{seq_from}-{seq_to}_{local:%Y%m%d-%H%M%S}{SUFFIX}"


def _table_lines(session: Session, table: Table, lo: int, hi: int, out: BinaryIO) -> int:
    """Write rows with ``lo <= row_seq <= hi`` (``lo`` 0: all) to ``out`` as JSON Lines of canonical
    arrays, batch by batch (never the whole table in memory); returns the number of rows."""
    n = 0
    if session.get_bind().dialect.name == "sqlite":
        # SQLite stores exactly the canonical text, so it writes the JSON itself (10x faster than Python).
        # No ORDER BY (through the row_seq index it costs seconds on a township; the receiver orders
        # parents before children itself). ``+row_seq`` keeps a full export a plain table scan.
        sql = sqlite_json_select(table) + ' WHERE +"row_seq" <= ?' + (' AND "row_seq" >= ?' if lo > 0 else "")
        params = (hi, lo) if lo > 0 else (hi,)
        raw = session.connection().connection.driver_connection  # same connection and snapshot
        assert raw is not None
        # UTF-8 bytes straight from SQLite: no decode to str and encode back for a million lines.
        cursor = raw.cursor()
        saved, raw.text_factory = raw.text_factory, bytes
        try:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(20_000):
                n += len(batch)
                out.write(b"\n".join(r[0] for r in batch))
                out.write(b"\n")
        finally:
            raw.text_factory = saved
            cursor.close()
        return n
    stmt = select(table).where(table.c.row_seq <= hi).order_by(table.c.row_seq, table.c.id)
    if lo > 0:
        stmt = stmt.where(table.c.row_seq >= lo)
    cols = [c.name for c in table.columns]
    for r in session.execute(stmt.execution_options(yield_per=20_000)).mappings():
        line = json.dumps(encode_values(table, cols, r), ensure_ascii=False, separators=(",", ":"))
        out.write(line.encode("utf-8") + b"\n")
        n += 1
    return n


def export_package(
    db: Database,
    outdir: Path,
    *,
    full: bool = False,
    key: Ed25519PrivateKey | None = None,
    user: str = "",
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Write a package into ``outdir``, read it back, verify it, then remember the export."""
    started = time.perf_counter()
    outdir = Path(outdir)
    if not outdir.is_dir():
        raise SyncError(f"导出文件夹不存在：{outdir}。请先插入 U 盘并选择正确的文件夹。")
    key = key or device_key()
    now = now or datetime.now(UTC).replace(tzinfo=None)
    with db.transaction(user) as s:
        state.device_id(s)  # created once, in its own small transaction
        state.check_generation(s)  # a restored or copied file starts a new generation here …
        dev = state.device_id(s)  # … and a copy has a device id of its own from now on
    payload: dict[str, bytes | Path] = {}
    # Each table's lines go to a file of their own in this user's private data folder, and from there
    # into the package in chunks: nothing holds every table at once. Leftovers of a killed export
    # (here, beside the database where older versions staged, or unverified on the stick) go first.
    clean_stale_exports(db.path.parent if db.path else None, outdir)
    spool = tempfile.TemporaryDirectory(prefix=spool_prefix(), dir=spool_root())
    try:
        return _export(db, outdir, Path(spool.name), payload, dev, full, key, user, progress, now, started)
    finally:
        spool.cleanup()


def _export(
    db: Database,
    outdir: Path,
    spool: Path,
    payload: dict[str, bytes | Path],
    dev: str,
    full: bool,
    key: Ed25519PrivateKey,
    user: str,
    progress: Progress | None,
    now: datetime,
    started: float,
) -> ExportResult:
    tables = synced_tables()
    manifest_tables: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    with db.sessions() as s, s.begin():
        # One snapshot for every table: pysqlite only opens a transaction before writes, so BEGIN
        # here (the app may save a record meanwhile); PostgreSQL needs REPEATABLE READ for the same.
        if s.get_bind().dialect.name == "postgresql":
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        else:
            raw = s.connection().connection.driver_connection
            if raw is not None and not raw.in_transaction:
                raw.execute("BEGIN")
        town = state.township(s)
        acked = state.acked_seq(s)
        hi = current_seq(s)
        lo = 0 if full else acked + 1
        for i, table in enumerate(tables):
            if progress:
                progress(i, len(tables) + 2, f"读取 {table.name}")
            lines = spool / f"{table.name}.jsonl"
            with lines.open("wb") as out:
                n = _table_lines(s, table, lo, hi, out)
            if not n:
                lines.unlink()
                continue
            counts[table.name] = n
            manifest_tables[table.name] = {"rows": n, "columns": [c.name for c in table.columns]}
            payload[f"data/{table.name}.jsonl"] = lines
        blobs, missing = _attachment_blobs(s, lo, hi)
        county_x = state.get(s, state.COUNTY_X25519)
        demo = demo_marker.is_demo(s)
        log_anchor = sync_anchor.for_manifest(s)  # i20: the audit chain's end travels with the data
        generation, lineage = state.generation(s), state.lineage(s)
    if demo and county_x:
        raise SyncError(
            "这是演示数据库（由“载入演示数据”生成），不能导出给县级：演示数据不得进入真实的汇总库。"
            "请在真实的数据库中工作后再导出。"
        )
    total = sum(counts.values())
    if full and total == 0:
        raise SyncError("本机数据库没有任何台账数据，不能导出全量包（空包可能被误当作“清空”）。")
    if not full and total == 0:
        raise NothingToSync(
            f"没有待同步的记录：县里已确认收到第 {acked} 号及以前的全部更改，本次未生成同步包。"
        )
    for sha, data in blobs.items():
        payload[f"attachments/{sha}"] = data
    seq_from = 1 if full else acked + 1
    pub = public_raw(key)
    manifest = Manifest(
        schema_revision=head_revision(),
        app_version=APP_VERSION,
        township_code=town.code,
        township_id=town.id,
        township_name=town.name,
        device_id=dev,
        device_public_key=b64(pub),
        device_key_id=key_id(pub),
        seq_from=seq_from,
        seq_to=hi,
        full=full,
        created_at=now.isoformat(timespec="seconds") + "Z",
        tables=manifest_tables,
        attachments=sorted(blobs),
        missing_attachments=missing,
        audit_anchor=log_anchor,
        generation=generation,
        lineage=lineage,
    )
    sealer: Sealer | None = new_sealer(county_x) if county_x else None
    path = outdir / package_name(town.code, dev, seq_from, hi, now)
    n = 1
    while path.exists():  # never overwrite a package already on the stick
        n += 1
        path = path.with_name(f"{path.stem}-{n}{SUFFIX}")
    if progress:
        progress(len(tables), len(tables) + 2, "写入同步包")
    # Written under a hidden temporary name the county does not take as a package, renamed only
    # once read back and verified: a package on the stick under its real name has been verified.
    unverified = unverified_path(path)
    try:
        write_package(unverified, manifest, payload, key, sealer)
    except OSError as exc:
        unverified.unlink(missing_ok=True)
        raise SyncError(f"写入同步包失败：{exc}。请检查 U 盘是否已满或写保护。") from exc
    payload.clear()  # written: the read-back below streams from the package file
    if progress:
        progress(len(tables) + 1, len(tables) + 2, "读回校验")
    try:
        opened = read_package(unverified, sealer=sealer, parse_rows=False)
        opened.close()  # only the counts are needed: the attachments' staging copies go at once
        back = dict(opened.counts)
        if back != counts or opened.manifest.device_public_key != b64(pub):
            raise SyncError("读回的同步包与导出的数据不一致。")
        os.replace(unverified, path)
        fsync_dir(path.parent)
    except Exception as exc:
        unverified.unlink(missing_ok=True)
        raise SyncError(f"同步包写入后读回校验失败，已删除该文件：{exc}。请换一个 U 盘重试。") from exc
    result = ExportResult(
        path=path,
        package_id=opened.package_id,
        township_code=town.code,
        device_id=dev,
        seq_from=seq_from,
        seq_to=hi,
        full=full,
        encrypted=sealer is not None,
        rows_by_table=counts,
        attachments=len(blobs),
        missing_attachments=missing,
        size=opened.size,
        seconds=time.perf_counter() - started,
    )
    with db.transaction(user) as s:
        if state.generation(s) != generation:
            raise SyncError("导出期间本库的数据库世代发生了变化（恢复或复制），请重新导出。")
        state.note_counter(s)
        state.put_json(
            s,
            state.LAST_EXPORT,
            {k: v for k, v in result.to_json().items() if k not in ("rows",)}
            | {"at": now.isoformat(), "generation": generation},
        )
        sync_anchor.remember_export(s, log_anchor)
    if progress:
        progress(len(tables) + 2, len(tables) + 2, "完成")
    return result


def _attachment_blobs(session: Session, lo: int, hi: int) -> tuple[dict[str, bytes], list[str]]:
    """Bytes of the attachments whose rows are in the range (each hash once); hashes not on disk."""
    stmt = select(Attachment.sha256, Attachment.filename).where(
        Attachment.deleted.is_(False), Attachment.row_seq <= hi
    )
    if lo > 0:
        stmt = stmt.where(Attachment.row_seq >= lo)
    blobs: dict[str, bytes] = {}
    missing: list[str] = []
    for sha, filename in session.execute(stmt):
        if sha in blobs or sha in missing:
            continue
        path = attachment_store.blob_path(session, sha, filename)
        data = path.read_bytes() if path.is_file() else None
        if data is not None and hashlib.sha256(data).hexdigest() == sha:
            blobs[sha] = data
        else:
            missing.append(sha)  # lost or damaged on this laptop: listed in the manifest, not hidden
    return blobs, sorted(missing)
