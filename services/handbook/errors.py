"""Exceptions of the handbook package; each message names the file, the item and the problem."""

from __future__ import annotations

from services.errors import LedgerError


class PackError(LedgerError):
    """A handbook pack cannot be used. ``problems`` lists every problem found, one line each."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"手册包 {file} 有 {len(problems)} 处问题，未载入：\n{lines}")


class PeriodError(LedgerError):
    """A period the clerk typed is not a month, quarter or year."""
