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
import operator
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import MISSING, fields, replace
from datetime import date, datetime
from itertools import repeat
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
from services.excel.plan import Change, ImportPlan, ImportResult, RowCells, RowPlan
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
        return checker.run(path)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused: reading, checking or writing thousands of rows makes
    hundreds of thousands of small containers (none cyclic), and each collection it triggers walks
    the young ones, the whole sheet and plan included (measured: a third of the preview's time).
    What was made meanwhile lives on (the sheet, the plan, the dialog showing it), so on the way out
    it joins the oldest generation at once (``gc.freeze`` + ``gc.unfreeze``: two list splices, which
    also reset the young generation's count) instead of being walked by the first young collection
    after the pause (measured: 20 ms for a 10,000-row sheet); a full collection walks it later, as
    it would any long-lived object."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


# A cell that gives its row no value: blank, unreadable (reported at the cell), or not a value at all.
_ABSENT: Any = object()
# Stands for a merged or formula cell in a column's keys: already reported with the sheet's structure.
_COVERED: Any = object()
# The value of a field whose cell is blank, unreadable or missing, for a new member.
_DEFAULTS: dict[str, Any] = {
    f.name: (None if f.default is MISSING else f.default) for f in fields(members.MemberInput)
} | {"name": "", "id_number": ""}
_NO_OUTCOME = (_ABSENT, None, "")


class _RosterChecker:
    """Checks a whole sheet column by column, then assembles the rows.

    Each column's distinct cells are converted once (dates, choices, flags, names, phones; ID numbers
    with their check character in bulk: ``values.id_numbers``), the ID numbers are compared with the
    性别 / 出生日期 columns, the township's members and each other as whole columns, and the rules of
    member entry run once per distinct combination of the values each one reads
    (``members.member_problems_by_column``: the rule set of ``members.member_problems``, which the
    member form uses). A row's problems and notices are those, in the order, that checking the row on
    its own gives: cells from left to right, then the cells against the ID number, then the rules."""

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
        # Filled in by run(), one item per data row (index i: the i-th data row of the table).
        self.row_nos: list[int] = []
        self.problems: list[list[Problem]] = []
        self.notices: dict[int, list[Problem]] = {}
        self.shown: dict[str, list[str]] = {}  # column key → each row's cell as text (the preview's cells)
        self.got: dict[str, list[Any]] = {}  # column key → each row's value, or _ABSENT
        self.months: list[Any] = []  # 出生日期 kept to the month: (year, month), else None

    def problem(self, row: int, key: str, value: str, message: str) -> Problem:
        return header_problem(self.table.sheet.name, self.table.match, row, key, value, message)

    def run(self, path: Path) -> ImportPlan:
        table, match = self.table, self.table.match
        self.row_nos = [i + 1 for i in table.data_rows]
        self.problems = [[] for _ in self.row_nos]
        keys = list(match.keys.values())
        for key, cells in zip(keys, _columns(table), strict=True):
            self.check_column(key, cells)
        ids = self.got["id_number"]  # (number, birth date, gender) or _ABSENT; the column is required
        self.check_against_id(ids)
        stored = [self.mine.get(p[0]) if p is not _ABSENT else None for p in ids] if self.mine else None
        columns = self.payload_columns(ids, stored)
        self.check_rules(columns, ids)
        payloads = list(map(members.MemberInput, *[columns[name] for name in _FIELDS]))
        texts = {key: self.shown[key] for key in keys}  # (the header's columns, left to right)
        views = map(RowCells, repeat(texts), range(len(self.row_nos)))
        rows = list(map(RowPlan, self.row_nos, repeat("error"), views, self.problems))
        for i, notices in self.notices.items():
            rows[i].notices = notices
        bad_rows = table.bad_rows
        for i, (plan, p) in enumerate(zip(rows, ids, strict=True)):
            if plan.problems or p is _ABSENT or plan.row in bad_rows:
                continue
            existing = stored[i] if stored is not None else None
            if existing is None:
                plan.action, plan.payload = "create", payloads[i]
            else:
                self.decide(plan, payloads[i], existing)
        self.mark_duplicates(rows, ids)
        problems = sorted(
            [*table.problems, *(p for r in rows for p in r.problems)], key=lambda p: (p.row, p.column)
        )
        return ImportPlan(
            "roster",
            path.name,
            table.sheet.name,
            match.row_index + 1,
            [(key, match.headers[key], match.letters[key]) for _c, key in sorted(match.keys.items())],
            rows,
            problems,
            new_groups=list(self.new_groups),
            sheet_notices=list(table.notices),
        )

    def check_column(self, key: str, cells: Sequence[Any]) -> None:
        """One column: sets ``self.shown[key]`` (each row's text), ``self.got[key]`` (each row's value
        or _ABSENT) and reports the cells' problems and notices. A column of few distinct cells
        (dates of joining, choices, flags) converts each distinct cell once; a column of mostly
        different cells (ID numbers, phones) converts them in one pass, in bulk where it can."""
        few = _few_distinct(cells)
        units: Sequence[Any] = cells if few is None else few[1]
        texts, got, refused, notes, months = self.convert_units(key, units)
        if few is None:
            shown = texts
        else:  # back from the distinct cells to the rows
            keyed = few[0]
            same = all(map(operator.is_, texts, units))  # plain text, trimmed already: shown as it is
            shown = (
                list(keyed) if same else list(map(dict(zip(units, texts, strict=True)).__getitem__, keyed))
            )
            if same and all(map(operator.is_, got, units)):
                got = list(keyed)  # text kept as typed (民族, 党小组, 备注 …)
            else:
                got = list(map(dict(zip(units, got, strict=True)).__getitem__, keyed))
            if refused or notes or months:
                index = {unit: j for j, unit in enumerate(units)}
                at = list(map(index.__getitem__, keyed))
                refused = {i: refused[j] for i, j in enumerate(at) if j in refused} if refused else {}
                notes = {i: notes[j] for i, j in enumerate(at) if j in notes} if notes else {}
                months = {i: months[j] for i, j in enumerate(at) if j in months} if months else {}
        covered = {row for row, k in self.table.covered if k == key}
        if covered:  # merged or formula cells: shown as typed, no value, no second problem
            for i, row in enumerate(self.row_nos):
                if row in covered:
                    shown[i] = cell_text(cells[i])
                    got[i] = _ABSENT
                    refused.pop(i, None)
                    notes.pop(i, None)
                    months.pop(i, None)
        self.shown[key] = shown
        self.got[key] = got
        if months:
            self.months = [months.get(i) for i in range(len(cells))]
        for i in sorted({*refused, *notes}):
            if i in refused:
                value, message = refused[i]
                self.problems[i].append(self.problem(self.row_nos[i], key, value, message))
            else:
                self.notices.setdefault(i, []).append(self.problem(self.row_nos[i], key, shown[i], notes[i]))

    def convert_units(
        self, key: str, units: Sequence[Any]
    ) -> tuple[list[str], list[Any], dict[int, tuple[str, str]], dict[int, str], dict[int, tuple[int, int]]]:
        """Converts cells (``units``; a boolean keyed as (bool, cell), see ``_few_distinct``): each
        one's text in the preview, its value (or _ABSENT), and by position the refused ones (value
        shown in the problem, message), the cleaning notices and, for 出生日期, months (year, month)."""
        col = _COLUMNS[key]
        kind = col.kind
        count = len(units)
        refused: dict[int, tuple[str, str]] = {}
        notes: dict[int, str] = {}
        cells = units
        if set(map(type, units)) == {str} and "_x" not in "\n".join(units):
            texts = list(map(str.strip, units))  # plain text cells (the usual column): trimmed in C
            blank = [j for j, text in enumerate(texts) if not text] if "" in texts else []
        else:  # numbers, dates, booleans, blanks, OOXML escapes: cell by cell
            cells = [unit[1] if unit.__class__ is tuple else unit for unit in units]
            texts = [
                cell.strip() if cell.__class__ is str and "_x" not in cell else cell_text(cell)
                for cell in cells
            ]
            blank = [
                j for j, (cell, text) in enumerate(zip(cells, texts, strict=True)) if cell is None or not text
            ]
        if blank:
            if col.required:
                refused.update(dict.fromkeys(blank, ("", f"“{col.header}”必填，不能为空。")))
            skip = set(blank)
            filled_at: Sequence[int] = [j for j in range(count) if j not in skip]
            filled = [cells[j] for j in filled_at]
        else:
            filled_at, filled = range(count), list(cells)
        if kind == "id":
            found: list[Any] = values.id_numbers(filled, self.today)
            for j, number in zip(filled_at, found, strict=True):
                if isinstance(number, tuple):
                    texts[j] = number[0]  # the number as stored (full-width digits folded, x as X)
        elif kind == "date":
            found = values.dates(filled)
        elif kind in ("name", "phone"):
            found = values.identifying(filled, kind)
            if [texts[j] for j in filled_at] != found:
                for j, cell, text in zip(filled_at, filled, found, strict=True):
                    # stray spaces, invisible characters, name dots: cleaned, and said when worth a word
                    changed = not isinstance(text, values.CellError) and text != texts[j]
                    if changed and (note := values.cleaning_note(cell, key)):
                        notes[j] = note
        else:
            found = []
            for j, cell in zip(filled_at, filled, strict=True):
                value, message, note = self.convert(key, kind, col.enum, cell, texts[j])
                found.append(value if message is None else values.CellError(message))
                if note:
                    notes[j] = note
        if not blank:
            got = found
        else:
            got = [_ABSENT] * count
            for j, value in zip(filled_at, found, strict=True):
                got[j] = value
        failed = {str if kind == "id" else values.CellError} & set(map(type, found))  # (an ID: its message)
        if failed:
            for j, value in zip(filled_at, found, strict=True):
                if value.__class__ in failed:
                    refused[j] = (texts[j], value if isinstance(value, str) else value.message)
                    got[j] = _ABSENT
        months: dict[int, tuple[int, int]] = {}
        if key == "birth_date":  # 出生年月 is often kept to the month: checked against the ID number
            for j, (said, _message) in list(refused.items()):
                unit = units[j]
                if said and (month := values.year_month(unit[1] if unit.__class__ is tuple else unit)):
                    months[j] = month  # (said: not a blank cell)
                    del refused[j]
        return texts, got, refused, notes, months

    def convert(self, key: str, kind: str, enum: str, cell: Any, text: str) -> tuple[Any, str | None, str]:
        """(value, None, cleaning notice or "") of a filled cell (``text``: as shown, trimmed), or
        (_ABSENT, message, "") when it cannot be read; (_ABSENT, None, "") for a 所在支部 cell that
        names this branch."""
        try:
            if kind == "date":
                return values.date_value(cell), None, ""
            if kind == "enum":
                return values.enum_code(cell, enum), None, ""
            if kind == "bool":
                return values.flag(cell), None, ""
            if kind == "text":
                value = values.text(cell, key)
            elif kind == "name":
                value = values.name(cell)  # stray spaces, invisible characters, name dots
            elif kind == "phone":
                value = values.phone(cell)
            elif kind == "branch":
                if values.branch_matches(cell, self.branch.name, self.branch.code):
                    return _NO_OUTCOME
                return _ABSENT, values.other_branch(text, self.branch.name), ""
            else:
                return _NO_OUTCOME
        except values.CellError as exc:
            return _ABSENT, exc.message, ""
        if kind == "text":
            note = values.cleaning_note(cell, key) if value != cell_text(cell) else ""
        else:
            note = values.cleaning_note(cell, key) if value != text else ""
        return value, None, note

    def check_against_id(self, ids: list[Any]) -> None:
        """What only an import has: 性别 / 出生日期 columns against the ID number, the 党小组 named
        by its name, the ID number registered in another branch of the township (rows whose ID
        number could be read)."""
        rows, add = self.row_nos, self.problem
        genders = self.got.get("gender")
        if genders is not None:
            label = LABELS["Gender"]
            for i, (said, p) in enumerate(zip(genders, ids, strict=True)):
                if said is not _ABSENT and p is not _ABSENT and said != p[2]:
                    message = f"与身份证号不符（号码显示为{label[p[2]]}）。"
                    self.problems[i].append(add(rows[i], "gender", label[said], message))
        births = self.got.get("birth_date")
        if births is not None:
            shown = self.shown["birth_date"]
            for i, (said, p) in enumerate(zip(births, ids, strict=True)):
                if said is not _ABSENT and p is not _ABSENT and said != p[1]:
                    message = f"与身份证号中的出生日期 {p[1].isoformat()} 不符。"
                    self.problems[i].append(add(rows[i], "birth_date", shown[i], message))
        if self.months:
            shown = self.shown["birth_date"]
            for i, (month, p) in enumerate(zip(self.months, ids, strict=True)):
                if month is not None and p is not _ABSENT and month != (p[1].year, p[1].month):
                    message = f"与身份证号中的出生年月 {p[1]:%Y.%m} 不符。"
                    self.problems[i].append(add(rows[i], "birth_date", shown[i], message))
        named = self.got.get("party_group")
        unknown = (
            {g for g in set(named) if g is not _ABSENT and g and g not in self.groups} if named else set()
        )
        if named and unknown:
            for i, (group, p) in enumerate(zip(named, ids, strict=True)):
                if p is _ABSENT or group not in unknown:
                    continue
                if self.create_groups:
                    if group not in self.new_groups:
                        self.new_groups.append(group)
                else:
                    message = "本支部没有这个党小组。请改正名称，或选择“新建表中的党小组”在导入时建立。"
                    self.problems[i].append(add(rows[i], "party_group", group, message))
        if self.elsewhere:
            for i, p in enumerate(ids):
                if p is not _ABSENT and (where := self.elsewhere.get(p[0])) is not None:
                    message = f"这个身份证号已登记在{where[1]}的党员“{where[0]}”名下。如已转入本支部，请先办理组织关系转接。"
                    self.problems[i].append(add(rows[i], "id_number", p[0], message))

    def payload_columns(self, ids: list[Any], stored: list[Member | None] | None) -> dict[str, list[Any]]:
        """Each ``MemberInput`` field as a column: the row's value where its cell gave one, else the
        stored member's (an update: blank cells keep stored values) or the default (a new member).
        Text is already cleaned (every cell went through ``values``, which cleans by the column's
        ``textclean`` policy; stored values were cleaned when stored). ``joined_on`` is None where
        its cell could not be read (the row is an error then)."""
        count = len(ids)
        inputs = {i: members.member_input(m) for i, m in enumerate(stored) if m is not None} if stored else {}
        columns: dict[str, list[Any]] = {}
        for name, key in _FIELD_COLUMNS:
            if name == "id_number":
                column = [p[0] if p is not _ABSENT else _ABSENT for p in ids]
            elif key not in self.got:
                column = [
                    _DEFAULTS[name] if not inputs and name != "status" else _ABSENT
                ] * count  # (no such column in the file)
            elif name == "party_group_id":  # by its name: an existing group or one the import creates
                names = self.got[key]
                ref = {
                    g: (self.groups.get(g, NEW_GROUP + g) if g else None)
                    for g in set(names)
                    if g is not _ABSENT
                }
                ref[_ABSENT] = _ABSENT
                column = list(map(ref.__getitem__, names))
            else:
                column = self.got[key]
            if inputs:
                column = list(column)
            for i, old in inputs.items():
                if column[i] is _ABSENT:
                    column[i] = getattr(old, name)
            if _ABSENT in column and name == "status":  # a new member's blank 党员类别: by the probation
                joined, full_on = columns["joined_on"], columns["full_member_on"]
                column = [
                    members.derived_status(joined[i], full_on[i], self.today) if v is _ABSENT else v
                    for i, v in enumerate(column)
                ]
            elif _ABSENT in column:
                default = _DEFAULTS[name]
                column = [default if v is _ABSENT else v for v in column]
            columns[name] = column
        return columns

    def check_rules(self, columns: dict[str, list[Any]], ids: list[Any]) -> None:
        """The member rules (``members.member_problems_by_column``: the rules of member entry) on what
        each row would save, each reported at its column; a column whose cell was already refused
        (blank when required, unreadable, merged or a formula) is not reported twice."""
        births = [p[1] if p is not _ABSENT else None for p in ids]
        letters, covered = self.table.match.letters, self.table.covered
        for i, found in members.member_problems_by_column(
            {**columns, "birth_date": births}, self.today
        ).items():
            if ids[i] is _ABSENT:
                continue  # the ID number could not be read: its problem says so, the rules wait
            row = self.row_nos[i]
            refused = {p.column for p in self.problems[i]}
            for error in found:
                key = _FIELD_COLUMN.get(error.field, error.field)
                if (key in letters and letters[key] in refused) or (row, key) in covered:
                    continue
                shown = self.shown[key][i] if key in self.shown else ""
                self.problems[i].append(self.problem(row, key, shown, error.message))

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

    def mark_duplicates(self, rows: list[RowPlan], ids: list[Any]) -> None:
        """Rows giving the same ID number: each one refused, naming the others."""
        numbers = [p[0] for p in ids if p is not _ABSENT]
        if len(set(numbers)) == len(numbers):
            return
        count = Counter(numbers)
        same: dict[str, list[RowPlan]] = {}
        for plan, p in zip(rows, ids, strict=True):
            if p is not _ABSENT and count[p[0]] > 1:
                same.setdefault(p[0], []).append(plan)
        for number, plans in same.items():
            for plan in plans:
                others = "、".join(str(o.row) for o in plans if o is not plan)
                plan.problems.append(
                    self.problem(
                        plan.row,
                        "id_number",
                        number,
                        f"与第 {others} 行的身份证号重复，同一党员只能登记一次。",
                    )
                )
                plan.action, plan.payload, plan.changes = "error", None, []


def _columns(table: Table) -> list[Sequence[Any]]:
    """The data rows' cells column by column (the header's columns, left to right); "" where a row
    is shorter than the header (calamine gives every row the sheet's width)."""
    rows = table.sheet.rows
    picked = [rows[i] for i in table.data_rows]
    cols = list(table.match.keys)
    if len(set(map(len, picked))) == 1 and len(picked[0]) > max(cols):
        every = list(zip(*picked, strict=True))  # transposed in C
        return [every[c] for c in cols]
    return [[r[c] if c < len(r) else "" for r in picked] for c in cols]


def _few_distinct(cells: Sequence[Any]) -> tuple[Sequence[Any], list[Any]] | None:
    """(each row's key, the distinct keys) of a column whose cells repeat (dates of joining, choices,
    flags), so each distinct cell is converted once; None for a column of mostly different cells (ID
    numbers, phones, names), judged on a sample, where collecting them first costs more than it saves.
    The key is the cell itself: True equals 1 and 1.0 in Python, but 是 and 1 are not the same cell,
    so a column holding both booleans and numbers keys its booleans as (bool, cell)."""
    step = max(1, len(cells) // 200)
    sample = cells[::step]
    if len(sample) > 20 and len(set(sample)) * 2 > len(sample):
        return None
    distinct = set(cells)
    if True in distinct or False in distinct:  # (also true for 1, 0, 1.0, 0.0)
        types = set(map(type, cells))
        if bool in types and (int in types or float in types):
            keyed = [(bool, c) if c.__class__ is bool else c for c in cells]
            return keyed, list(set(keyed))
    return cells, list(distinct)


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
