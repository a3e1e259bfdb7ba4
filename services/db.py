"""Opening a database: engine with the right pragmas, migrations (backed up first), sessions.

Also installs the session hooks that stamp every tracked row with timestamps, the user and the
next change sequence number, and that refuse real deletes (the app only soft-deletes).
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from sqlalchemy import Engine, create_engine, event, inspect, text, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from sqlalchemy.pool import Pool

from models import Base, ChangeCounter, Tracked, utcnow
from services import appversion, audit, dbstats, fileperms, textclean
from services.errors import DatabaseError
from services.roles import (
    Actor,
    clear_on_checkin,
    guard_cursor,
    guard_statement,
    guard_write,
    on_session_begin,
)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "models" / "migrations"
# Alembic (≈0.7 s to import) is loaded only when an upgrade is due: the revision a database is at and
# the head of the migration files are read without it.
_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def to_url(target: str | Path) -> str:
    """A plain path becomes a SQLite URL; URLs (sqlite:///…, postgresql://…) pass through."""
    s = str(target)
    if "://" in s:
        if s.startswith("postgresql://"):
            return "postgresql+psycopg://" + s[len("postgresql://") :]
        return s
    return f"sqlite:///{Path(s).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk when it returns, also across a power cut (NORMAL in WAL mode may lose
    # the last commits then) — nothing may be reported saved that a power cut can take back.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _scanned_head() -> str | None:
    """The head revision from the ``revision``/``down_revision`` lines of the migration files (no
    Alembic import); None when the files do not give exactly one head (Alembic then decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found: dict[str, str] = {
            m.group(1): m.group(2) for m in _REVISION_LINE.finditer(path.read_text(encoding="utf-8"))
        }
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else list(down or ()))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def head_revision() -> str:
    """The newest migration's revision id."""
    head = _scanned_head()
    if head is None:
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in the database's ``alembic_version`` table (None for a new database)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:  # several heads recorded: let Alembic say what that means
        from alembic.runtime.migration import MigrationContext

        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    return str(rows[0]) if rows else None


def sqlite_file(engine: Engine) -> Path | None:
    if engine.dialect.name != "sqlite":
        return None
    db = engine.url.database
    if db and db.startswith("file:"):  # a read-only URI (open_database)
        return Path(unquote(urlparse(db).path))
    return Path(db) if db and db != ":memory:" else None


UPGRADE_WORK_SUFFIX = ".upgrade-work"


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())
    if os.name == "posix":
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def pre_upgrade_backup(path: Path, backup_dir: Path | None = None) -> Path:
    """Where the one kept copy of ``path`` from before the last upgrade lives (it may not exist)."""
    folder = backup_dir or path.parent / "backups"
    return folder / f"{path.stem}-before-upgrade.sqlite"


def restore_hint(path: Path) -> str:
    """How a clerk puts the kept pre-upgrade backup back without opening ``path`` ("" if none)."""
    keep = pre_upgrade_backup(path)
    if not keep.exists():
        return ""
    return (
        f"如需换回升级前的备份 {keep}：在“无法打开数据库”窗口中选择“恢复升级前的备份”，或运行 "
        f'main.py --db "{path}" restore "{keep}" --without-opening（原文件会另存到 backups 文件夹）。'
    )


def remove_upgrade_leftovers(path: Path, backup_dir: Path | None = None) -> None:
    """Work copies and half-written backups of an upgrade killed part-way (the live file is intact)."""
    work = path.with_name(path.name + UPGRADE_WORK_SUFFIX)
    for leftover in (work, *(Path(str(work) + x) for x in ("-journal", "-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    keep = pre_upgrade_backup(path, backup_dir)
    keep.with_name(keep.name + ".part").unlink(missing_ok=True)


def _migrate_connection(conn: Connection, dialect: str) -> None:
    from alembic import command  # only when an upgrade is due (≈0.7 s to import)

    if dialect == "sqlite":
        # Batch migrations recreate tables; with FKs on SQLite would cascade-delete children.
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    command.upgrade(alembic_config(conn), "head")
    if dialect == "sqlite":
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise DatabaseError(f"数据库升级后发现 {len(broken)} 处外键不一致，已放弃升级，请联系技术支持。")


def _upgrade_sqlite_on_copy(path: Path, backup_dir: Path | None) -> Path:
    """All-or-nothing upgrade of a SQLite file: the live file is never written by a migration.

    1. The live file is switched out of WAL (possible only when no other program has it open) and
       write-locked, so nobody writes while we work and no stale WAL can outlive the swap.
    2. It is copied to ``backups/<name>-before-upgrade.sqlite.part`` and to ``<name>.upgrade-work``.
    3. The work copy is migrated and checked (foreign keys, integrity), then fsynced.
    4. The .part becomes the ONE pre-upgrade backup (replacing the previous upgrade's), and the work
       copy is renamed over the live file — an atomic rename: a kill leaves either the old file or
       the new one. Leftovers of a killed attempt are removed at the next start.
    Raises ``DatabaseError`` (live file unchanged) when anything fails. Returns the kept backup.
    """
    remove_upgrade_leftovers(path, backup_dir)
    keep = pre_upgrade_backup(path, backup_dir)
    fileperms.secure_dir(keep.parent)
    work = path.with_name(path.name + UPGRADE_WORK_SUFFIX)
    lock = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        try:
            lock.execute("PRAGMA journal_mode=DELETE")
            lock.execute("BEGIN IMMEDIATE")  # other writers wait; readers may still read the old data
        except sqlite3.OperationalError as exc:
            raise DatabaseError(
                "数据库需要升级，但它正被另一个支部台账窗口或程序使用。请关闭其他窗口后重新打开。"
            ) from exc
        part = keep.with_name(keep.name + ".part")
        try:
            fileperms.create_private(part)
            with (
                contextlib.closing(sqlite3.connect(path, timeout=10)) as src,
                contextlib.closing(sqlite3.connect(part)) as dst,
            ):
                src.backup(dst)
            fileperms.create_private(work)
            with (
                contextlib.closing(sqlite3.connect(part)) as src,
                contextlib.closing(sqlite3.connect(work)) as dst,
            ):
                src.backup(dst)
            engine = create_engine(f"sqlite:///{work}")
            try:
                with engine.begin() as conn:
                    _migrate_connection(conn, "sqlite")
                with engine.connect() as conn:
                    status = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
                    if status != "ok":
                        raise DatabaseError(f"升级后的数据库校验失败（{status}），已放弃升级。")
            finally:
                engine.dispose()
            _keep_file_identity(work)
            _fsync(part)
            _fsync(work)
            part.replace(keep)
            if os.name != "posix":
                lock.close()  # Windows cannot rename over a file that is open
            work.replace(path)
            _fsync(path)
        except DatabaseError:
            raise
        except Exception as exc:
            raise DatabaseError(
                f"数据库升级失败：{exc}。数据库文件没有被改动（仍是升级前的版本）。"
                f"请检查磁盘空间后重新打开；仍失败请联系技术支持。{restore_hint(path)}"
            ) from exc
        finally:
            remove_upgrade_leftovers(path, backup_dir)
    finally:
        lock.close()
    fileperms.secure_file(keep)
    return keep


def _keep_file_identity(work: Path) -> None:
    """The upgraded copy replaces the live file by a rename, which keeps the copy's identity: record
    it as the sync file identity (``services.sync.state.FILE_ID``) so the upgraded file is the same
    laptop's database, not taken for a copy (a new device id and a full re-send after every upgrade).
    Only a file that already has one is changed."""
    from services.sync.state import FILE_ID, path_identity

    with contextlib.closing(sqlite3.connect(work)) as conn:
        conn.execute("UPDATE db_meta SET value = ? WHERE key = ?", (path_identity(work), FILE_ID))
        conn.commit()


def migrate(engine: Engine, backup_dir: Path | None = None, *, in_place: bool = False) -> Path | None:
    """Upgrade to head. A SQLite file that already has data is upgraded on a copy that replaces it
    atomically (``_upgrade_sqlite_on_copy``); returns the kept pre-upgrade backup, if one was made.
    ``in_place``: the file is itself a throw-away work copy (restoring an old backup) — no backup."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return None
    path = sqlite_file(engine)
    if path is not None and current is not None and path.exists() and not in_place:
        engine.dispose()  # no pooled connection may keep the old file open across the swap
        return _upgrade_sqlite_on_copy(path, backup_dir)
    try:
        with engine.begin() as conn:
            _migrate_connection(conn, engine.dialect.name)
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    except DatabaseError:
        raise
    except Exception as exc:
        raise DatabaseError(f"数据库升级失败：{exc}。") from exc
    return None


# --- session hooks: timestamps, user, change sequence, no real deletes ----------------------


def allocate_seq(conn: Connection | Session, count: int) -> int:
    """Reserve ``count`` change numbers; returns the last one (the block is last-count+1 … last)."""
    stmt = (
        update(ChangeCounter)
        .where(ChangeCounter.id == 1)
        .values(value=ChangeCounter.value + count)
        .returning(ChangeCounter.value)
    )
    last = conn.execute(stmt).scalar_one_or_none()
    if last is None:
        raise DatabaseError("数据库缺少变更计数器（change_counter），请先升级数据库。")
    return int(last)


def current_seq(session: Session) -> int:
    value = session.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar_one_or_none()
    return int(value or 0)


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    guard_write(session)  # a viewer's session writes nothing
    if session.info.get("allow_hard_delete"):
        pass
    else:
        for obj in session.deleted:
            if isinstance(obj, Tracked):
                raise DatabaseError("记录只能移入回收站，不能直接删除。")
    now = utcnow()
    user = str(session.info.get("user", ""))
    touched: list[Tracked] = []
    for obj in session.new:
        if isinstance(obj, Tracked):
            obj.created_at = obj.created_at or now
            obj.updated_at = now
            obj.created_by = obj.created_by or user
            obj.updated_by = user
            touched.append(obj)
    for obj in session.dirty:
        if isinstance(obj, Tracked) and session.is_modified(obj, include_collections=False):
            obj.updated_at = now
            obj.updated_by = user
            touched.append(obj)
    if touched:
        last = allocate_seq(session, len(touched))
        for i, obj in enumerate(touched):
            obj.row_seq = last - len(touched) + 1 + i


# --- what a transaction changed (for screens that refresh from it, like Anki's OpChanges) -------------
# Bookkeeping tables every write touches; they say nothing about what a screen shows.
BOOKKEEPING_TABLES = frozenset({"audit_log", "audit_head", "change_counter", "db_meta"})
ALL_ROWS = "*"  # a bulk UPDATE/DELETE: the table changed, which rows is not known


class OpChanges(frozenset[str]):
    """The tables one operation changed (a frozenset of table names, plus any extra tags the caller
    named), with ``rows``: table → ids of the rows inserted, updated or deleted (``ALL_ROWS`` for
    bulk statements). Derived from the flushes of the committed transactions, never hand-written.
    ``everything`` is set when the change is unknown in detail (restore from backup, too old)."""

    rows: dict[str, frozenset[str]]
    everything: bool

    def __new__(
        cls,
        tables: Iterable[str] = (),
        rows: dict[str, frozenset[str]] | None = None,
        *,
        everything: bool = False,
    ) -> OpChanges:
        obj = super().__new__(cls, tables)
        obj.rows = dict(rows or {})
        obj.everything = everything
        return obj

    def touches(self, *tables: str) -> bool:
        """True when any of ``tables`` changed (or the change is unknown in detail)."""
        return self.everything or "all" in self or any(t in self for t in tables)

    def union_with(self, other: Iterable[str]) -> OpChanges:
        return OpChanges(set(self) | set(other), self.rows, everything=self.everything)

    def __repr__(self) -> str:
        return f"OpChanges({sorted(self)!r}{', everything' if self.everything else ''})"


class ChangeJournal:
    """Thread-safe log of what committed transactions of one ``Database`` changed.

    ``mark()`` before an operation and ``since(mark)`` after it give that operation's ``OpChanges``
    (a background job's several transactions included). Keeps the last ``KEEP`` entries."""

    KEEP = 2000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[tuple[int, dict[str, set[str]]]] = []
        self._seq = itertools.count(1)
        self._last = 0

    def publish(self, changed: dict[str, set[str]]) -> None:
        if not changed:
            return
        with self._lock:
            self._last = next(self._seq)
            self._entries.append((self._last, changed))
            del self._entries[: -self.KEEP]

    def mark(self) -> int:
        with self._lock:
            return self._last

    def since(self, mark: int) -> OpChanges:
        with self._lock:
            entries = [changed for seq, changed in self._entries if seq > mark]
            complete = not self._entries or self._entries[0][0] <= mark + 1
        merged: dict[str, set[str]] = {}
        for changed in entries:
            for table, ids in changed.items():
                merged.setdefault(table, set()).update(ids)
        return OpChanges(merged, {t: frozenset(ids) for t, ids in merged.items()}, everything=not complete)


def _collect_flush(session: Session, _ctx: Any) -> None:
    """after_flush: note the table and id of every row this flush inserted, updated or deleted."""
    acc: dict[str, set[str]] = session.info.setdefault("op_changes", {})
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        table = getattr(getattr(obj, "__table__", None), "name", None)
        if table is None or table in BOOKKEEPING_TABLES:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        acc.setdefault(table, set()).add(str(getattr(obj, "id", ALL_ROWS)))


def _collect_bulk(state: ORMExecuteState) -> None:
    """do_orm_execute: bulk UPDATE / DELETE / INSERT statements change a table without a flush."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table is not None and table not in BOOKKEEPING_TABLES:
        state.session.info.setdefault("op_changes", {}).setdefault(table, set()).add(ALL_ROWS)


def _forget_changes(session: Session) -> None:
    session.info.pop("op_changes", None)


event.listen(Session, "after_flush", _collect_flush)
event.listen(Session, "do_orm_execute", _collect_bulk)
event.listen(Session, "after_soft_rollback", lambda session, _previous: _forget_changes(session))
event.listen(Session, "before_flush", _before_flush)
# Every text column of every synced table is cleaned as it is assigned (services/textclean.py).
textclean.install(Base, Tracked)
# The audit log is written in the same transaction, from the same flush (services/audit.py).
event.listen(Session, "after_flush", audit.after_flush)
event.listen(Session, "before_commit", audit.before_commit)
event.listen(Session, "after_commit", audit.end_transaction)
event.listen(Session, "after_rollback", audit.end_transaction)
event.listen(Session, "do_orm_execute", guard_statement)
event.listen(Session, "after_begin", on_session_begin)
event.listen(Pool, "checkin", clear_on_checkin)
event.listen(Engine, "before_cursor_execute", guard_cursor)


@dataclass
class Database:
    """An open, migrated database and its session factory."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    actor: Actor | None = None  # the logged-in user; their role rides on every session
    journal: ChangeJournal = field(default_factory=ChangeJournal)  # what committed writes changed
    read_only: bool = False  # opened from read-only media: viewing only (``transaction`` refuses)
    # Wraps every write transaction from outside (the CLI holds back what a command prints until the
    # commit has returned: services/cli OutputGate). Entered before the session, left after the commit.
    around_transaction: Callable[[], AbstractContextManager[object]] | None = None

    @contextlib.contextmanager
    def transaction(self, user: str = "") -> Iterator[Session]:
        """One unit of work: commits on success, rolls back everything on any error. After the
        commit, the tables and rows it changed go to ``journal`` (screens refresh from them)."""
        if self.read_only:
            raise DatabaseError(
                "数据库文件是只读的（写保护的 U 盘或只读文件），只能查看，不能保存。"
                "如需修改，请把文件复制到电脑上再打开。"
            )
        outer = self.around_transaction() if self.around_transaction else contextlib.nullcontext()
        with outer, self.sessions() as session:
            session.info["user"] = user or (self.actor.username if self.actor else "")
            session.info["role"] = self.actor.role if self.actor else None
            session.info.pop("op_changes", None)
            with session.begin():
                yield session
            self.journal.publish(session.info.pop("op_changes", {}))

    @contextlib.contextmanager
    def reader(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    @property
    def path(self) -> Path | None:
        return sqlite_file(self.engine)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a read-only or locked file must still close
            dbstats.optimize(self.engine)
        self.engine.dispose()


SQLITE_HEADER = b"SQLite format 3\x00"
LEDGER_TABLES = frozenset({"alembic_version", "change_counter"})


class EmptyDatabaseFile(DatabaseError):
    """The file exists but holds nothing (0 bytes, or a SQLite file without tables): ask the clerk
    whether to create a new ledger in it (GUI question; CLI ``--new-ledger``) instead of doing so."""


def inspect_sqlite_file(path: Path, *, create_if_empty: bool = False) -> bool:
    """Check a SQLite file BEFORE anything writes to it; returns True when it must be opened
    read-only (file or folder not writable: a write-protected stick, a read-only copy).

    Raises ``EmptyDatabaseFile`` for an empty file (unless ``create_if_empty``) and
    ``DatabaseError`` for a file of another application — in both cases the file is not touched.
    """
    if not path.exists():
        return False  # a new ledger, created where the clerk chose
    if path.is_dir():
        raise DatabaseError(f"{path} 是一个文件夹，不是数据库文件。")
    read_only = not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseError(f"无法读取数据库文件 {path}：{exc}。") from exc
    empty_msg = f"文件 {path} 是空的（没有任何台账数据）。要在这个文件里新建一个台账吗？"
    if not head:
        if create_if_empty and not read_only:
            return False
        raise EmptyDatabaseFile(empty_msg + "（命令行请加 --new-ledger 确认新建）")
    if head != SQLITE_HEADER:
        from services.sync.filekind import wrong_file  # a package or key file picked from the stick

        named = wrong_file(path, "database")
        if named:
            raise DatabaseError(f"{named}未做任何改动。")
        raise DatabaseError(
            f"{path} 不是支部台账的数据库文件（也不是 SQLite 数据库），未做任何改动。{restore_hint(path)}"
        )
    try:
        uri = path.resolve().as_uri() + ("?immutable=1" if read_only else "?mode=ro")
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        raise DatabaseError(
            f"{path} 无法作为数据库读取（文件已损坏或不完整），未做任何改动。{restore_hint(path)}"
        ) from exc
    if not tables:
        if create_if_empty and not read_only:
            return False
        raise EmptyDatabaseFile(empty_msg + "（命令行请加 --new-ledger 确认新建）")
    if not tables >= LEDGER_TABLES:
        raise DatabaseError(
            f"{path} 是其他程序的 SQLite 数据库（不是支部台账的数据），为保护它未做任何改动。请选择台账数据库文件。"
        )
    return read_only


def _read_only_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def open_database(target: str | Path, *, migrate_now: bool = True, create_if_empty: bool = False) -> Database:
    """Open (and upgrade) a database. A SQLite file is checked first without writing to it
    (``inspect_sqlite_file``): another program's file is refused, an empty one asks, and a file on
    read-only media opens read-only (``Database.read_only``: viewing only, nothing migrated).
    Raises ``DatabaseError`` (``EmptyDatabaseFile``) with a plain Chinese message."""
    url = to_url(target)
    parsed = make_url(url)
    read_only = False
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database or "")
        read_only = inspect_sqlite_file(path, create_if_empty=create_if_empty)
        if read_only:
            engine = create_engine(f"sqlite:///{path.resolve().as_uri()}?immutable=1&uri=true")
            event.listen(engine, "connect", _read_only_pragmas)
            try:
                if current_revision(engine) != head_revision():
                    raise DatabaseError(
                        f"数据库 {path} 是只读的（写保护的 U 盘或只读文件），而且需要升级后才能打开。"
                        "请把它复制到电脑上再打开。"
                    )
                appversion.check_not_newer(engine)
            except DatabaseError:
                engine.dispose()
                raise
            db = Database(url=url, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
            db.read_only = True
            return db
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = make_engine(url)
        appversion.check_not_newer(engine)  # before migrating: a newer app's data must stay untouched
        if migrate_now:
            remove_upgrade_leftovers_of(engine)
            migrate(engine)
            appversion.record(engine)
            dbstats.ensure_statistics(engine)
    except DatabaseError:
        raise
    except Exception as exc:
        hint = (
            restore_hint(Path(parsed.database))
            if parsed.get_backend_name() == "sqlite" and parsed.database
            else ""
        )
        raise DatabaseError(
            f"无法打开数据库 {parsed.render_as_string(hide_password=True)}：{exc}。{hint}"
        ) from exc
    fileperms.secure_database(sqlite_file(engine))
    database = Database(url=url, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
    if migrate_now:
        from services.backup import record_pending_restore  # backup imports this module

        record_pending_restore(database)
        from services.county.mode import guard_if_county  # county mode imports this module

        guard_if_county(database)  # a county database: township records are read-only on every path
    return database


def remove_upgrade_leftovers_of(engine: Engine) -> None:
    """Start-up clean-up of copies a killed upgrade or restore left next to a SQLite file."""
    path = sqlite_file(engine)
    if path is None:
        return
    remove_upgrade_leftovers(path)
    work = path.with_name(path.name + ".restore-work")
    for leftover in (work, *(Path(str(work) + x) for x in ("-journal", "-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    folder = path.parent / "backups"
    if folder.is_dir():
        for leftover in [*folder.glob("*.sqlite.part"), *folder.glob(f"{path.stem}-restore-work-*.sqlite*")]:
            leftover.unlink(missing_ok=True)
    store = path.parent / "attachments"  # services/attachments.py: a photo half-written (full disk)
    if store.is_dir():
        for leftover in store.glob("*/*.part"):
            leftover.unlink(missing_ok=True)
