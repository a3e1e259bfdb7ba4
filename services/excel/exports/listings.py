"""The declared ledgers (发展党员, 党费, 活动经费, 教育培训, 决策, 党务公开, 八有, 整改…) from
``services.ledgers.catalog``: one sheet per ledger with the columns the screen shows, each cell written
by its column's kind (real dates, exact yuan, labels of codes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.excel.export import ExportColumn, ExportSpec, ExportTable
from services.ledgers.catalog import LISTINGS, Listing


def _producer(listing: Listing) -> Any:
    def produce(session: Session, branch_ids: list[str] | None, year: int | None) -> ExportTable:
        rows = listing.load(session, branch_ids, year)
        return ExportTable(
            listing.title,
            [ExportColumn(c.title, c.width) for c in listing.columns],
            ([c.kind.cell(r.get(c.key)) for c in listing.columns] for r in rows),
        )

    return produce


def EXPORTS() -> list[ExportSpec]:
    """Computed when the registry is read, so a ledger declared later is exported too."""
    return [
        ExportSpec(code, listing.title, _producer(listing), uses_year=True)
        for code, listing in LISTINGS.items()
    ]
