"""Writing any table to .xlsx: styled, frozen and filterable header, real dates, text IDs, no formulas.

Which tables can be exported is a registry: each module in ``services/excel/exports/`` declares
``EXPORTS`` (a list of ``ExportSpec``), so a new ledger adds itself by adding a module.
Files are written atomically (temporary file, fsync, rename) and re-opened to verify.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import python_calamine
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from services import localtime, textclean
from services.errors import write_failed
from services.excel.errors import ExcelFileError

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
    # called with the (first) worksheet after its rows are written: e.g. to add charts over its cells
    decorate: Callable[[Any], None] | None = None


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


# Excel's hard limits (specifications and limits of Excel): a cell holds 32,767 characters, a sheet
# 1,048,576 rows. Longer text continues in the next column (header "…（续1）"), more rows in the next
# sheet ("…（2）"); nothing is cut.
CELL_MAX = 32_767
SHEET_ROWS_MAX = 1_048_576
_ESCAPE_LIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def write_xlsx(tables: ExportTable | Sequence[ExportTable], path: Path) -> int:
    """Write one sheet per table in openpyxl's write-only mode; returns the number of data rows.

    Text is written as stored, minus what XML cannot hold (``textclean.for_output``); text longer than
    ``CELL_MAX`` continues in extra columns and rows beyond ``SHEET_ROWS_MAX`` in extra sheets. The file
    is read back and every cell compared with what was meant to be written. Raises ``ExcelFileError``
    (Chinese message) when the folder is missing, the disk is full or the read-back differs; no partial
    file is left."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ExcelFileError(f"文件夹不存在：{path.parent}。请先建立该文件夹或另选保存位置。")
    wb = Workbook(write_only=True)
    written: list[_Sheet] = []
    total = 0
    for table in [tables] if isinstance(tables, ExportTable) else tables:
        headers, rows = _fit_cells([c.header for c in table.columns], [c.width for c in table.columns], table)
        total += len(rows)
        chunk = SHEET_ROWS_MAX - 1
        for part, first in enumerate(range(0, max(len(rows), 1), chunk)):
            title = _sheet_title(table.title if part == 0 else f"{table.title[:26]}（{part + 1}）")
            taken = {w.title for w in written}
            while title in taken:
                title = _sheet_title(f"{title[:28]}{len(written) + 1}")
            sheet = _Sheet(title, headers, rows[first : first + chunk])
            ws = _write_sheet(wb, sheet)
            if part == 0 and table.decorate is not None:
                table.decorate(ws)
            written.append(sheet)
    if not written:
        wb.create_sheet("无数据")
    save_atomically(wb, path)
    try:
        for sheet in written:
            verify_content(path, sheet)
    except ExcelFileError:
        path.unlink(missing_ok=True)  # a file that does not hold what was exported is not left behind
        raise
    return total


@dataclass
class _Sheet:
    title: str
    headers: list[tuple[str, int]]  # header text, width
    rows: list[list[object]]  # values as written (text cleaned, long text split over columns)


def _fit_cells(
    headers: list[str], widths: list[int], table: ExportTable
) -> tuple[list[tuple[str, int]], list[list[object]]]:
    """Rows with every value as it will be written: text defended for XML and split over continuation
    columns when longer than ``CELL_MAX``; headers gain "（续n）" columns right after the long one."""
    rows = [[_plain(v) for v in r] for r in table.rows]
    spans = [1] * len(headers)
    for row in rows:
        for i, value in enumerate(row[: len(headers)]):
            if isinstance(value, str):
                row[i] = value = _excel_text(value)
                if len(value) > CELL_MAX:
                    spans[i] = max(spans[i], -(-len(value) // CELL_MAX))
    if all(n == 1 for n in spans):
        return list(zip(headers, widths, strict=True)), rows
    out_headers: list[tuple[str, int]] = []
    for header, width, n in zip(headers, widths, spans, strict=True):
        out_headers += [(header, width)] + [(f"{header}（续{k}）", width) for k in range(1, n)]
    out_rows = []
    for row in rows:
        new: list[object] = []
        for i, n in enumerate(spans):
            value = row[i] if i < len(row) else None
            if n == 1:
                new.append(value)
                continue
            text = value if isinstance(value, str) else None
            pieces = [text[k * CELL_MAX : (k + 1) * CELL_MAX] for k in range(n)] if text else [value]
            new += pieces + [None] * (n - len(pieces))
        out_rows.append(new)
    return out_headers, out_rows


def _excel_text(value: str) -> str:
    """Text as Excel stores it: XML-illegal characters removed; a literal ``_x000D_`` escaped as Excel
    does (``_x005F_x000D_``) so readers do not turn it into a control character."""
    value = textclean.for_output(value)
    return _ESCAPE_LIKE.sub(r"_x005F_\1", value) if "_x" in value else value


def _write_sheet(wb: Workbook, sheet: _Sheet) -> Any:
    ws = wb.create_sheet(sheet.title)
    ncols = len(sheet.headers)
    for i, (_header, width) in enumerate(sheet.headers):
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(max(ncols, 1))}{len(sheet.rows) + 1}"
    header = []
    for text, _width in sheet.headers:
        cell = WriteOnlyCell(ws, text)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center")
        header.append(cell)
    ws.append(header)
    for row in sheet.rows:
        ws.append([_text_cell(ws, v) if isinstance(v, str) else _number_cell(ws, v) for v in row])
    return ws


def safe_cell(ws: Worksheet, value: object) -> object:
    """Text that Excel could take for a formula is written as a string cell, never as a formula."""
    if isinstance(value, str) and value.startswith(RISKY_START):
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        return cell
    return value


def _number_cell(ws: Worksheet, value: object) -> object:
    """Money arrives as an exact Decimal (yuan): written as a number shown with two decimals."""
    if isinstance(value, Decimal) and value.as_tuple().exponent == -2:
        cell = WriteOnlyCell(ws, value)
        cell.number_format = "0.00"
        return cell
    return value


def _text_cell(ws: Worksheet, value: str) -> object:
    # Already defended by _excel_text; only the formula guard remains.
    return safe_cell(ws, value)


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        # A stored timestamp (naive UTC, or aware) is shown in local time, like on screen.
        return localtime.to_local(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def _sheet_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, "-")
    title = textclean.for_output(title).replace("\n", " ")
    return title[:SHEET_TITLE_MAX] or "Sheet1"


def save_atomically(wb: Workbook, path: Path) -> None:
    """Save ``wb`` to ``path`` through a temporary file in the same folder (fsync, rename). Raises
    ``ExcelFileError`` with a Chinese message (no permission, file open in Excel, disk full, …); the
    temporary file is always removed and ``path`` is untouched on failure."""
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
        raise ExcelFileError(disk_message(path, exc)) from exc
    except Exception as exc:  # openpyxl/lxml wrap a failed write (e.g. a full disk) in their own errors
        cause = _os_error(exc)
        if cause is None:
            raise
        raise ExcelFileError(disk_message(path, cause)) from exc
    finally:
        tmp.unlink(missing_ok=True)
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def _os_error(exc: BaseException) -> OSError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def disk_message(path: Path, exc: OSError) -> str:
    """A clerk's message for a failed file write (disk full gets its own advice)."""
    return write_failed(path, exc)


def verify(path: Path, sheet: str, headers: list[str], rows: int) -> None:
    """Re-open what was written: the header and the row count must be there (templates)."""
    data = _read_back(path, sheet)
    got = [str(v) for v in data[0]] if data else []
    if got[: len(headers)] != headers or len(data) != rows + 1:
        raise ExcelFileError(f"写入后校验失败：{path} 的内容与导出的数据不一致，请重试。")


def _read_back(path: Path, sheet: str) -> list[list[object]]:
    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            return [list(r) for r in rows]
        finally:
            wb.close()
    except Exception as exc:
        raise ExcelFileError(f"写入后校验失败，{path} 无法重新打开：{exc}") from exc


def verify_content(path: Path, sheet: _Sheet) -> None:
    """Re-open what was written and compare every cell with what was meant (headers included)."""
    data = _read_back(path, sheet.title)
    expected: list[list[object]] = [[h for h, _w in sheet.headers], *sheet.rows]
    while expected and len(expected) > 1 and all(v in (None, "") for v in expected[-1]):
        expected.pop()  # readers drop trailing empty rows
    if len(data) != len(expected):
        raise ExcelFileError(
            f"写入后校验失败：{path} 的工作表“{sheet.title}”应有 {len(expected) - 1} 行数据，"
            f"读回 {len(data) - 1} 行，请重试。"
        )
    for r, (want_row, got_row) in enumerate(zip(expected, data, strict=True)):
        for c, want in enumerate(want_row):
            got = got_row[c] if c < len(got_row) else None
            if not _same(want, got):
                raise ExcelFileError(
                    f"写入后校验失败：{path} 的工作表“{sheet.title}”第 {r + 1} 行 {get_column_letter(c + 1)} 列"
                    "读回的内容与导出的数据不同，请重试。"
                )


def _same(want: object, got: object) -> bool:
    if want is None or want == "":
        return got in (None, "")
    if isinstance(want, str):
        return isinstance(got, str) and got.replace("\r\n", "\n") == _UNESCAPE.sub(
            lambda m: chr(int(m[1], 16)), want
        ).replace("\r\n", "\n")
    if isinstance(want, datetime):
        return isinstance(got, datetime) and abs((got - want).total_seconds()) < 1
    if isinstance(want, date):
        return (isinstance(got, datetime) and got.date() == want and got.time() == datetime.min.time()) or (
            not isinstance(got, datetime) and got == want
        )
    if isinstance(want, int | float | Decimal):
        if not isinstance(got, int | float) or isinstance(got, bool):
            return False
        return abs(float(got) - float(want)) <= 1e-9 * max(1.0, abs(float(want)))  # Excel keeps 15 digits
    return str(want) == str(got)


_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
