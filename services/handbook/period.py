"""Check periods: a month (2026-07), a quarter (2026Q3) or a year (2026), and their windows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from services.handbook.errors import PeriodError

Unit = Literal["month", "quarter", "year"]
Kind = Literal["month", "quarter", "year", "span"]
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_SPAN = re.compile(r"^(\d{4})\s*[-–—~至]\s*(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})\s*[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_ORDER: dict[str, int] = {"month": 0, "quarter": 1, "year": 2, "span": 3}


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # inclusive
    unit: Kind  # "span": several whole years (2017-2026), for history checks

    @property
    def label(self) -> str:
        if self.unit == "span":
            return f"{self.start.year}-{self.end.year}"
        if self.unit == "year":
            return f"{self.start.year}"
        if self.unit == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def title(self) -> str:
        """Chinese wording for messages: 2026年7月 / 2026年第3季度 / 2026年."""
        if self.unit == "span":
            return f"{self.start.year}—{self.end.year}年"
        if self.unit == "year":
            return f"{self.start.year}年"
        if self.unit == "quarter":
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        return f"{self.start.year}年{self.start.month}月"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def windows(self, unit: Unit) -> list[Period]:
        """The calendar windows of ``unit`` inside this period. A window longer than the period is not
        inside it, so a month's check does not judge quarterly or yearly rules (their window is not over)."""
        if _ORDER[unit] > _ORDER[self.unit]:
            return []
        if unit == self.unit:
            return [self]
        out: list[Period] = []
        day = self.start
        while day <= self.end:
            window = containing(day, unit)
            out.append(window)
            day = window.end + timedelta(days=1)
        return out

    def months(self) -> list[Period]:
        return self.windows("month")


def _month_end(year: int, month: int) -> date:
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return nxt - timedelta(days=1)


def month(year: int, m: int) -> Period:
    return Period(date(year, m, 1), _month_end(year, m), "month")


def quarter(year: int, q: int) -> Period:
    return Period(date(year, 3 * q - 2, 1), _month_end(year, 3 * q), "quarter")


def year(y: int) -> Period:
    return Period(date(y, 1, 1), date(y, 12, 31), "year")


def containing(day: date, unit: Unit) -> Period:
    if unit == "year":
        return year(day.year)
    if unit == "quarter":
        return quarter(day.year, (day.month - 1) // 3 + 1)
    return month(day.year, day.month)


def parse_period(text: str) -> Period:
    """2026-07 → July 2026, 2026Q3 → third quarter, 2026 → the year, 2017-2026 → ten whole years."""
    s = text.strip()
    if m := _SPAN.match(s):
        first, last = int(m[1]), int(m[2])
        if first < last:
            return Period(date(first, 1, 1), date(last, 12, 31), "span")
    elif m := _MONTH.match(s):
        if 1 <= int(m[2]) <= 12:
            return month(int(m[1]), int(m[2]))
    elif m := _QUARTER.match(s):
        return quarter(int(m[1]), int(m[2]))
    elif m := _YEAR.match(s):
        return year(int(m[1]))
    raise PeriodError(f"无法识别的期间：{text}（请写成 2026-07、2026Q3、2026 或 2017-2026）。")
