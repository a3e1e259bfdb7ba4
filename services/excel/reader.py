"""Reading workbooks fast (python-calamine) and refusing files that are not what they claim to be.

calamine gives cached cell values only; formulas and the sheet's XML path are found by a byte scan of
the sheet part inside the zip, which is far cheaper than loading the workbook with openpyxl.
"""

from __future__ import annotations

import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from posixpath import join, normpath

import python_calamine

from services.excel.errors import ExcelFileError

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)(\d+)"')
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (Excel's leap-year bug accounted for)

Cell = object


@dataclass
class SheetData:
    """One worksheet: every row from the top (absolute positions), merged ranges and formula cells."""

    name: str
    rows: list[list[Cell]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)  # 0-based
    formulas: set[tuple[int, int]] = field(default_factory=set)  # 0-based (row, col)
    hidden_rows: set[int] = field(default_factory=set)  # 0-based rows hidden or filtered out in Excel
    hidden: bool = False  # the sheet itself is hidden


def sniff(path: Path) -> None:
    """Refuse what is not an .xlsx workbook, saying what the file really is and what to do."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            if head.startswith(_OLE_MAGIC):
                blob = head + fh.read()
    except OSError as exc:
        raise ExcelFileError(f"无法读取文件 {path.name}：{exc.strerror or exc}。") from exc
    if not head:
        raise ExcelFileError(f"文件 {path.name} 是空的（0 字节），请重新保存后再导入。")
    if head.startswith(_OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in blob:
            raise ExcelFileError(
                f"文件 {path.name} 设置了打开密码，程序无法读取。请在 Excel 中打开它，"
                "在“文件 → 信息 → 保护工作簿 → 用密码进行加密”中清除密码并保存，然后再导入。"
            )
        # Only a file named .xlsx (or otherwise) was renamed; a genuine .xls is simply the old format.
        renamed = "" if path.suffix.lower() == ".xls" else f"（扩展名虽是“{path.suffix or '无'}”）"
        raise ExcelFileError(
            f"文件 {path.name} 是旧版 Excel 97-2003 格式（.xls）{renamed}，程序只读取新版 .xlsx 工作簿。"
            "请在 Excel 或 WPS 中打开它，“文件 → 另存为”，保存类型选“Excel 工作簿（*.xlsx）”，再导入新文件。"
        )
    if not head.startswith(_ZIP_MAGIC):
        text_like = all(b >= 0x09 for b in head) or head.startswith(b"\xef\xbb\xbf")
        if text_like:
            raise ExcelFileError(
                f"文件 {path.name} 是文本或 CSV 文件，不是 Excel 工作簿。请在 Excel 或 WPS 中打开，"
                "“另存为”Excel 工作簿（*.xlsx）后再导入。"
            )
        raise ExcelFileError(f"文件 {path.name} 不是 Excel 工作簿（.xlsx），可能已损坏或是其他类型的文件。")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ExcelFileError(f"文件 {path.name} 已损坏，无法作为 Excel 工作簿打开（{exc}）。") from exc
    if "xl/workbook.xml" not in names:
        save_as = "请在 Excel 或 WPS 中打开，“另存为”Excel 工作簿（*.xlsx）后再导入。"
        if "xl/workbook.bin" in names:
            raise ExcelFileError(f"文件 {path.name} 是 Excel 二进制工作簿（.xlsb）。{save_as}")
        if "content.xml" in names and "mimetype" in names:
            raise ExcelFileError(
                f"文件 {path.name} 是 WPS/LibreOffice 的 OpenDocument 表格（.ods）。{save_as}"
            )
        other = "Word 文档" if "word/document.xml" in names else "其他类型的压缩文件"
        raise ExcelFileError(f"文件 {path.name} 是{other}，不是 Excel 工作簿（.xlsx）。")


def open_workbook(path: Path) -> python_calamine.CalamineWorkbook:
    sniff(path)
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every malformed part
        raise ExcelFileError(f"文件 {path.name} 无法读取，可能已损坏：{exc}") from exc


def sheet_names(workbook: python_calamine.CalamineWorkbook) -> list[str]:
    """Worksheets, visible ones first: hidden sheets often hold lookup lists, not the data."""
    sheets = [m for m in workbook.sheets_metadata if str(m.typ).endswith("WorkSheet")]
    return [m.name for m in sorted(sheets, key=lambda m: not str(m.visible).endswith("Visible"))]


def read_sheet(path: Path, workbook: python_calamine.CalamineWorkbook, name: str) -> SheetData:
    """One worksheet's cells (python-calamine), merged ranges, formula cells and hidden rows. The
    byte scan for formulas and hidden rows (``_scan_sheet``: inflating the sheet's XML once more)
    runs in a second thread while calamine parses the sheet, which releases the GIL."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sheet-scan") as pool:
        scan = pool.submit(_scan_sheet, path, name)
        try:
            sheet = workbook.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            merged = [tuple(map(tuple, r)) for r in (sheet.merged_cell_ranges or [])]
            hidden = any(
                m.name == name and not str(m.visible).endswith("Visible") for m in workbook.sheets_metadata
            )
        except Exception as exc:
            raise ExcelFileError(f"工作表“{name}”无法读取，文件可能已损坏：{exc}") from exc
        formulas, hidden_rows = scan.result()
    return SheetData(
        name=name,
        rows=rows,  # type: ignore[arg-type]
        merged=merged,  # type: ignore[arg-type]
        formulas=formulas,
        hidden_rows=hidden_rows,
        hidden=hidden,
    )


def _sheet_part(zf: zipfile.ZipFile, name: str) -> str | None:
    """Path of a worksheet's XML inside the package, via workbook.xml and its relationships."""
    workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    for tag in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        attrs = dict(re.findall(r'([\w:]+)="([^"]*)"', tag.group(0)))
        if _unescape(attrs.get("name", "")) != name:
            continue
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), "")
        for rel in re.finditer(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
            rattrs = dict(re.findall(r'([\w:]+)="([^"]*)"', rel.group(0)))
            if rattrs.get("Id") == rid:
                target = rattrs.get("Target", "")
                return target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
    return None


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
    ).replace("&amp;", "&")


def _scan_sheet(path: Path, name: str) -> tuple[set[tuple[int, int]], set[int]]:
    """Formula cells (0-based row, col) and hidden rows (0-based; rows an AutoFilter filtered out are
    hidden rows too) of the named sheet, by a byte scan of its XML."""
    try:
        with zipfile.ZipFile(path) as zf:
            part = _sheet_part(zf, name)
            if part is None:
                return set(), set()
            data = zf.read(part)
    except (KeyError, zipfile.BadZipFile, OSError):
        return set(), set()
    hidden = {int(m[1]) - 1 for m in _HIDDEN_ROW.finditer(data)} if b"hidden=" in data else set()
    return _formulas(data), hidden


_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b(?=[^>]*\bhidden="(?:1|true)")[^>]*?\br="(\d+)"')


def _formulas(data: bytes) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    if not _may_hold_formulas(data):  # the usual case: no formula element at all, no regex pass
        return out
    for m in _FORMULA.finditer(data):
        start = max(data.rfind(b"<c ", 0, m.start()), data.rfind(b":c ", 0, m.start()))
        ref = _CELL_REF.match(data, data.rfind(b"<", 0, start + 1)) if start >= 0 else None
        if ref:
            out.add((int(ref.group(2)) - 1, _column_index(ref.group(1).decode())))
    return out


def _may_hold_formulas(data: bytes) -> bool:
    """Whether a sheet's XML may hold a formula element (``<f>``, ``<x:f>``). A sheet's markup rarely
    has the letter f (shared strings live in their own part), so its few occurrences are looked at
    one by one (``find`` runs at memory speed, where searching for the two bytes "<f" compares at
    every "<"); a sheet full of f (inline English text) gets the plain search."""
    at = data.find(b"f")
    looked = 0
    while at > 0:
        if data[at - 1] in b"<:":
            return True
        looked += 1
        if looked > 2000:
            return b"<f" in data or b":f" in data
        at = data.find(b"f", at + 1)
    return at == 0


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


# --- cell values -------------------------------------------------------------------------------


_CONTROL_ESCAPE = re.compile(r"_x(00[01][0-9A-Fa-f])_")


def cell_text(value: Cell) -> str:
    """A cell as text, trimmed: numbers without a trailing '.0'. Text is kept as typed — full-width
    punctuation stays (``：`` in 备注); identifying columns are normalised by ``services.textclean``.
    An OOXML escape of a control character left in the text (``_x000B_``, a Word line break) is
    decoded, so the cleaning on entry sees — and reports — the character itself."""
    if type(value) is str:  # the common case first: most cells are plain text
        if "_x" in value:
            value = _CONTROL_ESCAPE.sub(lambda m: chr(int(m[1], 16)), value)
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e11:
            return str(int(value))
        # What Excel's General format shows for long numbers, e.g. 6.21027E+17.
        if abs(value) >= 1e11:
            mantissa, exponent = f"{value:.5E}".split("E")
            return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"
        return f"{value:g}"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value).strip()


def serial_to_date(serial: float) -> date | None:
    """Excel's day number (1900 date system) → date; None when out of Excel's range."""
    if not 1 <= serial < 2958466:
        return None
    return _EXCEL_EPOCH + timedelta(days=int(serial))
