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
import getpass
import json
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import delete

from models import DbMeta
from models.enums import Role
from services import appversion, audit, fileperms
from services.db import Database, alembic_config, head_revision, make_engine, migrate
from services.errors import DatabaseError, LedgerError
from services.roles import Actor, check_actor
from services.sync import state as sync_state

AUTO_TAG = "auto"
# Written into the restored copy BEFORE it replaces the live file; the first transaction after the
# swap (or, after a kill, the next start: ``record_pending_restore``) turns it into the audit entry.
RESTORE_PENDING_KEY = "restore_pending"
_AUTO_NAME = re.compile(r"-auto-(\d{8})-(\d{6})(?:-\d+)?\.sqlite$")
_SAFETY_NAME = re.compile(r"-before-restore-(\d{8})-(\d{6})(?:-\d+)?\.sqlite$")
# Safety copies made before a restore (the way back from a wrong restore): the newest few are kept
# whatever their age, the others for SAFETY_KEEP_DAYS days; pruned with the automatic backups.
SAFETY_KEEP_NEWEST = 3
SAFETY_KEEP_DAYS = 90


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
    """A restore done. ``safety_copy``: the database as it was before, kept in ``backups/`` — None
    when there was nothing to keep (a new, empty database: no township, no account). ``next_steps``:
    what the clerk does next for sync (``services.sync.state.after_restore``), "" when nothing."""

    restored_from: Path
    safety_copy: Path | None
    upgraded_from: str | None
    next_steps: str = ""

    def message(self) -> str:
        """The sentence the CLI and the GUI show (Chinese)."""
        upgraded = f"（已从数据库版本 {self.upgraded_from} 升级）" if self.upgraded_from else ""
        kept = (
            f"恢复前的数据库已备份到 {self.safety_copy}。"
            if self.safety_copy is not None
            else "恢复前这里还没有数据，无需另存。"
        )
        return f"已从 {self.restored_from} 恢复{upgraded}。{kept}{self.next_steps}"


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
    """Copy ``src`` to ``dest`` through the online backup API; verified before it gets its name.
    Only the file is made owner-only: ``dest``'s folder may be the clerk's own (not chmod-ed)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
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


@dataclass(frozen=True)
class AutoBackupResult:
    """An automatic backup made, and what the clerk should be told about the log's earlier anchors."""

    path: Path
    warnings: tuple[str, ...] = ()


def _auto_time(path: Path) -> datetime | None:
    m = _AUTO_NAME.search(path.name)
    if not m:
        return None
    try:
        return datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def backups_to_keep(paths: list[Path], now: datetime, keep_newest: int = 1) -> set[Path]:
    """Rotation by age (local time, from the file name):

    - the ``keep_newest`` newest, whatever their age;
    - for each of the last 7 days: the newest of that day (and today's earliest, the state the day
      started from);
    - for each ISO week of the last 31 days: the newest of that week;
    - for each month of the last 365 days: the newest of that month.
    Runs on one day replace only that day's copies, so no number of them can push out earlier days.
    """
    dated = sorted(((t, p) for p in paths if (t := _auto_time(p)) is not None), key=lambda x: x[0])
    keep = {p for _t, p in dated[-max(1, keep_newest) :]}
    newest_in: dict[tuple[str, object], Path] = {}
    today_first: Path | None = None
    for t, p in dated:  # oldest first: later ones overwrite, the newest of each bucket wins
        age = (now.date() - t.date()).days
        if age < 7:
            newest_in[("day", t.date())] = p
            if age == 0 and today_first is None:
                today_first = p
        if age < 31:
            newest_in[("week", t.isocalendar()[:2])] = p
        if age < 365:
            newest_in[("month", (t.year, t.month))] = p
    keep |= set(newest_in.values())
    if today_first is not None:
        keep.add(today_first)
    return keep


def auto_backup(
    db: Database, keep: int, actor: Actor | None = None, now: datetime | None = None
) -> AutoBackupResult | None:
    """One automatic backup into ``backups/``, then rotation by age (``backups_to_keep``; ``keep`` =
    how many of the newest are kept whatever their age) and of the before-restore safety copies
    (``safety_copies_to_keep``). A write-side action: administrators and
    editors only (``PermissionDenied`` for a viewer). Before the copy is made, the newest earlier
    automatic backup's 操作日志 is checked to be a prefix of the live one; a mismatch is returned as
    a warning (the backup is still made: the current data is kept either way). None for a new file.
    """
    check_actor(actor, Role.ADMIN, Role.EDITOR, what="自动备份")
    src = _db_file(db)
    if not src.exists():
        return None
    now = now or datetime.now()
    earlier = auto_backups(db)
    warnings: list[str] = []
    if earlier:
        found = backup_anchor(earlier[-1])
        if found is not None:
            with db.reader() as s:
                checked = audit.check_anchor(s, found[0], found[1], f"上一份自动备份 {earlier[-1].name} ")
            if not checked.ok:
                warnings.append(checked.message)
    dest = _unique(backups_dir(db), f"{src.stem}-{AUTO_TAG}-{now.strftime('%Y%m%d-%H%M%S')}")
    made = snapshot(src, dest)
    wanted = backups_to_keep(auto_backups(db), now, keep)
    for old in auto_backups(db):
        if old not in wanted:
            old.unlink(missing_ok=True)
    copies = safety_copies(db)
    wanted = safety_copies_to_keep(copies, now)
    for old in copies:
        if old not in wanted:
            old.unlink(missing_ok=True)
    return AutoBackupResult(made, tuple(warnings))


def safety_copies(db: Database) -> list[Path]:
    """The copies ``restore`` made of the live file before replacing it, oldest first."""
    stem = _db_file(db).stem
    found = [
        p for p in backups_dir(db).glob(f"{stem}-before-restore-*.sqlite") if _SAFETY_NAME.search(p.name)
    ]
    return sorted(found, key=lambda p: p.name)


def safety_copies_to_keep(paths: list[Path], now: datetime) -> set[Path]:
    """Which before-restore copies to keep: the ``SAFETY_KEEP_NEWEST`` newest whatever their age, and
    every one younger than ``SAFETY_KEEP_DAYS`` days (local time, from the file name). A name whose
    time cannot be read is kept: only copies known to be old are removed."""
    dated: list[tuple[datetime, Path]] = []
    keep: set[Path] = set()
    for p in paths:
        m = _SAFETY_NAME.search(p.name)
        try:
            dated.append((datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S"), p))  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            keep.add(p)
    dated.sort(key=lambda x: x[0])
    keep |= {p for _t, p in dated[-SAFETY_KEEP_NEWEST:]}
    keep |= {p for t, p in dated if (now - t).days < SAFETY_KEEP_DAYS}
    return keep


def daily_due(db: Database, today: date | None = None) -> bool:
    today = today or date.today()
    mark = today.strftime("%Y%m%d")
    return not any((m := _AUTO_NAME.search(p.name)) and m.group(1) == mark for p in auto_backups(db))


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory  # only when a backup is inspected, not at start-up

    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def inspect_backup(path: Path) -> BackupInfo:
    """Check a file before restoring it; raises ``BackupError`` saying what is wrong."""
    if not path.is_file():
        raise BackupError(f"找不到备份文件：{path}。")
    from services.sync.filekind import wrong_file

    wrong = wrong_file(path, "database")  # a package or key file picked from the same stick
    if wrong:
        raise BackupError(wrong)
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
        raise BackupError(f"{path.name} 不是有效的数据库文件或已损坏，不能恢复。请换一份备份。") from exc
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


@dataclass(frozen=True)
class NewAdmin:
    """The administrator to create inside a backup that has no accounts (restore)."""

    username: str
    password: str
    display_name: str = "管理员"


def _check_restored_copy(
    work: Path, path: Path, new_admin: NewAdmin | None, accept_broken_log: bool, protected: bool
) -> dict[str, str]:
    """A backup without accounts would let anyone act as administrator afterwards, and one with a
    broken 操作日志 would silently replace an intact one: both need an explicit decision.
    Creates ``new_admin`` in the work copy when given. Returns facts for the restore's audit entry."""
    from sqlalchemy.orm import Session

    from services import accounts

    engine = make_engine(f"sqlite:///{work}")
    facts: dict[str, str] = {}
    try:
        with Session(engine) as s:
            has = accounts.has_accounts(s)
            checked = audit.verify(s)
        if not checked.ok:
            if not accept_broken_log:
                raise BackupError(
                    f"备份 {path.name} 的操作日志不完整：{checked.message}恢复后当前完整的日志将被它取代。"
                    "如确认仍要恢复，请勾选“确认日志状态”（命令行加 --accept-broken-log），这一确认会记入操作日志。"
                )
            facts["log_state_acknowledged"] = checked.message
        if not has and (protected or new_admin is not None):  # ``protected``: the live one has accounts
            if new_admin is None:
                raise BackupError(
                    f"备份 {path.name} 里没有任何账号：恢复后任何人都能以管理员身份操作。"
                    "请在恢复的同时创建管理员（命令行加 --new-admin 用户名 --new-password-file 密码文件）。"
                )
            with Session(engine) as s, s.begin():
                s.info["user"] = new_admin.username
                accounts.create_first_admin(s, new_admin.username, new_admin.display_name, new_admin.password)
            facts["admin_created"] = new_admin.username
    finally:
        engine.dispose()
    return facts


@dataclass(frozen=True)
class RestoreNeeds:
    """What a clerk must decide before ``restore`` accepts a backup (the GUI asks for these)."""

    new_admin: bool  # the backup has no accounts while this ledger has
    log_problem: str  # "" when the backup's 操作日志 verifies


def restore_needs(db: Database, path: Path) -> RestoreNeeds:
    """Read-only look at a backup (already passed ``inspect_backup``)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from services.accounts import has_accounts

    with db.reader() as s:
        protected = has_accounts(s)
    engine = create_engine(f"sqlite:///{path.resolve().as_uri()}?mode=ro&uri=true")
    try:
        with Session(engine) as s:
            try:
                has = has_accounts(s)
            except Exception:  # an old revision without the accounts table
                has = False
            try:
                checked = audit.verify(s)
                problem = "" if checked.ok else checked.message
            except Exception:  # an old revision without the log: upgraded to an empty, valid one
                problem = ""
    finally:
        engine.dispose()
    return RestoreNeeds(new_admin=protected and not has, log_problem=problem)


def restore(
    db: Database,
    path: Path,
    actor: Actor | None = None,
    *,
    new_admin: NewAdmin | None = None,
    accept_broken_log: bool = False,
) -> RestoreResult:
    """Replace the open database's contents with a checked backup (admin only).

    Refused (``BackupError``, nothing changed) for a backup without accounts over a ledger that
    has them unless ``new_admin`` is given (created in it before the swap), and for one whose 操作日志 fails verification unless
    ``accept_broken_log`` (the acknowledgement is written to the restore's audit entry)."""
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
                migrate(engine, in_place=True)
        finally:
            engine.dispose()
        from services.accounts import has_accounts

        with db.reader() as s:
            protected = has_accounts(s)
        facts = _check_restored_copy(work, path, new_admin, accept_broken_log, protected)
        safety = (
            snapshot(live, _unique(folder, f"{live.stem}-before-restore-{_stamp()}"))
            if _has_data(db)
            else None
        )
        with db.reader() as s:
            replaced = audit.anchor(s)  # the log being replaced: where it ended, kept in the safety copy
            sync_facts = sync_state.live_facts(s)  # its sync identity and pinned county outlive the swap
            synced = sync_state.identity(s)  # device id, generations lived through, county pinned
            from services.sync import enrollment as sync_enrollment  # (cryptography: not at start-up)

            revoked = sync_enrollment.revocations(s)  # a county's revocations outlive the swap
        detail: dict[str, str | None] = {**facts}
        _mark_restore(
            work,
            detail
            | {
                "replaced_log": f"{replaced[0]}:{replaced[1]}",
                "file": str(path),
                "revision": info.revision,
                "safety_copy": str(safety or ""),
                "by": actor.username if actor else "",
            },
        )
        db.engine.dispose()  # no pooled connection may keep pages of the old contents
        try:
            with (
                contextlib.closing(sqlite3.connect(work)) as s,
                contextlib.closing(sqlite3.connect(live, timeout=10)) as d,
            ):
                s.backup(d)
                if _integrity(d) != "ok":
                    raise BackupError(
                        f"恢复后数据库校验失败，请用恢复前的备份 {safety} 再试。"
                        if safety
                        else "恢复后数据库校验失败，请换一份备份再试。"
                    )
        except sqlite3.Error as exc:
            raise BackupError(
                f"恢复失败（{exc}），当前数据库未改动" + (f"或可用 {safety} 找回。" if safety else "。")
            ) from exc
    finally:
        work.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(str(work) + suffix).unlink(missing_ok=True)
    fileperms.secure_database(live)
    record_pending_restore(db)
    with db.transaction(actor.username if actor else "") as s:
        # The restored change numbers were issued once already: sync continues in a new generation,
        # as this laptop, knowing every generation it had lived through (state.after_restore), still
        # trusting the county the live database had pinned; a county database stays the county the
        # townships pinned and starts a county generation (state.carry_over_county).
        from services.county.mode import is_county

        if is_county(s):  # acknowledgements written from now on say they follow a restore
            sync_state.carry_over_county(s, sync_facts)
            sync_enrollment.keep_revocations(s, revoked)
        else:
            sync_state.after_restore(s, synced | {"township": sync_facts.get(sync_state.TOWNSHIP_ID, "")})
        steps = sync_state.restore_steps(s)
    return RestoreResult(path, safety, info.revision if info.needs_upgrade else None, steps)


def _has_data(db: Database) -> bool:
    """Whether the live database holds anything worth a safety copy: a township or an account (a
    database just created for the restore holds neither)."""
    from sqlalchemy import exists, select

    from models import Township
    from services.accounts import has_accounts

    with db.reader() as s:
        return bool(s.scalar(select(exists().select_from(Township)))) or has_accounts(s)


def _mark_restore(work: Path, detail: dict[str, str | None]) -> None:
    with contextlib.closing(sqlite3.connect(work)) as conn:
        conn.execute(
            "INSERT OR REPLACE INTO db_meta (key, value) VALUES (?, ?)",
            (RESTORE_PENDING_KEY, json.dumps(detail, ensure_ascii=False)),
        )
        conn.commit()


def record_pending_restore(db: Database) -> bool:
    """Log a restore whose audit entry is still pending (the process may have died right after the
    swap). Called after every restore and on every start; True when an entry was written."""
    with db.reader() as s:
        if s.get(DbMeta, RESTORE_PENDING_KEY) is None:
            return False
    with db.transaction() as s:
        row = s.get(DbMeta, RESTORE_PENDING_KEY)
        if row is None:
            return False
        try:
            detail = json.loads(row.value)
        except ValueError:
            detail = {"note": row.value[:200]}
        s.info["user"] = str(detail.get("by") or s.info.get("user") or "")
        audit.record_event(s, "backup_restored", detail)
        s.connection().execute(delete(DbMeta).where(DbMeta.key == RESTORE_PENDING_KEY))
    return True


def replace_without_opening(live: Path, path: Path) -> RestoreResult:
    """Put a backup in place of a database file that cannot be opened (a failed upgrade, a damaged
    file) without opening that file: only the operating-system owner of ``live`` may do this.

    The live file (and its -wal) is first copied aside into ``backups/`` — kept, never pruned — then
    the checked backup is renamed over it atomically. A kill at any point leaves either the old or
    the new file whole. The restore is written to the audit log at the next start.
    Raises ``BackupError`` / ``PermissionDenied`` saying why.
    """
    from services.errors import PermissionDenied

    if live.exists() and os.name == "posix" and live.stat().st_uid != os.getuid():
        raise PermissionDenied("只有数据库文件的所有者可以这样恢复。")
    info = inspect_backup(path)
    folder = fileperms.secure_dir(live.parent / "backups")
    stamp = _stamp()
    work = live.with_name(f"{live.name}.restore-work")
    aside = _unique(folder, f"{live.stem}-replaced-{stamp}")
    try:
        snapshot(path, work)
        _carry_sync_facts(live, work)
        _mark_restore(
            work,
            {
                "file": str(path),
                "revision": info.revision,
                "safety_copy": str(aside),
                "by": f"local-admin:{getpass.getuser()}",
            },
        )
        if live.exists():
            fileperms.create_private(aside)
            shutil.copyfile(live, aside)
            wal = Path(str(live) + "-wal")
            if wal.exists():  # the WAL belongs to the old file: it goes with it, never onto the new one
                wal.replace(Path(str(aside) + "-wal"))
            Path(str(live) + "-shm").unlink(missing_ok=True)
        with open(work, "rb+") as fh:
            os.fsync(fh.fileno())
        work.replace(live)
        _fsync_dir(live.parent)
    except OSError as exc:
        raise BackupError(f"恢复失败：{exc}。原数据库文件未改动。") from exc
    finally:
        work.unlink(missing_ok=True)
    fileperms.secure_file(live)
    return RestoreResult(path, aside, info.revision if info.needs_upgrade else None)


def _raw_sync_facts(path: Path) -> dict[str, str]:
    """``sync_state.live_facts`` read with plain sqlite3, read-only; {} when the file cannot be read
    (the live file of ``replace_without_opening`` may be damaged)."""
    keys = (sync_state.DEVICE_ID, sync_state.GENERATION, sync_state.LINEAGE, *sync_state.PINS)
    try:
        with contextlib.closing(sqlite3.connect(_ro_uri(path), uri=True, timeout=5)) as conn:
            marks = ",".join("?" * len(keys))
            facts = dict(
                conn.execute(f"SELECT key, value FROM db_meta WHERE key IN ({marks})", keys).fetchall()
            )
            towns = conn.execute("SELECT id FROM township WHERE deleted = 0 LIMIT 2").fetchall()
    except sqlite3.Error:
        return {}
    if len(towns) == 1:
        facts[sync_state.TOWNSHIP_ID] = towns[0][0]
    return {str(k): str(v) for k, v in facts.items() if v}


def _carry_sync_facts(live: Path, work: Path) -> None:
    """A backup put in place without opening the live file: it keeps the live file's pinned county
    and laptop identity when the live file can still be read (``sync_state.carried_values``), and is
    marked so that its first open starts a new sync generation (its change numbers were issued
    before)."""
    values = sync_state.carried_values(_raw_sync_facts(work), _raw_sync_facts(live) if live.exists() else {})
    values[sync_state.RESTORED] = "1"
    with contextlib.closing(sqlite3.connect(work)) as conn:
        conn.executemany("INSERT OR REPLACE INTO db_meta (key, value) VALUES (?, ?)", list(values.items()))
        conn.commit()


def backup_anchor(path: Path) -> tuple[int, str] | None:
    """(number, hash) of the last audit entry in a backup file, read-only; None if unreadable."""
    try:
        with contextlib.closing(sqlite3.connect(_ro_uri(path), uri=True)) as conn:
            row = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    except (sqlite3.Error, OSError, ValueError):
        return None
    return (int(row[0]), str(row[1])) if row else (0, "")


def check_backup_chains(db: Database) -> list[audit.VerifyResult]:
    """Each automatic backup's 操作日志 must be a prefix of the live one: its last entry must still
    be in the live log, with the same hash. Catches a log shortened or rewritten (even with every
    hash recomputed) after the backup was taken. One result per backup, newest first."""
    results: list[audit.VerifyResult] = []
    if db.path is None:
        return results
    with db.reader() as s:
        for path in reversed(auto_backups(db)):
            found = backup_anchor(path)
            if found is None:
                results.append(
                    audit.VerifyResult(False, 0, None, f"自动备份 {path.name} 无法读取，未能比对。")
                )
                continue
            results.append(audit.check_anchor(s, found[0], found[1], f"自动备份 {path.name} "))
    return results
