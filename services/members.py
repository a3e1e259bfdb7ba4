"""Party members: create, edit, soft-delete, search the roster."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from itertools import repeat
from typing import Any

from sqlalchemy import ColumnElement, Select, case, or_, select
from sqlalchemy.orm import Session

from models import Branch, Member, PartyGroup
from models.enums import LABELS, Discipline, Education, Gender, MemberState, MemberStatus, Occupation
from services import collation, idcard, textclean
from services.dates import add_years, age_on
from services.errors import ErrorCollector, NotFound, ValidationError, ValidationErrors
from services.groups import move_member
from services.org import get_branch, soft_delete
from services.paging import SqlRows


@dataclass(slots=True)  # slots: an import builds ten thousand at a time (7× faster than with a __dict__)
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


@dataclass(frozen=True)
class MemberRule:
    """One rule of member entry that needs no database.

    ``reads``: the ``MemberInput`` fields it looks at, and ``"birth_date"`` (the parsed ID number's
    birth date; None when the number could not be parsed). ``check(today, *values)`` gets those values
    in that order and returns the Chinese message when the rule is broken, else None; the message is
    reported at ``field``. Pure: the same values give the same answer, so a column of rows can be
    checked once per distinct combination of the values a rule reads (``member_problems_by_column``).
    """

    field: str
    reads: tuple[str, ...]
    check: Callable[..., str | None]


def _name_rule(today: date, name: str) -> str | None:
    name = name.strip()
    if not name:
        return "姓名不能为空。"
    return "姓名过长（最多 50 个字）。" if len(name) > 50 else None


def _joined_rule(today: date, joined: date | None, birth: date | None) -> str | None:
    if joined is None:
        return None  # an imported cell that could not be read: reported at the cell
    if joined > today:
        return "入党日期不能晚于今天。"
    # (a year apart by more than 18: no need to count the days)
    if birth is not None and joined.year - birth.year <= 18 and (age_at_join := age_on(birth, joined)) < 18:
        return f"入党时年龄为 {age_at_join} 岁，入党须年满十八岁，请核对入党日期或身份证号。"
    return None


def _code_rule(codes: frozenset[str], message: str, *, blank_ok: bool) -> Callable[[date, str], str | None]:
    def check(today: date, code: str) -> str | None:
        if blank_ok and not code:
            return None
        return None if code in codes else message.format(code)

    return check


def probation_end(joined: date) -> date:
    """The day a 预备党员's one-year probation ends, counted from the 入党日期 (《中国共产党章程》
    第七条：预备期为一年; ../shared/domain.md): the 转正日期 of a full member whose date was not
    recorded. 29 February counts to 28 February (``dates.add_years``, as the committee's rule does)."""
    return add_years(joined, 1)


def derived_status(joined: date | None, full_on: date | None, today: date) -> str:
    """The 党员类别 when the clerk did not give one: full once a 转正日期 is given or the one-year
    probation (党章第七条, ../shared/domain.md) has ended by ``today``, else probationary."""
    if full_on is not None or (joined is not None and probation_end(joined) <= today):
        return MemberStatus.FULL
    return MemberStatus.PROBATIONARY


def _full_member_rule(today: date, full_on: date | None, status: str, joined: date | None) -> str | None:
    if full_on is None:
        return None
    if status == MemberStatus.FULL:
        if joined is not None and full_on < joined:
            return "转正日期不能早于入党日期。"
        return "转正日期不能晚于今天。" if full_on > today else None
    if status == MemberStatus.PROBATIONARY:
        return "预备党员还没有转正日期；转正后再填写。"
    return None


def _probation_rule(today: date, status: str, full_on: date | None, joined: date | None) -> str | None:
    # a full member without a 转正日期 is stored as full from the end of the one-year probation
    # (stored_values); one who joined less than a year ago cannot be full yet (党章第七条)
    if status != MemberStatus.FULL or full_on is not None or joined is None or joined > today:
        return None
    end = probation_end(joined)
    if end <= today:
        return None
    return (
        f"入党未满一年（预备期一年，党章第七条，{end.isoformat()} 期满），不能登记为正式党员；"
        "请改为预备党员，或填写转正日期。"
    )


def _branch_since_rule(today: date, since: date | None) -> str | None:
    # a blank 转入本支部日期 means the 入党日期, whose own rule already speaks for it
    return "转入本支部日期不能晚于今天。" if since is not None and since > today else None


def _phone_rule(today: date, phone: str) -> str | None:
    if phone.isdigit():
        return None  # the usual phone: digits only
    phone = phone.strip()
    if phone and not phone.replace("-", "").replace(" ", "").isdigit():
        return f"联系电话只能包含数字和“-”：{phone}。"
    return None


def _length_rule(field_name: str, limit: int) -> Callable[[date, object], str | None]:
    what = textclean.FIELD_LABELS.get(field_name, f"“{field_name}”")

    def check(today: date, value: object) -> str | None:
        if isinstance(value, str) and len(value) > limit:
            return f"{what}过长：{len(value)} 个字，最多 {limit} 个字，请删减后再保存。"
        return None

    return check


_STATUSES = frozenset(MemberStatus.__members__.values())
_DISCIPLINES = frozenset(Discipline.__members__.values())
_EDUCATIONS = frozenset(Education.__members__.values())
_OCCUPATIONS = frozenset(Occupation.__members__.values())

# The rules in the order of the form's fields (the order member_problems reports them in).
MEMBER_RULES: tuple[MemberRule, ...] = (
    MemberRule("name", ("name",), _name_rule),
    MemberRule("joined_on", ("joined_on", "birth_date"), _joined_rule),
    MemberRule("status", ("status",), _code_rule(_STATUSES, "未知的党员类别：{}。", blank_ok=False)),
    MemberRule("status", ("status", "full_member_on", "joined_on"), _probation_rule),
    MemberRule(
        "discipline", ("discipline",), _code_rule(_DISCIPLINES, "未知的处分状态：{}。", blank_ok=False)
    ),
    MemberRule("education", ("education",), _code_rule(_EDUCATIONS, "未知的学历：{}。", blank_ok=True)),
    MemberRule(
        "occupation",
        ("occupation",),
        _code_rule(
            _OCCUPATIONS,
            "未知的职业：{}。可选：" + "、".join(LABELS["Occupation"].values()) + "。",
            blank_ok=True,
        ),
    ),
    MemberRule("full_member_on", ("full_member_on", "status", "joined_on"), _full_member_rule),
    MemberRule("branch_since", ("branch_since",), _branch_since_rule),
    MemberRule("phone", ("phone",), _phone_rule),
    *(MemberRule(name, (name,), _length_rule(name, limit)) for name, limit in _TEXT_LIMITS.items()),
)


def member_problems(data: MemberInput, info: idcard.IdInfo | None, today: date) -> list[ValidationError]:
    """Every broken member rule that needs no database, in the order of the form's fields.

    Pure (no session, no ORM): member entry (``create_member`` / ``update_member`` through
    ``_validate``) checks one member with it; the roster import's preview checks a whole sheet with
    ``member_problems_by_column``, which runs the same ``MEMBER_RULES`` once per distinct value, so
    the import's bulk write stores what the preview checked without validating each row again.
    ``data`` must already be cleaned (``textclean.cleaned_input``: what will be stored). ``info`` is
    the parsed ID number (None when it could not be parsed: the age at joining is then not checked);
    a ``joined_on`` of None (an imported cell that could not be read, reported there) skips the rules
    that need it.

    Rules: name 1–50 characters; 入党日期 not in the future and at 18 or older (《中国共产党章程》
    第一条：年满十八岁); a full member without a 转正日期 joined at least a year ago (第七条：预备期为
    一年; stored with the probation's end as 转正日期, ``stored_values``); 转正日期 not before 入党日期 nor in the future (full members), absent while
    still a 预备党员 (《中国共产党章程》第七条：预备期满转为正式党员); 转入本支部日期 (or 入党日期
    when blank) not in the future; 党员类别 / 处分 / 学历 / 职业 codes of their enums; phone digits,
    spaces and “-”; no text longer than its stored column. Returns ``ValidationError(field, Chinese
    message)`` items (empty: all rules hold).
    """
    birth = info.birth_date if info is not None else None
    out: list[ValidationError] = []
    for rule in MEMBER_RULES:
        found = rule.check(today, *[birth if f == "birth_date" else getattr(data, f) for f in rule.reads])
        if found is not None:
            out.append(ValidationError(rule.field, found))
    return out


def member_problems_by_column(
    columns: Mapping[str, Sequence[Any]], today: date
) -> dict[int, list[ValidationError]]:
    """``member_problems`` for many members at once, laid out by column: ``columns`` maps every
    ``MemberInput`` field and ``"birth_date"`` (None where the ID number could not be parsed) to one
    value per member (all of the same length). Returns row index (0-based, into the columns) → that
    member's problems, exactly as ``member_problems`` lists them; members without problems are absent.

    Each rule of ``MEMBER_RULES`` runs once per distinct combination of the values it reads (a roster
    of 10,000 has a few dozen dates of joining per year and a handful of 党员类别), so checking a
    sheet costs a few set operations per column rather than a call per member and rule."""
    found: dict[int, list[tuple[int, str, str]]] = {}
    for reads, rules in _RULES_BY_READS.items():
        combos: Sequence[Any] = (
            columns[reads[0]] if len(reads) == 1 else list(zip(*(columns[f] for f in reads), strict=True))
        )
        distinct = list(set(combos))
        if not distinct:
            continue
        # the values each rule reads, column by column, for map() to call the rule on
        args = [distinct] if len(reads) == 1 else list(zip(*distinct, strict=True))
        broken: dict[Any, list[tuple[int, str, str]]] = {}
        for order, rule in rules:
            for combo, message in zip(distinct, map(rule.check, repeat(today), *args), strict=True):
                if message is not None:
                    broken.setdefault(combo, []).append((order, rule.field, message))
        if broken:
            for index, combo in enumerate(combos):
                if combo in broken:
                    found.setdefault(index, []).extend(broken[combo])
    return {
        index: [ValidationError(field, message) for _order, field, message in sorted(items)]
        for index, items in found.items()
    }


_RULES_BY_READS: dict[tuple[str, ...], list[tuple[int, MemberRule]]] = {}
for _order, _rule in enumerate(MEMBER_RULES):
    _RULES_BY_READS.setdefault(_rule.reads, []).append((_order, _rule))


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
    name = data.name.strip()
    return {
        "name": name,
        **{col: fn(name) for (table, col), (_src, fn) in collation.DERIVED.items() if table == "member"},
        "id_number": info.number,
        "birth_date": info.birth_date,
        "gender": info.gender,
        "ethnicity": data.ethnicity.strip() or "汉族",
        "education": data.education,
        "phone": data.phone.strip(),
        "joined_on": data.joined_on,
        # a full member without a 转正日期: full from the end of the one-year probation (党章第七条)
        "full_member_on": data.full_member_on
        or (
            probation_end(data.joined_on)
            if data.joined_on is not None and data.status == MemberStatus.FULL
            else None
        ),
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


def _roster_where(branch_ids: list[str] | None, search: str, include_inactive: bool) -> list[Any]:
    """The roster's scope and search as WHERE conditions on ``member`` (``_matches``)."""
    where: list[Any] = [Member.deleted.is_(False)]
    if branch_ids is not None:
        where.append(Member.branch_id.in_(branch_ids))
    if not include_inactive:
        where.append(Member.state == MemberState.ACTIVE)
    # The search is cleaned like the names it looks for (full-width digits, name dots, invisible chars).
    term = textclean.clean_key(search, person=True) if search.strip() else ""
    if term:
        where.append(_matches(term))
    return where


def _roster_select(branch_ids: list[str] | None, search: str, include_inactive: bool) -> Select[Any]:
    """The roster's columns (``RosterRow``'s order) in scope, filtered by ``search``. The branch is an
    outer join although every member has one: SQLite then reads ``member`` first (in ``name_key`` order
    for the first page) instead of each branch's members through the branch index."""
    stmt: Select[Any] = (
        select(  # type: ignore[assignment]
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
        .outerjoin(Branch, Branch.id == Member.branch_id)
        .outerjoin(PartyGroup, PartyGroup.id == Member.party_group_id)
    )
    return stmt.where(*_roster_where(branch_ids, search, include_inactive))


def _roster_row(r: Any) -> RosterRow:
    return RosterRow(
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


def roster(
    session: Session,
    branch_ids: list[str] | None = None,
    search: str = "",
    include_inactive: bool = False,
) -> list[RosterRow]:
    """Roster rows in one query (no ORM objects: fast enough for a township of thousands), by branch
    and then by the pinyin of the name."""
    stmt = _roster_select(branch_ids, search, include_inactive)
    return [
        _roster_row(r) for r in session.execute(stmt.order_by(Branch.sort_order, Member.name_key, Member.id))
    ]


def _enum_order(column: Any, enum: Any) -> Any:
    """The position of a code in its enum's declaration (学历 from 研究生 down …), unknown codes last."""
    return case({str(code): i for i, code in enumerate(enum)}, value=column, else_=len(enum))


# Sort keys of the roster's columns (``roster_source``): ORDER BY expressions, names by stored pinyin key.
ROSTER_SORTS: dict[str, list[Any]] = {
    "name": [Member.name_key],
    "gender": [_enum_order(Member.gender, Gender)],
    "birth_date": [Member.birth_date],
    "id_number": [Member.id_number],
    "education": [_enum_order(Member.education, Education)],
    "phone": [Member.phone],
    "joined_on": [Member.joined_on],
    "status": [_enum_order(Member.status, MemberStatus)],
    "branch": [Branch.sort_order, Branch.name],
    "party_group": [PartyGroup.name],
    "is_flowing": [Member.is_flowing],
    "state": [_enum_order(Member.state, MemberState)],
    "occupation": [_enum_order(Member.occupation, Occupation)],
    "is_migrant_worker": [Member.is_migrant_worker],
    "is_hardship": [Member.is_hardship],
}


def roster_source(
    branch_ids: list[str] | None, search: str = "", include_inactive: bool = False
) -> SqlRows[RosterRow]:
    """The roster as pages for the 党员名册 tab: the same scope and search as ``roster`` (name, ID
    number, phone, pinyin initials), sorted in SQL by a key of ``ROSTER_SORTS`` (default: the pinyin of
    the name); ties by the name's pinyin, then the id, so batches never overlap."""
    return SqlRows(
        _roster_select(branch_ids, search, include_inactive),
        _roster_row,
        counted=select(Member.id).where(*_roster_where(branch_ids, search, include_inactive)),
        sorts=ROSTER_SORTS,
        default="name",
        tiebreak=[Member.name_key, Member.id],
        id_column=Member.id,
        binary=[Member.name_key],
    )


_ID_PART = re.compile(r"[0-9Xx]+")


def _matches(term: str) -> ColumnElement[bool]:
    """Name, ID number (x or X), phone or the name's pinyin initials contain ``term``, literally: % and _ are not wildcards."""
    found = [Member.name.contains(term, autoescape=True), Member.phone.contains(term, autoescape=True)]
    if term.isascii() and term.isalpha():  # pinyin initials: zs finds 张三
        found.append(Member.name_initials.contains(term.lower(), autoescape=True))
    if _ID_PART.fullmatch(term):  # ID numbers are digits and X only (idcard.normalize): else no match
        found.append(Member.id_number.contains(term.upper(), autoescape=True))
    return or_(*found)


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
