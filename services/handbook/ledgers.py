"""The pack's seven ledgers as rows: what a screen, an Excel sheet or a printed section shows.

Each section of a ledger names its records, filter, date field, order and columns in the pack; this
module reads them for some branches and a period in one query per section and turns stored values
into what a clerk reads (codes → Chinese labels, member ids → names, dates → ISO text, booleans → 是/否).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Member
from models.enums import LABELS
from services.errors import NotFound
from services.handbook.facts import conditions
from services.handbook.pack import Ledger, LedgerSection, Pack
from services.handbook.period import Period
from services.handbook.sources import sources


@dataclass(frozen=True)
class SectionRows:
    title: str
    headers: list[str]
    widths: list[int | None]
    rows: list[list[str]]
    record_ids: list[str]


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
    session: Session, pack: Pack, ledger_id: str, branch_ids: list[str], period: Period | None
) -> LedgerRows:
    """Rows of every section of a ledger; dated sections keep the records of ``period`` only."""
    lg = ledger(pack, ledger_id)
    return LedgerRows(lg.id, lg.name, [_section(session, sec, branch_ids, period) for sec in lg.section])


def _display(value: Any, enum: str | None, names: dict[str, str]) -> str:
    if value is None:
        return ""
    if enum is not None:
        return LABELS[enum].get(str(value), str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    return names.get(value, str(value)) if isinstance(value, str) and value in names else str(value)


def _section(
    session: Session, sec: LedgerSection, branch_ids: list[str], period: Period | None
) -> SectionRows:
    src = sources()[sec.records]
    table = src.table
    cols = [src.column(c.field) for c in sec.columns]
    stmt = select(table.columns["id"], *cols).where(table.columns["deleted"].is_not(True))
    if src.parent is not None and src.via is not None:
        stmt = stmt.select_from(table.join(src.parent, table.columns[src.via] == src.parent.columns["id"]))
        stmt = stmt.where(src.parent.columns["branch_id"].in_(branch_ids))
    else:
        stmt = stmt.where(table.columns["branch_id"].in_(branch_ids))
    stmt = stmt.where(*conditions(src, dict(sec.filter)))
    if sec.date_field and period is not None:
        day = src.column(sec.date_field)
        stmt = stmt.where(day >= period.start, day <= period.end)
    if sec.order_by:
        col = src.column(sec.order_by.lstrip("-"))
        stmt = stmt.order_by(col.desc() if sec.order_by.startswith("-") else col)
    result = session.execute(stmt).all()
    member_fields = [i for i, c in enumerate(sec.columns) if c.field.endswith("member_id")]
    names: dict[str, str] = {}
    if member_fields:
        ids = {r[i + 1] for r in result for i in member_fields if r[i + 1]}
        names = {
            mid: name
            for mid, name in session.execute(select(Member.id, Member.name).where(Member.id.in_(ids)))
        }
    enums = [src.enum(c.field) for c in sec.columns]
    rows = [[_display(v, enums[i], names) for i, v in enumerate(r[1:])] for r in result]
    return SectionRows(
        sec.title,
        [c.title for c in sec.columns],
        [c.width for c in sec.columns],
        rows,
        [r[0] for r in result],
    )
