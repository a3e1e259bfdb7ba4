"""Importing meeting records (会议) with their exceptions to attendance (出席情况) from a workbook.

Sheet “会议”: one row per meeting. Sheet “出席情况” (optional): only the people on leave, absent or
observing; everyone else who should attend is recorded as present — how clerks keep these lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch, Meeting, Member, PartyGroup
from models.enums import AttendanceStatus, MeetingType, label
from services import meetings
from services.errors import ValidationError
from services.excel import values
from services.excel.errors import ImportRefused, Problem
from services.excel.headers import Layout, header_problem
from services.excel.layouts import ATTENDANCE, MEETINGS
from services.excel.plan import ImportPlan, ImportResult, RowPlan
from services.excel.reader import cell_text
from services.excel.table import Table, locate
from services.members import members_on
from services.org import get_branch


@dataclass
class _Exception:
    row: int
    member_id: str
    status: str
    reason: str


def plan_meeting_import(
    session: Session,
    branch_id: str,
    path: Path,
    *,
    today: date | None = None,
    sheet: str | None = None,
    hidden_rows: str | None = None,
) -> ImportPlan:
    """Read and check the whole file; nothing is written. ``hidden_rows``: see ``table.locate``."""
    today = today or date.today()
    branch = get_branch(session, branch_id)
    table = locate(path, MEETINGS, sheet, hidden_rows=hidden_rows)
    assert table is not None
    people = locate(path, ATTENDANCE, must_find=False, exclude=(table.sheet.name,), hidden_rows=hidden_rows)
    groups = {
        g.name.strip(): g.id
        for g in session.scalars(
            select(PartyGroup).where(PartyGroup.branch_id == branch.id, PartyGroup.deleted.is_(False))
        )
    }
    rows: list[RowPlan] = []
    by_seq: dict[str, RowPlan] = {}
    problems: list[Problem] = list(table.problems)
    for row_no, cells in table:
        plan = _meeting_row(table, row_no, cells, groups, today, branch)
        seq = plan.cells.get("seq", "")
        if seq:
            if seq in by_seq:
                plan.problems.append(
                    _problem(table, MEETINGS, row_no, "seq", seq, f"会议序号与第 {by_seq[seq].row} 行重复。")
                )
            else:
                by_seq[seq] = plan
        if row_no in table.bad_rows:
            plan.payload = None
        rows.append(plan)
    listed: dict[int, list[_Exception]] = {}
    if people is not None:
        problems += people.problems
        listed = _attendance(session, branch_id, people, by_seq, problems)
    in_file: dict[tuple[str, date, str | None], int] = {}
    on_record: dict[tuple[str, date, str | None], Meeting] = {}
    for m in session.scalars(
        select(Meeting)
        .where(Meeting.branch_id == branch_id, Meeting.deleted.is_(False))
        .order_by(Meeting.created_at.desc())
    ):
        on_record[(m.type, m.held_on, m.party_group_id if m.type == MeetingType.GROUP else None)] = m
    for plan in rows:
        if plan.payload is not None and not plan.problems:
            plan.action = _existing(session, branch_id, plan.payload) or "create"
            if plan.action == "create":
                _duplicate_notice(table, plan, on_record, in_file)
            if plan.action == "create":
                plan.payload.attendance = _attendance_list(
                    session, branch_id, plan, listed.get(plan.row, []), problems, people
                )
                expected = [a for a in plan.payload.attendance or [] if a.status != AttendanceStatus.OBSERVER]
                if not any(a.status == AttendanceStatus.PRESENT for a in expected):
                    shown = plan.cells.get("topics", "")
                    message = meetings.nobody_present_message(len(expected))
                    plan.notices.append(_problem(table, MEETINGS, plan.row, "topics", shown, message))
        if plan.problems or plan.payload is None or plan.row in table.bad_rows:
            plan.action, plan.payload = "error", None
    problems += [p for r in rows for p in r.problems]
    problems.sort(key=lambda p: (p.sheet != table.sheet.name, p.sheet, p.row, p.column))
    match = table.match
    columns = [(key, match.headers[key], match.letters[key]) for _c, key in sorted(match.keys.items())]
    notices = [*table.notices, *(people.notices if people is not None else [])]
    return ImportPlan(
        "meetings",
        path.name,
        table.sheet.name,
        match.row_index + 1,
        columns,
        rows,
        problems,
        sheet_notices=notices,
    )


def _problem(table: Table, layout: Layout, row: int, key: str, value: str, message: str) -> Problem:
    return header_problem(table.sheet.name, table.match, row, key, value, message)


def _meeting_row(
    table: Table,
    row_no: int,
    cells: dict[str, Any],
    groups: dict[str, str],
    today: date,
    branch: Branch,
) -> RowPlan:
    founded = branch.founded_on
    shown = {k: cell_text(v) for k, v in cells.items()}
    plan = RowPlan(row_no, "error", shown)
    got: dict[str, Any] = {}
    for key, raw in cells.items():
        if (row_no, key) in table.covered:
            continue
        col = MEETINGS.column(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if col.required:
                plan.problems.append(
                    _problem(table, MEETINGS, row_no, key, "", f"“{col.header}”必填，不能为空。")
                )
            continue
        try:
            if col.kind == "date":
                got[key] = values.date_value(raw)
            elif col.kind == "bool":
                got[key] = values.flag(raw)
            elif key == "also_types":
                parts = [p for p in str(cell_text(raw)).replace("，", "、").replace(",", "、").split("、")]
                got[key] = [values.enum_code(p, "MeetingType") for p in parts if p.strip()]
            elif col.kind == "enum":
                got[key] = values.enum_code(raw, col.enum)
            elif col.kind == "name":
                got[key] = values.name(raw)
            elif col.kind == "branch":
                if not values.branch_matches(raw, branch.name, branch.code):
                    plan.problems.append(
                        _problem(
                            table,
                            MEETINGS,
                            row_no,
                            key,
                            shown[key],
                            values.other_branch(shown[key], branch.name),
                        )
                    )
                continue
            else:
                got[key] = values.text(raw, key)
            changed = col.kind in ("text", "name") and got.get(key) != shown[key]
            if changed and (note := values.cleaning_note(raw, key)):
                plan.notices.append(_problem(table, MEETINGS, row_no, key, shown[key], note))
        except values.CellError as exc:
            plan.problems.append(_problem(table, MEETINGS, row_no, key, shown[key], exc.message))
    held = got.get("held_on")
    add = plan.problems.append
    if held is not None and held > today:
        add(
            _problem(
                table,
                MEETINGS,
                row_no,
                "held_on",
                shown["held_on"],
                "会议日期不能晚于今天；计划中的会议请在召开后再记录。",
            )
        )
    if held is not None and founded and held < founded:
        add(
            _problem(
                table,
                MEETINGS,
                row_no,
                "held_on",
                shown["held_on"],
                f"会议日期早于支部成立日期（{founded.isoformat()}），请核对。",
            )
        )
    kind = got.get("type")
    if kind == MeetingType.LECTURE and not got.get("lecturer"):
        add(
            _problem(
                table,
                MEETINGS,
                row_no,
                "lecturer" if "lecturer" in cells else "type",
                shown.get("lecturer", ""),
                "党课须填写授课人。",
            )
        )
    group_id = None
    group = got.get("party_group", "")
    if group:
        group_id = groups.get(group)
        if group_id is None:
            add(
                _problem(
                    table,
                    MEETINGS,
                    row_no,
                    "party_group",
                    group,
                    "本支部没有这个党小组。请先在程序里建立，或改正名称。",
                )
            )
    elif kind == MeetingType.GROUP:
        add(
            _problem(
                table,
                MEETINGS,
                row_no,
                "party_group" if "party_group" in cells else "type",
                "",
                "党小组会须填写党小组。",
            )
        )
    if plan.problems or held is None or kind is None or "topics" not in got:
        return plan
    recorded = got.get("recorded_on")
    try:
        meetings.check_kinds(meetings.MeetingInput(kind, held, "", also_types=got.get("also_types", [])))
    except ValidationError as exc:
        add(_problem(table, MEETINGS, row_no, "also_types", shown.get("also_types", ""), exc.message))
    if got.get("backfilled") and recorded is None:
        add(_problem(table, MEETINGS, row_no, "recorded_on", "", "补录的会议须填写纸质记录上的记录日期。"))
    if recorded is not None and (recorded < held or recorded > today):
        add(
            _problem(
                table,
                MEETINGS,
                row_no,
                "recorded_on",
                shown.get("recorded_on", ""),
                "记录日期须在会议日期和今天之间。",
            )
        )
    if plan.problems:
        return plan
    plan.payload = meetings.MeetingInput(
        type=kind,
        held_on=held,
        topics=got["topics"],
        place=got.get("place", ""),
        host=got.get("host", ""),
        recorder=got.get("recorder", ""),
        minutes=got.get("minutes", ""),
        resolutions=got.get("resolutions", ""),
        lecturer=got.get("lecturer", ""),
        party_group_id=group_id if MeetingType.GROUP in (kind, *got.get("also_types", [])) else None,
        also_types=got.get("also_types", []),
        recorded_on=recorded,
        backfilled=bool(got.get("backfilled")),
    )
    return plan


def _duplicate_notice(
    table: Table,
    plan: RowPlan,
    on_record: dict[tuple[str, date, str | None], Meeting],
    in_file: dict[tuple[str, date, str | None], int],
) -> None:
    """The same notice the meeting form and `meeting add` give (``meetings.entry_warnings``): a meeting
    of the same type on the same day (same group for 党小组会) already recorded, or on an earlier row."""
    data = plan.payload
    assert data is not None
    key = (data.type, data.held_on, data.party_group_id if data.type == MeetingType.GROUP else None)
    shown = plan.cells.get("held_on", data.held_on.isoformat())
    same = on_record.get(key)
    if same is not None:
        plan.notices.append(
            _problem(table, MEETINGS, plan.row, "held_on", shown, meetings.duplicate_message(same))
        )
    elif key in in_file:
        what = label(MeetingType(data.type))
        plan.notices.append(
            _problem(
                table,
                MEETINGS,
                plan.row,
                "held_on",
                shown,
                f"与第 {in_file[key]} 行同一天、同为{what}，同一天同类型的会议可能是重复登记。",
            )
        )
    in_file.setdefault(key, plan.row)


def _existing(session: Session, branch_id: str, data: meetings.MeetingInput) -> str | None:
    """A meeting with the same date, type and topics is already recorded (e.g. re-importing an export)."""
    found = session.scalar(
        select(Meeting.id).where(
            Meeting.branch_id == branch_id,
            Meeting.deleted.is_(False),
            Meeting.held_on == data.held_on,
            Meeting.type == data.type,
            Meeting.topics == data.topics.strip(),
        )
    )
    return "unchanged" if found else None


def _attendance(
    session: Session, branch_id: str, people: Table, by_seq: dict[str, RowPlan], problems: list[Problem]
) -> dict[int, list[_Exception]]:
    """Resolve each listed person to a member and attach the exception to its meeting row."""
    roster: dict[date, list[Member]] = {}
    out: dict[int, list[_Exception]] = {}
    tainted: set[int] = set()  # meetings whose attendance has a problem are not imported either
    for row_no, cells in people:
        shown = {k: cell_text(v) for k, v in cells.items()}

        def problem(key: str, message: str, row_no: int = row_no, shown: dict[str, str] = shown) -> None:
            problems.append(
                header_problem(people.sheet.name, people.match, row_no, key, shown.get(key, ""), message)
            )

        if row_no in people.bad_rows:
            continue
        seq = shown.get("seq", "")
        meeting = by_seq.get(seq)
        if meeting is None:
            problem("seq", "“会议”表里没有这个会议序号。")
            continue
        try:
            status = values.enum_code(cells.get("status"), "AttendanceStatus")
        except values.CellError as exc:
            problem("status", exc.message)
            tainted.add(meeting.row)
            continue
        name = values.name(cells.get("name"))
        reason = values.text(cells.get("reason"), "reason")
        if status == AttendanceStatus.LEAVE and not reason:
            problem("reason" if "reason" in cells else "status", "请假须填写原因。")
            tainted.add(meeting.row)
        if meeting.payload is None:
            continue
        day = meeting.payload.held_on
        if day not in roster:
            roster[day] = members_on(session, branch_id, day)
        candidates = [m for m in roster[day] if m.name == name]
        idn = values.text(cells.get("id_number"), "id_number").upper()
        if idn:
            candidates = [m for m in candidates if m.id_number == idn]
        if status == AttendanceStatus.OBSERVER and not candidates:
            candidates = list(
                session.scalars(select(Member).where(Member.name == name, Member.deleted.is_(False)).limit(3))
            )
            if idn:
                candidates = [m for m in candidates if m.id_number == idn]
        if not candidates:
            problem(
                "name",
                f"{day.isoformat()} 本支部没有名为“{name}”的党员。请核对姓名，或在程序里先登记该党员。",
            )
            tainted.add(meeting.row)
            continue
        if len(candidates) > 1:
            problem("name", "本支部有同名党员，请在“公民身份号码”列填写身份证号以区分。")
            tainted.add(meeting.row)
            continue
        listed = out.setdefault(meeting.row, [])
        if any(e.member_id == candidates[0].id for e in listed):
            problem("name", "同一会议中此人重复登记。")
            tainted.add(meeting.row)
            continue
        listed.append(_Exception(row_no, candidates[0].id, status, reason))
    for plan in by_seq.values():
        if plan.row in tainted:
            plan.payload = None
    return out


def _attendance_list(
    session: Session,
    branch_id: str,
    plan: RowPlan,
    listed: list[_Exception],
    problems: list[Problem],
    people: Table | None,
) -> list[meetings.AttendanceInput]:
    data: meetings.MeetingInput = plan.payload
    expected = meetings.expected_attendees(session, branch_id, data.type, data.held_on, data.party_group_id)
    exceptions = {e.member_id: e for e in listed}
    entries = [
        meetings.AttendanceInput(m.id, exceptions[m.id].status, exceptions[m.id].reason)
        if m.id in exceptions
        else meetings.AttendanceInput(m.id)
        for m in expected
    ]
    expected_ids = {m.id for m in expected}
    for e in listed:
        if e.member_id in expected_ids:
            continue
        if e.status != AttendanceStatus.OBSERVER:
            assert people is not None
            problems.append(
                header_problem(
                    people.sheet.name,
                    people.match,
                    e.row,
                    "status",
                    "",
                    "此人不是这次会议的应到人员，只能登记为“列席”。",
                )
            )
            plan.payload = None
            continue
        entries.append(meetings.AttendanceInput(e.member_id, e.status, e.reason))
    return entries


def apply_meeting_import(
    session: Session,
    branch_id: str,
    plan: ImportPlan,
    *,
    valid_only: bool = False,
    confirm_updates: bool = False,
    today: date | None = None,
) -> ImportResult:
    if plan.problems and not valid_only:
        raise ImportRefused(
            f"发现 {len(plan.problems)} 处问题，没有导入任何数据。请改正后重新导入，或选择“只导入没有错误的行”。"
        )
    result = ImportResult()
    for row in plan.rows:
        if row.action == "error" or (row.payload is None and row.action == "create"):
            result.skipped_errors += 1
        elif row.action == "unchanged":
            result.unchanged += 1
        else:
            try:
                result.created_ids.append(meetings.create_meeting(session, branch_id, row.payload, today).id)
            except ValidationError as exc:
                raise ImportRefused(
                    f"工作表“{plan.sheet}”第 {row.row} 行：{exc.message} 没有导入任何数据。"
                ) from exc
            result.created += 1
    return result
