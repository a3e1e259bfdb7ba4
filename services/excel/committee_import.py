"""Importing a branch committee (支委名单) from a sheet: 姓名 (or 公民身份号码), 职务, 任职日期, 离任日期, 产生方式.
Each row goes through ``services.committee.add_seat`` (the same rules as the form); all rows or none."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Member
from models.enums import CommitteeRole, code_for, label
from services import committee
from services.errors import ValidationError
from services.excel import values
from services.excel.reader import cell_text, open_workbook, read_sheet, sheet_names

HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名",),
    "id_number": ("公民身份号码", "身份证号", "身份证号码"),
    "role": ("职务", "任职", "委员职务"),
    "start_on": ("任职日期", "任职时间", "开始日期"),
    "end_on": ("离任日期", "离任时间", "结束日期"),
    "elected_how": ("产生方式", "如何产生"),
}


def import_committee(session: Session, branch_id: str, path: Path) -> list[str]:
    """Seat everyone listed; returns the new seat ids. Raises ``ExcelFileError`` for an unreadable
    file and ``ValidationError("file", "第 N 行：…")`` for the first row the rules refuse."""
    workbook = open_workbook(path)
    for sheet_name in sheet_names(workbook):
        rows = read_sheet(path, workbook, sheet_name).rows
        for index, row in enumerate(rows[:10]):
            texts = ["".join(cell_text(c).split()) for c in row]
            columns = {key: texts.index(h) for key, heads in HEADERS.items() for h in heads if h in texts}
            if "role" in columns and "start_on" in columns and ("name" in columns or "id_number" in columns):
                return _seat(session, branch_id, rows[index + 1 :], index + 2, columns)
    raise ValidationError("file", "没有找到表头：须有“姓名”（或“公民身份号码”）、“职务”和“任职日期”三列。")


def _seat(
    session: Session, branch_id: str, rows: list[list[object]], first_row: int, columns: dict[str, int]
) -> list[str]:
    people = list(
        session.scalars(select(Member).where(Member.branch_id == branch_id, Member.deleted.is_(False)))
    )
    out: list[str] = []
    roles = "、".join(label(r) for r in CommitteeRole)
    for offset, row in enumerate(rows):
        line = first_row + offset

        def cell(key: str, row: list[object] = row) -> object:
            col = columns.get(key)
            return row[col] if col is not None and col < len(row) else None

        name = "".join(cell_text(cell("name")).split())
        number = cell_text(cell("id_number")).strip().upper()
        role_text = cell_text(cell("role")).strip()
        if not (name or number or role_text):
            continue
        found = [m for m in people if (number and m.id_number == number) or (not number and m.name == name)]
        if len(found) != 1:
            what = "有重名，请填写公民身份号码" if len(found) > 1 else "不是本支部党员"
            raise ValidationError("file", f"第 {line} 行：{name or number} {what}。")
        role = code_for("CommitteeRole", role_text)
        if role is None:
            raise ValidationError("file", f"第 {line} 行：未知的职务“{role_text}”。可选：{roles}。")
        try:
            start = values.date_value(cell("start_on"))
            end = values.date_value(cell("end_on"))
        except values.CellError as exc:
            raise ValidationError("file", f"第 {line} 行：{exc}") from None
        if start is None:
            raise ValidationError("file", f"第 {line} 行：请填写任职日期。")
        try:
            seat = committee.add_seat(
                session, branch_id, found[0].id, role, start, end, elected_how=cell_text(cell("elected_how"))
            )
        except ValidationError as exc:
            raise ValidationError("file", f"第 {line} 行：{exc.message}") from None
        out.append(seat.id)
    if not out:
        raise ValidationError("file", "表中没有任职人员。")
    return out
