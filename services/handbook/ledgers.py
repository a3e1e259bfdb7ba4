"""The one reader of the pack's seven ledgers (``[[ledger.section]]``): rows for a screen, an Excel sheet
or a printed section.

Each section of a ledger names its records, filter, date field, order and columns in the pack; this
module reads them for some branches and a period in one query per section. Every column gets its kind
from ``services.ledgers.schema`` (codes → Chinese labels, member/branch/group ids → names, fen → yuan,
``YYYY-MM`` months), so the booklet, the Excel export and ``handbook ledger`` show the same thing.
Fields may be the record's own or its parent's (``meeting.type`` for attendance); ``order_by`` may start
with ``-`` for newest first. A section without a date field whose records carry a month (党费) keeps
the months of the period.

Callers pass the pack IN USE (``services.handbook.pack.pack_in_use()``), not the default pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

import models
from services.errors import NotFound
from services.handbook.facts import conditions
from services.handbook.pack import Ledger, LedgerSection, Pack, resolved
from services.handbook.period import Period
from services.handbook.sources import Source, sources
from services.ledgers import kinds
from services.ledgers.kinds import Kind
from services.ledgers.schema import NAMED, column_kind


@dataclass(frozen=True)
class SectionRows:
    """One section read: headers and widths (characters, None: the kind's default), the typed values of
    each row (``values``: dates, fen, codes already turned into labels, ids into names), their display
    text (``rows``), the record ids and the branch id of each row."""

    title: str
    headers: list[str]
    widths: list[int | None]
    kinds: list[Kind]
    values: list[list[Any]]
    rows: list[list[str]]
    record_ids: list[str]
    branch_ids: list[str] | None  # None: a declared ledger's rows (they carry their 支部 column if any)
    dated: bool  # True when the rows are the period's (date field or month), False: records as of now

    def cells(self) -> list[list[object]]:
        """Excel cells: real dates, exact yuan (Decimal), labels and names as text."""
        return [[k.cell(v) for k, v in zip(self.kinds, row, strict=True)] for row in self.values]


@dataclass(frozen=True)
class LedgerRows:
    id: str
    name: str
    sections: list[SectionRows]


def ledger(pack: Pack, ledger_id: str) -> Ledger:
    found = pack.ledger_by_id().get(ledger_id)
    if found is None:
        names = "、".join(f"{lg.id}（{lg.name}）" for lg in pack.ledger)
        raise NotFound(f"手册包中没有台账“{ledger_id}”，可用：{names}。")
    return found


def ledger_rows(
    session: Session, pack: Pack, ledger_id: str, branch_ids: list[str] | None, period: Period | None
) -> LedgerRows:
    """Rows of every section of a ledger; dated sections keep the records of ``period`` only."""
    lg = ledger(pack, ledger_id)
    return LedgerRows(lg.id, lg.name, [section_rows(session, sec, branch_ids, period) for sec in lg.section])


def header(title: str, kind: Kind) -> str:
    """Money is shown in yuan, so a header that says 分 is corrected to 元."""
    if kind is kinds.MONEY:
        return title.replace("（分）", "（元）").replace("(分)", "(元)")
    return title


def _month_field(src: Source) -> str | None:
    col = src.table.columns.get("month")
    return "month" if col is not None and column_kind(src.name, col) is kinds.MONTH else None


def _names(session: Session, table: str, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    t = models.Base.metadata.tables[table]
    return {i: n for i, n in session.execute(select(t.c.id, t.c.name).where(t.c.id.in_(ids)))}


def section_rows(
    session: Session, sec: LedgerSection, branch_ids: list[str] | None, period: Period | None
) -> SectionRows:
    """Reads one declared section for ``branch_ids`` (None: every branch) and ``period`` (None: all).

    Raises KeyError only for a section the pack check would have refused (unknown records or field)."""
    if sec.listing:
        return _listing_rows(session, sec, branch_ids, period)
    sec = resolved(sec)  # declared column keys → the table fields they read
    src = sources()[sec.records]
    table = src.table
    cols = [src.column(c.field) for c in sec.columns]
    branch_col = src.parent.columns["branch_id"] if src.parent is not None else table.columns["branch_id"]
    stmt: Select[Any] = select(table.columns["id"], branch_col, *cols).where(
        table.columns["deleted"].is_not(True)
    )
    if src.parent is not None and src.via is not None:
        stmt = stmt.select_from(table.join(src.parent, table.columns[src.via] == src.parent.columns["id"]))
        stmt = stmt.where(src.parent.columns["deleted"].is_not(True))
    if branch_ids is not None:
        stmt = stmt.where(branch_col.in_(branch_ids))
    stmt = stmt.where(*conditions(src, dict(sec.filter)))
    month = None if sec.date_field else _month_field(src)
    if period is not None and sec.date_field:
        day = src.column(sec.date_field)
        stmt = stmt.where(day >= period.start, day <= period.end)
    elif period is not None and month is not None:
        first, last = _month_text(period.start), _month_text(period.end)
        stmt = stmt.where(table.columns[month] >= first, table.columns[month] <= last)
    if sec.order_by:
        col = src.column(sec.order_by.lstrip("-"))
        stmt = stmt.order_by(col.desc() if sec.order_by.startswith("-") else col)
    result = session.execute(stmt).all()
    col_kinds = [column_kind(c.table.name, c) for c in cols]
    names: list[dict[str, str] | None] = []
    for i, c in enumerate(cols):
        target = NAMED.get(c.name)
        names.append(_names(session, target, {r[i + 2] for r in result if r[i + 2]}) if target else None)
    values = [
        [(names[i] or {}).get(v, "") if names[i] is not None and v else v for i, v in enumerate(r[2:])]
        for r in result
    ]
    return SectionRows(
        sec.title,
        [header(c.title, k) for c, k in zip(sec.columns, col_kinds, strict=True)],
        [c.width for c in sec.columns],
        col_kinds,
        values,
        [[k.display(v) for k, v in zip(col_kinds, row, strict=True)] for row in values],
        [r[0] for r in result],
        [r[1] for r in result],
        bool(sec.date_field or month),
    )


def _listing_rows(
    session: Session, sec: LedgerSection, branch_ids: list[str] | None, period: Period | None
) -> SectionRows:
    """A section naming a declared ledger (``listing = "fees"``): its loader for the period's year, its
    columns by declared key, each shown by the column's kind."""
    from services.ledgers.catalog import LISTINGS

    listing = LISTINGS[sec.listing]
    year = period.start.year if period is not None and period.start.year == period.end.year else None
    loaded = listing.load(session, branch_ids, year)
    columns = [listing.column(c.field) for c in sec.columns]
    values = [[r.get(c.key) for c in columns] for r in loaded]
    col_kinds = [c.kind for c in columns]
    return SectionRows(
        sec.title,
        [header(c.title, k) for c, k in zip(sec.columns, col_kinds, strict=True)],
        [c.width or d.width for c, d in zip(sec.columns, columns, strict=True)],
        col_kinds,
        values,
        [[k.display(v) for k, v in zip(col_kinds, row, strict=True)] for row in values],
        [str(r.get("id", "")) for r in loaded],
        None,
        year is not None,
    )


def _month_text(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
