"""The handbook pack's ledgers (七个工作台账): one workbook per ledger, one sheet per declared section.

The pack is the one IN USE on this computer (as the check and the booklet use it), and every section is
read by the one ledger reader (``services.handbook.ledgers``), so a province that changes its ledgers
changes the export too. Codes become Chinese labels, member/branch/group keys become names, money is an
exact yuan number, months keep to the year asked for.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch
from services.excel.export import ExportColumn, ExportSpec, ExportTable
from services.handbook.ledgers import section_rows
from services.handbook.pack import Ledger, Pack
from services.handbook.period import Period
from services.handbook.period import year as year_period

log = logging.getLogger(__name__)


def EXPORTS(pack: Pack | None = None) -> list[ExportSpec]:
    """Computed when the registry is read (the registry accepts a list or a callable)."""
    if pack is None:
        try:
            from services.handbook.pack import pack_in_use

            pack = pack_in_use()
        except Exception as exc:  # a broken pack must not take the other exports down with it
            log.warning("ledger exports unavailable: %s", exc)
            return []
    return [
        ExportSpec(f"ledger-{lg.id.replace('_', '-')}", lg.name, _producer(lg), uses_year=True)
        for lg in pack.ledger
    ]


def _producer(ledger: Ledger) -> Any:
    def produce(session: Session, branch_ids: list[str] | None, when: int | None) -> list[ExportTable]:
        period = year_period(when) if when else None
        return [_sheet(session, sec, branch_ids, period) for sec in ledger.section]

    return produce


def _sheet(session: Session, sec: Any, branch_ids: list[str] | None, period: Period | None) -> ExportTable:
    read = section_rows(session, sec, branch_ids, period)
    columns = [
        ExportColumn(h, w or k.width) for h, w, k in zip(read.headers, read.widths, read.kinds, strict=True)
    ]
    rows: list[list[object]] = read.cells()
    if read.branch_ids is not None and (branch_ids is None or len(branch_ids) > 1):
        names = _branch_names(session, set(read.branch_ids))
        columns.insert(0, ExportColumn("支部", 16))
        rows = [[names.get(b, ""), *row] for b, row in zip(read.branch_ids, rows, strict=True)]
    return ExportTable(sec.title, columns, rows)


def _branch_names(session: Session, ids: set[str]) -> dict[str, str]:
    return (
        dict(session.execute(select(Branch.id, Branch.name).where(Branch.id.in_(ids))).all()) if ids else {}
    )
