"""Calendar arithmetic shared by the rules, the pipeline and the demo data."""

from __future__ import annotations

from datetime import date

from services.dates import add_months, add_years, age_on


def test_month_end_is_clamped() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 14) == date(2028, 1, 15)


def test_leap_day_anniversary_falls_on_28_february() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), -4) == date(2020, 2, 29)


def test_age_turns_on_the_birthday() -> None:
    assert age_on(date(2008, 7, 1), date(2026, 6, 30)) == 17
    assert age_on(date(2008, 7, 1), date(2026, 7, 1)) == 18
