"""Writing any table to .xlsx: styled, frozen and filterable header, real dates, text IDs, no formulas.

Which tables can be exported is a registry: each module in ``services/excel/exports/`` declares
``EXPORTS`` (a list of ``ExportSpec``), so a new ledger adds itself by adding a module.
Files are written atomically (temporary file, fsync, rename) and re-opened to verify.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import python_calamine
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from services.excel.errors import ExcelFileError, column_letter

# Excel would evaluate text starting with these if it were a formula cell (CSV/DDE injection).
RISKY_START = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="B22222")
HEADER_BORDER = Border(bottom=Side(style="thin", color="7F0000"))
SHEET_TITLE_MAX = 31


@dataclass(frozen=True)
class ExportColumn:
    header: str
    width: int = 12


@dataclass
class ExportTable:
    title: str  # worksheet name
    columns: Sequence[ExportColumn]
    rows: Iterable[Sequence[object]]


# A producer returns one table (one sheet) or several (a ledger: one sheet per section).
Producer = Callable[[Session, "list[str] | None", "int | None"], "ExportTable | list[ExportTable]"]


@dataclass(frozen=True)
class ExportSpec:
    name: str  # command-line name, e.g. "members"
    label: str  # Chinese name for menus, e.g. "党员花名册"
    produce: Producer  # (session, branch_ids or None for all, year or None) → table
    uses_year: bool = False


@dataclass(frozen=True)
class ExportReport:
    path: Path
    rows: int
    seconds: float


def registry() -> dict[str, ExportSpec]:
    """Every export declared by a module in services/excel/exports/, by name."""
    from services.excel import exports

    specs: dict[str, ExportSpec] = {}
    for info in sorted(pkgutil.iter_modules(exports.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{exports.__name__}.{info.name}")
        declared = getattr(module, "EXPORTS", [])
        for spec in declared() if callable(declared) else declared:
            specs[spec.name] = spec
    return specs


def export_names() -> list[str]:
    return sorted(registry())


def export_xlsx(
    session: Session,
    what: str,
    path: Path,
    *,
    branch_ids: list[str] | None = None,
    year: int | None = None,
) -> ExportReport:
    specs = registry()
    if what not in specs:
        raise ExcelFileError(f"没有名为 {what} 的导出。可选：{'、'.join(sorted(specs))}。")
    start = time.perf_counter()
    table = specs[what].produce(session, branch_ids, year)
    rows = write_xlsx(table, path)
    return ExportReport(path, rows, time.perf_counter() - start)


def safe_cell(ws: Worksheet, value: object) -> object:
    """Text that Excel could take for a formula is written as a string cell, never as a formula."""
    if isinstance(value, str) and value.startswith(RISKY_START):
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        return cell
    return value


def write_xlsx(tables: ExportTable | Sequence[ExportTable], path: Path) -> int:
    """Write one sheet per table in openpyxl's write-only mode; returns the number of data rows."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ExcelFileError(f"文件夹不存在：{path.parent}。请先建立该文件夹或另选保存位置。")
    wb = Workbook(write_only=True)
    written: list[tuple[str, list[str], int, int]] = []  # title, headers, rows, rows up to last filled
    for table in [tables] if isinstance(tables, ExportTable) else tables:
        title = _sheet_title(table.title)
        while title in {w[0] for w in written}:
            title = _sheet_title(f"{title[:28]}{len(written) + 1}")
        written.append((title, [c.header for c in table.columns], *_write_sheet(wb, title, table)))
    if not written:
        wb.create_sheet("无数据")
    save_atomically(wb, path)
    for title, headers, _count, filled in written:
        verify(path, title, headers, filled)
    return sum(w[2] for w in written)


def _write_sheet(wb: Workbook, title: str, table: ExportTable) -> tuple[int, int]:
    rows = [list(r) for r in table.rows]
    ws = wb.create_sheet(title)
    ncols = len(table.columns)
    for i, col in enumerate(table.columns):
        ws.column_dimensions[column_letter(i)].width = col.width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{column_letter(max(ncols, 1) - 1)}{len(rows) + 1}"
    header = []
    for col in table.columns:
        cell = WriteOnlyCell(ws, col.header)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center")
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append([safe_cell(ws, v) if isinstance(v, str) else _plain(v) for v in row])
    # Readers drop trailing rows without any value; verification counts up to the last filled one.
    filled = next(
        (i + 1 for i in range(len(rows) - 1, -1, -1) if any(v not in (None, "") for v in rows[i])), 0
    )
    return len(rows), filled


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def _sheet_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, "-")
    return title[:SHEET_TITLE_MAX] or "Sheet1"


def save_atomically(wb: Workbook, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        wb.save(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except PermissionError as exc:
        raise ExcelFileError(
            f"无法写入 {path}：没有权限，或文件正在 Excel/WPS 中打开。请关闭该文件后重试。"
        ) from exc
    except OSError as exc:
        raise ExcelFileError(f"无法写入 {path}：{exc.strerror or exc}。") from exc
    finally:
        tmp.unlink(missing_ok=True)
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def verify(path: Path, sheet: str, headers: list[str], rows: int) -> None:
    """Re-open what was written: the header and the row count must be there."""
    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            data = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        finally:
            wb.close()
    except Exception as exc:
        raise ExcelFileError(f"写入后校验失败，{path} 无法重新打开：{exc}") from exc
    got = [str(v) for v in data[0]] if data else []
    if got[: len(headers)] != headers or len(data) != rows + 1:
        raise ExcelFileError(f"写入后校验失败：{path} 的内容与导出的数据不一致，请重试。")


def as_date(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value
