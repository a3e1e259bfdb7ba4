"""组织设置: branches, party groups and committee seats."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from models import Branch, CommitteeSeat, Member, PartyGroup
from models.enums import LABELS
from services.excel.export import ExportColumn, ExportSpec, ExportTable


def branches_table(session: Session, branch_ids: list[str] | None, year: int | None) -> ExportTable:
    counts = dict(
        session.execute(
            select(Member.branch_id, func.count())
            .where(Member.deleted.is_(False), Member.state == "active")
            .group_by(Member.branch_id)
        ).all()
    )
    stmt = select(Branch).where(Branch.deleted.is_(False)).order_by(Branch.sort_order, Branch.code)
    if branch_ids is not None:
        stmt = stmt.where(Branch.id.in_(branch_ids))
    columns = [
        ExportColumn("代码", 8),
        ExportColumn("名称", 20),
        ExportColumn("组织类别", 10),
        ExportColumn("领域", 10),
        ExportColumn("成立日期", 12),
        ExportColumn("本届换届日期", 12),
        ExportColumn("届满日期", 12),
        ExportColumn("党员人数", 8),
    ]
    rows = (
        [
            b.code,
            b.name,
            LABELS["BranchKind"].get(b.kind, b.kind),
            LABELS["BranchDomain"].get(b.domain, b.domain),
            b.founded_on,
            b.term_start,
            b.term_end,
            int(counts.get(b.id, 0)),
        ]
        for b in session.scalars(stmt)
    )
    return ExportTable("党组织", columns, rows)


def party_groups_table(session: Session, branch_ids: list[str] | None, year: int | None) -> ExportTable:
    sizes = dict(
        session.execute(
            select(Member.party_group_id, func.count())
            .where(Member.deleted.is_(False), Member.state == "active")
            .group_by(Member.party_group_id)
        ).all()
    )
    leader = aliased(Member)
    stmt = (
        select(PartyGroup, Branch.name, leader.name)
        .join(Branch, Branch.id == PartyGroup.branch_id)
        .outerjoin(leader, leader.id == PartyGroup.leader_id)
        .where(PartyGroup.deleted.is_(False))
        .order_by(Branch.sort_order, PartyGroup.sort_order, PartyGroup.name)
    )
    if branch_ids is not None:
        stmt = stmt.where(PartyGroup.branch_id.in_(branch_ids))
    columns = [
        ExportColumn("支部", 16),
        ExportColumn("党小组", 16),
        ExportColumn("组长", 10),
        ExportColumn("党员人数", 8),
    ]
    rows = (
        [branch, g.name, leader_name or "", int(sizes.get(g.id, 0))]
        for g, branch, leader_name in session.execute(stmt)
    )
    return ExportTable("党小组", columns, rows)


def committee_table(session: Session, branch_ids: list[str] | None, year: int | None) -> ExportTable:
    stmt = (
        select(CommitteeSeat, Branch.name, Member.name)
        .join(Branch, Branch.id == CommitteeSeat.branch_id)
        .join(Member, Member.id == CommitteeSeat.member_id)
        .where(CommitteeSeat.deleted.is_(False))
        .order_by(Branch.sort_order, CommitteeSeat.start_on, CommitteeSeat.role)
    )
    if branch_ids is not None:
        stmt = stmt.where(CommitteeSeat.branch_id.in_(branch_ids))
    columns = [
        ExportColumn("支部", 16),
        ExportColumn("姓名", 10),
        ExportColumn("职务", 10),
        ExportColumn("任职日期", 12),
        ExportColumn("离任日期", 12),
    ]
    rows = (
        [branch, name, LABELS["CommitteeRole"].get(s.role, s.role), s.start_on, s.end_on]
        for s, branch, name in session.execute(stmt)
    )
    return ExportTable("支部委员会", columns, rows)


EXPORTS = [
    ExportSpec("branches", "党组织", branches_table),
    ExportSpec("party-groups", "党小组", party_groups_table),
    ExportSpec("committee", "支部委员会", committee_table),
]
