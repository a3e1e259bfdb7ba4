"""Importing a branch roster (党员花名册) from a clerk's own workbook: preview, then apply.

The preview checks every cell and row in memory (the branch's and township's members are loaded once),
so a 10,000-row sheet is checked in about the time it takes to read it. Applying goes through
``services.members`` again, which stays the authority: if it disagrees, nothing is written.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch, Member, PartyGroup
from models.enums import LABELS, MemberState, MemberStatus
from services import groups, idcard, members
from services.dates import age_on
from services.errors import ValidationError
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
_LABELLED = {
    "status": "MemberStatus",
    "discipline": "Discipline",
    "education": "Education",
    "occupation": "Occupation",
}
NEW_GROUP = "new-group:"  # payload placeholder for a party group the import creates


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
    table = locate(path, ROSTER, sheet, hidden_rows=hidden_rows)
    assert table is not None
    checker = _RosterChecker(session, branch, table, today)
    checker.create_groups = create_groups
    return checker.run(path)


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
        shown = {k: cell_text(v) for k, v in cells.items()}
        plan = RowPlan(row_no, "error", shown)
        got: dict[str, Any] = {}
        info: idcard.IdInfo | None = None
        for key, raw in cells.items():
            if (row_no, key) in self.table.covered:
                continue  # a merged or formula cell, already reported
            col = ROSTER.column(key)
            blank = raw is None or (isinstance(raw, str) and not raw.strip())
            if blank:
                if col.required:
                    plan.problems.append(self.problem(row_no, key, "", f"“{col.header}”必填，不能为空。"))
                continue
            try:
                if col.kind == "id":
                    info = values.id_number(raw, self.today)
                    self.ids[row_no] = info.number
                    shown[key] = info.number
                elif col.kind == "date":
                    got[key] = values.date_value(raw)
                elif col.kind == "enum":
                    got[key] = values.enum_code(raw, col.enum)
                elif col.kind == "bool":
                    got[key] = values.flag(raw)
                elif col.kind == "name":
                    got[key] = values.name(raw)  # stray spaces, invisible characters, name dots
                elif col.kind == "phone":
                    got[key] = values.phone(raw)
                elif col.kind == "branch":
                    self.check_branch(plan, key, raw)
                    continue
                else:
                    got[key] = values.text(raw, key)
                changed = col.kind in ("text", "name", "phone") and got.get(key) != shown[key]
                if changed and (note := values.cleaning_note(raw, key)):
                    plan.notices.append(self.problem(row_no, key, shown[key], note))
            except values.CellError as exc:
                if key == "birth_date" and (ym := values.year_month(raw)) is not None:
                    got["birth_month"] = ym  # 出生年月 is often kept to the month: checked against the ID
                    continue
                plan.problems.append(self.problem(row_no, key, shown[key], exc.message))
        if info is not None:
            self.check_rules(plan, got, info)
        if plan.problems or info is None or row_no in self.table.bad_rows:
            return plan
        self.decide(plan, got, info)
        return plan

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

    def check_rules(self, plan: RowPlan, got: dict[str, Any], info: idcard.IdInfo) -> None:
        """The member rules of ``services.members``, reported per column and all at once."""
        row, add = plan.row, plan.problems.append
        if len(got.get("name", "")) > 50:
            add(self.problem(row, "name", got["name"], "姓名过长（最多 50 个字）。"))
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
        joined = got.get("joined_on")
        if joined is not None:
            if joined > self.today:
                add(self.problem(row, "joined_on", plan.cells["joined_on"], "入党日期不能晚于今天。"))
            b = info.birth_date
            age = age_on(b, joined)
            if age < 18:
                add(
                    self.problem(
                        row,
                        "joined_on",
                        plan.cells["joined_on"],
                        f"入党时年龄为 {age} 岁，入党须年满十八岁，请核对入党日期或身份证号。",
                    )
                )
        full_on = got.get("full_member_on")
        if full_on is not None:
            if got.get("status") == MemberStatus.PROBATIONARY:
                add(
                    self.problem(
                        row,
                        "full_member_on",
                        plan.cells["full_member_on"],
                        "预备党员还没有转正日期；转正后再填写。",
                    )
                )
            elif joined is not None and full_on < joined:
                add(
                    self.problem(
                        row, "full_member_on", plan.cells["full_member_on"], "转正日期不能早于入党日期。"
                    )
                )
            elif full_on > self.today:
                add(
                    self.problem(
                        row, "full_member_on", plan.cells["full_member_on"], "转正日期不能晚于今天。"
                    )
                )
        since = got.get("branch_since")
        if since is not None and since > self.today:
            add(self.problem(row, "branch_since", plan.cells["branch_since"], "转入本支部日期不能晚于今天。"))
        phone = got.get("phone", "")
        if phone and not phone.replace("-", "").replace(" ", "").isdigit():
            add(self.problem(row, "phone", phone, "联系电话只能包含数字和“-”。"))
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

    def decide(self, plan: RowPlan, got: dict[str, Any], info: idcard.IdInfo) -> None:
        """Create, update (with the changed fields) or unchanged; blank cells keep stored values."""
        existing = self.mine.get(info.number)
        given = {k: v for k, v in got.items() if k not in ("gender", "birth_date", "birth_month")}
        if "party_group" in given:
            name = given["party_group"]
            given["party_group"] = self.groups.get(name, NEW_GROUP + name) if name else None
        updates = {
            name: given[_FIELD_COLUMN.get(name, name)]
            for name in _FIELDS
            if _FIELD_COLUMN.get(name, name) in given
        }
        updates["id_number"] = info.number
        if existing is None:
            base = members.MemberInput(name="", id_number=info.number, joined_on=got["joined_on"])
            plan.payload = replace(base, **updates)
            plan.action = "create"
            return
        old = members.member_input(existing)
        new = replace(old, **updates)
        plan.target_id = existing.id
        plan.payload = new
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
    """Write the previewed rows inside the caller's transaction; raises ``ImportRefused`` on problems."""
    if plan.problems and not valid_only:
        raise ImportRefused(
            f"发现 {len(plan.problems)} 处问题，没有导入任何数据。请改正后重新导入，或选择“只导入没有错误的行”。"
        )
    result = ImportResult()
    created = {name: groups.create_group(session, branch_id, name).id for name in plan.new_groups}
    for row in plan.rows:
        group_ref = getattr(row.payload, "party_group_id", None)
        if isinstance(group_ref, str) and group_ref.startswith(NEW_GROUP):
            row.payload = replace(row.payload, party_group_id=created[group_ref.removeprefix(NEW_GROUP)])
        if row.action == "error":
            result.skipped_errors += 1
            continue
        if row.action == "unchanged":
            result.unchanged += 1
            continue
        if row.action == "update" and not confirm_updates:
            result.skipped_updates += 1
            continue
        try:
            if row.action == "create":
                result.created_ids.append(members.create_member(session, branch_id, row.payload, today).id)
                result.created += 1
            else:
                assert row.target_id is not None
                members.update_member(session, row.target_id, row.payload, today)
                result.updated += 1
        except ValidationError as exc:
            key = _FIELD_COLUMN.get(exc.field, exc.field)
            column = next((f"（{c.header}）" for c in ROSTER.columns if c.key == key), "")
            raise ImportRefused(
                f"工作表“{plan.sheet}”第 {row.row} 行{column}：{exc.message} 没有导入任何数据。"
            ) from exc
    return result
