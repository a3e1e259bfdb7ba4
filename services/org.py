"""Townships, branches, party groups and committee seats."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from models import Branch, CommitteeSeat, Member, PartyGroup, Township, utcnow
from models.enums import BranchDomain, BranchKind, CommitteeRole
from services import recycle
from services.errors import NotFound, ValidationError


def create_township(session: Session, code: str, name: str, county: str = "") -> Township:
    code, name = code.strip(), name.strip()
    if not code:
        raise ValidationError("code", "乡镇代码不能为空。")
    if not name:
        raise ValidationError("name", "乡镇名称不能为空。")
    if session.scalar(select(Township.id).where(Township.code == code, Township.deleted.is_(False))):
        raise ValidationError("code", f"乡镇代码 {code} 已存在。")
    township = Township(code=code, name=name, county=county.strip())
    session.add(township)
    session.flush()
    return township


def create_branch(
    session: Session,
    township_id: str,
    code: str,
    name: str,
    *,
    kind: str = BranchKind.BRANCH,
    domain: str = BranchDomain.RURAL,
    founded_on: date | None = None,
    parent_id: str | None = None,
    term_start: date | None = None,
    term_end: date | None = None,
    today: date | None = None,
) -> Branch:
    today = today or date.today()
    code, name = code.strip(), name.strip()
    if not code:
        raise ValidationError("code", "支部代码不能为空。")
    if not name:
        raise ValidationError("name", "支部名称不能为空。")
    if kind not in BranchKind.__members__.values():
        raise ValidationError("kind", f"未知的组织类别：{kind}。")
    if domain not in BranchDomain.__members__.values():
        raise ValidationError("domain", f"未知的领域：{domain}。")
    if founded_on and founded_on > today:
        raise ValidationError("founded_on", "成立日期不能晚于今天。")
    if term_start and term_end and term_end <= term_start:
        raise ValidationError("term_end", "届满日期必须晚于换届日期。")
    exists = session.scalar(
        select(Branch.id).where(
            Branch.township_id == township_id, Branch.code == code, Branch.deleted.is_(False)
        )
    )
    if exists:
        raise ValidationError("code", f"支部代码 {code} 在本乡镇已存在。")
    order = session.scalar(select(func.count()).where(Branch.township_id == township_id)) or 0
    branch = Branch(
        township_id=township_id,
        code=code,
        name=name,
        kind=str(kind),
        domain=str(domain),
        founded_on=founded_on,
        parent_id=parent_id,
        term_start=term_start,
        term_end=term_end,
        sort_order=order,
    )
    session.add(branch)
    session.flush()
    return branch


def get_branch(session: Session, branch_id: str) -> Branch:
    branch = session.get(Branch, branch_id)
    if branch is None or branch.deleted:
        raise NotFound("找不到该支部，可能已被删除。")
    return branch


def branch_by_code(session: Session, code: str) -> Branch:
    branch = session.scalar(select(Branch).where(Branch.code == code, Branch.deleted.is_(False)))
    if branch is None:
        raise NotFound(f"找不到代码为 {code} 的支部。")
    return branch


def create_party_group(session: Session, branch_id: str, name: str) -> PartyGroup:
    name = name.strip()
    if not name:
        raise ValidationError("name", "党小组名称不能为空。")
    get_branch(session, branch_id)
    group = PartyGroup(branch_id=branch_id, name=name)
    session.add(group)
    session.flush()
    return group


def add_committee_seat(
    session: Session,
    branch_id: str,
    member_id: str,
    role: str,
    start_on: date,
    end_on: date | None = None,
) -> CommitteeSeat:
    if role not in CommitteeRole.__members__.values():
        raise ValidationError("role", f"未知的职务：{role}。")
    member = session.get(Member, member_id)
    if member is None or member.deleted or member.branch_id != branch_id:
        raise ValidationError("member_id", "支委必须是本支部的党员。")
    if end_on and end_on < start_on:
        raise ValidationError("end_on", "任职结束日期不能早于开始日期。")
    seat = CommitteeSeat(
        branch_id=branch_id, member_id=member_id, role=str(role), start_on=start_on, end_on=end_on
    )
    session.add(seat)
    session.flush()
    return seat


def committee_on(session: Session, branch_id: str, day: date) -> list[CommitteeSeat]:
    return list(
        session.scalars(
            select(CommitteeSeat).where(
                CommitteeSeat.branch_id == branch_id,
                CommitteeSeat.deleted.is_(False),
                CommitteeSeat.start_on <= day,
                (CommitteeSeat.end_on.is_(None)) | (CommitteeSeat.end_on > day),
            )
        )
    )


def soft_delete(obj: object) -> None:
    """Mark a tracked row deleted — and, with the same time stamp, every row that depends on it
    (``recycle.dependents``: attendance, dues, seats of a deleted member; a meeting's attendance and
    photos), so nothing deleted is still counted, shown or sent; restoring brings them back together.
    The session hook bumps the change numbers."""
    now = utcnow()
    session = object_session(obj)
    for row in recycle.dependents(session, obj) if session is not None else []:
        row.deleted = True
        row.deleted_at = now
    obj.deleted = True  # type: ignore[attr-defined]
    obj.deleted_at = now  # type: ignore[attr-defined]


@dataclass
class TreeNode:
    """A row of the township → branch tree."""

    id: str
    name: str
    kind: str  # "township" or a BranchKind code
    code: str = ""
    member_count: int = 0
    children: list[TreeNode] = field(default_factory=list)


def organization_tree(session: Session) -> list[TreeNode]:
    """Townships with their branches nested by parent, with active member counts."""
    counts = dict(
        session.execute(
            select(Member.branch_id, func.count())
            .where(Member.deleted.is_(False), Member.state == "active")
            .group_by(Member.branch_id)
        ).all()
    )
    townships = session.scalars(
        select(Township).where(Township.deleted.is_(False)).order_by(Township.code)
    ).all()
    branches = session.scalars(
        select(Branch).where(Branch.deleted.is_(False)).order_by(Branch.sort_order, Branch.code)
    ).all()
    nodes = {b.id: TreeNode(b.id, b.name, b.kind, b.code, int(counts.get(b.id, 0))) for b in branches}
    roots: dict[str, TreeNode] = {t.id: TreeNode(t.id, t.name, "township", t.code) for t in townships}
    for b in branches:
        parent = nodes.get(b.parent_id) if b.parent_id else None
        (parent or roots[b.township_id]).children.append(nodes[b.id])
    for root in roots.values():
        root.member_count = sum(_total(c) for c in root.children)
    return list(roots.values())


def _total(node: TreeNode) -> int:
    return node.member_count + sum(_total(c) for c in node.children)


def descendant_branch_ids(session: Session, node_id: str) -> list[str]:
    """The branch itself and every branch below it; for a township, all its branches."""
    rows = session.execute(
        select(Branch.id, Branch.parent_id, Branch.township_id).where(Branch.deleted.is_(False))
    ).all()
    if any(r.township_id == node_id for r in rows):
        return [r.id for r in rows if r.township_id == node_id]
    children: dict[str | None, list[str]] = {}
    for r in rows:
        children.setdefault(r.parent_id, []).append(r.id)
    out, stack = [], [node_id]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(children.get(current, []))
    return out
