"""The other ledgers (发展党员, 党费, 活动经费, 教育培训, 决策, 党务公开, 八有, 整改…) from their declared
listings in ``services.listings``: one sheet per listing, with the derived columns the screen shows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from services.excel.export import ExportColumn, ExportSpec, ExportTable
from services.listings import LISTINGS, Listing


def _cell(listing: Listing, row: dict[str, Any], key: str, kind: str) -> object:
    value = row.get(key)
    if value is None:
        return None
    if kind == "money":
        return Decimal(int(value)) / 100  # exact yuan, never a binary float
    if kind == "hours":
        return Decimal(int(value)) / 60
    if kind == "bool":
        return "是" if value else "否"
    if kind in ("date", "int"):
        return value
    return listing.display(row, key)


def _producer(listing: Listing):  # type: ignore[no-untyped-def]
    def produce(session: Session, branch_ids: list[str] | None, year: int | None) -> ExportTable:
        rows = listing.load(session, branch_ids, year)
        return ExportTable(
            listing.title,
            [ExportColumn(c.title, c.width) for c in listing.columns],
            ([_cell(listing, r, c.key, c.kind) for c in listing.columns] for r in rows),
        )

    return produce


EXPORTS = [
    ExportSpec(code, listing.title, _producer(listing), uses_year=True) for code, listing in LISTINGS.items()
]
