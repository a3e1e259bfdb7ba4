"""党员花名册: the same columns the roster import reads, so an export can be edited and re-imported."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch, Member, PartyGroup
from models.enums import LABELS, MemberState
from services.collation import pinyin_key
from services.excel.export import ExportColumn, ExportSpec, ExportTable
from services.excel.layouts import ROSTER


def roster_table(session: Session, branch_ids: list[str] | None, year: int | None) -> ExportTable:
    stmt = (
        select(Member, Branch.name, PartyGroup.name)
        .join(Branch, Branch.id == Member.branch_id)
        .outerjoin(PartyGroup, PartyGroup.id == Member.party_group_id)
        .where(Member.deleted.is_(False), Member.state == MemberState.ACTIVE)
        .order_by(Branch.sort_order, Branch.code, Member.id_number)
    )
    if branch_ids is not None:
        stmt = stmt.where(Member.branch_id.in_(branch_ids))
    columns = [ExportColumn(c.header, c.width) for c in ROSTER.columns]  # 所在支部 last, as in ROSTER
    rows = (
        [
            m.name,
            LABELS["Gender"].get(m.gender, m.gender),
            m.ethnicity,
            m.birth_date,
            m.id_number,
            LABELS["Education"].get(m.education, m.education),
            m.phone,
            m.joined_on,
            m.full_member_on,
            LABELS["MemberStatus"].get(m.status, m.status),
            LABELS["Discipline"].get(m.discipline, m.discipline),
            group or "",
            "是" if m.is_flowing else "否",
            LABELS["Occupation"].get(m.occupation, m.occupation),
            "是" if m.is_migrant_worker else "否",
            "是" if m.is_hardship else "否",
            m.branch_since,
            m.notes,
            branch,
        ]
        for m, branch, group in _by_pinyin(session.execute(stmt).all())
    )
    return ExportTable("党员花名册", columns, rows)


def _by_pinyin(found: Sequence[Any]) -> list[Any]:
    """Within each branch (kept in tree order), members by the pinyin of their name, as on screen."""
    order = {id(r): i for i, r in enumerate(found)}  # the SQL order of the branches
    branch_rank: dict[str, int] = {}
    for r in found:
        branch_rank.setdefault(r[0].branch_id, order[id(r)])
    return sorted(found, key=lambda r: (branch_rank[r[0].branch_id], pinyin_key(r[0].name), r[0].id_number))


EXPORTS = [ExportSpec("members", "党员花名册", roster_table)]
