"""The preview of an import (what each row would do, every problem) and the outcome of applying it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from services.excel.errors import Problem

# The imports a clerk can run from the GUI's 文件 menu: kind → its name in the menus and dialog.
IMPORT_KINDS = {"roster": "党员花名册", "meetings": "会议记录"}

ACTION_LABELS = {"create": "新增", "update": "更新", "unchanged": "无变化", "error": "有错误"}


@dataclass(frozen=True)
class Change:
    field: str  # Chinese column name
    old: str
    new: str


class RowCells(Mapping[str, str]):
    """One row's cells as text (column key → text), read from the preview's columns — one list of
    texts per column — instead of a dict per row: building ten thousand dicts of fifteen cells took
    longer than checking them. Read-only, like every preview."""

    __slots__ = ("_columns", "_index")

    def __init__(self, columns: Mapping[str, list[str]], index: int) -> None:
        self._columns = columns
        self._index = index

    def __getitem__(self, key: str) -> str:
        return self._columns[key][self._index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __repr__(self) -> str:
        return repr(dict(self))


@dataclass(slots=True)  # slots: a preview holds a plan per row, ten thousand and more
class RowPlan:
    row: int  # Excel row number
    action: str  # create | update | unchanged | error
    cells: Mapping[str, str]  # column key → the text the clerk typed (for the preview table)
    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    target_id: str | None = None  # the existing record an update applies to
    payload: Any = None  # the service input (MemberInput, MeetingInput) when the row is valid
    notices: list[Problem] = field(default_factory=list)  # not errors: what entry cleaning changed


@dataclass
class ImportPlan:
    kind: str  # "roster" | "meetings"
    file: str
    sheet: str
    header_row: int  # Excel row number of the header
    columns: list[tuple[str, str, str]]  # (key, header as written, column letter), in file order
    rows: list[RowPlan]
    problems: list[Problem]  # every problem, in sheet/row order, including those of no single row
    new_groups: list[str] = field(default_factory=list)  # roster: party groups created on import
    sheet_notices: list[Problem] = field(default_factory=list)  # hidden rows/sheets, filters

    @property
    def notices(self) -> list[Problem]:
        """What the clerk should know but that blocks nothing: characters removed or replaced on entry
        (control characters, zero-width spaces, name dots), hidden rows and sheets."""
        return [*self.sheet_notices, *(n for r in self.rows for n in r.notices)]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        parts = [f"共 {len(self.rows)} 行"]
        parts += [f"{ACTION_LABELS[a]} {self.count(a)}" for a in ("create", "update", "unchanged", "error")]
        text = "，".join(parts)
        if self.new_groups:
            text += "；将新建党小组：" + "、".join(self.new_groups)
        text += f"；发现 {len(self.problems)} 处问题" if self.problems else "；没有发现问题"
        notices = self.notices
        return text + (f"；另有 {len(notices)} 处提示（如已清理的不可见字符）" if notices else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "counts": {a: self.count(a) for a in ACTION_LABELS},
            "new_groups": list(self.new_groups),
            "problems": [p.as_dict() for p in self.problems],
            "notices": [p.as_dict() for p in self.notices],
            "rows": [
                {
                    "row": r.row,
                    "action": r.action,
                    "cells": dict(r.cells),
                    "changes": [asdict(c) for c in r.changes],
                }
                for r in self.rows
                if r.action != "unchanged"
            ],
        }


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_errors: int = 0  # rows with problems left out (valid-only mode)
    skipped_updates: int = 0  # updates not confirmed
    created_ids: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"新增 {self.created} 条，更新 {self.updated} 条，无变化 {self.unchanged} 条"
        if self.skipped_errors:
            text += f"；跳过有错误的 {self.skipped_errors} 行"
        if self.skipped_updates:
            text += f"；{self.skipped_updates} 条更新未确认，未修改（确认后再导入一次即可应用）"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "created_ids"}
