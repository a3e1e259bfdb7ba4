"""Sync facts kept in ``db_meta`` on this database: device id, township, acknowledged range, keys."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from models import DbMeta, Township, utcnow
from services import audit
from services.paths import data_dir
from services.sync.errors import SyncError
from services.sync.fileio import write_atomic

DEVICE_ID = "sync.device_id"
ACKED_SEQ = "sync.acked_seq"
LAST_EXPORT = "sync.last_export"
LAST_ACK = "sync.last_ack"
COUNTY_X25519 = "sync.county_x25519"
COUNTY_ED25519 = "sync.county_ed25519"


def get(session: Session, key: str, default: str = "") -> str:
    row = session.get(DbMeta, key)
    return row.value if row is not None else default


def put(session: Session, key: str, value: str) -> None:
    row = session.get(DbMeta, key)
    if row is None:
        session.add(DbMeta(key=key, value=value))
    else:
        row.value = value
    session.flush()


def get_json(session: Session, key: str) -> dict[str, Any] | None:
    text = get(session, key)
    if not text:
        return None
    data = json.loads(text)
    return data if isinstance(data, dict) else None


def put_json(session: Session, key: str, value: dict[str, Any]) -> None:
    put(session, key, json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))


def device_id(session: Session, *, create: bool = True) -> str:
    """This database's sync identity: sequence numbers are per database, so the id is too."""
    value = get(session, DEVICE_ID)
    if not value and create:
        value = uuid.uuid4().hex
        put(session, DEVICE_ID, value)
    return value


def acked_seq(session: Session) -> int:
    return int(get(session, ACKED_SEQ, "0") or 0)


def township(session: Session) -> Township:
    """The township this database exports for: a township laptop holds exactly one."""
    towns = list(session.scalars(select(Township).where(Township.deleted.is_(False)).limit(2)))
    if not towns:
        raise SyncError("本库还没有乡镇，无法导出同步包。请先建立乡镇和支部。")
    if len(towns) > 1:
        raise SyncError("本库有多个乡镇（像是县级汇总库）。同步包只能从单个乡镇的台账库导出。")
    return towns[0]


# --- generations -------------------------------------------------------------------------------
# A generation names one unbroken history of this database's change numbers. It changes when the
# same numbers could be issued twice: a restore, a copy of the file, or a counter found behind the
# highest number this machine has seen for the generation. Packages and acknowledgements carry it;
# the county keeps one stream of change numbers per device *and* generation.

GENERATION = "sync.generation"
LINEAGE = "sync.lineage"  # JSON [[generation, fork_seq|null], …], newest first
FILE_ID = "sync.file_id"  # identity of the SQLite file the generation belongs to
COUNTY_DB_ID = "sync.county_db_id"  # the county database whose acknowledgements this township accepts
MARKS_FILE = "generations.json"
COPY_NOTE = "sync.copy_note"  # {"at": UTC ISO, "previous_device": id}: this file was found to be a copy


def generation(session: Session) -> str:
    return get(session, GENERATION)


def lineage(session: Session) -> list[list[Any]]:
    """``[[generation, fork_seq or None], …]`` newest first: versions this database has seen."""
    raw = get(session, LINEAGE)
    data = json.loads(raw) if raw else []
    return [list(x) for x in data] if isinstance(data, list) else []


def _marks_path() -> Path:
    return data_dir() / "sync" / MARKS_FILE


def _read_marks() -> dict[str, int]:
    try:
        data = json.loads(_marks_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int)} if isinstance(data, dict) else {}


def note_counter(session: Session) -> None:
    """Remember outside the database file how far this generation's counter has gone on this machine."""
    gen, dev = generation(session), device_id(session, create=False)
    if not gen or not dev:
        return
    seq = int(
        session.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar_one_or_none() or 0
    )
    marks = _read_marks()
    key = f"{dev}.{gen}"
    if marks.get(key, -1) >= seq:
        return
    marks[key] = seq
    path = _marks_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(marks, sort_keys=True).encode("utf-8"))


def file_identity(session: Session) -> str:
    """``device:inode`` of the SQLite file (a copy has another); empty for a server database."""
    bind = session.get_bind()
    url = bind.engine.url if hasattr(bind, "engine") else None
    if url is None or url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return ""
    try:
        st = os.stat(url.database or "")
    except OSError:
        return ""
    return f"{st.st_dev}:{st.st_ino}"


def new_generation(session: Session, reason: str, fork: int | None = None) -> str:
    """Start a new generation: nothing acknowledged in it yet. Returns the new generation.

    ``fork``: the highest change number known to belong to the old generation (default: the current
    number — exact right after a restore). ``reason`` (restore / copy / reuse / first) is audited.
    """
    current = int(
        session.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar_one_or_none() or 0
    )
    seq = current if fork is None else min(fork, current)
    old = generation(session)
    chain = lineage(session)
    if old:
        chain = [[old, seq]] + [x for x in chain if x[0] != old]
    gen = uuid.uuid4().hex
    if reason == "copy" and old:
        # A copy is another laptop (the original may go on working): its own device id as well.
        previous_device = device_id(session, create=False)
        put(session, DEVICE_ID, uuid.uuid4().hex)
        put_json(
            session,
            COPY_NOTE,
            {"at": utcnow().isoformat(timespec="seconds"), "previous_device": previous_device},
        )
    put(session, GENERATION, gen)
    put(session, LINEAGE, json.dumps([[gen, None], *chain[:50]]))
    put(session, FILE_ID, file_identity(session))
    if old:  # nothing of the new generation has been delivered; a first generation keeps format-1 progress
        put(session, ACKED_SEQ, "0")
        for key in (LAST_EXPORT, LAST_ACK):
            row = session.get(DbMeta, key)
            if row is not None:
                session.delete(row)
        session.flush()
    audit.record_event(
        session, "sync_generation", {"generation": gen, "previous": old, "fork_seq": seq, "reason": reason}
    )
    return gen


def check_generation(session: Session) -> str | None:
    """The per-open check: a new generation if this file is a copy or its counter went back.

    Returns the reason a new generation was started, or None. A database that has never exported
    gets its first generation lazily (at the first export).
    """
    dev = device_id(session, create=False)
    if not dev:
        return None
    gen = generation(session)
    if not gen:
        new_generation(session, "first")
        note_counter(session)
        return None
    reason: str | None = None
    recorded = get(session, FILE_ID)
    here = file_identity(session)
    if recorded and here and recorded != here:
        reason = "copy"
    else:
        seq = int(
            session.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar_one_or_none() or 0
        )
        if _read_marks().get(f"{dev}.{gen}", -1) > seq:
            reason = "reuse"
    if reason:
        # Found after the fact: edits may have been made since the copy or restore, so only numbers
        # this file had already exported count as the old generation's (a few false conflicts, never
        # a silent overwrite).
        last = get_json(session, LAST_EXPORT) or {}
        new_generation(session, reason, fork=int(last.get("seq_to", 0) or 0))
    elif here and not recorded:
        put(session, FILE_ID, here)
    note_counter(session)
    return reason


def check_on_open(db: Any) -> str | None:
    """Run ``check_generation`` right after a database is opened (CLI and app start-up).

    Takes a ``services.db.Database``; returns the reason a new generation began, or None. A file that
    cannot be written (read-only) is left alone: the export repeats the check before anything leaves.
    First removes what a killed export left behind (``fileio.clean_stale_exports``).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from services.sync.fileio import clean_stale_exports

    with contextlib.suppress(OSError):  # plain rows a killed export left behind: gone at the next start
        clean_stale_exports(Path(db.path).parent if getattr(db, "path", None) else None)
    try:
        with db.reader() as s:
            if not get(s, DEVICE_ID):
                return None  # never exported: nothing to protect yet, and no write on every start
        with db.transaction() as s:
            return check_generation(s)
    except (SQLAlchemyError, OSError):
        return None


def copy_warning(session: Session) -> str:
    """The warning for a database file found to be a copy of another (``""`` when it is not, or
    once the county has acknowledged a package of this copy and so has seen both databases).

    Shown by ``sync status``, the status bar and on opening: the copy and the original each keep
    only what is typed into them, so two clerks working on them drift apart silently.
    """
    note = get_json(session, COPY_NOTE)
    if not note:
        return ""
    from services import localtime

    when = localtime.show_iso(str(note.get("at", "")))
    return (
        f"本库是另一个数据库文件的副本（{when} 发现，原设备 {str(note.get('previous_device', ''))[:8]}），"
        f"已作为新设备 {device_id(session, create=False)[:8]} 同步。原来的文件若仍在使用，两边各自录入的记录"
        "不会互相出现：请只在一个文件上继续录入；两边都已录入的，都导出同步包交给县里，由县里核对。"
    )


def warnings(session: Session) -> list[str]:
    """What ``sync status`` and the sync screen put first: a copied database file (``copy_warning``)."""
    return [w for w in (copy_warning(session),) if w]


def acknowledged(session: Session) -> None:
    """An acknowledgement of this database's current generation was applied: the county has seen
    this copy as its own device, so the copy warning is dropped (it stays in the audit log)."""
    row = session.get(DbMeta, COPY_NOTE)
    if row is not None:
        session.delete(row)
        session.flush()


def after_restore(session: Session) -> str:
    """What happens next for sync after a backup was restored into this database (Chinese, "" when
    the database has never synced): on a county database the packages received after the backup
    are gone — each township's next package fills the gap, and ``county acks FOLDER`` tells the
    townships now; on a township the next export sends everything in a new generation."""
    from services.county import mode

    if mode.is_county(session):
        return (
            "这是县级汇总库：备份之后收到的同步包已不在库中。各乡镇下次送来的同步包会补上缺少的部分"
            "（有缺口的包先暂存，回执会请乡镇从缺少的号起重新发送）；也可以现在运行 `county acks 文件夹` "
            "为每个乡镇写出回执，交给乡镇用 `sync ack` 导入，乡镇下次导出就会补齐。"
        )
    if device_id(session, create=False):
        return (
            "同步：本库已开始新的同步世代，下次导出会包含全部数据，交给县里即可；"
            "恢复前已送达县里、本库现在没有的记录，县里会随回执送回。"
        )
    return ""
