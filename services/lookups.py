"""Small read-only choice lists that forms offer (party groups of a branch, …)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Member, PartyGroup


@dataclass(frozen=True)
class Choice:
    id: str
    name: str


def party_groups(session: Session, branch_id: str) -> list[Choice]:
    """The branch's party groups (党小组) not dissolved, in their display order."""
    rows = session.execute(
        select(PartyGroup.id, PartyGroup.name)
        .where(
            PartyGroup.branch_id == branch_id,
            PartyGroup.deleted.is_(False),
            PartyGroup.dissolved_on.is_(None),
        )
        .order_by(PartyGroup.sort_order, PartyGroup.name)
    )
    return [Choice(r[0], r[1]) for r in rows]


def members_by_id(session: Session, ids: list[str]) -> dict[str, Member]:
    """Members by id in one query (attendance lists, pickers)."""
    if not ids:
        return {}
    return {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(set(ids))))}
