"""The handbook pack's ledgers (七个工作台账): one workbook per ledger, one sheet per declared section.

The columns come from the pack (``[[ledger.section]]``), so a province that changes its ledgers changes
the export too. Codes become Chinese labels, member/branch/group keys become names, fen become yuan.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Select, Table, select
from sqlalchemy.orm import Session

import models
from services.dates import in_year
from services.excel.export import ExportColumn, ExportSpec, ExportTable

log = logging.getLogger(__name__)
_NAMED = {"member_id": "member", "branch_id": "branch", "party_group_id": "party_group"}


def EXPORTS() -> list[ExportSpec]:
    """Computed when the registry is read (the registry accepts a list or a callable)."""
    try:
        from services.handbook.pack import load_pack

        pack = load_pack()
    except Exception as exc:  # a broken pack must not take the other exports down with it
        log.warning("ledger exports unavailable: %s", exc)
        return []
    return [
        ExportSpec(f"ledger-{lg.id.replace('_', '-')}", lg.name, _producer(lg), uses_year=True)
        for lg in pack.ledger
    ]


def _producer(ledger: Any) -> Any:
    def produce(session: Session, branch_ids: list[str] | None, year: int | None) -> list[ExportTable]:
        names = _names(session)
        return [_section(session, sec, branch_ids, year, names) for sec in ledger.section]

    return produce


def _names(session: Session) -> dict[str, dict[str, str]]:
    tables = models.Base.metadata.tables
    return {
        t: {row[0]: row[1] for row in session.execute(select(tables[t].c.id, tables[t].c.name))}
        for t in ("member", "branch", "party_group")
    }


def _scoped(table: Table, branch_ids: list[str] | None) -> tuple[Select[Any], Any]:
    """Rows of ``table`` limited to the branches, directly or through a parent row's branch."""
    stmt: Select[Any] = select(table)
    branch_col = table.c.get("branch_id")
    if branch_col is None:
        for col in table.c:
            parents = [fk.column.table for fk in col.foreign_keys]
            if col.name != "member_id" and parents and "branch_id" in parents[0].c:
                parent = parents[0]
                stmt = stmt.join(parent, parent.c.id == col).where(parent.c.deleted.is_(False))
                branch_col = parent.c.branch_id
                break
    if branch_ids is not None and branch_col is not None:
        stmt = stmt.where(branch_col.in_(branch_ids))
    return stmt, branch_col


def _section(
    session: Session,
    sec: Any,
    branch_ids: list[str] | None,
    year: int | None,
    names: dict[str, dict[str, str]],
) -> ExportTable:
    from models.enums import LABELS
    from services.printing.sections import CODED  # the one map of coded columns → label tables

    table = models.Base.metadata.tables[sec.records]
    stmt, branch_col = _scoped(table, branch_ids)
    if "deleted" in table.c:
        stmt = stmt.where(table.c.deleted.is_(False))
    for name, wanted in sec.filter.items():
        col = table.c[name]
        stmt = stmt.where(col.in_(wanted) if isinstance(wanted, list) else col == wanted)
    if year and sec.date_field:
        stmt = stmt.where(*in_year(table.c[sec.date_field], year))
    if sec.order_by:
        stmt = stmt.order_by(table.c[sec.order_by])
    with_branch = branch_col is not None and (branch_ids is None or len(branch_ids) > 1)
    if with_branch:
        stmt = stmt.add_columns(branch_col.label("_branch"))
    fields = [c.field for c in sec.columns]

    def value(field: str, raw: Any) -> Any:
        if field in _NAMED and raw is not None:
            return names[_NAMED[field]].get(raw, "")
        enum = CODED.get((table.name, field))
        if enum and isinstance(raw, str):
            return LABELS.get(enum, {}).get(raw, raw)
        if field.endswith("_fen") and isinstance(raw, int):
            return round(raw / 100, 2)
        return raw

    rows = []
    for r in session.execute(stmt).mappings():
        row = [value(f, r[f]) for f in fields]
        rows.append(([names["branch"].get(r["_branch"], "")] if with_branch else []) + row)
    columns = [ExportColumn(c.title.replace("（分）", "（元）"), c.width or 12) for c in sec.columns]
    if with_branch:
        columns.insert(0, ExportColumn("支部", 16))
    return ExportTable(sec.title, columns, rows)
