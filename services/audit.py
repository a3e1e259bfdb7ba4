"""操作日志: every change recorded in the same transaction, hash-chained, verifiable, searchable.

``after_flush`` (installed on every Session by ``services.db``) turns the flushed rows into one
entry per changed record: who, when, table, row, and ``{field: [old, new]}``. Each entry's hash is
SHA-256 over the previous hash and the entry's canonical JSON, so a later edit, deletion or
reordering of log rows breaks the chain at that point (:func:`verify`). Writes that bypass the ORM
(demo data, Core bulk inserts) call :func:`record_bulk` for one summary entry per table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, inspect, select, update
from sqlalchemy.orm import Session

from models import AuditEntry, AuditHead, Base, DbMeta, new_id, utcnow
from models.enums import AuditAction
from services import localtime

# Local bookkeeping that is not a user's change: the log itself and the change counter.
SKIP_TABLES = frozenset({"audit_log", "audit_head", "change_counter", "alembic_version"})
# Stamped by the flush hook on every write; recording them would only repeat the entry's header.
SKIP_FIELDS = frozenset(
    {"created_at", "updated_at", "created_by", "updated_by", "row_seq", "deleted_at", "last_login_at"}
)
REDACTED = frozenset({"password_hash"})
REDACTED_VALUE = "（已隐藏）"


def jsonable(value: Any) -> Any:
    """A value as plain JSON: dates as ISO text, decimals and anything else as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} 字节>"
    return str(value)


# One encoder (json.dumps builds a new one per call with these options: a cost per audit entry).
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def canonical(data: Any) -> str:
    """``data`` as compact JSON with sorted keys, non-ASCII kept (what the log stores and hashes)."""
    return _CANONICAL(data)


def entry_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON (every stored field but hashes)."""
    body = canonical(
        [
            row["id"],
            jsonable(row["at"]),
            row["user"],
            row["action"],
            row["table_name"],
            row["row_id"],
            row["changes"],
            row["tx"],
        ]
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


@dataclass
class Pending:
    action: str
    table_name: str
    row_id: str
    changes: dict[str, list[Any]] = field(default_factory=dict)
    user: str | None = None  # who, when: taken at flush time (the entry is written at commit)
    at: datetime | None = None


def _pk(obj: Any) -> str:
    # new rows get their identity key only after the flush; the mapper reads the key columns now
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return "/".join("" if v is None else str(v) for v in key)


def _value(obj: Any, key: str, value: Any) -> Any:
    return REDACTED_VALUE if key in REDACTED else jsonable(value)


def _insert_changes(obj: Any) -> dict[str, list[Any]]:
    state = inspect(obj)
    out: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in SKIP_FIELDS or key == "id":
            continue
        value = state.dict.get(key)
        if value is None or value == "" or (key == "deleted" and value is False):
            continue  # an empty field of a new record says nothing
        out[key] = [None, _value(obj, key, value)]
    return out


def _update_changes(obj: Any) -> dict[str, list[Any]]:
    state = inspect(obj)
    out: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in SKIP_FIELDS:
            continue
        hist = state.attrs[key].history
        if not hist.added:
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0]
        if old == new:
            continue
        out[key] = [_value(obj, key, old), _value(obj, key, new)]
    return out


def _table(obj: Any) -> str | None:
    table = getattr(type(obj), "__tablename__", None)
    if table is None or table in SKIP_TABLES or not isinstance(obj, Base):
        return None
    return str(table)


def collect(session: Session) -> list[Pending]:
    """What this flush changes, from the ORM's attribute history (valid until the flush ends)."""
    out: list[Pending] = []
    for obj in session.new:
        table = _table(obj)
        if table:
            out.append(Pending(AuditAction.INSERT, table, _pk(obj), _insert_changes(obj)))
    for obj in session.dirty:
        table = _table(obj)
        if not table:
            continue
        changes = _update_changes(obj)
        if not changes:
            continue
        action = AuditAction.UPDATE
        if "deleted" in changes:
            action = AuditAction.DELETE if changes["deleted"][1] else AuditAction.RESTORE
        out.append(Pending(action, table, _pk(obj), changes))
    for obj in session.deleted:  # only ever local bookkeeping rows; tracked rows cannot be deleted
        table = _table(obj)
        if table:
            gone = {k: [old, None] for k, (_none, old) in _insert_changes(obj).items()}
            out.append(Pending(AuditAction.PURGE, table, _pk(obj), gone))
    return out


def append(conn: Connection | Session, user: str, tx: str, items: Sequence[Pending]) -> None:
    """Chain ``items`` onto the log. Locks the head row first, so concurrent writers queue up."""
    if not items:
        return
    # A write first (a no-op UPDATE … RETURNING, which locks the row on PostgreSQL): on SQLite it takes
    # the write lock waiting up to busy_timeout, where a SELECT first would have taken a read
    # snapshot and then failed at once with "database is locked" if another process wrote meanwhile
    # (concurrent --local-admin, logins). Concurrent writers queue up here.
    table = cast(Table, AuditHead.__table__)
    head = conn.execute(
        update(table)
        .where(table.c.id == 1)
        .values(last_id=table.c.last_id)
        .returning(table.c.last_id, table.c.last_hash)
    ).one_or_none()
    if head is None:
        # A missing head row (deleted by hand) must not stop anyone from working: continue the chain
        # from its last entry. ``verify`` still reports the anchor in db_meta if entries went too.
        last = conn.execute(
            select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
        ).one_or_none()
        last_id, last_hash = (int(last.id), str(last.hash)) if last is not None else (0, "")
        conn.execute(insert(AuditHead).values(id=1, last_id=last_id, last_hash=last_hash))
    else:
        last_id, last_hash = int(head.last_id), str(head.last_hash)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for item in items:
        last_id += 1
        row: dict[str, Any] = {
            "id": last_id,
            "at": item.at or now,
            "user": user if item.user is None else item.user,
            "action": str(item.action),
            "table_name": item.table_name,
            "row_id": item.row_id,
            "changes": canonical(item.changes),
            "tx": tx,
            "prev_hash": last_hash,
        }
        row["hash"] = last_hash = entry_hash(last_hash, row)
        rows.append(row)
    conn.execute(insert(AuditEntry), rows)
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(last_id=last_id, last_hash=last_hash))
    _store_anchor(conn, last_id, last_hash)


ANCHOR_KEY = "audit_anchor"


def _store_anchor(conn: Connection | Session, last_id: int, last_hash: str) -> None:
    """A second copy of the chain's end in db_meta, written in the same transaction as the entries:
    deleting the last entries (or all of them) and fixing ``audit_head`` no longer passes unseen."""
    value = f"{last_id}:{last_hash}"
    if conn.execute(select(DbMeta.key).where(DbMeta.key == ANCHOR_KEY)).first() is None:
        conn.execute(insert(DbMeta).values(key=ANCHOR_KEY, value=value))
    else:
        conn.execute(update(DbMeta).where(DbMeta.key == ANCHOR_KEY).values(value=value))


def parse_anchor(text: str | None) -> tuple[int, str] | None:
    """``"12:ab…"`` → ``(12, "ab…")``; None for anything else."""
    if not text or ":" not in text:
        return None
    number, _, digest = text.partition(":")
    return (int(number), digest) if number.isdigit() else None


def anchor(session: Session | Connection) -> tuple[int, str]:
    """(number, hash) of the last entry of the chain — what is written outside the file (sync
    manifest, booklet cover, automatic backups) so that a shortened or rewritten log is caught later.
    (0, "") for an empty log."""
    last = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).one_or_none()
    return (int(last.id), str(last.hash)) if last is not None else (0, "")


def check_anchor(session: Session | Connection, number: int, digest: str, where: str) -> VerifyResult:
    """Is an anchor taken earlier (``where``: its source, e.g. "县里上次收到的同步包") still part of
    this chain? Entry ``number`` must exist with hash ``digest``. Does not walk the chain (see verify)."""
    if number <= 0:
        return VerifyResult(True, 0, None, f"{where}：当时操作日志为空，无需比对。")
    row = session.execute(select(AuditEntry.hash).where(AuditEntry.id == number)).one_or_none()
    last = anchor(session)[0]
    if row is None:
        return VerifyResult(
            False,
            0,
            number,
            f"{where}记录操作日志已有 {number} 条，现在只剩 {last} 条：日志被截短（删除了最后的记录）。",
        )
    if str(row.hash) != digest:
        return VerifyResult(False, 0, number, f"{where}记录的第 {number} 条与现在的日志不符：日志被改写过。")
    return VerifyResult(True, 0, None, f"{where}（第 {number} 条）与现在的日志一致。")


def _tx(session: Session) -> str:
    tx = session.info.get("audit_tx")
    if not tx:
        tx = session.info["audit_tx"] = new_id()
    return str(tx)


def _queue(session: Session) -> list[Pending]:
    queue: list[Pending] = session.info.setdefault("audit_pending", [])
    return queue


def after_flush(session: Session, _ctx: Any) -> None:
    """Collect what this flush wrote; the entries are chained and inserted once, at commit, so a
    transaction that flushes a thousand times (bulk saving) touches the chain head only once."""
    if session.info.get("audit_off"):
        return
    items = collect(session)
    if not items:
        return
    user, now = str(session.info.get("user", "")), utcnow()
    for item in items:
        item.user, item.at = user, now
    _queue(session).extend(items)
    if session.in_nested_transaction():  # a savepoint may roll back alone: keep its entries inside it
        write_pending(session)


def write_pending(session: Session) -> None:
    queue = session.info.pop("audit_pending", None)
    if queue:
        append(session.connection(), str(session.info.get("user", "")), _tx(session), queue)


def before_commit(session: Session) -> None:
    """Flush what is left (its entries get collected), then write the entries in this transaction."""
    session.flush()
    write_pending(session)


def end_transaction(session: Session, *_args: Any) -> None:
    session.info.pop("audit_tx", None)
    session.info.pop("audit_pending", None)


def record_event(
    session: Session, what: str, detail: dict[str, Any] | None = None, *, table: str = "", row_id: str = ""
) -> None:
    """A non-row event (login, local-admin use, restore of a backup) in the same chain."""
    changes = {"event": [None, what]} | {k: [None, jsonable(v)] for k, v in (detail or {}).items()}
    user = str(session.info.get("user", ""))
    _queue(session).append(Pending(AuditAction.EVENT, table, row_id, changes, user, utcnow()))


def record_bulk(conn: Connection | Session, user: str, counts: dict[str, int], note: str = "") -> None:
    """One summary entry per table for writes that bypassed the ORM (e.g. demo data)."""
    tx = new_id()
    items = [
        Pending(AuditAction.BULK, table, "", {"rows": [None, n], "note": [None, note]})
        for table, n in counts.items()
        if n
    ]
    append(conn, user, tx, items)


# --- verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    message: str = ""


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the chain in order; report the first entry whose link or content does not match."""
    cols = [
        AuditEntry.id,
        AuditEntry.at,
        AuditEntry.user,
        AuditEntry.action,
        AuditEntry.table_name,
        AuditEntry.row_id,
        AuditEntry.changes,
        AuditEntry.tx,
        AuditEntry.prev_hash,
        AuditEntry.hash,
    ]
    expected_id, prev_hash, checked = 1, "", 0
    after = 0
    while True:
        rows = session.execute(
            select(*cols).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            break
        for r in rows:
            data = r._asdict()
            where = f"第 {r.id} 条（{jsonable(r.at)}，{r.user or '未知用户'}）"
            if r.id != expected_id:
                return VerifyResult(
                    False,
                    checked,
                    expected_id,
                    f"操作日志第 {expected_id} 条到第 {r.id - 1} 条不见了（被删除）。",
                )
            if r.prev_hash != prev_hash:
                return VerifyResult(False, checked, r.id, f"{where}与前一条的链接断开：前一条被修改或删除。")
            if entry_hash(prev_hash, data) != r.hash:
                return VerifyResult(False, checked, r.id, f"{where}的内容与校验值不符：该条被修改过。")
            prev_hash, expected_id, checked = r.hash, r.id + 1, checked + 1
            after = r.id
    head = session.execute(
        select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)
    ).one_or_none()
    last_id = expected_id - 1
    stored = parse_anchor(session.scalar(select(DbMeta.value).where(DbMeta.key == ANCHOR_KEY)))
    if stored is not None and stored != (last_id, prev_hash):
        if stored[0] > last_id:
            msg = f"操作日志最后的第 {last_id + 1} 条到第 {stored[0]} 条不见了（被删除）。"
        else:
            msg = "操作日志的末尾与数据库中另存的链尾记录不符：日志被改动过。"
        return VerifyResult(False, checked, last_id + 1, msg)
    if head is None and checked:
        return VerifyResult(
            False,
            checked,
            None,
            "操作日志的链头记录（audit_head）被删除了；日志条目本身完整，下次保存时会重建。",
        )
    if head is not None and (int(head.last_id), str(head.last_hash)) != (last_id, prev_hash):
        if int(head.last_id) > last_id:
            msg = f"操作日志最后的第 {last_id + 1} 条到第 {head.last_id} 条不见了（被删除）。"
        else:
            msg = "操作日志的链尾记录与最后一条不符：日志被改动过。"
        return VerifyResult(False, checked, last_id + 1, msg)
    return VerifyResult(True, checked, None, f"操作日志完整，共 {checked} 条，校验通过。")


# --- listing ---------------------------------------------------------------------------------


@dataclass
class AuditFilter:
    user: str = ""
    table: str = ""
    row_id: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None  # inclusive


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    user: str
    action: str
    table_name: str
    row_id: str
    changes: dict[str, list[Any]]

    def describe(self) -> str:
        """``字段: 旧 → 新`` lines, one per field."""
        parts = []
        for key, (old, new) in self.changes.items():
            if old is None:
                parts.append(f"{key}: {new}")
            else:
                parts.append(f"{key}: {old} → {new}")
        return "；".join(parts)


def _where(flt: AuditFilter) -> list[Any]:
    conds: list[Any] = []
    if flt.user:
        conds.append(AuditEntry.user == flt.user)
    if flt.table:
        conds.append(AuditEntry.table_name == flt.table)
    if flt.row_id:
        conds.append(AuditEntry.row_id == flt.row_id)
    if flt.action:
        conds.append(AuditEntry.action == flt.action)
    # The filter's days are local calendar days; entries are stored in UTC (services/localtime.py).
    start, end = localtime.day_range_utc(flt.since, flt.until)
    if start is not None:
        conds.append(AuditEntry.at >= start)
    if end is not None:
        conds.append(AuditEntry.at < end)
    return conds


def list_entries(session: Session, flt: AuditFilter, limit: int = 100, offset: int = 0) -> list[AuditRow]:
    """Newest first; filtering and paging happen in SQL."""
    stmt = select(AuditEntry).where(*_where(flt)).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    return [
        AuditRow(e.id, e.at, e.user, e.action, e.table_name, e.row_id, json.loads(e.changes or "{}"))
        for e in session.scalars(stmt)
    ]


def count_entries(session: Session, flt: AuditFilter) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEntry).where(*_where(flt))) or 0)


def distinct_values(session: Session) -> tuple[list[str], list[str]]:
    """Users and tables that appear in the log (for the viewer's filter boxes)."""
    users = session.scalars(select(AuditEntry.user).distinct().order_by(AuditEntry.user)).all()
    tables = session.scalars(
        select(AuditEntry.table_name)
        .where(AuditEntry.table_name != "")
        .distinct()
        .order_by(AuditEntry.table_name)
    ).all()
    return list(users), list(tables)
