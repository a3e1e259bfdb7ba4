"""Ownership by foreign key: every row a package brings, and every row it would change, must belong
to the package's township.

Derived from the models, not from a list: a row belongs to the township its foreign keys lead to
(``township_id`` directly, or through ``branch_id`` → branch → township, ``meeting_id`` → meeting →
branch → …). A polymorphic reference (``owner_type`` + ``owner_id``, as attachments use) is
followed the same way. Every non-empty reference of an incoming row must lead to the manifest's
township — a T02 package cannot point a meeting at a T01 branch — and a row that already exists
here must already belong to that township, so one township's package can never move, rewrite or
delete another's rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from services.sync.errors import PackageRejected
from services.sync.package import OpenedPackage
from services.sync.tables import table_by_name

CHUNK = 2000
ROOT = "township"


class _Rows(Protocol):
    table: Table
    columns: list[str]
    rows: list[list[Any]]


def references(table: Table) -> list[tuple[str, str | None]]:
    """``(column, target table)`` of every reference to a synced table; target None: polymorphic."""
    synced = table_by_name()
    refs: list[tuple[str, str | None]] = [
        (fk.parent.name, fk.column.table.name)
        for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name)
        if fk.column.table.name in synced and fk.column.name == "id"
    ]
    if "owner_type" in table.c and "owner_id" in table.c:
        refs.append(("owner_id", None))
    return refs


def _chunks(items: Iterable[Any]) -> Iterable[list[Any]]:
    values = list(items)
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


class Owners:
    """Township of rows in this database, looked up in batches and remembered."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.known: dict[str, dict[str, str | None]] = {}
        self.found: dict[str, set[str]] = {}  # ids seen to exist here, per table
        self.tables = table_by_name()

    def of(self, table: str, ids: Iterable[str]) -> dict[str, str | None]:
        cache = self.known.setdefault(table, {})
        wanted = {i for i in ids if i is not None and i not in cache}
        if wanted:
            self._load(table, wanted, cache)
        return cache

    def _load(self, name: str, wanted: set[str], cache: dict[str, str | None]) -> None:
        table = self.tables.get(name)
        if table is None:
            cache.update(dict.fromkeys(wanted))
            return
        if name == ROOT:
            for chunk in _chunks(wanted):
                found = set(self.s.execute(select(table.c.id).where(table.c.id.in_(chunk))).scalars())
                self.found.setdefault(name, set()).update(found)
                cache.update({i: (i if i in found else None) for i in chunk})
            return
        refs = references(table)
        cols = (
            [table.c.id]
            + [table.c[c] for c, _t in refs]
            + ([table.c.owner_type] if any(t is None for _c, t in refs) else [])
        )
        rows: list[Any] = []
        for chunk in _chunks(wanted):
            rows.extend(self.s.execute(select(*cols).where(table.c.id.in_(chunk))).all())
        cache.update(dict.fromkeys(wanted))
        self.found.setdefault(name, set()).update(r[0] for r in rows)
        if not refs:
            return
        # Follow the first non-empty reference; the others were checked when the row was written.
        pending: dict[tuple[str, str], list[str]] = {}
        for r in rows:
            for k, (_col, target) in enumerate(refs, start=1):
                value = r[k]
                if value is None:
                    continue
                tgt = target if target is not None else str(r[len(refs) + 1])
                pending.setdefault((tgt, value), []).append(r[0])
                break
        by_table: dict[str, set[str]] = {}
        for tgt, value in pending:
            by_table.setdefault(tgt, set()).add(value)
        for tgt, values in by_table.items():
            owners = self.of(tgt, values)
            for value in values:
                for row_id in pending[(tgt, value)]:
                    cache[row_id] = owners.get(value)


def check(s: Session, opened: OpenedPackage, tables: Mapping[str, _Rows]) -> dict[str, set[str]]:
    """Refuse the package if any row leads to, or already belongs to, another township.

    Returns the ids per table that already exist here (the merge needs them anyway).
    """
    town = opened.manifest.township_id
    owners = Owners(s)
    present: dict[str, set[str]] = {}
    pkg_ids = {name: {r[tp.columns.index("id")] for r in tp.rows} for name, tp in tables.items()}
    # 1. Rows that already exist here must already belong to this township.
    for name in tables:
        ids = pkg_ids[name]
        existing = owners.of(name, ids)
        present[name] = owners.found.get(name, set()) & ids
        foreign = next((i for i in sorted(present[name]) if existing.get(i) != town), None)
        if foreign is not None:
            _refuse(opened, name, foreign, "这条记录在县库中属于另一个乡镇")
    # 2. Every reference of every incoming row: (table, row index, column, target table, value).
    edges: list[tuple[str, list[Any], int, str, str, Any]] = []
    outside: dict[str, set[str]] = {}
    for name, tp in tables.items():
        id_at = tp.columns.index("id")
        type_at = tp.columns.index("owner_type") if "owner_type" in tp.columns else None
        refs = references(tp.table)
        if not refs and name != ROOT and tp.rows:
            _refuse(opened, name, tp.rows[0][id_at], "这张表的记录无法追溯到任何乡镇")
        for col, target in refs:
            at = tp.columns.index(col)
            for r in tp.rows:
                value = r[at]
                if value is None:
                    continue
                tgt = target if target is not None else str(r[type_at] if type_at is not None else "")
                if tgt not in owners.tables:
                    _refuse(opened, name, r[id_at], f"{col} 指向未知的数据表 {tgt!r}")
                edges.append((name, r, id_at, col, tgt, value))
                if value not in pkg_ids.get(tgt, ()):
                    outside.setdefault(tgt, set()).add(value)
    db_owner = {tgt: owners.of(tgt, values) for tgt, values in outside.items()}
    # 3. Owners of incoming rows: the township row is its own; others through any resolved reference,
    # repeated until nothing changes (references may run both ways, e.g. attachment ↔ evidence_filing).
    mine: dict[str, dict[str, str | None]] = {name: {} for name in tables}
    if ROOT in tables:
        mine[ROOT] = {i: i for i in pkg_ids[ROOT]}

    def owner(tgt: str, value: Any) -> str | None:
        if value in pkg_ids.get(tgt, ()):
            return mine[tgt].get(value)
        return db_owner.get(tgt, {}).get(value)

    changed = True
    while changed:
        changed = False
        for name, r, id_at, _col, tgt, value in edges:
            if r[id_at] in mine[name]:
                continue
            found = owner(tgt, value)
            if found is not None:
                mine[name][r[id_at]] = found
                changed = True
    # 4. Every reference must lead to this township, and every row must have an owner.
    for name, r, id_at, col, tgt, value in edges:
        if owner(tgt, value) != town:
            _refuse(opened, name, r[id_at], f"{col} 指向的 {tgt} 记录 {value} 不属于本乡镇")
    for name, ids in pkg_ids.items():
        lost = sorted(ids - set(mine[name]))
        if lost:
            _refuse(opened, name, lost[0], "这条记录没有指向任何上级记录，无法确认属于哪个乡镇")
    return present


def _refuse(opened: OpenedPackage, table: str, row_id: str, why: str) -> None:
    m = opened.manifest
    raise PackageRejected(
        f"同步包 {opened.file_name} 属于乡镇 {m.township_code}，但表 {table} 的记录 {row_id}：{why}。"
        "一个乡镇的包不能新增、修改或删除其他乡镇的记录，已拒绝整个包，未写入任何数据。"
    )
