"""Party members: create, edit, soft-delete, search the roster."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from models import Branch, Member, PartyGroup
from models.enums import LABELS, Discipline, Education, MemberState, MemberStatus, Occupation
from services import idcard, textclean
from services.dates import age_on
from services.errors import ErrorCollector, NotFound, ValidationError, ValidationErrors
from services.groups import move_member
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
    occupation: str = ""  # Occupation code (党内统计 categories) or "" (not recorded)
    is_migrant_worker: bool = False  # 农民工
    is_hardship: bool = False  # 困难党员
    party_group_id: str | None = None
    branch_since: date | None = None
    notes: str = ""


# Text fields of MemberInput with the stored column's length limit (the ORM's textclean setter refuses
# longer text at the field; the pure rules say it first, so bulk writers need no ORM). Derived from the
# model, so a field added to both is covered without touching this list.
_INPUT_FIELDS = tuple(f.name for f in fields(MemberInput))
_TEXT_LIMITS = {
    name: int(length)
    for name in _INPUT_FIELDS
    if name in Member.__table__.c
    and (length := getattr(Member.__table__.c[name].type, "length", None))
    and not Member.__table__.c[name].foreign_keys
    # own messages below: the name's length, the ID number's checks, the codes of their enums
    and name not in ("name", "id_number", "status", "discipline", "education")
}


def member_problems(data: MemberInput, info: idcard.IdInfo | None, today: date) -> list[ValidationError]:
    """Every broken member rule that needs no database, in the order of the form's fields.

    Pure (no session, no ORM): member entry (``create_member`` / ``update_member`` through
    ``_validate``) and the roster import's preview (``services.excel.roster_import``, which reports each
    problem at its cell) share it, so the import's bulk write stores what the preview checked without
    validating each row again. ``data`` must already be cleaned (``textclean.cleaned_input``: what
    will be stored). ``info`` is the parsed ID number (None when it could not be parsed: the age at
    joining is then not checked); a ``joined_on`` of None (an imported cell that could not be read,
    reported there) skips the rules that need it.

    Rules: name 1–50 characters; 入党日期 not in the future and at 18 or older (《中国共产党章程》
    第一条：年满十八岁); 转正日期 not before 入党日期 nor in the future (full members), absent while
    still a 预备党员 (《中国共产党章程》第七条：预备期满转为正式党员); 转入本支部日期 (or 入党日期
    when blank) not in the future; 党员类别 / 处分 / 学历 codes of their enums; phone digits, spaces
    and “-”; no text longer than its stored column. Returns ``ValidationError(field, Chinese message)``
    items (empty: all rules hold).
    """
    out: list[ValidationError] = []
    add = out.append
    name = data.name.strip()
    if not name:
        add(ValidationError("name", "姓名不能为空。"))
    elif len(name) > 50:
        add(ValidationError("name", "姓名过长（最多 50 个字）。"))
    joined: date | None = data.joined_on
    if joined is not None:
        if joined > today:
            add(ValidationError("joined_on", "入党日期不能晚于今天。"))
        elif info is not None and (age_at_join := age_on(info.birth_date, joined)) < 18:
            add(
                ValidationError(
                    "joined_on",
                    f"入党时年龄为 {age_at_join} 岁，入党须年满十八岁，请核对入党日期或身份证号。",
                )
            )
    if data.status not in _STATUSES:
        add(ValidationError("status", f"未知的党员类别：{data.status}。"))
    if data.discipline not in _DISCIPLINES:
        add(ValidationError("discipline", f"未知的处分状态：{data.discipline}。"))
    if data.education and data.education not in _EDUCATIONS:
        add(ValidationError("education", f"未知的学历：{data.education}。"))
    if data.occupation and data.occupation not in _OCCUPATIONS:
        choices = "、".join(LABELS["Occupation"].values())
        add(ValidationError("occupation", f"未知的职业：{data.occupation}。可选：{choices}。"))
    full_on = data.full_member_on
    if full_on is not None:
        if data.status == MemberStatus.FULL:
            if joined is not None and full_on < joined:
                add(ValidationError("full_member_on", "转正日期不能早于入党日期。"))
            elif full_on > today:
                add(ValidationError("full_member_on", "转正日期不能晚于今天。"))
        elif data.status == MemberStatus.PROBATIONARY:
            add(ValidationError("full_member_on", "预备党员还没有转正日期；转正后再填写。"))
    # a blank 转入本支部日期 means the 入党日期, whose own rule above already speaks for it
    if data.branch_since is not None and data.branch_since > today:
        add(ValidationError("branch_since", "转入本支部日期不能晚于今天。"))
    phone = data.phone.strip()
    if phone and not phone.replace("-", "").replace(" ", "").isdigit():
        add(ValidationError("phone", f"联系电话只能包含数字和“-”：{phone}。"))
    for field_name, limit in _TEXT_LIMITS.items():
        value = getattr(data, field_name)
        if isinstance(value, str) and len(value) > limit:
            what = textclean.FIELD_LABELS.get(field_name, f"“{field_name}”")
            add(
                ValidationError(
                    field_name, f"{what}过长：{len(value)} 个字，最多 {limit} 个字，请删减后再保存。"
                )
            )
    return out


_STATUSES = frozenset(MemberStatus.__members__.values())
_DISCIPLINES = frozenset(Discipline.__members__.values())
_EDUCATIONS = frozenset(Education.__members__.values())
_OCCUPATIONS = frozenset(Occupation.__members__.values())


def _validate(
    session: Session, branch: Branch, data: MemberInput, today: date, member_id: str | None
) -> idcard.IdInfo:
    """Checks every field and raises all problems together (``ValidationErrors`` when several), so
    a form marks each bad field in one save; returns the parsed ID number. The rules without the
    database are ``member_problems``; this adds the party group and the ID number already taken."""
    # ``data`` arrives cleaned (textclean.cleaned_input): an invisible-only name is empty here.
    found = ErrorCollector()
    info: idcard.IdInfo | None = None
    id_error: list[ValidationError] = []
    try:
        info = idcard.parse(data.id_number, "id_number", today)
    except ValidationErrors as exc:
        id_error.extend(exc.errors)
    except ValidationError as exc:
        id_error.append(exc)
    problems = member_problems(data, info, today)
    # the form's order: the name, the ID number, then the other fields
    found.errors.extend(p for p in problems if p.field == "name")
    found.errors.extend(id_error)
    found.errors.extend(p for p in problems if p.field != "name")
    if data.party_group_id:
        group = session.get(PartyGroup, data.party_group_id)
        if group is None or group.deleted or group.branch_id != branch.id:
            found.add("party_group_id", "所选党小组不属于本支部。")
        elif group.dissolved_on is not None:
            found.add("party_group_id", f"{group.name}已于 {group.dissolved_on.isoformat()} 撤销。")
    if info is not None:
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
            found.add(
                "id_number",
                f"身份证号 {info.number} 已登记在{owner.name if owner else '本乡镇'}的党员“{dup.name}”名下。",
            )
    found.raise_if_any()
    assert info is not None  # a bad ID number was raised above
    return info


def check_member_input(
    session: Session,
    branch_id: str,
    data: MemberInput,
    member_id: str | None = None,
    today: date | None = None,
) -> list[ValidationError]:
    """Every problem ``create_member`` / ``update_member`` would raise for ``data``, without writing
    (for forms that also have fields they could not parse and want to show all problems at once)."""
    try:
        _validate(session, get_branch(session, branch_id), data, today or date.today(), member_id)
    except ValidationErrors as exc:
        return list(exc.errors)
    except ValidationError as exc:
        return [exc]
    return []


def stored_values(data: MemberInput, info: idcard.IdInfo) -> dict[str, Any]:
    """The member columns that ``data`` (checked, cleaned) sets: column name → Python value, birth date
    and gender from the parsed ID number. The one mapping from input to row, used by the ORM path
    (``_apply``) and the roster import's bulk insert alike, so both store the same row."""
    return {
        "name": data.name.strip(),
        "id_number": info.number,
        "birth_date": info.birth_date,
        "gender": info.gender,
        "ethnicity": data.ethnicity.strip() or "汉族",
        "education": data.education,
        "phone": data.phone.strip(),
        "joined_on": data.joined_on,
        "full_member_on": data.full_member_on,
        "status": str(data.status),
        "discipline": str(data.discipline),
        "is_flowing": data.is_flowing,
        "occupation": data.occupation,
        "is_migrant_worker": data.is_migrant_worker,
        "is_hardship": data.is_hardship,
        "party_group_id": data.party_group_id,
        "branch_since": data.branch_since or data.joined_on,
        "notes": data.notes.strip(),
    }


def _apply(member: Member, data: MemberInput, info: idcard.IdInfo) -> None:
    for key, value in stored_values(data, info).items():
        setattr(member, key, value)


def create_member(session: Session, branch_id: str, data: MemberInput, today: date | None = None) -> Member:
    branch = get_branch(session, branch_id)
    data = textclean.cleaned_input(data)
    info = _validate(session, branch, data, today or date.today(), None)
    member = Member(township_id=branch.township_id, branch_id=branch.id, state=MemberState.ACTIVE)
    _apply(member, data, info)
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
    data = textclean.cleaned_input(data)
    info = _validate(session, branch, data, today or date.today(), member.id)
    if data.party_group_id != member.party_group_id:  # a move today; the past group is kept
        day = today or date.today()
        move_member(session, member, data.party_group_id, day, dated=False, today=day)
    _apply(member, data, info)
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
    occupation: str = ""
    is_migrant_worker: bool = False
    is_hardship: bool = False


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
            Member.occupation,
            Member.is_migrant_worker,
            Member.is_hardship,
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
    # The search is cleaned like the names it looks for (full-width digits, name dots, invisible chars).
    term = textclean.clean_key(search, person=True) if search.strip() else ""
    if term:
        stmt = stmt.where(_matches(term))
    return [
        RosterRow(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10] or "",
            r[11],
            r[12],
            r[13],
            r[14],
            r[15],
        )
        for r in session.execute(stmt)
    ]


_ID_PART = re.compile(r"[0-9Xx]+")


def _matches(term: str) -> ColumnElement[bool]:
    """Name, ID number (x or X) or phone contains ``term``, literally: % and _ are not wildcards."""
    found = [Member.name.contains(term, autoescape=True), Member.phone.contains(term, autoescape=True)]
    if _ID_PART.fullmatch(term):  # ID numbers are digits and X only (idcard.normalize): else no match
        found.append(Member.id_number.contains(term.upper(), autoescape=True))
    return or_(*found)


def roster_ids(
    session: Session,
    branch_ids: list[str] | None,
    search: str,
    include_inactive: bool = False,
) -> set[str]:
    """Ids of the roster rows (same scope as ``roster``) whose name, ID number or phone contains
    ``search``: the roster tab's search, one SQL query per (debounced) keystroke."""
    term = search.strip()
    stmt = select(Member.id).where(Member.deleted.is_(False))
    if branch_ids is not None:
        stmt = stmt.where(Member.branch_id.in_(branch_ids))
    if not include_inactive:
        stmt = stmt.where(Member.state == MemberState.ACTIVE)
    if term:
        stmt = stmt.where(_matches(term))
    return set(session.scalars(stmt))


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
