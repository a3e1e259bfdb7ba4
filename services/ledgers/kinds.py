"""Column kinds: one object per kind of value a ledger holds.

Each kind knows how to read a value a clerk typed (form text, a command-line argument, an xlsx cell),
how to show it (screen and print) and what cell to write to Excel. The listing, the form, the CLI, the
Excel export and the printed section all ask the column's kind, so a column behaves the same everywhere.

``parse`` raises ``ValidationError(field, Chinese message)`` so a form shows the error at the field and
the CLI names the argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from models.enums import LABELS
from services.errors import ValidationError
from services.ledgers.values import Money, Month


@dataclass(frozen=True)
class Kind:
    """Plain text. Subclasses override what differs."""

    name: ClassVar[str] = "text"  # what the Qt layer builds: a line edit, date edit, combo box, …
    width: ClassVar[int] = 12  # default width in characters (Excel and print)

    def parse(self, text: Any, field: str) -> Any:
        """The stored value of ``text`` (None when empty). Raises ValidationError(field)."""
        if text is None:
            return None
        s = str(text).strip()
        return s or None

    def display(self, value: Any) -> str:
        """What a clerk reads on the screen and in print."""
        if value is None:
            return ""
        if isinstance(value, datetime | date):
            return value.isoformat()[:10]
        return str(value)

    def cell(self, value: Any) -> object:
        """What an Excel cell receives: real dates and exact numbers, text otherwise."""
        return None if value is None else self.display(value)

    def argparse_type(self) -> Any:
        """The ``type=`` for an argparse argument: the text is parsed later (errors name the field)."""
        return str


@dataclass(frozen=True)
class Text(Kind):
    pass


@dataclass(frozen=True)
class Multiline(Kind):
    name: ClassVar[str] = "multiline"
    width: ClassVar[int] = 30


@dataclass(frozen=True)
class Int(Kind):
    name: ClassVar[str] = "int"
    width: ClassVar[int] = 8

    def parse(self, text: Any, field: str) -> int | None:
        if text is None or str(text).strip() == "":
            return None
        if isinstance(text, int):
            return text
        s = str(text).strip()
        if not s.lstrip("-").isdigit():
            raise ValidationError(field, f"请填写整数：{text}。")
        return int(s)

    def cell(self, value: Any) -> object:
        return value


@dataclass(frozen=True)
class Day(Kind):
    """A calendar date (ISO ``2026-07-01``)."""

    name: ClassVar[str] = "date"
    width: ClassVar[int] = 11

    def parse(self, text: Any, field: str) -> date | None:
        if text is None or text == "":
            return None
        if isinstance(text, datetime):
            return text.date()
        if isinstance(text, date):
            return text
        try:
            return date.fromisoformat(str(text).strip())
        except ValueError:
            raise ValidationError(field, f"日期格式应为 2026-07-01：{text}。") from None

    def cell(self, value: Any) -> object:
        return value


@dataclass(frozen=True)
class MonthKind(Kind):
    """A month stored as ``YYYY-MM``; ``2026-7`` is normalised on entry."""

    name: ClassVar[str] = "month"
    width: ClassVar[int] = 8

    def parse(self, text: Any, field: str) -> str | None:
        if text is None or str(text).strip() == "":
            return None
        return str(Month.parse(str(text), field))


@dataclass(frozen=True)
class MoneyKind(Kind):
    """Integer fen, shown as yuan with two decimals; Excel gets an exact decimal."""

    name: ClassVar[str] = "money"
    width: ClassVar[int] = 10

    def parse(self, text: Any, field: str) -> int | None:
        if text is None or str(text).strip() == "":
            return None
        if isinstance(text, int):
            return text * 100  # an xlsx number cell holds yuan
        if isinstance(text, float | Decimal):
            return Money.parse(f"{Decimal(str(text)):.2f}", field).fen
        return Money.parse(str(text), field).fen

    def display(self, value: Any) -> str:
        return "" if value is None else Money(int(value)).yuan

    def cell(self, value: Any) -> object:
        return None if value is None else Money(int(value)).decimal


@dataclass(frozen=True)
class Hours(Kind):
    """Minutes stored, hours (学时) shown: ``90`` → ``1.5``."""

    name: ClassVar[str] = "hours"
    width: ClassVar[int] = 6

    def parse(self, text: Any, field: str) -> int | None:
        if text is None or str(text).strip() == "":
            return None
        try:
            hours = Decimal(str(text).strip())
        except ArithmeticError:
            raise ValidationError(field, f"学时应为数字，例如 1.5：{text}。") from None
        if hours <= 0:
            raise ValidationError(field, "学时必须大于 0。")
        return int(hours * 60)

    def display(self, value: Any) -> str:
        return "" if value is None else f"{int(value) / 60:g}"

    def cell(self, value: Any) -> object:
        return None if value is None else Decimal(int(value)) / 60


@dataclass(frozen=True)
class Bool(Kind):
    name: ClassVar[str] = "bool"
    width: ClassVar[int] = 6

    def parse(self, text: Any, field: str) -> bool | None:
        if text is None or text == "":
            return None
        if isinstance(text, bool):
            return text
        s = str(text).strip().lower()
        if s in ("是", "yes", "y", "true", "1", "达标"):
            return True
        if s in ("否", "no", "n", "false", "0", "未达标"):
            return False
        raise ValidationError(field, f"请填写“是”或“否”：{text}。")

    def display(self, value: Any) -> str:
        return "" if value is None else ("是" if value else "否")


@dataclass(frozen=True)
class Choice(Kind):
    """A closed set of codes with Chinese labels (an enum of ``models.enums`` or an explicit list).

    The stored value is the English code; a clerk may type the code or the label."""

    name: ClassVar[str] = "choice"
    enum: str = ""  # name of a LABELS table
    options: tuple[tuple[str, str], ...] = ()  # (code, label) when not an enum, or a subset of it

    @property
    def choices(self) -> tuple[tuple[str, str], ...]:
        return self.options or tuple(LABELS[self.enum].items())

    def parse(self, text: Any, field: str) -> str | None:
        if text is None or str(text).strip() == "":
            return None
        s = str(text).strip()
        for code, label in self.choices:
            if s in (code, label):
                return code
        allowed = "、".join(f"{code}={label}" for code, label in self.choices)
        raise ValidationError(field, f"“{s}”不是可选值，可选：{allowed}。")

    def display(self, value: Any) -> str:
        if value is None or value == "":
            return ""
        return dict(self.choices).get(str(value), str(value))


@dataclass(frozen=True)
class MemberRef(Kind):
    """A member chosen from the branch (the id is stored; loaders resolve it to the name)."""

    name: ClassVar[str] = "member"
    width: ClassVar[int] = 8


@dataclass(frozen=True)
class Attachment(Kind):
    """A picture file chosen with 浏览… (stored as an attachment of the row)."""

    name: ClassVar[str] = "image"


@dataclass(frozen=True)
class Computed(Kind):
    """A value the loader works out (a count, a joined list); shown as given, never entered."""

    cell_as_is: bool = field(default=False)

    def cell(self, value: Any) -> object:
        return value if self.cell_as_is else super().cell(value)


TEXT = Text()
MULTILINE = Multiline()
INT = Int()
DATE = Day()
MONTH = MonthKind()
MONEY = MoneyKind()
HOURS = Hours()
BOOL = Bool()
MEMBER = MemberRef()
IMAGE = Attachment()
COUNT = Computed(cell_as_is=True)


def choice(enum: str = "", *options: tuple[str, str]) -> Choice:
    """A choice column of a LABELS enum (``choice("FeeCategory")``) or of explicit (code, label) pairs."""
    return Choice(enum, tuple(options))
