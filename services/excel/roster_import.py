"""Importing a branch roster (党员花名册) from a clerk's own workbook: preview, then apply.

The preview checks every cell and row in memory (the branch's and township's members are loaded once)
with the member rules of ``services.members.member_problems``, so a 10,000-row sheet is checked in about
the time it takes to read it. Applying writes what the preview checked in bulk (the way the sync receiver
does), after re-checking in a few set-based queries what the database may have changed since.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch, Member, PartyGroup
from models.base import new_id, utcnow
from models.enums import LABELS, MemberState
from services import audit, idcard, members
from services.db import allocate_seq
from services.excel import values
from services.excel.errors import ImportRefused, Problem
from services.excel.headers import Column, header_problem
from services.excel.layouts import ROSTER
from services.excel.plan import Change, ImportPlan, ImportResult, RowPlan
from services.excel.reader import Cell, cell_text
from services.excel.table import Table, locate
from services.org import get_branch

_OK, _MONTH, _BAD = 0, 1, 2  # how a cell converted (see _RosterChecker.convert)

# MemberInput field → column key, where they differ.
_FIELD_COLUMN = {"party_group_id": "party_group"}
_FIELDS = tuple(f.name for f in fields(members.MemberInput))
_INPUT_COLUMNS = tuple((name, _FIELD_COLUMN.get(name, name)) for name in _FIELDS)  # (field, column key)
_LABELLED = {"status": "MemberStatus", "discipline": "Discipline", "education": "Education"}


def plan_roster_import(
    session: Session, branch_id: str, path: Path, *, today: date | None = None, sheet: str | None = None
) -> ImportPlan:
    """Read and check the whole file; nothing is written."""
    today = today or date.today()
    branch = get_branch(session, branch_id)
    table = locate(path, ROSTER, sheet)
    assert table is not None
    return _RosterChecker(session, branch, table, today).run(path)


class _RosterChecker:
    def __init__(self, session: Session, branch: Branch, table: Table, today: date) -> None:
        self.session = session
        self.branch = branch
        self.table = table
        self.today = today
        self.groups = {
            g.name.strip(): g.id
            for g in session.scalars(
                select(PartyGroup).where(PartyGroup.branch_id == branch.id, PartyGroup.deleted.is_(False))
            )
        }
        self.group_names = {v: k for k, v in self.groups.items()}
        self.columns = {key: ROSTER.column(key) for key in table.match.keys.values()}
        self.caches: dict[str, dict[tuple[type, Any], tuple[int, Any]]] = {k: {} for k in self.columns}
        self.ids: dict[int, str] = {}  # Excel row → valid ID number, for duplicates within the file
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
            "roster", path.name, self.table.sheet.name, match.row_index + 1, columns, rows, problems
        )

    def convert(self, col: Column, raw: Cell) -> tuple[int, Any]:
        """One cell of a date/enum/bool column as (_OK, value), (_MONTH, (year, month)) or (_BAD, message).

        Remembered per column and value: a roster repeats the same labels, flags and many dates.
        """
        cache = self.caches[col.key]
        key = (type(raw), raw)  # 1, 1.0 and True are equal keys but not the same cell
        hit = cache.get(key)
        if hit is not None:
            return hit
        try:
            if col.kind == "date":
                out: tuple[int, Any] = (_OK, values.date_value(raw))
            elif col.kind == "enum":
                out = (_OK, values.enum_code(raw, col.enum))
            else:
                out = (_OK, values.flag(raw))
        except values.CellError as exc:
            ym = values.year_month(raw) if col.key == "birth_date" else None
            # 出生年月 is often kept to the month: checked against the ID number instead
            out = (_MONTH, ym) if ym is not None else (_BAD, exc.message)
        cache[key] = out
        return out

    def check_row(self, row_no: int, cells: dict[str, Any]) -> RowPlan:
        # cell_text inlined for the common case (plain ASCII text): it runs for every cell
        shown = {k: v.strip() if type(v) is str and v.isascii() else cell_text(v) for k, v in cells.items()}
        plan = RowPlan(row_no, "error", shown)
        got: dict[str, Any] = {}
        info: idcard.IdInfo | None = None
        covered = self.table.covered
        for key, raw in cells.items():
            if covered and (row_no, key) in covered:
                continue  # a merged or formula cell, already reported
            col = self.columns[key]
            text = shown[key]
            if not text and (raw is None or type(raw) is str):
                if col.required:
                    plan.problems.append(self.problem(row_no, key, "", f"“{col.header}”必填，不能为空。"))
                continue
            kind = col.kind
            if kind == "text":
                got[key] = text
            elif kind == "name":
                got[key] = "".join(text.split())  # stray spaces, also full-width ones
            elif kind == "id":
                try:
                    info = values.id_number(raw, self.today)
                except values.CellError as exc:
                    plan.problems.append(self.problem(row_no, key, text, exc.message))
                    continue
                self.ids[row_no] = info.number
                shown[key] = info.number
            else:
                how, value = self.convert(col, raw)
                if how == _OK:
                    got[key] = value
                elif how == _MONTH:
                    got["birth_month"] = value
                else:
                    plan.problems.append(self.problem(row_no, key, text, value))
        if info is None:
            return plan
        self.check_rules(plan, got, info)
        existing = self.mine.get(info.number)
        candidate = self.candidate(got, info, existing)
        self.shared_rules(plan, candidate, info)
        if plan.problems or candidate.joined_on is None or row_no in self.table.bad_rows:
            return plan
        self.decide(plan, candidate, existing)
        return plan

    def shared_rules(self, plan: RowPlan, candidate: members.MemberInput, info: idcard.IdInfo) -> None:
        """``services.members.member_problems`` on what the row would store (blank cells keep the stored
        values), each reported under its column unless that cell already has a problem."""
        reported = {p.column for p in plan.problems}
        for error in members.member_problems(candidate, info, self.today):
            key = _FIELD_COLUMN.get(error.field, error.field)
            if (plan.row, key) in self.table.covered:
                continue  # a merged or formula cell, already reported
            problem = self.problem(plan.row, key, plan.cells.get(key, ""), error.message)
            if problem.column not in reported:
                reported.add(problem.column)
                plan.problems.append(problem)

    def check_rules(self, plan: RowPlan, got: dict[str, Any], info: idcard.IdInfo) -> None:
        """What only an import can get wrong: gender or birth columns that contradict the ID number, a
        party group named that the branch does not have, an ID number registered in another branch."""
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
            add(
                self.problem(
                    row, "party_group", group, "本支部没有这个党小组。请先在程序里建立该党小组，或改正名称。"
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

    def candidate(
        self, got: dict[str, Any], info: idcard.IdInfo, existing: Member | None
    ) -> members.MemberInput:
        """What the row would store: the typed cells over the stored values (blank cells keep them).
        A new member without a readable 入党日期 (already reported) gets ``joined_on`` None."""
        updates = {name: got[key] for name, key in _INPUT_COLUMNS if key in got}
        if "party_group_id" in updates:
            group = updates["party_group_id"]
            updates["party_group_id"] = self.groups.get(group) if group else None
        updates["id_number"] = info.number
        if existing is not None:
            return replace(members.member_input(existing), **updates)
        updates.setdefault("name", "")
        updates.setdefault("joined_on", None)  # None only when already reported: the row is not written
        return members.MemberInput(**updates)

    def decide(self, plan: RowPlan, new: members.MemberInput, existing: Member | None) -> None:
        """Create, update (with the changed fields) or unchanged."""
        plan.payload = new
        if existing is None:
            plan.action = "create"
            return
        old = members.member_input(existing)
        plan.target_id = existing.id
        plan.changes = [
            Change(
                self.field_label(f.name),
                self.show(f.name, getattr(old, f.name)),
                self.show(f.name, getattr(new, f.name)),
            )
            for f in fields(members.MemberInput)
            if self.show(f.name, getattr(old, f.name)) != self.show(f.name, getattr(new, f.name))
        ]
        plan.action = "update" if plan.changes else "unchanged"

    def field_label(self, name: str) -> str:
        key = _FIELD_COLUMN.get(name, name)
        return ROSTER.column(key).header

    def show(self, name: str, value: Any) -> str:
        if name == "party_group_id":
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
    """Write the previewed rows inside the caller's transaction (all-or-nothing: the caller's
    transaction rolls back on any error).

    The preview already checked every row with ``services.members.member_problems``; what may have
    changed since — another member registered under one of the ID numbers, a party group deleted, a
    member to update deleted — is checked again here for all rows in a few set-based queries.
    New members are inserted in bulk (one ``executemany``, change numbers from ``allocate_seq``, one
    ``audit.record_bulk`` summary); updates, which only happen when ``confirm_updates``, go through
    the ORM in one flush, so each gets its own audit entry with the old and new values.
    Raises ``ImportRefused`` (nothing written) when the plan has problems (unless ``valid_only``) or a
    row no longer fits the database. ``today`` is unused since the rules ran in the preview; kept
    for callers.
    """
    del today
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
    if not creates and not updates:
        return result
    branch = get_branch(session, branch_id)
    _recheck(session, branch, plan, creates, updates)
    if updates:
        _update_members(session, updates)
        result.updated = len(updates)
    if creates:
        result.created_ids = _insert_members(session, branch, creates)
        result.created = len(creates)
        audit.record_bulk(
            session,
            str(session.info.get("user", "")),
            {"member": len(creates)},
            f"花名册导入：{plan.file}（工作表“{plan.sheet}”，{branch.name}），新增党员 {len(creates)} 名",
        )
    return result


def _refuse(plan: ImportPlan, row: RowPlan, key: str, message: str) -> ImportRefused:
    column = next((f"（{c.header}）" for c in ROSTER.columns if c.key == key), "")
    return ImportRefused(f"工作表“{plan.sheet}”第 {row.row} 行{column}：{message} 没有导入任何数据。")


def _recheck(
    session: Session, branch: Branch, plan: ImportPlan, creates: list[RowPlan], updates: list[RowPlan]
) -> None:
    """What the database may have changed since the preview, for every row at once."""
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
    groups = set(
        session.scalars(
            select(PartyGroup.id).where(PartyGroup.branch_id == branch.id, PartyGroup.deleted.is_(False))
        )
    )
    targets = {row.target_id for row in updates}
    alive = set(
        session.scalars(select(Member.id).where(Member.id.in_(targets), Member.deleted.is_(False)))
        if targets
        else ()
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
        if data.party_group_id and data.party_group_id not in groups:
            raise _refuse(plan, row, "party_group", "所选党小组不属于本支部（可能刚被删除）。")
        if row.target_id is not None and row.target_id not in alive:
            raise _refuse(plan, row, "name", "找不到该党员，可能已被删除。请重新预览后再导入。")


def _update_members(session: Session, updates: list[RowPlan]) -> None:
    """Confirmed updates through the ORM (one SELECT, one flush): per-row audit with old and new values."""
    ids = [row.target_id for row in updates]
    loaded = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(ids)))}
    for row in updates:
        data: members.MemberInput = row.payload
        member = loaded[str(row.target_id)]
        birth, gender = idcard.birth_and_gender(data.id_number)
        members.apply_input(member, data, birth, gender)
    session.flush()


def _insert_members(session: Session, branch: Branch, creates: list[RowPlan]) -> list[str]:
    """New members in one executemany of plain values, with change numbers from ``allocate_seq``."""
    last = allocate_seq(session, len(creates))
    now = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
    user = str(session.info.get("user", ""))
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    table = Member.__table__
    # A column added later (another feature) gets its declared default, as an ORM insert would give it.
    extra = [c for c in table.columns if c.name not in _INSERTED]
    tail = tuple(c.default.arg if c.default is not None and c.default.is_scalar else None for c in extra)
    active, township_id, branch_id = MemberState.ACTIVE.value, branch.township_id, branch.id
    rows: list[tuple[Any, ...]] = []
    ids: list[str] = []
    seq = last - len(creates)
    for row in creates:
        data: members.MemberInput = row.payload
        number = data.id_number  # checked by the preview: 18 characters, a real birth date
        full_on = data.full_member_on
        member_id = new_id()
        ids.append(member_id)
        seq += 1
        rows.append(
            (member_id, now, now, user, user, False, None, seq, township_id, branch_id, data.party_group_id,
             data.name.strip(), "male" if int(number[16]) % 2 else "female", data.ethnicity.strip() or "汉族",
             f"{number[6:10]}-{number[10:12]}-{number[12:14]}", number, data.education, data.phone.strip(),
             data.joined_on.isoformat(), full_on.isoformat() if full_on else None, str(data.status),
             str(data.discipline), bool(data.is_flowing), active,
             (data.branch_since or data.joined_on).isoformat(), None, data.notes.strip(), *tail)
        )  # fmt: skip
    names = ", ".join(f'"{c}"' for c in [*_INSERTED, *(c.name for c in extra)])
    marks = ", ".join([mark] * (len(_INSERTED) + len(extra)))
    conn.exec_driver_sql(f"INSERT INTO member ({names}) VALUES ({marks})", rows)
    return ids


# The member columns _insert_members writes, in the order of its value tuples.
_INSERTED = (
    "id", "created_at", "updated_at", "created_by", "updated_by", "deleted", "deleted_at", "row_seq",
    "township_id", "branch_id", "party_group_id", "name", "gender", "ethnicity", "birth_date", "id_number",
    "education", "phone", "joined_on", "full_member_on", "status", "discipline", "is_flowing", "state",
    "branch_since", "left_on", "notes",
)  # fmt: skip
