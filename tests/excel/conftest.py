"""Workbooks built by the tests themselves, in the messy shapes clerks really send."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from services import idcard
from tests.conftest import TODAY, Builder

Rows = Sequence[Sequence[Any]]
ROSTER_HEADER = ["姓名", "公民身份号码", "入党日期", "学历", "党员类别", "联系电话"]


def write_book(
    path: Path,
    rows: Rows,
    *,
    sheet: str = "花名册",
    start_row: int = 1,
    merges: Sequence[str] = (),
    extra_sheets: dict[str, Rows] | None = None,
) -> Path:
    """Cells written at their exact positions, so row numbers in messages are predictable."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for r, row in enumerate(rows, start=start_row):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(r, c, value)
    for ref in merges:
        ws.merge_cells(ref)
    for name, more in (extra_sheets or {}).items():
        other = wb.create_sheet(name)
        for r, row in enumerate(more, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    other.cell(r, c, value)
    wb.save(path)
    return path


def person(seq: int, birth: date = date(1980, 5, 17)) -> str:
    """A valid ID number; odd seq → male."""
    return idcard.make("620421", birth, seq)


@pytest.fixture
def book(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def make(rows: Rows, **kw: Any) -> Path:
        return write_book(tmp_path / f"book{next(counter)}.xlsx", rows, **kw)

    return make


@pytest.fixture
def branch_id(build: Builder) -> str:
    return build.branch("B01", "一村党支部").id


@pytest.fixture
def today() -> date:
    return TODAY
