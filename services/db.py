"""Opening a database: engine with the right pragmas, migrations (backed up first), sessions.

Also installs the session hooks that stamp every tracked row with timestamps, the user and the
next change sequence number, and that refuse real deletes (the app only soft-deletes).
"""

from __future__ import annotations

import ast
import contextlib
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import Pool

from models import ChangeCounter, Tracked, utcnow
from services import appversion, audit, dbstats, fileperms
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
    cur.execute("PRAGMA synchronous=NORMAL")
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
    return Path(db) if db and db != ":memory:" else None


def backup_sqlite(src: Path, dest: Path) -> Path:
    """Consistent copy through SQLite's online backup API (safe while WAL holds pages)."""
    tmp = fileperms.create_private(dest.with_name(dest.name + ".part"))  # owner-only from the start
    with contextlib.closing(sqlite3.connect(src)) as s, contextlib.closing(sqlite3.connect(tmp)) as d:
        s.backup(d)
    tmp.replace(dest)
    return dest


def migrate(engine: Engine, backup_dir: Path | None = None) -> Path | None:
    """Upgrade to head. A SQLite file that already has data is backed up first; returns the backup."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return None
    backup: Path | None = None
    path = sqlite_file(engine)
    if path is not None and current is not None and path.exists():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = backup_dir or path.parent / "backups"
        backup = backup_sqlite(path, folder / f"{path.stem}-before-{head}-{stamp}.sqlite")
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                # Batch migrations recreate tables; with FKs on SQLite would cascade-delete children.
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            from alembic import command

            command.upgrade(alembic_config(conn), "head")
            if engine.dialect.name == "sqlite":
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise DatabaseError(
                        f"数据库升级后发现 {len(broken)} 处外键不一致，已回滚，请联系技术支持。"
                    )
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    except DatabaseError:
        raise
    except Exception as exc:
        hint = f"升级前的备份在：{backup}" if backup else ""
        raise DatabaseError(f"数据库升级失败：{exc}。{hint}") from exc
    return backup


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


event.listen(Session, "before_flush", _before_flush)
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

    @contextlib.contextmanager
    def transaction(self, user: str = "") -> Iterator[Session]:
        """One unit of work: commits on success, rolls back everything on any error."""
        with self.sessions() as session:
            session.info["user"] = user or (self.actor.username if self.actor else "")
            session.info["role"] = self.actor.role if self.actor else None
            with session.begin():
                yield session

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


def open_database(target: str | Path, *, migrate_now: bool = True) -> Database:
    url = to_url(target)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = make_engine(url)
        appversion.check_not_newer(engine)  # before migrating: a newer app's data must stay untouched
        if migrate_now:
            migrate(engine)
            appversion.record(engine)
            dbstats.ensure_statistics(engine)
    except DatabaseError:
        raise
    except Exception as exc:
        raise DatabaseError(f"无法打开数据库 {parsed.render_as_string(hide_password=True)}：{exc}") from exc
    fileperms.secure_database(sqlite_file(engine))
    return Database(url=url, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
