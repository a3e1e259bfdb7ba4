"""Resident ID numbers (公民身份号码) per GB 11643-1999: parse, validate, derive birth date and gender."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from services.errors import ValidationError

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")
_SPACES = re.compile(r"\s+")
_AS_NUMBER = re.compile(r"\d+(\.\d+)?E\+?\d+|\d{15,18}\.0+")


@dataclass(frozen=True)
class IdInfo:
    number: str
    area: str
    birth_date: date
    gender: str  # "male" / "female"


def check_char(first17: str) -> str:
    """The check character of GB 11643-1999: Σ digit × WEIGHTS mod 11 mapped through CHECK_CHARS.

    The weights are 2^(17-i) mod 11, so the sum is ≡ 2 × (the digits read in base 13, as 13 ≡ 2 mod 11):
    one C-level ``int(…, 13)`` instead of 17 multiplications (an import checks tens of thousands).
    """
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise ValueError(f"17 digits expected: {first17!r}")
    return CHECK_CHARS[2 * int(first17, 13) % 11]


def normalize(raw: str) -> str:
    """Full-width digits (folded by NFKC), lower-case x and stray spaces are what clerks actually type."""
    text = str(raw)
    if text.isascii() and text.isalnum():  # the common case: nothing to fold
        return text.upper()
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).upper()


def parse(raw: str, field: str = "id_number", today: date | None = None) -> IdInfo:
    """Validate an ID number; raise ``ValidationError`` naming what is wrong."""
    number = normalize(raw)
    if not number:
        raise ValidationError(field, "身份证号不能为空。")
    if _AS_NUMBER.fullmatch(number):
        raise ValidationError(
            field,
            f"身份证号“{raw}”被 Excel 当成了数字（科学计数法），后几位已丢失。"
            "请把该列设置为“文本”格式后重新输入。",
        )
    if len(number) != 18:
        raise ValidationError(field, f"身份证号应为 18 位，现在是 {len(number)} 位：{number}。")
    if not _SHAPE.match(number):
        raise ValidationError(field, f"身份证号前 17 位必须是数字，最后一位是数字或 X：{number}。")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(field, f"身份证号中的出生日期 {number[6:14]} 不是有效日期。") from None
    today = today or date.today()
    if birth > today or birth.year < 1900:
        raise ValidationError(field, f"身份证号中的出生日期 {birth.isoformat()} 不合理。")
    expected = check_char(number[:17])
    if number[17] != expected:
        raise ValidationError(
            field, f"身份证号校验位错误：最后一位应为 {expected}，实际是 {number[17]}。请核对号码。"
        )
    gender = "male" if int(number[16]) % 2 == 1 else "female"
    return IdInfo(number=number, area=number[:6], birth_date=birth, gender=gender)


def make(area: str, birth: date, sequence: int) -> str:
    """Build a valid number (demo data and tests). ``sequence`` odd → male, even → female."""
    first17 = f"{area}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_char(first17)


def birth_and_gender(number: str) -> tuple[date, str]:
    """Birth date and gender ("male"/"female") of a number ``parse`` already accepted (no checks; the
    roster import's bulk write, after its preview parsed every number)."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14])), (
        "male" if int(number[16]) % 2 == 1 else "female"
    )
