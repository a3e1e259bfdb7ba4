"""Dates: lenient parsing of what clerks type (2020-07-01, 2020.7.1, 2020/07/01, 2020年7月1日, 20200701),
and the calendar arithmetic every rule uses (months, years, age), in one place."""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement

_SEPARATED = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(text: str) -> date | None:
    """The date the text means, or None when it is not a date."""
    if type(text) is str and len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        try:  # the common 2020-07-01 first: parsed in C (an Excel import parses tens of thousands)
            return date.fromisoformat(text)
        except ValueError:
            pass  # e.g. 2020-7-1x: the lenient patterns below decide
    s = unicodedata.normalize("NFKC", str(text)).strip()  # full-width digits and ．／－
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


def year_bounds(year: int) -> tuple[date, date]:
    """The half-open range [1 January ``year``, 1 January ``year + 1``) as (first day, next year's first day)."""
    return date(year, 1, 1), date(year + 1, 1, 1)


def in_year(column: Any, year: int) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """SQL conditions "``column`` falls in ``year``" as a half-open date range, for ``.where(*in_year(…))``.

    ``column`` is a Date (or DateTime) column; the result is ``(column >= date(year, 1, 1),
    column < date(year + 1, 1, 1))``. Unlike ``extract("year", column) == year`` (``STRFTIME`` on SQLite,
    ``EXTRACT`` on PostgreSQL) an index on the column can serve the range, and the planner can estimate
    how selective it is. Every year filter in the app goes through this one function.
    """
    first, after = year_bounds(year)
    return column >= first, column < after
