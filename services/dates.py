"""Dates: lenient parsing of what clerks type (2020-07-01, 2020.7.1, 2020/07/01, 2020年7月1日, 20200701),
and the calendar arithmetic every rule uses (months, years, age), in one place."""

from __future__ import annotations

import calendar
import re
from datetime import date

_FULLWIDTH = str.maketrans("０１２３４５６７８９．／－", "0123456789./-")
_SEPARATED = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(text: str) -> date | None:
    """The date the text means, or None when it is not a date."""
    if type(text) is str and len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        try:  # the common 2020-07-01 first: parsed in C (an Excel import parses tens of thousands)
            return date.fromisoformat(text)
        except ValueError:
            pass  # e.g. 2020-7-1x: the lenient patterns below decide
    s = str(text).strip().translate(_FULLWIDTH)
    match = _SEPARATED.match(s) or _COMPACT.match(s)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later (or earlier), clamped to the month's end: 1-31 + 1 month = 2-28/29."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    """Same day ``years`` later (or earlier); 29 February becomes 28 February in a common year."""
    return add_months(day, 12 * years)


def age_on(birth: date, day: date) -> int:
    """Full years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
