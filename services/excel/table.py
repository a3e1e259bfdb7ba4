"""Finding the table in a workbook: which sheet, where the header is, which rows are data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from services.excel.errors import ExcelFileError, Problem, column_letter
from services.excel.headers import HeaderMatch, Layout, find_header
from services.excel.layouts import MAX_ROWS
from services.excel.reader import Cell, SheetData, open_workbook, read_sheet, sheet_names


@dataclass
class Table:
    sheet: SheetData
    match: HeaderMatch
    data_rows: list[int]  # 0-based indexes of non-empty rows below the header
    problems: list[Problem] = field(default_factory=list)  # structural: merged cells, formulas
    bad_rows: set[int] = field(default_factory=set)  # Excel row numbers with structural problems
    covered: set[tuple[int, str]] = field(default_factory=set)  # (Excel row, key) already reported
    notices: list[Problem] = field(default_factory=list)  # hidden rows included or skipped

    def cells(self, index: int) -> dict[str, Cell]:
        row = self.sheet.rows[index]
        return {key: row[c] if c < len(row) else "" for c, key in self.match.keys.items()}

    def __iter__(self) -> Iterator[tuple[int, dict[str, Cell]]]:
        for index in self.data_rows:
            yield index + 1, self.cells(index)


class _NoData(ExcelFileError):
    """A header without rows below it: another sheet may still hold the data."""


class _AllHidden(ExcelFileError):
    """A table whose every row is hidden (or on a hidden sheet): says more than any other failure."""


# Footer lines clerks put under a table ("合计 60 人", "填表人：…"): not data, when alone on their row.
_FOOTER = ("合计", "总计", "小计", "共计", "填表", "制表", "审核", "注：", "注:", "说明")


_EMPTY = ("", None)


def _blank(row: list[Cell], cols: list[int]) -> bool:
    filled = [v for c in cols if (v := row[c] if c < len(row) else "") not in ("", None)]
    if not filled:
        return True
    return len(filled) == 1 and isinstance(filled[0], str) and filled[0].strip().startswith(_FOOTER)


def locate(
    path: Path,
    layout: Layout,
    sheet: str | None = None,
    *,
    must_find: bool = True,
    exclude: tuple[str, ...] = (),
    hidden_rows: str | None = None,
) -> Table | None:
    """The first sheet (or the named one) whose header names the layout's columns.

    Rows the clerk cannot see in Excel (hidden, filtered out by an AutoFilter, or on a hidden sheet)
    are never imported silently: ``hidden_rows`` "include" imports them, "exclude" skips them, both
    with a notice; None (the default) skips them and reports a problem that asks which is meant."""
    workbook = open_workbook(path)
    try:
        names = sheet_names(workbook)
        if sheet is not None:
            if sheet not in names:
                raise ExcelFileError(f"文件 {path.name} 里没有名为“{sheet}”的工作表。")
            names = [sheet]
        names = [n for n in names if n not in exclude]
        first_error: ExcelFileError | None = None
        hidden_error: ExcelFileError | None = None
        for name in names:
            data = read_sheet(path, workbook, name)
            if not any(any(v not in ("", None) for v in r) for r in data.rows):
                continue
            try:
                return _table(data, find_header(name, data.rows, layout), hidden_rows)
            except _AllHidden as exc:
                hidden_error = exc
            except _NoData as exc:
                first_error = exc  # a header-only sheet explains more than a header-less one
            except ExcelFileError as exc:
                first_error = first_error or exc
    finally:
        workbook.close()
    if not must_find:
        return None
    if hidden_error is not None:
        raise hidden_error
    if first_error is not None:
        raise first_error
    raise ExcelFileError(f"文件 {path.name} 的工作表都是空的，没有可导入的数据。")


HIDDEN_CHOICES = {"include": "导入", "exclude": "跳过"}


def _rows_text(rows: list[int]) -> str:
    shown = "、".join(str(r + 1) for r in rows[:12])
    return f"第 {shown} 行" + (f"等 {len(rows)} 行" if len(rows) > 12 else "")


def _hidden(
    data: SheetData, rows: list[int], mode: str | None
) -> tuple[list[int], list[Problem], list[Problem]]:
    """(rows to read, problems, notices) for the rows the clerk cannot see."""
    unseen = rows if data.hidden else [r for r in rows if r in data.hidden_rows]
    if not unseen:
        return rows, [], []
    what = (
        f"工作表“{data.name}”是隐藏的工作表"
        if data.hidden
        else f"{_rows_text(unseen)}在 Excel 中被隐藏或被筛选掉了"
    )
    if mode == "include":
        return (
            rows,
            [],
            [Problem(data.name, 0, "", "", "", f"{what}，按您的选择一并导入（{len(unseen)} 行）。")],
        )
    kept = [r for r in rows if r not in set(unseen)]
    if mode == "exclude":
        return kept, [], [Problem(data.name, 0, "", "", "", f"{what}，按您的选择跳过（{len(unseen)} 行）。")]
    ask = Problem(
        data.name,
        0,
        "",
        "",
        "",
        f"{what}，共 {len(unseen)} 行看不到的数据（常见于按支部筛选过的全镇名单）。请确认是否导入："
        "在预览中选择“隐藏的行：导入/跳过”，命令行加 --hidden-rows include 或 --hidden-rows exclude。",
    )
    return kept, [ask], []


def _table(data: SheetData, match: HeaderMatch, hidden_rows: str | None = None) -> Table:
    cols = sorted(match.keys)
    first, second = (cols[0], cols[1]) if len(cols) > 1 else (-1, -1)  # header: two columns at least
    rows = [
        i
        for i in range(match.row_index + 1, len(data.rows))
        # two cells filled: data (the usual row, decided without looking at the others)
        if (
            second > 0
            and len(row := data.rows[i]) > second
            and row[first] not in _EMPTY
            and row[second] not in _EMPTY
        )
        or not _blank(data.rows[i], cols)
    ]
    rows, hidden_problems, hidden_notices = _hidden(data, rows, hidden_rows)
    if not rows and hidden_problems:
        raise _AllHidden(hidden_problems[0].message)
    if not rows:
        raise _NoData(
            f"工作表“{data.name}”第 {match.row_index + 1} 行是表头，但下面没有数据。请填好数据后再导入。"
        )
    if len(rows) > MAX_ROWS:
        raise ExcelFileError(
            f"工作表“{data.name}”有 {len(rows):,} 行数据，超过一次导入的上限 {MAX_ROWS:,} 行。"
            "请按支部拆分成几个文件分批导入。"
        )
    table = Table(data, match, rows, problems=hidden_problems, notices=hidden_notices)
    mapped = set(cols)
    for (r1, c1), (r2, c2) in data.merged:
        if r2 <= match.row_index or not any(c in mapped for c in range(c1, c2 + 1)):
            continue  # title or header merges, or merges in columns we do not read
        if r1 == r2 and c1 == c2:
            continue
        ref = f"{column_letter(c1)}{r1 + 1}:{column_letter(c2)}{r2 + 1}"
        key = next((match.keys[c] for c in range(c1, c2 + 1) if c in match.keys), "")
        for r in range(max(r1, match.row_index + 1), r2 + 1):
            table.problems.append(
                Problem(
                    data.name,
                    r + 1,
                    column_letter(c1),
                    match.headers.get(key, ""),
                    ref,
                    f"{ref} 是合并单元格，合并后只有左上角有值。请取消合并，并在每一行填上各自的内容。",
                )
            )
            table.bad_rows.add(r + 1)
            table.covered.update((r + 1, match.keys[c]) for c in range(c1, c2 + 1) if c in match.keys)
    for r, c in sorted(data.formulas):
        if r > match.row_index and c in mapped:
            row = data.rows[r] if r < len(data.rows) else []
            shown = str(row[c]) if c < len(row) else ""
            table.problems.append(
                Problem(
                    data.name,
                    r + 1,
                    column_letter(c),
                    match.headers.get(match.keys[c], ""),
                    shown,
                    "这个单元格是公式，导入只接受实际的值。请复制该列，再用“选择性粘贴 → 数值”粘贴回去。",
                )
            )
            table.bad_rows.add(r + 1)
            table.covered.add((r + 1, match.keys[c]))
    return table
