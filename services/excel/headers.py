"""Column layouts and header-row detection: clerks' sheets name the same column many ways."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.excel.errors import ExcelFileError, Problem, column_letter

# How far down a sheet the header may be (title rows, notes, blank lines above it).
HEADER_SCAN_ROWS = 30

_DECORATION = re.compile(r"\(必填\)|\(选填\)|\(可选\)|\([^)]*格式[^)]*\)|[*※★\s:]")


@dataclass(frozen=True)
class Column:
    """One column of an import/export layout."""

    key: str
    header: str
    synonyms: tuple[str, ...] = ()
    kind: str = "text"  # text | name | id | phone | date | enum | bool | people | branch
    enum: str = ""  # models.enums LABELS table for kind "enum"
    required: bool = False
    note: str = ""
    width: int = 12
    in_template: bool = True  # False: read when a file has it (所在支部), not offered in the template

    def names(self) -> tuple[str, ...]:
        return (self.header, *self.synonyms)


@dataclass(frozen=True)
class Layout:
    """The columns an importer understands, in template order."""

    name: str  # e.g. "党员花名册"
    columns: tuple[Column, ...]
    _lookup: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    _by_key: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key.update((c.key, c) for c in self.columns)
        for col in self.columns:
            for name in col.names():
                self._lookup[normalize_header(name)] = col.key

    def key_for(self, header: object) -> str | None:
        return self._lookup.get(normalize_header(header))

    def column(self, key: str) -> Column:
        return self._by_key[key]


def normalize_header(text: object) -> str:
    """'入党 日期（必填）*' and '入党日期' are the same column."""
    s = unicodedata.normalize("NFKC", str(text or ""))  # （）：＊ and the ideographic space
    return _DECORATION.sub("", s).lower()


@dataclass(frozen=True)
class HeaderMatch:
    row_index: int  # 0-based row of the header in the sheet
    keys: dict[int, str]  # 0-based column index → column key
    headers: dict[str, str]  # column key → header text as written
    letters: dict[str, str]  # column key → Excel column letter


def find_header(sheet: str, rows: Sequence[Sequence[object]], layout: Layout) -> HeaderMatch:
    """The first row (within the first rows) that names at least two known columns."""
    best: tuple[int, dict[int, str]] | None = None
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        keys = {c: key for c, cell in enumerate(row) if (key := layout.key_for(cell)) is not None}
        if len(set(keys.values())) >= 2:
            best = (r, keys)
            break
    required = [c for c in layout.columns if c.required]
    if best is None:
        wanted = "、".join(f"“{c.header}”" for c in required)
        raise ExcelFileError(
            f"工作表“{sheet}”前 {HEADER_SCAN_ROWS} 行里找不到表头（至少要有 {wanted} 这样的列名）。"
            "请在数据上方加一行列名，或使用导入模板。"
        )
    r, keys = best
    seen: dict[str, int] = {}
    for c, key in sorted(keys.items()):
        if key in seen:
            col = layout.column(key)
            raise ExcelFileError(
                f"工作表“{sheet}”第 {r + 1} 行：{column_letter(seen[key])} 列和 {column_letter(c)} 列"
                f"都是“{col.header}”，请删除或改名其中一列。"
            )
        seen[key] = c
    missing = [c.header for c in required if c.key not in seen]
    if missing:
        raise ExcelFileError(
            f"工作表“{sheet}”第 {r + 1} 行的表头缺少必填列：{'、'.join(missing)}。请补上这些列后再导入。"
        )
    row = rows[r]
    return HeaderMatch(
        row_index=r,
        keys=keys,
        headers={key: str(row[c]).strip() for c, key in keys.items()},
        letters={key: column_letter(c) for c, key in keys.items()},
    )


def header_problem(sheet: str, match: HeaderMatch, row: int, key: str, value: str, message: str) -> Problem:
    """A problem in data row ``row`` (Excel numbering) under column ``key``."""
    return Problem(sheet, row, match.letters.get(key, ""), match.headers.get(key, ""), value, message)
