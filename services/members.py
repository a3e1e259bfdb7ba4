"""Party members: create, edit, soft-delete, search the roster."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Branch, Member, PartyGroup
from models.enums import Discipline, Education, MemberState, MemberStatus
from services import idcard
from services.dates import age_on
from services.errors import NotFound, ValidationError
from services.org import get_branch, soft_delete


@dataclass
class MemberInput:
    """What a clerk types for a member. Birth date and gender come from the ID number."""

    name: str
    id_number: str
    joined_on: date
    ethnicity: str = "汉族"
    education: str = ""
    phone: str = ""
    full_member_on: date | None = None
    status: str = MemberStatus.FULL
    discipline: str = Discipline.NONE
    is_flowing: bool = False
    party_group_id: str | None = None
    branch_since: date | None = None
    notes: str = ""


def member_problems(data: MemberInput, info: idcard.IdInfo | None, today: date) -> list[ValidationError]:
    """Every broken member rule that needs no database, in the order of the form's fields.

    Pure (no session): the member form (through ``_validate``) and the roster import's preview
    (``services.excel.roster_import``, which reports all of them per cell) share it, so the import
    writes what the preview checked without validating each row again. ``info`` is the parsed ID
    number (None when it could not be parsed: the age at joining is then not checked); a ``joined_on``
    of None (unreadable in an imported row, already reported there) skips the rules that need it. Rules:
    name 1–50 characters; 入党日期 not in the future and at 18 or older (《中国共产党章程》第一条,
    年满十八岁); 转正日期 not before 入党日期 nor in the future, and absent while still a 预备党员;
    转入本支部日期 not in the future; codes from their enums;
    phone digits and “-”. Each problem is a ``ValidationError(field, Chinese message)``.
    """
    out: list[ValidationError] = []
    name = data.name.strip()
    if not name:
        out.append(ValidationError("name", "姓名不能为空。"))
    elif len(name) > 50:
        out.append(ValidationError("name", "姓名过长（最多 50 个字）。"))
    joined: date | None = data.joined_on
    if joined is not None and joined > today:
        out.append(ValidationError("joined_on", "入党日期不能晚于今天。"))
    if info is not None and joined is not None:
        age_at_join = age_on(info.birth_date, joined)
        if age_at_join < 18:
            out.append(
                ValidationError(
                    "joined_on",
                    f"入党时年龄为 {age_at_join} 岁，入党须年满十八岁，请核对入党日期或身份证号。",
                )
            )
    if data.status not in MemberStatus.__members__.values():
        out.append(ValidationError("status", f"未知的党员类别：{data.status}。"))
    if data.discipline not in Discipline.__members__.values():
        out.append(ValidationError("discipline", f"未知的处分状态：{data.discipline}。"))
    if data.education and data.education not in Education.__members__.values():
        out.append(ValidationError("education", f"未知的学历：{data.education}。"))
    if data.status == MemberStatus.FULL and data.full_member_on is not None:
        if joined is not None and data.full_member_on < joined:
            out.append(ValidationError("full_member_on", "转正日期不能早于入党日期。"))
        elif data.full_member_on > today:
            out.append(ValidationError("full_member_on", "转正日期不能晚于今天。"))
    if data.status == MemberStatus.PROBATIONARY and data.full_member_on is not None:
        out.append(ValidationError("full_member_on", "预备党员还没有转正日期；转正后再填写。"))
    if data.branch_since is not None and data.branch_since > today:  # else 入党日期, checked above
        out.append(ValidationError("branch_since", "转入本支部日期不能晚于今天。"))
    phone = data.phone.strip()
    if phone and not phone.replace("-", "").replace(" ", "").isdigit():
        out.append(ValidationError("phone", f"联系电话只能包含数字和“-”：{phone}。"))
    return out


def _validate(
    session: Session, branch: Branch, data: MemberInput, today: date, member_id: str | None
) -> idcard.IdInfo:
    info: idcard.IdInfo | None = None
    id_error: ValidationError | None = None
    try:
        info = idcard.parse(data.id_number, "id_number", today)
    except ValidationError as exc:
        id_error = exc
    problems = member_problems(data, info, today)
    if id_error is not None:  # the form's order: name, then the ID number, then the rest
        problems.insert(sum(1 for p in problems if p.field == "name"), id_error)
    if problems:
        raise problems[0]
    assert info is not None
    if data.party_group_id:
        group = session.get(PartyGroup, data.party_group_id)
        if group is None or group.deleted or group.branch_id != branch.id:
            raise ValidationError("party_group_id", "所选党小组不属于本支部。")
    dup = session.scalar(
        select(Member)
        .where(
            Member.township_id == branch.township_id,
            Member.id_number == info.number,
            Member.deleted.is_(False),
            Member.state == MemberState.ACTIVE,
        )
        .limit(1)
    )
    if dup is not None and dup.id != member_id:
        owner = session.get(Branch, dup.branch_id)
        raise ValidationError(
            "id_number",
            f"身份证号 {info.number} 已登记在{owner.name if owner else '本乡镇'}的党员“{dup.name}”名下。",
        )
    return info


def apply_input(member: Member, data: MemberInput, birth_date: date, gender: str) -> None:
    """Copy checked input onto a member; birth date and gender are the ID number's."""
    member.name = data.name.strip()
    member.id_number = data.id_number
    member.birth_date = birth_date
    member.gender = gender
    member.ethnicity = data.ethnicity.strip() or "汉族"
    member.education = data.education
    member.phone = data.phone.strip()
    member.joined_on = data.joined_on
    member.full_member_on = data.full_member_on
    member.status = str(data.status)
    member.discipline = str(data.discipline)
    member.is_flowing = data.is_flowing
    member.party_group_id = data.party_group_id
    member.branch_since = data.branch_since or data.joined_on
    member.notes = data.notes.strip()


def create_member(session: Session, branch_id: str, data: MemberInput, today: date | None = None) -> Member:
    branch = get_branch(session, branch_id)
    info = _validate(session, branch, data, today or date.today(), None)
    member = Member(township_id=branch.township_id, branch_id=branch.id, state=MemberState.ACTIVE)
    apply_input(member, replace(data, id_number=info.number), info.birth_date, info.gender)
    session.add(member)
    session.flush()
    return member


def get_member(session: Session, member_id: str) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.deleted:
        raise NotFound("找不到该党员，可能已被删除。")
    return member


def update_member(session: Session, member_id: str, data: MemberInput, today: date | None = None) -> Member:
    member = get_member(session, member_id)
    branch = get_branch(session, member.branch_id)
    info = _validate(session, branch, data, today or date.today(), member.id)
    apply_input(member, replace(data, id_number=info.number), info.birth_date, info.gender)
    session.flush()
    return member


def member_input(member: Member) -> MemberInput:
    """The editable values of a stored member (to pre-fill a form)."""
    return MemberInput(**{f.name: getattr(member, f.name) for f in fields(MemberInput)})


def delete_member(session: Session, member_id: str) -> None:
    soft_delete(get_member(session, member_id))
    session.flush()


def set_member_state(
    session: Session, member_id: str, state: str, on: date, today: date | None = None
) -> Member:
    """Deceased, left the Party (or back to active): the member leaves the active roster but keeps its
    history. Screens and the CLI record transfers out through ``services.transfers.transfer_out``,
    which also files the letter."""
    if state not in MemberState.__members__.values():
        raise ValidationError("state", f"未知的党员状态：{state}。")
    member = get_member(session, member_id)
    if on > (today or date.today()):
        raise ValidationError("left_on", "日期不能晚于今天。")
    if on < member.branch_since:
        raise ValidationError("left_on", "离开日期不能早于转入本支部日期。")
    member.state = state
    member.left_on = None if state == MemberState.ACTIVE else on
    session.flush()
    return member


@dataclass(frozen=True)
class RosterRow:
    id: str
    name: str
    gender: str
    birth_date: date
    id_number: str
    education: str
    phone: str
    joined_on: date
    status: str
    branch_name: str
    party_group: str
    is_flowing: bool
    state: str


def roster(
    session: Session,
    branch_ids: list[str] | None = None,
    search: str = "",
    include_inactive: bool = False,
) -> list[RosterRow]:
    """Roster rows in one query (no ORM objects: fast enough for a township of thousands)."""
    stmt = (
        select(
            Member.id,
            Member.name,
            Member.gender,
            Member.birth_date,
            Member.id_number,
            Member.education,
            Member.phone,
            Member.joined_on,
            Member.status,
            Branch.name,
            PartyGroup.name,
            Member.is_flowing,
            Member.state,
        )
        .join(Branch, Branch.id == Member.branch_id)
        .outerjoin(PartyGroup, PartyGroup.id == Member.party_group_id)
        .where(Member.deleted.is_(False))
        .order_by(Branch.sort_order, Member.name)
    )
    if branch_ids is not None:
        stmt = stmt.where(Member.branch_id.in_(branch_ids))
    if not include_inactive:
        stmt = stmt.where(Member.state == MemberState.ACTIVE)
    term = search.strip()
    if term:
        like = f"%{term}%"
        stmt = stmt.where(or_(Member.name.like(like), Member.id_number.like(like), Member.phone.like(like)))
    return [
        RosterRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10] or "", r[11], r[12])
        for r in session.execute(stmt)
    ]


def members_on(session: Session, branch_id: str, day: date) -> list[Member]:
    """Members who belonged to the branch on ``day`` (the people who should attend its meetings)."""
    return list(
        session.scalars(
            select(Member)
            .where(
                Member.branch_id == branch_id,
                Member.deleted.is_(False),
                Member.branch_since <= day,
                Member.joined_on <= day,
                (Member.left_on.is_(None)) | (Member.left_on > day),
            )
            .order_by(Member.name)
        )
    )
