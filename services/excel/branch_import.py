"""Importing a township's branches (党组织) from a sheet: one row per branch with its code, name, kind,
domain, founding date and parent code. Used by the first-start path; all rows or none."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from models.enums import BranchDomain, BranchKind
from services import org
from services.errors import NotFound, ValidationError
from services.excel import values
from services.excel.reader import cell_text, open_workbook, read_sheet, sheet_names

# Column key → the headers clerks write for it.
HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("代码", "支部代码", "组织代码", "编号"),
    "name": ("名称", "支部名称", "党组织名称", "组织名称"),
    "kind": ("类别", "组织类别", "党组织类别"),
    "domain": ("领域", "所属领域", "类型"),
    "founded_on": ("成立日期", "成立时间"),
    "parent": ("上级代码", "上级党组织代码", "上级"),
}


def import_branches(session: Session, township_id: str, path: Path) -> list[str]:
    """Create every branch of the first sheet that has a 代码 and 名称 header row; parents may come
    later in the sheet than their children. Returns the new branch ids in sheet order.

    Raises ``ExcelFileError`` for an unreadable file and ``ValidationError("file", "第 N 行（列）：…")``
    for the first bad row; the caller's transaction then writes nothing."""
    workbook = open_workbook(path)
    names = sheet_names(workbook)
    for sheet_name in names:
        rows = read_sheet(path, workbook, sheet_name).rows
        for index, row in enumerate(rows[:10]):
            texts = ["".join(cell_text(c).split()) for c in row]
            columns = {key: texts.index(h) for key, heads in HEADERS.items() for h in heads if h in texts}
            if "code" in columns and "name" in columns:
                return _create(session, township_id, rows[index + 1 :], index + 2, columns)
    raise ValidationError(
        "file", "没有找到表头：第一行须有“代码”和“名称”两列（可加类别、领域、成立日期、上级代码）。"
    )


def _create(
    session: Session, township_id: str, rows: list[list[object]], first_row: int, columns: dict[str, int]
) -> list[str]:
    def cell(row: list[object], key: str) -> object:
        col = columns.get(key)
        return row[col] if col is not None and col < len(row) else None

    pending: list[tuple[int, dict[str, object]]] = []
    for offset, row in enumerate(rows):
        line = first_row + offset
        code, name = cell_text(cell(row, "code")).strip(), cell_text(cell(row, "name")).strip()
        if not code and not name:
            continue
        try:
            kind = (
                values.enum_code(cell(row, "kind"), "BranchKind")
                if cell_text(cell(row, "kind"))
                else "branch"
            )
            domain = (
                values.enum_code(cell(row, "domain"), "BranchDomain")
                if cell_text(cell(row, "domain"))
                else "rural"
            )
            founded = values.date_value(cell(row, "founded_on"))
        except values.CellError as exc:
            raise ValidationError("file", f"第 {line} 行：{exc}") from None
        pending.append(
            (
                line,
                {
                    "code": code,
                    "name": name,
                    "kind": kind,
                    "domain": domain,
                    "founded_on": founded,
                    "parent": cell_text(cell(row, "parent")).strip(),
                },
            )
        )
    if not pending:
        raise ValidationError("file", "表中没有党组织。")
    created: dict[str, str] = {}
    for line, data in pending:
        try:
            branch = org.create_branch(
                session,
                township_id,
                str(data["code"]),
                str(data["name"]),
                kind=str(data["kind"] or BranchKind.BRANCH),
                domain=str(data["domain"] or BranchDomain.RURAL),
                founded_on=data["founded_on"],  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            raise ValidationError("file", f"第 {line} 行：{exc.message}") from None
        created[str(data["code"])] = branch.id
    for line, data in pending:
        parent = str(data["parent"])
        if not parent:
            continue
        parent_id = created.get(parent)
        if parent_id is None:
            try:
                parent_id = org.branch_by_code(session, parent).id
            except NotFound:
                raise ValidationError("file", f"第 {line} 行：找不到上级党组织代码 {parent}。") from None
        branch = org.get_branch(session, created[str(data["code"])])
        try:
            org.update_branch(
                session,
                branch.id,
                code=branch.code,
                name=branch.name,
                kind=branch.kind,
                domain=branch.domain,
                parent_id=parent_id,
                founded_on=branch.founded_on,
            )
        except ValidationError as exc:
            raise ValidationError("file", f"第 {line} 行（上级）：{exc.message}") from None
    return list(created.values())
