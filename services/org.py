"""Townships and branches (create, edit, dissolve), party groups (党小组) and the committee lookups
other services share. Committee seats, terms and elections live in ``services.committee``.

Every function takes the caller's session (one unit of work, audited by the flush hook; a 查阅
session writes nothing) and raises ``ValidationError(field, message)`` before writing anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from models import Branch, CommitteeSeat, Member, PartyGroup, Township, utcnow
from models.enums import BranchDomain, BranchKind
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
    if term_start:
        from services.committee import start_term

        start_term(session, branch.id, term_start, due_on=term_end, today=today)
    return branch


def get_township(session: Session, township_id: str) -> Township:
    township = session.get(Township, township_id)
    if township is None or township.deleted:
        raise NotFound("找不到该乡镇，可能已被删除。")
    return township


def township_by_code(session: Session, code: str) -> Township:
    township = session.scalar(
        select(Township).where(Township.code == code.strip(), Township.deleted.is_(False))
    )
    if township is None:
        raise NotFound(f"找不到代码为 {code} 的乡镇。")
    return township


def update_township(
    session: Session, township_id: str, *, code: str, name: str, county: str = ""
) -> Township:
    """Rename / recode a township. Raises ValidationError("code"/"name") for empty or duplicate."""
    township = get_township(session, township_id)
    code, name = code.strip(), name.strip()
    if not code:
        raise ValidationError("code", "乡镇代码不能为空。")
    if not name:
        raise ValidationError("name", "乡镇名称不能为空。")
    clash = session.scalar(
        select(Township.id).where(
            Township.code == code, Township.deleted.is_(False), Township.id != township_id
        )
    )
    if clash:
        raise ValidationError("code", f"乡镇代码 {code} 已存在。")
    township.code, township.name, township.county = code, name, county.strip()
    session.flush()
    return township


def _check_parent(session: Session, branch: Branch, parent_id: str | None) -> None:
    if parent_id is None:
        return
    parent = session.get(Branch, parent_id)
    if parent is None or parent.deleted:
        raise ValidationError("parent_id", "找不到所选的上级党组织。")
    if parent.township_id != branch.township_id:
        raise ValidationError("parent_id", "上级党组织须在同一乡镇。")
    if parent.kind == BranchKind.BRANCH:
        raise ValidationError("parent_id", "党支部下不能再设党组织；上级须是党委或党总支。")
    if parent.id == branch.id or parent.id in descendant_branch_ids(session, branch.id):
        raise ValidationError("parent_id", "上级党组织不能是本组织或其下级组织。")


def update_branch(
    session: Session,
    branch_id: str,
    *,
    code: str,
    name: str,
    kind: str,
    domain: str,
    parent_id: str | None,
    founded_on: date | None,
    today: date | None = None,
) -> Branch:
    """Edit a branch (代码、名称、组织类别 BranchKind、领域 BranchDomain、上级、成立日期).

    Raises ValidationError naming the field: empty/duplicate code or name, unknown kind/domain, a
    parent that is not a 党委/党总支 of the same township or is the branch itself or below it, a 党支部
    that still has branches below it, a founding date in the future or after its first meeting."""
    from models import Meeting

    today = today or date.today()
    branch = get_branch(session, branch_id)
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
    if founded_on:
        first = session.scalar(
            select(func.min(Meeting.held_on)).where(
                Meeting.branch_id == branch_id, Meeting.deleted.is_(False)
            )
        )
        if first and first < founded_on:
            raise ValidationError(
                "founded_on", f"已有 {first.isoformat()} 的会议记录，成立日期不能晚于该日。"
            )
    clash = session.scalar(
        select(Branch.id).where(
            Branch.township_id == branch.township_id,
            Branch.code == code,
            Branch.deleted.is_(False),
            Branch.id != branch_id,
        )
    )
    if clash:
        raise ValidationError("code", f"支部代码 {code} 在本乡镇已存在。")
    if kind == BranchKind.BRANCH:
        below = session.scalar(
            select(func.count()).where(Branch.parent_id == branch_id, Branch.deleted.is_(False))
        )
        if below:
            raise ValidationError("kind", f"其下还有 {below} 个党组织，不能改为党支部。")
    _check_parent(session, branch, parent_id)
    branch.code, branch.name, branch.kind, branch.domain = code, name, str(kind), str(domain)
    branch.parent_id = parent_id
    branch.founded_on = founded_on
    session.flush()
    return branch


def dissolve_branch(
    session: Session, branch_id: str, on: date, reason: str, today: date | None = None
) -> Branch:
    """撤销 or 合并 a branch from ``on`` (local date; records stay, checks stop from that day).

    Raises ValidationError: "reason" empty; "dissolved_on" in the future, before founding or while
    members are still on its roll that day (transfer them first) or branches below it are not
    dissolved."""
    today = today or date.today()
    branch = get_branch(session, branch_id)
    reason = reason.strip()
    if not reason:
        raise ValidationError("dissolved_reason", "请填写撤销或合并的原因（如：并入某某党支部）。")
    if on > today:
        raise ValidationError("dissolved_on", "撤销日期不能晚于今天。")
    if branch.founded_on and on < branch.founded_on:
        raise ValidationError("dissolved_on", "撤销日期不能早于成立日期。")
    active = session.scalar(
        select(func.count()).where(
            Member.branch_id == branch_id,
            Member.deleted.is_(False),
            (Member.left_on.is_(None)) | (Member.left_on > on),
        )
    )
    if active:
        raise ValidationError(
            "dissolved_on",
            f"{branch.name}在 {on.isoformat()} 仍有在册党员 {active} 名，请先办理组织关系转接，再撤销。",
        )
    below = session.scalar(
        select(func.count()).where(
            Branch.parent_id == branch_id, Branch.deleted.is_(False), Branch.dissolved_on.is_(None)
        )
    )
    if below:
        raise ValidationError("dissolved_on", f"其下还有 {below} 个未撤销的党组织。")
    branch.dissolved_on = on
    branch.dissolved_reason = reason
    for seat in session.scalars(
        select(CommitteeSeat).where(
            CommitteeSeat.branch_id == branch_id,
            CommitteeSeat.deleted.is_(False),
            (CommitteeSeat.end_on.is_(None)) | (CommitteeSeat.end_on > on),
        )
    ):
        seat.end_on = max(on, seat.start_on + timedelta(days=1))
    session.flush()
    return branch


def delete_branch(session: Session, branch_id: str) -> None:
    """Move an empty branch (created by mistake) to the recycle bin. A branch with members, meetings,
    groups or seats is never deleted, only dissolved: ValidationError("branch")."""
    from models import Meeting

    branch = get_branch(session, branch_id)
    for model, what in (
        (Member, "党员"),
        (Meeting, "会议记录"),
        (PartyGroup, "党小组"),
        (CommitteeSeat, "支委任职"),
    ):
        n = session.scalar(select(func.count()).where(model.branch_id == branch_id, model.deleted.is_(False)))
        if n:
            raise ValidationError(
                "branch", f"{branch.name}已有{what} {n} 条，不能删除，只能撤销（填写撤销日期和原因）。"
            )
    below = session.scalar(
        select(func.count()).where(Branch.parent_id == branch_id, Branch.deleted.is_(False))
    )
    if below:
        raise ValidationError("branch", f"其下还有 {below} 个党组织，不能删除。")
    soft_delete(branch)
    session.flush()


def get_branch(session: Session, branch_id: str) -> Branch:
    branch = session.get(Branch, branch_id)
    if branch is None or branch.deleted:
        raise NotFound("找不到该支部，可能已被删除。")
    return branch


def branch_by_code(session: Session, code: str, field: str = "branch") -> Branch:
    """The live branch a clerk means by ``code``: ``B101``, or township-qualified ``T01/B101``.

    Branch codes are unique only within a township; a county database built from several townships
    repeats them. A bare code that more than one township uses is refused (``ValidationError(field)``
    listing the qualified choices), never resolved to an arbitrary one. Raises NotFound when no live
    branch (or township, for a qualified code) has the code. The one resolver behind every ``--branch``.
    """
    text = code.strip()
    township_code, sep, branch_code = text.rpartition("/")
    if sep and not (township_code.strip() and branch_code.strip()):
        raise ValidationError(
            field, f"支部代码“{code}”不完整：请写成 支部代码 或 乡镇代码/支部代码（如 T01/B101）。"
        )
    stmt = (
        select(Branch, Township.code)
        .join(Township, Township.id == Branch.township_id)
        .where(Branch.code == branch_code.strip(), Branch.deleted.is_(False), Township.deleted.is_(False))
        .order_by(Township.code)
    )
    if sep:
        stmt = stmt.where(Township.code == township_code.strip())
    found = session.execute(stmt).all()
    if not found:
        where = f"乡镇 {township_code.strip()} 中" if sep else ""
        raise NotFound(f"找不到{where}代码为 {branch_code.strip()} 的支部。")
    if len(found) > 1:
        choices = "、".join(f"{t}/{b.code}" for b, t in found)
        raise ValidationError(field, f"支部代码 {text} 在多个乡镇中都有，请写明乡镇：{choices}。")
    branch: Branch = found[0][0]
    return branch


def add_committee_seat(
    session: Session,
    branch_id: str,
    member_id: str,
    role: str,
    start_on: date,
    end_on: date | None = None,
) -> CommitteeSeat:
    """Seat a member (``services.committee.add_seat``, which holds the rules)."""
    from services.committee import add_seat

    return add_seat(session, branch_id, member_id, role, start_on, end_on)


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
    domain: str = ""  # a BranchDomain code for a branch (rural, organ …); "" for a township


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
    nodes = {
        b.id: TreeNode(b.id, b.name, b.kind, b.code, int(counts.get(b.id, 0)), domain=b.domain)
        for b in branches
    }
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


@dataclass(frozen=True)
class BranchRow:
    """One branch as a picker or a set-up list shows it."""

    id: str
    code: str
    name: str
    kind: str  # a BranchKind code
    domain: str  # a BranchDomain code
    member_count: int  # members on record (any state), deleted ones left out


def list_branches(session: Session, township_id: str | None = None) -> list[BranchRow]:
    """Branches not deleted (of one township, or all), in tree order (``sort_order``, code), with
    their member counts in one grouped query."""
    counts = dict(
        session.execute(
            select(Member.branch_id, func.count()).where(Member.deleted.is_(False)).group_by(Member.branch_id)
        ).all()
    )
    stmt = select(Branch).where(Branch.deleted.is_(False)).order_by(Branch.sort_order, Branch.code)
    if township_id is not None:
        stmt = stmt.where(Branch.township_id == township_id)
    return [
        BranchRow(b.id, b.code, b.name, b.kind, b.domain, int(counts.get(b.id, 0)))
        for b in session.scalars(stmt)
    ]


def parent_choices(session: Session, branch_id: str) -> list[tuple[str, str]]:
    """(id, name) of the 党委/党总支 of ``branch_id``'s township that may become its parent: not a
    plain 支部, and neither the branch itself nor one below it (that would make a loop)."""
    branch = get_branch(session, branch_id)
    below = set(descendant_branch_ids(session, branch_id))
    return [
        (p.id, p.name)
        for p in session.scalars(
            select(Branch)
            .where(
                Branch.township_id == branch.township_id,
                Branch.deleted.is_(False),
                Branch.kind != BranchKind.BRANCH,
            )
            .order_by(Branch.sort_order, Branch.code)
        )
        if p.id not in below
    ]
