"""Two records of one township that claim the same natural key (the same member's dues for the same
month, one person's attendance at one meeting, a branch code …) under different ids.

It happens in ordinary use: a ledger copied to a second laptop where both clerks record the same
month's dues, or a laptop restored from an older backup where the clerk enters again what was already
sent. Each laptop's row is valid on its own; at the county the second violates the table's unique
constraint, and without this module the whole package — every other change in it — would be refused
again at every attempt (the township's records never arrive).

They are two versions of one fact, so they are treated like a row changed in two places
(``receiver._classify``): the later ``updated_at`` wins and is applied to the county's row (which keeps
its id: other rows and earlier acknowledgements refer to it), and both versions are listed in the
同步冲突 list under the county's row for a person to confirm or swap. Only a row of the package's own
township is ever involved: a key held by another township's row refuses the package.

Cost: nothing on the ordinary path — a block is inserted inside a SAVEPOINT and only when the database
reports a unique violation are that block's keys looked up.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, UniqueConstraint, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from models import SyncConflict
from services.sync.conflicts import versions_conflict
from services.sync.errors import PackageRejected
from services.sync.package import OpenedPackage
from services.sync.tables import comparable, decode_row, encode_row

CHUNK = 500
Insert = Callable[[Connection, str, list[str], Sequence[Sequence[Any]]], None]


def unique_keys(table: Table) -> list[list[str]]:
    """The column lists, other than ``id``, that the table declares unique (constraints, unique
    columns, unique indexes) — for a table no other row refers to (dues, attendance, grades, steps).

    A township or branch is referred to by the rows under it: two ids of one branch code cannot be
    folded into one row without moving those rows, so such a clash is still refused, by name.
    """
    if table.name in _referred():
        return []
    keys: list[list[str]] = []
    for c in table.constraints:
        if isinstance(c, UniqueConstraint):
            keys.append([col.name for col in c.columns])
    keys += [[col.name] for col in table.columns if col.unique]
    keys += [[col.name for col in ix.columns] for ix in table.indexes if ix.unique]
    out: list[list[str]] = []
    for k in keys:
        if k and k != ["id"] and k not in out:
            out.append(k)
    return out


def insert_settling_clashes(
    s: Session,
    insert: Insert,
    opened: OpenedPackage,
    table: Table,
    columns: list[str],
    rows: list[list[Any]],
    device_seqs: Sequence[int | None],
    stream_of: Callable[[int], str],
    already_listed: Callable[[Session, str, str, dict[str, Any]], bool],
    conflicts: list[SyncConflict],
) -> tuple[int, list[tuple[list[Any], int]], int]:
    """Insert ``rows`` (new ids, county change numbers already in place); rows whose natural key is
    held here by another row of the township become a conflict on that row instead.

    ``device_seqs``: each row's change number on the sending device, in the order of ``rows``.
    ``stream_of(row_seq)``: the stream that last wrote the row with that change number here. Returns (rows inserted, updates of
    the county's rows where the incoming version won — each (row carrying the county row's id, its
    change number on the sending device) for the caller's UPDATE —, rows that were already listed).
    Raises ``PackageRejected`` when the key belongs to another township's row; the DBAPIError of any
    other failure propagates.
    """
    conn = s.connection()
    keys = unique_keys(table)
    if not keys:
        insert(conn, table.name, columns, rows)
        return len(rows), [], 0
    conn.exec_driver_sql("SAVEPOINT natural_keys")
    try:
        insert(conn, table.name, columns, rows)
    except DBAPIError as exc:
        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT natural_keys")
        conn.exec_driver_sql("RELEASE SAVEPOINT natural_keys")
        if not _is_unique_violation(exc):
            raise
    else:
        conn.exec_driver_sql("RELEASE SAVEPOINT natural_keys")
        return len(rows), [], 0
    clashes = _clashes(s, table, columns, rows, keys)
    if not clashes:  # not a natural-key clash after all: let the caller report the database's words
        insert(conn, table.name, columns, rows)
        return len(rows), [], 0
    _check_township(s, opened, table, clashes)
    m = opened.manifest
    id_at = columns.index("id")
    keep: list[list[Any]] = []
    updates: list[tuple[list[Any], int]] = []
    listed = 0
    for row, device_seq in zip(rows, device_seqs, strict=True):
        old = clashes.get(row[id_at])
        if old is None:
            keep.append(row)
            continue
        ours = comparable(dict(zip(columns, row, strict=True)))
        theirs = comparable(encode_row(table, old))
        if already_listed(s, table.name, old["id"], ours):
            listed += 1
            continue
        other_dev = stream_of(int(old["row_seq"]))
        dev_seq = int(device_seq or 0)
        conflict, incoming_wins = versions_conflict(
            table.name, old["id"], opened.package_id, (ours, m.stream, dev_seq), (theirs, other_dev)
        )
        conflicts.append(conflict)
        if incoming_wins:
            moved = list(row)
            moved[id_at] = old["id"]  # the county's row keeps its id; its values become the later version
            updates.append((moved, dev_seq))  # with the change number the row was given here
    if keep:
        insert(conn, table.name, columns, keep)
    return len(keep), updates, listed


@functools.cache
def _referred() -> frozenset[str]:
    """Tables some synced row refers to (foreign keys, and attachments' owner_type)."""
    from services.attachments import OWNERS
    from services.sync.tables import synced_tables

    tables = synced_tables()
    named = {fk.column.table.name for t in tables for fk in t.foreign_keys}
    owners = {str(getattr(m, "__tablename__", "")) for m in OWNERS.values()}
    return frozenset(named | owners)


def _is_unique_violation(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        text = str(exc.orig).lower()
        return "unique" in text or "duplicate key" in text
    text = str(getattr(exc, "orig", exc)).lower()
    return "unique constraint" in text or "duplicate key value" in text


def _clashes(
    s: Session, table: Table, columns: list[str], rows: list[list[Any]], keys: list[list[str]]
) -> dict[str, Any]:
    """Incoming id -> the row here (a mapping) that holds one of its natural keys under another id."""
    id_at = columns.index("id")
    found: dict[str, Any] = {}
    for key in keys:
        at = [columns.index(c) for c in key]
        wanted: dict[tuple[Any, ...], str] = {}
        for row in rows:
            values = tuple(row[i] for i in at)
            if None not in values:
                wanted[_python(table, key, values)] = row[id_at]
        items = list(wanted)
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            cols = [table.c[c] for c in key]
            where = tuple_(*cols).in_(chunk) if len(cols) > 1 else cols[0].in_([v[0] for v in chunk])
            for old in s.execute(select(table).where(where)).mappings():
                incoming = wanted.get(tuple(old[c] for c in key))
                if incoming is not None and incoming != old["id"]:
                    found.setdefault(incoming, old)
    return found


def _python(table: Table, key: list[str], values: tuple[Any, ...]) -> tuple[Any, ...]:
    decoded = decode_row(table, dict(zip(key, values, strict=True)))
    return tuple(decoded[c] for c in key)


def _check_township(s: Session, opened: OpenedPackage, table: Table, clashes: dict[str, Any]) -> None:
    from services.sync.ownership import Owners

    town = opened.manifest.township_id
    owners = Owners(s).of(table.name, [old["id"] for old in clashes.values()])
    for incoming, old in sorted(clashes.items()):
        if owners.get(old["id"]) != town:
            m = opened.manifest
            raise PackageRejected(
                f"同步包 {opened.file_name} 属于乡镇 {m.township_code}，但表 {table.name} 的记录 {incoming} "
                f"与县库中另一个乡镇的记录 {old['id']} 重复（同一唯一项）。一个乡镇的包不能占用或修改其他乡镇的记录，"
                "已拒绝整个包，未写入任何数据。"
            )
