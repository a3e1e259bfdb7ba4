"""党费 as clerks keep it on paper: one line per member, one column per month of a year.

``fee_grid(session, branch_ids, year)`` → ``FeeGridRow`` per member who owes for any month of ``year``
(branch order, then pinyin of the name): ``months[m]`` is ``FeeCell(due_fen, paid_fen, paid_on)`` for
month m (1–12) or absent when nothing was set for it. Amounts in fen. Reads only; the ledger
actions (核定应交党费, 登记交纳) write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch, FeeDue, Member
from services.collation import pinyin_key


@dataclass(frozen=True)
class FeeCell:
    due_fen: int
    paid_fen: int
    paid_on: date | None

    @property
    def state(self) -> str:
        """ "paid" (at least what is due), "partial", "unpaid" or "none" (nothing due)."""
        if self.due_fen <= 0 and self.paid_fen <= 0:
            return "none"
        if self.paid_fen >= self.due_fen:
            return "paid"
        return "partial" if self.paid_fen > 0 else "unpaid"


@dataclass
class FeeGridRow:
    member_id: str
    name: str
    branch_name: str
    months: dict[int, FeeCell] = field(default_factory=dict)

    @property
    def due_fen(self) -> int:
        return sum(c.due_fen for c in self.months.values())

    @property
    def paid_fen(self) -> int:
        return sum(c.paid_fen for c in self.months.values())


def fee_grid(session: Session, branch_ids: list[str] | None, year: int) -> list[FeeGridRow]:
    """See the module docstring; ``branch_ids`` None means every branch."""
    stmt = (
        select(
            FeeDue.member_id,
            Member.name,
            Branch.name,
            Branch.sort_order,
            Branch.code,
            FeeDue.month,
            FeeDue.due_fen,
            FeeDue.paid_fen,
            FeeDue.paid_on,
        )
        .join(Member, Member.id == FeeDue.member_id)
        .join(Branch, Branch.id == FeeDue.branch_id)
        .where(FeeDue.deleted.is_(False), FeeDue.month >= f"{year:04d}-01", FeeDue.month <= f"{year:04d}-12")
    )
    if branch_ids is not None:
        stmt = stmt.where(FeeDue.branch_id.in_(branch_ids))
    rows: dict[str, FeeGridRow] = {}
    rank: dict[str, tuple[int, str]] = {}
    for member_id, name, branch_name, sort_order, code, month, due, paid, paid_on in session.execute(stmt):
        row = rows.get(member_id)
        if row is None:
            row = rows[member_id] = FeeGridRow(member_id, name, branch_name)
            rank[member_id] = (sort_order or 0, code)
        row.months[int(month[5:7])] = FeeCell(due or 0, paid or 0, paid_on)
    return sorted(rows.values(), key=lambda r: (rank[r.member_id], pinyin_key(r.name)))
