"""Backups and restore with SQLite's online backup API (consistent while the app is writing).

- Automatic: on exit and on the first start of a day into ``backups/`` next to the database,
  keeping the newest N (``security_settings``); manual copies and pre-upgrade copies are never
  pruned.
- "Back up to …": a copy into any folder (a USB stick).
- Restore: the file must pass ``PRAGMA integrity_check`` and carry a schema revision this version
  knows (a newer one is refused, an older one is upgraded on a work copy first); the current
  database is backed up before it is replaced, and the restore is written to the audit log.
Every file written is owner-only, fsynced, checked, then renamed into place.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from alembic.script import ScriptDirectory

from models.enums import Role
from services import appversion, audit, fileperms
from services.db import Database, alembic_config, head_revision, make_engine, migrate
from services.errors import DatabaseError, LedgerError
from services.roles import Actor, check_actor
from services.sync import state as sync_state

AUTO_TAG = "auto"
_AUTO_NAME = re.compile(r"-auto-(\d{8})-(\d{6})(?:-\d+)?\.sqlite$")


class BackupError(LedgerError):
    """A backup cannot be written, or a file cannot be restored (says why)."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    revision: str | None
    needs_upgrade: bool
    size: int


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    safety_copy: Path
    upgraded_from: str | None


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _db_file(db: Database) -> Path:
    path = db.path
    if path is None:
        raise BackupError(
            "只有本机 SQLite 数据库可以在这里备份和恢复；PostgreSQL 请用 pg_dump / pg_restore。"
        )
    return path


def backups_dir(db: Database) -> Path:
    return fileperms.secure_dir(_db_file(db).parent / "backups")


def _fsync_dir(folder: Path) -> None:
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _ro_uri(path: Path) -> str:
    return path.resolve().as_uri() + "?mode=ro"


def _integrity(conn: sqlite3.Connection) -> str:
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(r[0]) for r in rows[:5])


def snapshot(src: Path, dest: Path) -> Path:
    """Copy ``src`` to ``dest`` through the online backup API; verified before it gets its name."""
    fileperms.secure_dir(dest.parent)
    tmp = fileperms.create_private(dest.with_name(dest.name + ".part"))
    try:
        with (
            contextlib.closing(sqlite3.connect(_ro_uri(src), uri=True)) as s,
            contextlib.closing(sqlite3.connect(tmp)) as d,
        ):
            s.backup(d)
            d.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
            status = _integrity(d)
        if status != "ok":
            raise BackupError(f"备份副本校验失败（{status}），原数据库可能已损坏，请联系技术支持。")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        tmp.replace(dest)
        _fsync_dir(dest.parent)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"无法写入备份 {dest}：{exc}。请检查磁盘空间和文件夹权限。") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return fileperms.secure_file(dest)


def _unique(folder: Path, stem: str) -> Path:
    candidate = folder / f"{stem}.sqlite"
    n = 1
    while candidate.exists():
        candidate = folder / f"{stem}-{n}.sqlite"
        n += 1
    return candidate


def backup_to(db: Database, target: Path, actor: Actor | None = None) -> Path:
    """ "备份到…": a folder gets a dated file; a path ending in .sqlite is used as given."""
    check_actor(actor, Role.ADMIN, Role.EDITOR, what="备份数据库")
    src = _db_file(db)
    if target.suffix.lower() in (".sqlite", ".db"):
        if target.exists():
            raise BackupError(f"{target} 已存在，请换一个文件名或选择文件夹。")
        dest = target
    else:
        dest = _unique(target, f"{src.stem}-{_stamp()}")
    return snapshot(src, dest)


def auto_backups(db: Database) -> list[Path]:
    """The automatic backups of this database, oldest first."""
    folder = backups_dir(db)
    stem = _db_file(db).stem
    found = [p for p in folder.glob(f"{stem}-{AUTO_TAG}-*.sqlite") if _AUTO_NAME.search(p.name)]
    return sorted(found, key=lambda p: p.name)


def auto_backup(db: Database, keep: int) -> Path | None:
    """One rolling backup; the oldest beyond ``keep`` are removed. Nothing for an empty/new file."""
    src = _db_file(db)
    if not src.exists():
        return None
    dest = _unique(backups_dir(db), f"{src.stem}-{AUTO_TAG}-{_stamp()}")
    made = snapshot(src, dest)
    for old in auto_backups(db)[: max(0, len(auto_backups(db)) - max(1, keep))]:
        old.unlink(missing_ok=True)
    return made


def daily_due(db: Database, today: date | None = None) -> bool:
    today = today or date.today()
    mark = today.strftime("%Y%m%d")
    return not any((m := _AUTO_NAME.search(p.name)) and m.group(1) == mark for p in auto_backups(db))


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def inspect_backup(path: Path) -> BackupInfo:
    """Check a file before restoring it; raises ``BackupError`` saying what is wrong."""
    if not path.is_file():
        raise BackupError(f"找不到备份文件：{path}。")
    try:
        with contextlib.closing(sqlite3.connect(_ro_uri(path), uri=True)) as conn:
            status = _integrity(conn)
            if status != "ok":
                raise BackupError(f"备份文件已损坏（integrity_check：{status}），不能恢复。请换一份备份。")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "alembic_version" not in tables or "change_counter" not in tables:
                raise BackupError(f"{path.name} 不是支部台账的数据库备份。")
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error as exc:
        raise BackupError(f"{path.name} 不是有效的数据库文件（{exc}），不能恢复。") from exc
    except (OSError, ValueError) as exc:
        raise BackupError(f"无法读取备份文件 {path.name}：{exc}。") from exc
    if len(rows) != 1 or not isinstance(rows[0][0], str):
        raise BackupError(f"{path.name} 缺少数据库版本信息，不能恢复。")
    revision = rows[0][0]
    known = _known_revisions()
    if revision not in known:
        raise BackupError(
            f"{path.name} 由更新版本的支部台账创建（数据库版本 {revision}），本程序无法读取。请先升级程序再恢复。"
        )
    return BackupInfo(path, revision, revision != head_revision(), path.stat().st_size)


def restore(db: Database, path: Path, actor: Actor | None = None) -> RestoreResult:
    """Replace the open database's contents with a checked backup (admin only)."""
    check_actor(actor, Role.ADMIN, what="从备份恢复")
    live = _db_file(db)
    info = inspect_backup(path)
    folder = backups_dir(db)
    work = folder / f"{live.stem}-restore-work-{_stamp()}.sqlite"
    try:
        snapshot(path, work)
        engine = make_engine(f"sqlite:///{work}")
        try:
            try:
                appversion.check_not_newer(engine)  # same schema, but written by a newer app
            except DatabaseError as exc:
                raise BackupError(f"不能恢复 {path.name}：{exc.message}") from exc
            if info.needs_upgrade:
                migrate(engine, backup_dir=folder)
        finally:
            engine.dispose()
        safety = snapshot(live, _unique(folder, f"{live.stem}-before-restore-{_stamp()}"))
        db.engine.dispose()  # no pooled connection may keep pages of the old contents
        try:
            with (
                contextlib.closing(sqlite3.connect(work)) as s,
                contextlib.closing(sqlite3.connect(live, timeout=10)) as d,
            ):
                s.backup(d)
                if _integrity(d) != "ok":
                    raise BackupError(f"恢复后数据库校验失败，请用恢复前的备份 {safety} 再试。")
        except sqlite3.Error as exc:
            raise BackupError(f"恢复失败（{exc}），当前数据库未改动或可用 {safety} 找回。") from exc
    finally:
        work.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(str(work) + suffix).unlink(missing_ok=True)
    fileperms.secure_database(live)
    with db.transaction(actor.username if actor else "") as s:
        audit.record_event(
            s,
            "backup_restored",
            {"file": str(path), "revision": info.revision, "safety_copy": str(safety)},
        )
        # The restored change numbers were issued once already: sync continues in a new generation.
        if sync_state.device_id(s, create=False):
            sync_state.new_generation(s, "restore")
    return RestoreResult(path, safety, info.revision if info.needs_upgrade else None)
