"""What can go wrong with a workbook, in words a clerk can act on."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from services.errors import LedgerError


class ExcelFileError(LedgerError):
    """The file cannot be used at all (not a workbook, encrypted, no header …): exit code 2."""


class ImportRefused(LedgerError):
    """The import was not applied (problems found, all-or-nothing); nothing was written."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file, located the way the clerk sees it in Excel."""

    sheet: str
    row: int  # Excel row number (1-based); 0 when the problem concerns the whole sheet
    column: str  # Excel column letter ("C"), "" when not tied to a column
    header: str  # the column's header text as written in the file
    value: str
    message: str

    def where(self) -> str:
        place = f"工作表“{self.sheet}”"
        if self.row:
            place += f" 第 {self.row} 行"
        if self.column:
            place += f" {self.column} 列"
            if self.header:
                place += f"（{self.header}）"
        return place

    def describe(self) -> str:
        shown = f"：“{self.value}”" if self.value else ""
        return f"{self.where()}{shown} —— {self.message}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def column_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA): ``openpyxl.utils.get_column_letter(index + 1)``
    for the READ path's messages, which must not import openpyxl (0.3–0.7 s; the preview reads with
    python-calamine alone). Writers use openpyxl's own; a test pins the two together."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
