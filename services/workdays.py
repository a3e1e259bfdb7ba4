"""Working days (工作日) by China's official holiday calendar.

The calendar is the State Council General Office's yearly notice on public holidays
(《国务院办公厅关于XXXX年部分节假日安排的通知》): the holidays, and the weekend days made working days
(调休上班). It comes from the maintained ``chinese_calendar`` package, which carries those notices as data;
the years it covers are ``covered_years()`` (version 1.11.0: 2004–2026; a newer release adds the next
year once the notice is published, usually in November).

Outside the covered years the holidays are not known. Then a span is counted Monday–Friday and the
count is marked ``known=False`` together with an upper bound (every weekend day could be a 调休 working
day), so a rule can refuse to raise an alarm it cannot be sure of: never a false alarm beyond coverage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import chinese_calendar


@dataclass(frozen=True)
class WorkingDays:
    """Working days from ``start`` to ``end`` inclusive.

    ``count``: by the official calendar where every year of the span is covered, else Monday–Friday.
    ``known``: every year of the span is covered by the calendar. ``at_most``: an upper bound of the true
    count (equal to ``count`` when known; the span's calendar days otherwise). ``missing_years``: the
    years of the span the calendar does not cover (empty when known)."""

    count: int
    known: bool
    at_most: int
    missing_years: tuple[int, ...] = ()

    def describe(self) -> str:
        """Chinese text for a clerk: "5 个工作日", or the Monday–Friday count and the uncovered years."""
        if self.known:
            return f"{self.count} 个工作日"
        years = "、".join(str(y) for y in self.missing_years)
        return f"按周一至周五计 {self.count} 个工作日（{years} 年的法定节假日安排未收录，请人工核对）"


@cache
def covered_years() -> tuple[int, int]:
    """First and last year (inclusive) whose holiday notice the installed calendar carries."""
    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    return years[0], years[-1]


@cache
def _workday(day: date) -> bool:
    """``chinese_calendar.is_workday`` once per date (a county's check counts the same days for
    thousands of 发展党员 files; the package validates the date on every call)."""
    return bool(chinese_calendar.is_workday(day))


def is_covered(year: int) -> bool:
    """Whether the official holidays of ``year`` are known."""
    first, last = covered_years()
    return first <= year <= last


def working_days(start: date, end: date) -> WorkingDays:
    """Count working days from ``start`` to ``end`` inclusive (local dates; 0 when ``end`` < ``start``).

    Source: the State Council's yearly 节假日安排 notices (through ``chinese_calendar``); weekends that a
    notice makes working days count, holidays on weekdays do not."""
    if end < start:
        return WorkingDays(0, True, 0)
    missing = tuple(y for y in range(start.year, end.year + 1) if not is_covered(y))
    count = at_most = 0
    day = start
    one = timedelta(days=1)
    while day <= end:
        if day.year in missing:
            count += day.weekday() < 5
            at_most += 1  # any weekend day of an unknown year could be a 调休 working day
        else:
            work = _workday(day)
            count += work
            at_most += work
        day += one
    if not missing:
        return WorkingDays(count, True, count)
    return WorkingDays(count, False, at_most, missing)
