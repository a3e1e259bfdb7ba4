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
from itertools import compress
from typing import Any, Protocol

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from services.sync.errors import PackageRejected
from services.sync.package import OpenedPackage
from services.sync.tables import in_values, json_list, table_by_name

CHUNK = 50_000  # ids per look-up (one parameter: an array or a JSON document)
ROOT = "township"


class _Rows(Protocol):
    """One table of a package as the checks across tables see it: its key columns, row-aligned."""

    table: Table

    @property
    def ids(self) -> list[Any]: ...

    @property
    def id_set(self) -> set[Any]: ...  # ``ids`` as a set (the caller makes it once)

    def column(self, name: str) -> list[Any]: ...


def references(table: Table) -> list[tuple[str, str | None]]:
    """``(column, target table)`` of every reference to a synced table, by column name; target None:
    polymorphic (``owner_type`` + ``owner_id``). A reference is a foreign key to a row id, or a
    column declared ``info={"references": "<table>.id"}`` (a reference kept without a foreign key,
    e.g. ``party_group.leader_id``, to avoid a cycle of foreign keys)."""
    synced = table_by_name()
    found = {
        fk.parent.name: fk.column.table.name
        for fk in table.foreign_keys
        if fk.column.table.name in synced and fk.column.name == "id"
    }
    for col in table.columns:
        declared = col.info.get("references")
        if isinstance(declared, str) and declared.endswith(".id") and declared[:-3] in synced:
            found.setdefault(col.name, declared[:-3])
    refs: list[tuple[str, str | None]] = sorted(found.items())
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

    def exists(self, ids_by_table: Mapping[str, set[str]]) -> dict[str, set[str]]:
        """Which of these ids exist here, per table: one UNION ALL query per ``CHUNK`` ids however many
        tables (a package's look-ups are one round trip, not one per table); ``of`` is then asked
        only about the rows that exist."""
        found: dict[str, set[str]] = {name: set() for name in ids_by_table}
        parts: list[tuple[str, list[str]]] = [
            (name, chunk)
            for name, ids in ids_by_table.items()
            if name in self.tables
            for chunk in _chunks(ids - {None})  # a set difference in C, not a loop per id
        ]
        conn = self.s.connection()
        pg = conn.dialect.name == "postgresql"
        while parts:
            batch: list[tuple[str, list[str]]] = []
            size = 0
            while parts and (not batch or size + len(parts[0][1]) <= CHUNK):
                name, chunk = parts.pop(0)
                batch.append((name, chunk))
                size += len(chunk)
            # Driver SQL: a statement built per package costs more to compile than to run.
            if pg:
                sql = " UNION ALL ".join(
                    f'SELECT {k}, "id" FROM "{name}" WHERE "id" = ANY(%s::varchar[])'
                    for k, (name, _c) in enumerate(batch)
                )
                params: tuple[Any, ...] = tuple(chunk for _n, chunk in batch)
            else:
                sql = " UNION ALL ".join(
                    f'SELECT {k}, t."id" FROM json_each(?) AS j JOIN "{name}" AS t ON t."id" = j.value'
                    for k, (name, _c) in enumerate(batch)
                )
                params = tuple(json_list(chunk) for _n, chunk in batch)
            for k, row_id in conn.exec_driver_sql(sql, params):
                found[batch[k][0]].add(row_id)
        for name in ids_by_table:  # ids not found are not remembered: a package's ids are asked once
            self.found.setdefault(name, set()).update(found[name])
        return found

    def _load(self, name: str, wanted: set[str], cache: dict[str, str | None]) -> None:
        table = self.tables.get(name)
        if table is None:
            cache.update(dict.fromkeys(wanted))
            return
        if name == ROOT:
            for chunk in _chunks(wanted):
                found = set(
                    self.s.execute(select(table.c.id).where(in_values(self.s, table.c.id, chunk))).scalars()
                )
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
            rows.extend(self.s.execute(select(*cols).where(in_values(self.s, table.c.id, chunk))).all())
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

    Column by column (set operations, not row by row): every reference to a row outside the package
    must lead to this township here; every row of the package must be anchored — reach the township
    through references to anchored rows or rows here. Returns the ids per table that already exist.
    """
    town = opened.manifest.township_id
    if ROOT in tables:
        _check_township_name(s, opened, tables[ROOT])
    owners = Owners(s)
    present: dict[str, set[str]] = {}
    ids_of = {name: tp.ids for name, tp in tables.items()}
    pkg_ids = {name: tp.id_set for name, tp in tables.items()}
    # 1. Rows that already exist here must already belong to this township.
    exist = owners.exists(pkg_ids)
    for name in tables:
        ids = pkg_ids[name]
        existing = owners.of(name, exist[name])
        present[name] = exist[name]
        foreign = next((i for i in sorted(present[name]) if existing.get(i) != town), None)
        if foreign is not None:
            _refuse(opened, name, foreign, "这条记录在县库中属于另一个乡镇")
    # 2. References: (table, column) -> values, split by target table (polymorphic: owner_type).
    columns: dict[str, list[tuple[str, str, list[Any]]]] = {}
    for name, tp in tables.items():
        refs = references(tp.table)
        if not refs and name != ROOT and ids_of[name]:
            _refuse(opened, name, ids_of[name][0], "这张表的记录无法追溯到任何乡镇")
        cols: list[tuple[str, str, list[Any]]] = []
        for col, target in refs:
            values = tp.column(col)
            if target is not None:
                cols.append((col, target, values))
                continue
            types = tp.column("owner_type")
            kinds = {t for t, v in zip(types, values, strict=True) if v is not None}
            for kind in sorted(kinds, key=str):
                if kind not in owners.tables:
                    i = next(
                        k
                        for k, (t, v) in enumerate(zip(types, values, strict=True))
                        if t == kind and v is not None
                    )
                    _refuse(opened, name, ids_of[name][i], f"{col} 指向未知的数据表 {kind!r}")
                cols.append(
                    (col, str(kind), [v if t == kind else None for t, v in zip(types, values, strict=True)])
                )
        columns[name] = cols
    # 3. Outside the package: must belong to this township here.
    town_rows: dict[str, set[Any]] = {}
    for name, cols in columns.items():
        for col, target, values in cols:
            outside = set(values) - pkg_ids.get(target, set()) - {None} - town_rows.get(target, set())
            if not outside:
                continue
            found = owners.of(target, outside)
            bad = {v for v in outside if found.get(v) != town}
            if bad:
                i = next(k for k, v in enumerate(values) if v in bad)
                _refuse(opened, name, ids_of[name][i], f"{col} 指向的 {target} 记录 {values[i]} 不属于本乡镇")
            town_rows.setdefault(target, set()).update(outside)
    # 4. Anchoring: a row is anchored when a reference leads to an anchored row or a row here.
    anchored: dict[str, set[Any]] = {name: set() for name in tables}
    if ROOT in tables:
        anchored[ROOT] = pkg_ids[ROOT] & {town}
    changed = True
    while changed:
        changed = False
        for name, cols in columns.items():
            if len(anchored[name]) == len(pkg_ids[name]):
                continue
            before = len(anchored[name])
            for _col, target, values in cols:
                done, here = anchored.get(target, set()), town_rows.get(target, set())
                if not set(values) - done - here:  # every row of the column leads there: all anchored
                    anchored[name] = set(pkg_ids[name])
                    break
                good = done | here
                anchored[name].update(compress(ids_of[name], map(good.__contains__, values)))  # in C
            changed = changed or len(anchored[name]) != before
    for name, ids in pkg_ids.items():
        if len(anchored[name]) == len(ids):  # anchored rows are rows of the package
            continue
        loose = ids - anchored[name]
        if loose:
            _refuse(opened, name, sorted(loose)[0], "这条记录没有通向本乡镇的上级记录，无法确认属于哪个乡镇")
    return present


def check_local_tables(opened: OpenedPackage) -> None:
    """Refuse a package carrying a table this program keeps on each machine and never syncs
    (accounts, settings, the log, the county's enrollment and sync records): no township's
    package may write them — not an unknown table from newer software."""
    from models import Base

    local = sorted(set(opened.manifest.tables) & (set(Base.metadata.tables) - set(table_by_name())))
    if local:
        m = opened.manifest
        raise PackageRejected(
            f"同步包 {opened.file_name}（乡镇 {m.township_code}）含有本机数据表（{'、'.join(local)}）："
            "这些表只保存在各自的电脑上，从不同步，本软件导出的包不会含有它们。已拒绝整个包，未写入任何数据；"
            "请勿使用此文件，并告知县里的管理员。"
        )


def _check_township_name(s: Session, opened: OpenedPackage, rows: _Rows) -> None:
    """A township may rename itself, but not *into* the name of another township of this county:
    the county's screens, lists and print-outs tell townships apart by code and name. Only a change
    of name is checked (a first package, or one keeping the name it had, is never refused for it:
    two trial databases made from the same demo carry the same name)."""
    table = rows.table
    m = opened.manifest
    current = s.execute(select(table.c.name).where(table.c.id == m.township_id)).scalar_one_or_none()
    names = {n for n in rows.column("name") if isinstance(n, str)} - {current}
    if current is None or not names:
        return
    clash = s.execute(
        select(table.c.code, table.c.name).where(
            table.c.id != m.township_id, table.c.name.in_(sorted(names)), table.c.deleted.is_(False)
        )
    ).first()
    if clash is not None:
        raise PackageRejected(
            f"同步包 {opened.file_name} 属于乡镇 {m.township_code}，但包中的乡镇记录把名称从“{current}”改成了"
            f"“{clash.name}”，与县库中乡镇 {clash.code} 的名称相同，已拒绝整个包，未写入任何数据。"
            "一个乡镇不能改用另一个乡镇的名称；请在乡镇电脑上改回本乡镇的正式名称后重新导出。"
        )


def _refuse(opened: OpenedPackage, table: str, row_id: str, why: str) -> None:
    m = opened.manifest
    raise PackageRejected(
        f"同步包 {opened.file_name} 属于乡镇 {m.township_code}，但表 {table} 的记录 {row_id}：{why}。"
        "一个乡镇的包不能新增、修改或删除其他乡镇的记录，已拒绝整个包，未写入任何数据。"
    )
