"""Importing a branch roster (党员花名册) from a clerk's own workbook: preview, then apply.

The preview checks every cell and row in memory (the branch's and township's members are loaded once)
with the rules of member entry (``services.members.member_problems``, one pure function shared with
the member form), so a 10,000-row sheet is checked in about the time it takes to read it. Applying
writes what the preview checked in bulk (one ``executemany``, change numbers from ``allocate_seq``,
one audit summary entry, as the sync receiver writes), after re-checking in a few queries what the
database may have changed since; the rows and change numbers are those of entering the members one by
one.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Date, String, select
from sqlalchemy.orm import Session

from models import Branch, Member, PartyGroup, new_id, utcnow
from models.enums import LABELS, MemberState
from services import audit, groups, idcard, members, textclean
from services.db import allocate_seq
from services.errors import ValidationError, ValidationErrors
from services.excel import values
from services.excel.errors import ImportRefused, Problem
from services.excel.headers import header_problem
from services.excel.layouts import ROSTER
from services.excel.plan import Change, ImportPlan, ImportResult, RowPlan
from services.excel.reader import cell_text
from services.excel.table import Table, locate
from services.org import get_branch

# MemberInput field → column key, where they differ.
_FIELD_COLUMN = {"party_group_id": "party_group"}
_FIELDS = tuple(f.name for f in fields(members.MemberInput))
# (MemberInput field, column key) of every field a roster column can give.
_FIELD_COLUMNS = tuple((name, _FIELD_COLUMN.get(name, name)) for name in _FIELDS)
_LABELLED = {
    "status": "MemberStatus",
    "discipline": "Discipline",
    "education": "Education",
    "occupation": "Occupation",
}
NEW_GROUP = "new-group:"  # payload placeholder for a party group the import creates
# Column kinds converted once per distinct cell of a column (few distinct values: dates, choices …).
_CACHED_KINDS = frozenset({"date", "enum", "bool", "text"})
_COLUMNS = {c.key: c for c in ROSTER.columns}


def plan_roster_import(
    session: Session,
    branch_id: str,
    path: Path,
    *,
    today: date | None = None,
    sheet: str | None = None,
    create_groups: bool = False,
    hidden_rows: str | None = None,
) -> ImportPlan:
    """Read and check the whole file; nothing is written. A 党小组 name the branch does not have is a
    problem, unless ``create_groups`` (the clerk confirmed): then it is listed in ``plan.new_groups``
    and created by :func:`apply_roster_import`. ``hidden_rows``: see ``table.locate``."""
    today = today or date.today()
    branch = get_branch(session, branch_id)
    with _collector_paused():
        table = locate(path, ROSTER, sheet, hidden_rows=hidden_rows)
    assert table is not None
    checker = _RosterChecker(session, branch, table, today)
    checker.create_groups = create_groups
    with _collector_paused():
        return checker.run(path)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused: checking or writing thousands of rows makes hundreds
    of thousands of small containers (none cyclic), and each collection it triggers walks every
    object alive, the whole sheet and plan included (measured: a third of the preview's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _RosterChecker:
    def __init__(self, session: Session, branch: Branch, table: Table, today: date) -> None:
        self.session = session
        self.branch = branch
        self.table = table
        self.today = today
        self.groups = {
            g.name.strip(): g.id
            for g in session.scalars(
                select(PartyGroup).where(
                    PartyGroup.branch_id == branch.id,
                    PartyGroup.deleted.is_(False),
                    PartyGroup.dissolved_on.is_(None),
                )
            )
        }
        self.group_names = {v: k for k, v in self.groups.items()}
        self.create_groups = False
        self.new_groups: list[str] = []
        self.ids: dict[int, str] = {}  # Excel row → valid ID number, for duplicates within the file
        self.cache: dict[str, dict[Any, tuple[Any, str | None, str]]] = {}  # column → cell → convert()
        active = session.execute(
            select(Member.id, Member.id_number, Member.branch_id, Member.name, Branch.name)
            .join(Branch, Branch.id == Member.branch_id)
            .where(
                Member.township_id == branch.township_id,
                Member.deleted.is_(False),
                Member.state == MemberState.ACTIVE,
            )
        ).all()
        self.elsewhere = {r[1]: (r[3], r[4]) for r in active if r[2] != branch.id}
        mine = [r[0] for r in active if r[2] == branch.id]
        self.mine: dict[str, Member] = (
            {m.id_number: m for m in session.scalars(select(Member).where(Member.id.in_(mine)))}
            if mine
            else {}
        )

    def problem(self, row: int, key: str, value: str, message: str) -> Problem:
        return header_problem(self.table.sheet.name, self.table.match, row, key, value, message)

    def run(self, path: Path) -> ImportPlan:
        rows = [self.check_row(row_no, cells) for row_no, cells in self.table]
        self.mark_duplicates(rows)
        for plan in rows:
            if plan.row in self.table.bad_rows:
                plan.action, plan.payload = "error", None
        problems = sorted(
            [*self.table.problems, *(p for r in rows for p in r.problems)], key=lambda p: (p.row, p.column)
        )
        match = self.table.match
        columns = [(key, match.headers[key], match.letters[key]) for _c, key in sorted(match.keys.items())]
        return ImportPlan(
            "roster",
            path.name,
            self.table.sheet.name,
            match.row_index + 1,
            columns,
            rows,
            problems,
            new_groups=list(self.new_groups),
            sheet_notices=list(self.table.notices),
        )

    def check_row(self, row_no: int, cells: dict[str, Any]) -> RowPlan:
        shown = {
            k: v.strip() if v.__class__ is str and "_x" not in v else cell_text(v) for k, v in cells.items()
        }
        plan = RowPlan(row_no, "error", shown)
        got: dict[str, Any] = {}
        info: idcard.IdInfo | None = None
        covered = self.table.covered
        for key, raw in cells.items():
            if covered and (row_no, key) in covered:
                continue  # a merged or formula cell, already reported
            col = _COLUMNS[key]
            if raw is None or not shown[key]:  # blank (shown is the cell's trimmed text)
                if col.required:
                    plan.problems.append(self.problem(row_no, key, "", f"“{col.header}”必填，不能为空。"))
                continue
            if col.kind in _CACHED_KINDS:
                # Columns of few distinct values (dates, choices, flags, free text): each distinct
                # cell converted once per column (the same function, so the same result).
                cache = self.cache.setdefault(key, {})
                hit = cache.get(raw)
                if hit is None:
                    hit = cache[raw] = self.convert(key, col.kind, col.enum, raw)
                value, message, note = hit
                if message is None:
                    got[key] = value
                    if note:
                        plan.notices.append(self.problem(row_no, key, shown[key], note))
                    continue
                if key == "birth_date" and (ym := values.year_month(raw)) is not None:
                    got["birth_month"] = ym  # 出生年月 is often kept to the month: checked against the ID
                    continue
                plan.problems.append(self.problem(row_no, key, shown[key], message))
                continue
            try:
                if col.kind == "id":
                    info = values.id_number(raw, self.today)
                    self.ids[row_no] = info.number
                    shown[key] = info.number
                elif col.kind == "name":
                    got[key] = values.name(raw)  # stray spaces, invisible characters, name dots
                elif col.kind == "phone":
                    got[key] = values.phone(raw)
                elif col.kind == "branch":
                    self.check_branch(plan, key, raw)
                    continue
                changed = col.kind in ("name", "phone") and got.get(key) != shown[key]
                if changed and (note := values.cleaning_note(raw, key)):
                    plan.notices.append(self.problem(row_no, key, shown[key], note))
            except values.CellError as exc:
                plan.problems.append(self.problem(row_no, key, shown[key], exc.message))
        if info is None:
            return plan
        self.check_against_id(plan, got, info)
        existing = self.mine.get(info.number)
        payload = self.payload(got, info, existing)
        self.check_rules(plan, payload, info)
        if plan.problems or row_no in self.table.bad_rows:
            return plan
        self.decide(plan, payload, existing)
        return plan

    def convert(self, key: str, kind: str, enum: str, raw: Any) -> tuple[Any, str | None, str]:
        """(value, None, cleaning note) of a date, choice, flag or text cell; (None, message, "")
        when it cannot be read."""
        try:
            if kind == "date":
                return values.date_value(raw), None, ""
            if kind == "enum":
                return values.enum_code(raw, enum), None, ""
            if kind == "bool":
                return values.flag(raw), None, ""
            value = values.text(raw, key)
            note = values.cleaning_note(raw, key) if value != cell_text(raw) else ""
            return value, None, note
        except values.CellError as exc:
            return None, exc.message, ""

    def check_branch(self, plan: RowPlan, key: str, raw: Any) -> None:
        """A 所在支部 column (a township list) must name the branch the rows are imported into."""
        named = values.branch_matches(raw, self.branch.name, self.branch.code)
        if not named:
            plan.problems.append(
                self.problem(
                    plan.row,
                    key,
                    plan.cells[key],
                    values.other_branch(plan.cells[key], self.branch.name),
                )
            )

    def check_against_id(self, plan: RowPlan, got: dict[str, Any], info: idcard.IdInfo) -> None:
        """What only an import has: 性别 / 出生日期 columns against the ID number, the 党小组 named
        by its name, the ID number registered in another branch of the township."""
        row, add = plan.row, plan.problems.append
        if "gender" in got and got["gender"] != info.gender:
            add(
                self.problem(
                    row,
                    "gender",
                    LABELS["Gender"][got["gender"]],
                    f"与身份证号不符（号码显示为{LABELS['Gender'][info.gender]}）。",
                )
            )
        if "birth_date" in got and got["birth_date"] != info.birth_date:
            add(
                self.problem(
                    row,
                    "birth_date",
                    plan.cells["birth_date"],
                    f"与身份证号中的出生日期 {info.birth_date.isoformat()} 不符。",
                )
            )
        if "birth_month" in got and got["birth_month"] != (info.birth_date.year, info.birth_date.month):
            add(
                self.problem(
                    row,
                    "birth_date",
                    plan.cells["birth_date"],
                    f"与身份证号中的出生年月 {info.birth_date:%Y.%m} 不符。",
                )
            )
        group = got.get("party_group", "")
        if group and group not in self.groups:
            if self.create_groups:
                if group not in self.new_groups:
                    self.new_groups.append(group)
            else:
                add(
                    self.problem(
                        row,
                        "party_group",
                        group,
                        "本支部没有这个党小组。请改正名称，或选择“新建表中的党小组”在导入时建立。",
                    )
                )
        where = self.elsewhere.get(info.number)
        if where is not None:
            add(
                self.problem(
                    row,
                    "id_number",
                    info.number,
                    f"这个身份证号已登记在{where[1]}的党员“{where[0]}”名下。如已转入本支部，请先办理组织关系转接。",
                )
            )

    def payload(self, got: dict[str, Any], info: idcard.IdInfo, existing: Member | None) -> Any:
        """The ``MemberInput`` this row would save: the stored member's values (an update) or the
        defaults (a new member), overwritten by the cells given; blank cells keep stored values.
        Its text is already cleaned (every cell went through ``values``, which cleans by the
        column's ``textclean`` policy; stored values were cleaned when stored). ``joined_on`` may be
        None here when its cell could not be read (the row is an error then)."""
        updates = {name: got[column] for name, column in _FIELD_COLUMNS if column in got}
        if "party_group_id" in updates:
            name = updates["party_group_id"]
            updates["party_group_id"] = self.groups.get(name, NEW_GROUP + name) if name else None
        updates["id_number"] = info.number
        if existing is None:
            updates.setdefault("name", "")
            updates.setdefault("joined_on", None)
            return members.MemberInput(**updates)  # built directly: dataclasses.replace costs 4× more
        return members.MemberInput(**(vars(members.member_input(existing)) | updates))

    def check_rules(self, plan: RowPlan, payload: Any, info: idcard.IdInfo) -> None:
        """The member rules of ``services.members.member_problems`` (the same function member entry
        uses) on what the row would save, each reported at its column; a column whose cell was
        already refused (blank when required, unreadable) is not reported twice."""
        letters = self.table.match.letters
        refused = {p.column for p in plan.problems}
        for found in members.member_problems(payload, info, self.today):
            key = _FIELD_COLUMN.get(found.field, found.field)
            if (key in letters and letters[key] in refused) or (plan.row, key) in self.table.covered:
                continue  # that cell was refused already (blank, unreadable, merged or a formula)
            add_value = plan.cells.get(key, "")
            plan.problems.append(self.problem(plan.row, key, add_value, found.message))

    def decide(self, plan: RowPlan, payload: Any, existing: Member | None) -> None:
        """Create, update (with the changed fields) or unchanged."""
        plan.payload = payload
        if existing is None:
            plan.action = "create"
            return
        old = members.member_input(existing)
        plan.target_id = existing.id
        plan.changes = [
            Change(
                self.field_label(f.name),
                self.show(f.name, getattr(old, f.name)),
                self.show(f.name, getattr(payload, f.name)),
            )
            for f in fields(members.MemberInput)
            if self.show(f.name, getattr(old, f.name)) != self.show(f.name, getattr(payload, f.name))
        ]
        plan.action = "update" if plan.changes else "unchanged"

    def field_label(self, name: str) -> str:
        key = _FIELD_COLUMN.get(name, name)
        return ROSTER.column(key).header

    def show(self, name: str, value: Any) -> str:
        if name == "party_group_id":
            if isinstance(value, str) and value.startswith(NEW_GROUP):
                return value.removeprefix(NEW_GROUP)
            return self.group_names.get(value, "") if value else ""
        if name == "branch_since" and value is None:
            return ""
        if name == "ethnicity":
            return str(value or "").strip() or "汉族"
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, date):
            return value.isoformat()
        if name in _LABELLED:
            return LABELS[_LABELLED[name]].get(value, value) if value else ""
        return "" if value is None else str(value).strip()

    def mark_duplicates(self, rows: list[RowPlan]) -> None:
        seen: dict[str, list[RowPlan]] = {}
        for plan in rows:
            number = self.ids.get(plan.row, "")
            if number:
                seen.setdefault(number, []).append(plan)
        for number, same in seen.items():
            if len(same) < 2:
                continue
            for plan in same:
                others = "、".join(str(o.row) for o in same if o is not plan)
                plan.problems.append(
                    self.problem(
                        plan.row,
                        "id_number",
                        number,
                        f"与第 {others} 行的身份证号重复，同一党员只能登记一次。",
                    )
                )
                plan.action, plan.payload, plan.changes = "error", None, []


def apply_roster_import(
    session: Session,
    branch_id: str,
    plan: ImportPlan,
    *,
    valid_only: bool = False,
    confirm_updates: bool = False,
    today: date | None = None,
) -> ImportResult:
    """Write the previewed rows inside the caller's transaction; all or nothing (raises
    ``ImportRefused``, naming the Excel row and column, and the caller's transaction rolls back).

    The preview already checked every row with ``services.members.member_problems``, the rules of
    member entry. What the database may have changed since (another member registered under one of
    the ID numbers, a party group deleted or dissolved, a member to update deleted) is checked again
    here for all rows in a few set-based queries. New members are then inserted in bulk: one
    ``executemany`` of the rows ``members.stored_values`` gives (the mapping member entry uses),
    change numbers from one ``allocate_seq`` block, so the rows and change numbers are those entering
    the members one by one gives; the audit log gets one summary entry (``audit.record_bulk``: table,
    count, file, sheet and branch), as for the sync receiver's bulk writes (one entry per member
    would cost as much again as the rows: see docs/architecture.md). Updates, applied only with ``confirm_updates``, go through
    ``members.update_member`` (each one's old and new values audited). ``today``: the day the
    preview's rules used is kept; this one only checks updates (default: the local today).
    """
    if plan.problems and not valid_only:
        raise ImportRefused(
            f"发现 {len(plan.problems)} 处问题，没有导入任何数据。请改正后重新导入，或选择“只导入没有错误的行”。"
        )
    result = ImportResult()
    creates: list[RowPlan] = []
    updates: list[RowPlan] = []
    for row in plan.rows:
        if row.action == "error":
            result.skipped_errors += 1
        elif row.action == "unchanged":
            result.unchanged += 1
        elif row.action == "update" and not confirm_updates:
            result.skipped_updates += 1
        elif row.action == "create":
            creates.append(row)
        else:
            updates.append(row)
    branch = get_branch(session, branch_id)
    # A roster says who is in a group, not since when: the founding date stays unknown (not "today",
    # which would refuse every earlier 党小组会 the clerk back-fills) until the clerk sets it.
    created = {
        name: groups.create_group(session, branch_id, name, founding_unknown=True).id
        for name in plan.new_groups
    }
    for row in [*creates, *updates]:
        group_ref = row.payload.party_group_id
        if isinstance(group_ref, str) and group_ref.startswith(NEW_GROUP):
            row.payload = replace(row.payload, party_group_id=created[group_ref.removeprefix(NEW_GROUP)])
    if not creates and not updates:
        return result
    _recheck(session, branch, plan, creates, updates)
    for row in updates:
        assert row.target_id is not None
        try:
            members.update_member(session, row.target_id, row.payload, today)
        except ValidationError as exc:
            raise _refused(plan, row, exc) from exc
        result.updated += 1
    if creates:
        with _collector_paused():
            result.created_ids = _insert_members(session, plan, branch, creates)
        result.created = len(creates)
    return result


def _refused(plan: ImportPlan, row: RowPlan, exc: ValidationError) -> ImportRefused:
    errors = exc.errors if isinstance(exc, ValidationErrors) else [exc]
    return _refuse(plan, row, _FIELD_COLUMN.get(errors[0].field, errors[0].field), errors[0].message)


def _refuse(plan: ImportPlan, row: RowPlan, key: str, message: str) -> ImportRefused:
    column = next((f"（{c.header}）" for c in ROSTER.columns if c.key == key), "")
    return ImportRefused(f"工作表“{plan.sheet}”第 {row.row} 行{column}：{message} 没有导入任何数据。")


def _recheck(
    session: Session, branch: Branch, plan: ImportPlan, creates: list[RowPlan], updates: list[RowPlan]
) -> None:
    """What the database may have changed since the preview, for every row at once (the checks of
    ``members._validate`` that need the database, in set form)."""
    active = {
        number: (member_id, name, branch_name)
        for member_id, number, name, branch_name in session.execute(
            select(Member.id, Member.id_number, Member.name, Branch.name)
            .join(Branch, Branch.id == Member.branch_id)
            .where(
                Member.township_id == branch.township_id,
                Member.deleted.is_(False),
                Member.state == MemberState.ACTIVE,
            )
        )
    }
    live_groups = {
        group_id: (name, dissolved)
        for group_id, name, dissolved in session.execute(
            select(PartyGroup.id, PartyGroup.name, PartyGroup.dissolved_on).where(
                PartyGroup.branch_id == branch.id, PartyGroup.deleted.is_(False)
            )
        )
    }
    targets = [row.target_id for row in updates]
    alive = (
        set(session.scalars(select(Member.id).where(Member.id.in_(targets), Member.deleted.is_(False))))
        if targets
        else set()
    )
    for row in [*creates, *updates]:
        data: members.MemberInput = row.payload
        holder = active.get(data.id_number)
        if holder is not None and holder[0] != row.target_id:
            raise _refuse(
                plan,
                row,
                "id_number",
                f"身份证号 {data.id_number} 已登记在{holder[2]}的党员“{holder[1]}”名下。",
            )
        if data.party_group_id:
            group = live_groups.get(data.party_group_id)
            if group is None:
                raise _refuse(plan, row, "party_group", "所选党小组不属于本支部（可能刚被删除）。")
            if group[1] is not None:
                raise _refuse(plan, row, "party_group", f"{group[0]}已于 {group[1].isoformat()} 撤销。")
        if row.target_id is not None and row.target_id not in alive:
            raise _refuse(plan, row, "name", "找不到该党员，可能已被删除。请重新预览后再导入。")


def _insert_members(session: Session, plan: ImportPlan, branch: Branch, creates: list[RowPlan]) -> list[str]:
    """New members in one ``executemany``: the values ``members.stored_values`` gives, each text
    cleaned and length-checked as the ORM's setters would (``textclean``), the columns the flush hook
    stamps (times, users, change numbers from ``allocate_seq``), declared defaults for the rest; one
    audit summary entry. Returns the new ids in row order."""
    session.flush()  # groups created above take their change numbers first, as entry one by one would
    columns = list(Member.__table__.columns)
    names = [c.name for c in columns]
    conn = session.connection()
    now = utcnow()
    user = str(session.info.get("user", ""))
    stamp = {
        "created_at": now,
        "updated_at": now,
        "created_by": user,
        "updated_by": user,
        "deleted": False,
        "deleted_at": None,
        "township_id": branch.township_id,
        "branch_id": branch.id,
        "state": MemberState.ACTIVE.value,
    }
    base = {
        c.name: (c.default.arg if c.default is not None and c.default.is_scalar else None) for c in columns
    } | stamp
    # The ORM's textclean setters, for the text columns (not keys): policy and length.
    texts = [
        (c.name, policy, getattr(c.type, "length", None))
        for c in columns
        if isinstance(c.type, String)
        and not c.foreign_keys
        and c.name not in stamp  # the same for every row: the ORM's flush hook sets them unassigned
        and (policy := textclean.policy_for(c.name))
    ]
    # SQLite stores what SQLAlchemy's types would bind: dates and times as ISO text; PostgreSQL's
    # driver takes the Python values.
    binds = []
    if conn.dialect.name == "sqlite":  # (bool is an int to sqlite3; the stamps are the same for every row)
        base = {k: v if v is None or k not in _STAMPED_TIMES else _iso_datetime(v) for k, v in base.items()}
        binds = [(i, date.isoformat) for i, c in enumerate(columns) if type(c.type) is Date]
    ids: list[str] = []
    params: list[tuple[Any, ...]] = []
    seq = allocate_seq(session, len(creates)) - len(creates)
    clean_key, clean_free = textclean.clean_key, textclean.clean_free
    for row in creates:
        data: members.MemberInput = row.payload
        number = data.id_number
        birth, gender = idcard.birth_and_gender(number)
        values = base | members.stored_values(data, idcard.IdInfo(number, number[:6], birth, gender))
        for key, policy, length in texts:  # what the ORM's textclean setters do on assignment
            text = values[key]
            if not text or text.__class__ is not str:
                continue
            if policy == textclean.FREE:
                cleaned = text if text.isascii() and text.isprintable() else clean_free(text)
            else:
                cleaned = clean_key(text, person=policy == textclean.PERSON)
            if cleaned is not text:
                values[key] = cleaned
            if length is not None and len(cleaned) > length:
                what = textclean.FIELD_LABELS.get(key, f"“{key}”")
                message = f"{what}过长：{len(cleaned)} 个字，最多 {length} 个字，请删减后再保存。"
                raise _refuse(plan, row, _FIELD_COLUMN.get(key, key), message)
        seq += 1
        member_id = values["id"] = new_id()
        values["row_seq"] = seq
        ids.append(member_id)
        one = [values[n] for n in names]
        for i, bind in binds:
            if one[i] is not None:
                one[i] = bind(one[i])
        params.append(tuple(one))
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    quoted = ", ".join(f'"{n}"' for n in names)
    conn.exec_driver_sql(f"INSERT INTO member ({quoted}) VALUES ({', '.join([mark] * len(names))})", params)
    audit.write_pending(session)  # the entries of the groups created above come first in the chain
    audit.record_bulk(
        session,
        user,
        {"member": len(ids)},
        f"花名册导入：{plan.file}（工作表“{plan.sheet}”，{branch.name}），新增党员 {len(ids)} 名",
    )
    # what a screen refreshes from (services.db.ChangeJournal), as a flush would have noted it
    session.info.setdefault("op_changes", {}).setdefault("member", set()).update(ids)
    return ids


def _iso_datetime(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


# Times the flush hook stamps (the same for every row of one write).
_STAMPED_TIMES = frozenset({"created_at", "updated_at"})
