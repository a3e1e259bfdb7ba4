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
FILE_PATH = "sync.file_path"  # where that file was (a file put back in its place is a restore)
COUNTY_DB_ID = "sync.county_db_id"  # the county database whose acknowledgements this township accepts
RESTORED = "sync.restored"  # set in a backup put in place without opening the live file
MARKS_FILE = "generations.json"
# What this township trusts about its county: newer knowledge than any backup holds, so a restore
# keeps the live database's values (a forged acknowledgement must not be trusted on first use again).
PINS = (COUNTY_X25519, COUNTY_ED25519, COUNTY_DB_ID)
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
    return path_identity(Path(url.database or ""))


def file_path(session: Session) -> str:
    """The absolute path of the SQLite file; empty for a server database."""
    bind = session.get_bind()
    url = bind.engine.url if hasattr(bind, "engine") else None
    if url is None or url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return ""
    return str(Path(url.database or "").resolve())


def _record_file(session: Session) -> None:
    put(session, FILE_ID, file_identity(session))
    put(session, FILE_PATH, file_path(session))


def path_identity(path: Path) -> str:
    """``device:inode`` of ``path`` (kept by a rename on the same disk); empty when it cannot be read."""
    try:
        st = os.stat(path)
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
    _record_file(session)
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


CARRIED = (COUNTY_X25519, COUNTY_ED25519, COUNTY_DB_ID)


def identity(session: Session) -> dict[str, Any]:
    """What a restore must not forget: this laptop's device id, the generations it has lived through
    and the county it pinned. Read from the live database before a backup replaces its contents."""
    return {
        "device": get(session, DEVICE_ID),
        "lineage": lineage(session),
        "pins": {k: get(session, k) for k in CARRIED if get(session, k)},
    }


def after_restore(session: Session, before: dict[str, Any]) -> str | None:
    """Start the restored database's new generation; returns it (None: this database never synced).

    ``before`` is ``identity`` of the database the backup replaced. The restored file keeps this
    laptop's device id even when the backup has another (a backup from before the first export has
    none; another laptop's backup has that laptop's), so the rows this laptop sent stay its own. Every
    generation the live database had lived through and the backup does not know is kept in the lineage
    with fork point 0: nothing of it is in the restored file, so the county lists the rows it wrote
    that the re-base no longer has, and treats none of its versions as seen (never a silent overwrite).
    A county key pinned after the backup was made stays pinned.
    """
    for key, value in before.get("pins", {}).items():
        if not get(session, key):
            put(session, key, value)
    mine, dev = str(before.get("device") or ""), device_id(session, create=False)
    town = session.scalars(select(Township.id).where(Township.deleted.is_(False)).limit(2)).all()
    foreign = bool(before.get("township")) and town != [before["township"]]
    if foreign:
        mine = ""  # another township's backup: not this laptop's history, and not its identity
    if not mine and not dev:
        return None
    if dev != mine:  # not this laptop's history (or none): this laptop's identity, or a new one
        put(session, DEVICE_ID, mine or uuid.uuid4().hex)
    gen = new_generation(session, "restore")
    chain = lineage(session)
    seen = {str(g) for g, _fork in chain}
    lived = [] if foreign else [[str(g), 0] for g, _fork in before.get("lineage", []) if str(g) not in seen]
    if lived:
        put(session, LINEAGE, json.dumps([*chain, *lived][:64]))  # the manifest allows 64
    return gen


def check_generation(session: Session) -> str | None:
    """The per-open check: a new generation if this file is a copy or its counter went back.

    Returns the reason a new generation was started, or None. A database that has never exported
    gets its first generation lazily (at the first export).
    """
    from services.county.mode import is_county

    restored = session.get(DbMeta, RESTORED)
    if restored is not None:  # a backup put in place without opening the live file (see backup.py)
        session.delete(restored)
        session.flush()
    if is_county(session):
        return _check_county(session, restored=restored is not None)
    dev = device_id(session, create=False)
    if restored is not None and dev:
        new_generation(session, "restore")
        note_counter(session)
        return "restore"
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
        # Another file. In the same place, behind the numbers this computer has issued in its
        # history: an older file put back by hand (a backup copied over the ledger) — the same laptop,
        # restored. The file was not opened since, so its numbers are exactly the old generation's up
        # to now. Anywhere else, on a computer that never used this history, or not behind (a whole
        # user folder cloned to a second laptop with the ledger): a copy, another laptop.
        seq = int(
            session.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar_one_or_none() or 0
        )
        if get(session, FILE_PATH) == file_path(session) and _read_marks().get(f"{dev}.{gen}", -1) > seq:
            new_generation(session, "restore")
            note_counter(session)
            return "restore"
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
    elif here and (not recorded or not get(session, FILE_PATH)):
        _record_file(session)
    note_counter(session)
    return reason


def _check_county(session: Session, *, restored: bool) -> str | None:
    """The per-open check of a county database: a new county generation after a restore, a new
    county database id for a copy.

    The county database id is what townships pinned for its acknowledgements. A backup put back —
    by ``restore``, ``restore --without-opening`` (``restored``), or by hand in the same place with a
    counter behind what this computer saw, also on a server database — is the same county database:
    its id stays and a new county generation starts, so acknowledgements written afterwards are the
    newer ones (``services.sync.ack``). A copy (another file, elsewhere or not behind) is another
    county database — a scratch copy must not confirm packages the real county never received — so it
    gets an id of its own: townships refuse its acknowledgements until they import its key file.
    Returns ``restore``/``reuse``/``copy`` or None.
    """
    county_lineage(session)
    reason: str | None = "restore" if restored else None
    recorded, here = get(session, FILE_ID), file_identity(session)
    seq = int(
        session.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar_one_or_none() or 0
    )
    behind = _read_marks().get(f"{device_id(session, create=False)}.{generation(session)}", -1) > seq
    if reason is None and recorded and here and recorded != here:
        reason = "restore" if behind and get(session, FILE_PATH) == file_path(session) else "copy"
    elif reason is None and behind:
        reason = "reuse"
    if reason is not None:
        new_generation(session, reason)  # "copy" gives a new county database id, the others keep it
    elif here and (not recorded or not get(session, FILE_PATH)):
        _record_file(session)
    note_counter(session)
    return reason


def county_lineage(session: Session) -> list[list[Any]]:
    """The county database's generations, newest first (``lineage``), created at its first use.

    A county acknowledgement carries it: a restore of the county database starts a new generation
    (``services.backup``), so a township can tell an acknowledgement written before a county restore
    from one written after it without trusting either computer's clock (``services.sync.ack``).
    """
    if not generation(session):
        gen = uuid.uuid4().hex
        put(session, GENERATION, gen)
        put(session, LINEAGE, json.dumps([[gen, None]]))
    return lineage(session)


TOWNSHIP_ID = "township_id"  # in ``live_facts`` only: the ledger's township (not a db_meta key)


def live_facts(session: Session) -> dict[str, str]:
    """What a restore must not forget (``carry_over``): this database's device id, its generations,
    the county it pinned and its township's id, as ``{db_meta key: value}`` (absent when never set)."""
    keys = (DEVICE_ID, GENERATION, LINEAGE, *PINS)
    facts = {k: v for k in keys if (v := get(session, k))}
    town = session.scalars(select(Township.id).where(Township.deleted.is_(False)).limit(2)).all()
    if len(town) == 1:
        facts[TOWNSHIP_ID] = town[0]
    return facts


def carried_values(restored: dict[str, str], live: dict[str, str]) -> dict[str, str]:
    """The ``db_meta`` values a restored township database takes over from the live one it replaced.

    ``restored``/``live``: ``live_facts`` of the backup and of the database before the swap. The
    county it pinned stays pinned (the live values are the newer ones). A backup taken before the
    first export has no device id of its own; of the same township it is the same laptop, so it takes
    the live device id, and its rows count as versions of the live database's first generation up to
    the backup's change number (its history began with that file) — rows sent after that are then
    listed by the county, never silently dropped.
    """
    values = {key: live[key] for key in PINS if live.get(key)}
    chain = json.loads(live.get(LINEAGE) or "[]")
    same_town = bool(live.get(TOWNSHIP_ID)) and restored.get(TOWNSHIP_ID) == live.get(TOWNSHIP_ID)
    if not restored.get(DEVICE_ID) and live.get(DEVICE_ID) and chain and same_town:
        oldest = str(chain[-1][0])
        values |= {DEVICE_ID: live[DEVICE_ID], GENERATION: oldest, LINEAGE: json.dumps([[oldest, None]])}
    return values


def carry_over(session: Session, live: dict[str, str]) -> str | None:
    """After a backup replaced the database (``services.backup.restore``): keep what
    ``carried_values`` says and start the new generation, as the same laptop. ``live``:
    ``live_facts`` of the database before the swap. Returns the new generation, or None when the
    restored database never exported (and takes no device id)."""
    for key, value in carried_values(live_facts(session), live).items():
        put(session, key, value)
    if not device_id(session, create=False):
        return None
    return new_generation(session, "restore")


def carry_over_county(session: Session, live: dict[str, str]) -> str:
    """After a backup replaced a county database: it stays the county database the townships pinned
    (the live id, even when the backup is from before the id existed) and starts a county generation
    that follows the live one's, so every acknowledgement written from now on is the newer one.
    ``live``: ``live_facts`` of the database before the swap. Returns the new county generation."""
    for key in (DEVICE_ID, GENERATION, LINEAGE):
        if live.get(key):
            put(session, key, live[key])
    county_lineage(session)
    return new_generation(session, "restore")


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


def restore_steps(session: Session) -> str:
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
