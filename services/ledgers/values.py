"""Value types shared by every ledger: ``Money`` (integer fen) and ``Month`` ("YYYY-MM").

Money is stored and computed as integer fen (分) and shown as yuan with two decimals, exactly (never a
binary float). A month is stored as ``YYYY-MM`` text; clerks type ``2026-7``, ``2026年7月`` or
``2026/07`` and all become ``2026-07`` on entry, so one month never becomes two rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.errors import ValidationError

_FULLWIDTH = str.maketrans("０１２３４５６７８９．－／", "0123456789.-/")
_MONTH = re.compile(r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*月?\s*$")


@dataclass(frozen=True, order=True)
class Money:
    """An amount of money in integer fen (1 yuan = 100 fen)."""

    fen: int

    @classmethod
    def parse(cls, text: str, field: str = "amount") -> Money:
        """``'12.5'`` / ``'12.50'`` / ``'１２元'`` → Money(1250), exactly.

        Raises ValidationError(field) for anything else, including more than two decimals.
        """
        s = str(text).strip().translate(_FULLWIDTH).replace("元", "").replace(",", "").strip()
        whole, _, frac = s.partition(".")
        if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
            raise ValidationError(field, f"金额格式不正确：{text}（例如 12.50）。")
        return cls(int(whole) * 100 + int((frac + "00")[:2]))

    @property
    def yuan(self) -> str:
        """``'12.50'``; negative amounts keep their sign (``'-0.05'``)."""
        sign = "-" if self.fen < 0 else ""
        fen = abs(self.fen)
        return f"{sign}{fen // 100}.{fen % 100:02d}"

    @property
    def decimal(self) -> Decimal:
        """Exact yuan as a Decimal with two places (what an Excel number cell receives)."""
        return (Decimal(self.fen) / 100).quantize(Decimal("0.01"))

    def __str__(self) -> str:
        return self.yuan


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month; ``str(Month)`` is the stored ``YYYY-MM`` form."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 1900 <= self.year <= 9999):
            raise ValidationError("month", f"月份不存在：{self.year}-{self.month}。")

    @classmethod
    def parse(cls, text: str, field: str = "month") -> Month:
        """``'2026-7'`` / ``'2026-07'`` / ``'2026年7月'`` / ``'2026/07'`` → Month(2026, 7).

        Raises ValidationError(field) naming the expected form.
        """
        m = _MONTH.match(str(text).translate(_FULLWIDTH))
        if m is None or not 1 <= int(m.group(2)) <= 12:
            raise ValidationError(field, f"月份格式应为 2026-07：{text}。")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def shift(self, months: int) -> Month:
        y, m = divmod(self.month - 1 + months, 12)
        return Month(self.year + y, m + 1)

    @property
    def index(self) -> int:
        """Months since year 0: consecutive months differ by one."""
        return self.year * 12 + self.month - 1

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def normalise_month(text: str, field: str = "month") -> str:
    """The stored form of a month a clerk typed: ``'2026-7'`` → ``'2026-07'``. Raises ValidationError."""
    return str(Month.parse(text, field))
