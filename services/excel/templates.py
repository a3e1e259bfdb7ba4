"""Import templates: the layouts the importers read, with notes, drop-down lists and cell formats."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from models.enums import LABELS
from services.excel.errors import ExcelFileError
from services.excel.export import save_atomically, verify
from services.excel.headers import Column, Layout
from services.excel.layouts import ATTENDANCE, MEETINGS, ROSTER

ROWS = 1000  # rows prepared with formats and drop-downs
REQUIRED_FILL = PatternFill("solid", fgColor="B22222")
OPTIONAL_FILL = PatternFill("solid", fgColor="D9D9D9")

TEMPLATES: dict[str, tuple[tuple[str, Layout], ...]] = {
    "roster": (("党员花名册", ROSTER),),
    "meetings": (("会议", MEETINGS), ("出席情况", ATTENDANCE)),
}

GUIDE: dict[str, list[str]] = {
    "roster": [
        "1. 每行一名党员。红色列名为必填，灰色为选填；可以删掉不用的选填列，列的先后顺序可以调整。",
        "2. “公民身份号码”列已设为文本格式，请直接输入或“选择性粘贴 → 数值”，不要改成数字格式。",
        "3. 日期可写 2005-07-01、2005.7.1、2005/07/01 或 2005年7月1日。",
        "4. 带下拉箭头的列请从列表中选择。",
        "5. 身份证号与本支部已有党员相同的行视为“更新”，导入前会列出改动并请您确认。",
    ],
    "meetings": [
        "1. “会议”表每行一次会议；“会议序号”是您自己编的号（1、2、3…），“出席情况”表用它指明会议。",
        "2. “出席情况”表只需列出请假、缺席、列席的人；没有列出的应到人员按出席记录。",
        "3. 请假须填写原因；党课须填写授课人；党小组会须填写党小组。",
        "4. 日期可写 2026-07-01、2026.7.1、2026/07/01 或 2026年7月1日。",
    ],
}


def write_template(kind: str, path: Path) -> Path:
    if kind not in TEMPLATES:
        raise ExcelFileError(f"没有名为 {kind} 的模板。可选：{'、'.join(TEMPLATES)}。")
    path = Path(path)
    if not path.parent.is_dir():
        raise ExcelFileError(f"文件夹不存在：{path.parent}。请先建立该文件夹或另选保存位置。")
    wb = Workbook()
    first = True
    for title, layout in TEMPLATES[kind]:
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        ws.title = title
        _fill_sheet(ws, layout)
        first = False
    guide = wb.create_sheet("填写说明")
    guide.column_dimensions["A"].width = 100
    for i, line in enumerate(GUIDE[kind], start=1):
        guide.cell(i, 1, line)
    save_atomically(wb, path)
    title, layout = TEMPLATES[kind][0]
    verify(path, title, [c.header for c in layout.columns if c.in_template], 0)
    return path


def _fill_sheet(ws: Worksheet, layout: Layout) -> None:
    ws.freeze_panes = "A2"
    for i, col in enumerate(c for c in layout.columns if c.in_template):
        letter = get_column_letter(i + 1)
        cell = ws.cell(1, i + 1, col.header)
        cell.font = Font(bold=True, color="FFFFFF" if col.required else "000000")
        cell.fill = REQUIRED_FILL if col.required else OPTIONAL_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        note = _note(col)
        if note:
            cell.comment = Comment(note, "支部台账", width=260, height=120)
        ws.column_dimensions[letter].width = col.width + 2
        cells = f"{letter}2:{letter}{ROWS + 1}"
        if col.kind == "enum" or col.kind == "bool":
            options = list(LABELS[col.enum].values()) if col.kind == "enum" else ["是", "否"]
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(options) + '"',
                allow_blank=not col.required,
                showErrorMessage=True,
                errorTitle=col.header,
                error=f"请从下拉列表中选择：{'、'.join(options)}",
            )
            dv.add(cells)
            ws.add_data_validation(dv)
        number_format = {"date": "yyyy-mm-dd", "id": "@", "phone": "@"}.get(col.kind)
        if number_format:
            for row in ws.iter_rows(min_row=2, max_row=ROWS + 1, min_col=i + 1, max_col=i + 1):
                row[0].number_format = number_format
    ws.row_dimensions[1].height = 24


def _note(col: Column) -> str:
    parts = ["必填。" if col.required and not col.note.startswith("必填") else "", col.note]
    if col.kind == "enum":
        parts.append("可选：" + "、".join(LABELS[col.enum].values()))
    if col.kind == "date":
        parts.append("日期格式，如 2020-07-01。")
    if col.synonyms:
        parts.append("也可用列名：" + "、".join(col.synonyms))
    return "\n".join(p for p in parts if p)
