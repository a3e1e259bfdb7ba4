"""Turning one cell into a typed value, or into a message saying what is wrong with it."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from models.enums import LABELS, code_for
from services import idcard
from services.dates import parse_date
from services.errors import ValidationError
from services.excel.reader import Cell, cell_text, serial_to_date


class CellError(Exception):
    """A cell that cannot be read; ``message`` is for the clerk."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Words clerks use besides the official labels.
ALIASES: dict[str, dict[str, str]] = {
    "MemberStatus": {"正式": "full", "预备": "probationary"},
    "Discipline": {"": "none", "否": "none", "没有": "none"},
    "Education": {
        "本科": "bachelor",
        "大学": "bachelor",
        "研究生": "master",
        "硕士": "master",
        "博士": "doctor",
        "中技": "vocational",
        "技校": "vocational",
        "职高": "vocational",
        "专科": "college",
        "高职": "college",
    },
    "Gender": {"男性": "male", "女性": "female"},
    "AttendanceStatus": {
        "到": "present",
        "参加": "present",
        "已到": "present",
        "请假": "leave",
        "假": "leave",
        "缺": "absent",
        "未到": "absent",
    },
}
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "流动", "流动党员"}
_FALSE = {"", "否", "n", "no", "false", "0", "×", "不是"}
_SPACES = re.compile(r"\s+")
_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")
_YEAR_MONTH = re.compile(r"^\d{4}\s*[-./年]\s*(\d{1,2})\s*月?$")


def text(value: Cell) -> str:
    return cell_text(value)


def name(value: Cell) -> str:
    """Chinese names carry no spaces; stray ones (also full-width) come from copy and paste."""
    return _SPACES.sub("", cell_text(value))


def date_value(value: Cell) -> date | None:
    """Date cells, Excel day numbers, and text such as 2020-07-01, 2020.7.1, 2020年7月1日."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 19000101 <= value <= 21001231:
            parsed = parse_date(str(int(value)))  # 20200701 typed as a number
            if parsed:
                return parsed
        if 1900 <= value < 2101:  # a day number here would be 1905–1909: it is a year (2005 or 2005.07)
            raise CellError(f"只写了年份或年月（{cell_text(value)}），请写完整日期，如 {int(value)}-07-01。")
        day = serial_to_date(float(value))
        if day is None:
            raise CellError("不是有效的日期。请写成 2020-07-01 的样子，或把单元格设置为日期格式。")
        return day
    s = cell_text(value)
    if not s:
        return None
    parsed = parse_date(s)
    month = _YEAR_MONTH.match(s) if parsed is None else None
    if month:  # 花名册 often keep 入党年月 only; the ledger needs the day
        raise CellError(f"只写到月份（{s}），日期需要具体到日，请补上日，如 {s[:4]}-{int(month[1]):02d}-01。")
    if parsed is None:
        raise CellError("无法识别的日期。请写成 2020-07-01、2020.7.1、2020/07/01 或 2020年7月1日。")
    return parsed


def year_month(value: Cell) -> tuple[int, int] | None:
    """2005.07, 2005年7月, 2005-7 (also the number 1980.05) as (year, month); None otherwise."""
    if isinstance(value, float) and 1900 <= value < 2101:
        year, frac = divmod(round(value * 100), 100)
        return (int(year), int(frac)) if 1 <= frac <= 12 else None
    match = _YEAR_MONTH.match(cell_text(value))
    if match and 1 <= int(match[1]) <= 12:
        return int(cell_text(value)[:4]), int(match[1])
    return None


def id_number(value: Cell, today: date) -> idcard.IdInfo:
    """An ID number, recognising the ways Excel damages them when the column is not text."""
    fix = "请把该列设置为“文本”格式（选中整列 → 设置单元格格式 → 文本），重新输入这些号码后再导入。"
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = str(int(Decimal(f"{value:.15g}")))  # Excel keeps 15 significant digits
        if len(digits) >= 16:
            raise CellError(
                f"身份证号被 Excel 存成了数字（{digits}），Excel 只保留 15 位有效数字，"
                f"最后几位已变成 0，无法恢复。{fix}"
            )
        raise CellError(f"身份证号被 Excel 存成了数字，只有 {len(digits)} 位。{fix}")
    raw = cell_text(value)
    if _SCIENTIFIC.fullmatch(raw.replace(" ", "")):
        raise CellError(f"身份证号显示为科学计数法（{raw}），后几位已丢失。{fix}")
    try:
        return idcard.parse(raw, "id_number", today)
    except ValidationError as exc:
        digits = idcard.normalize(raw)
        if len(digits) == 18 and digits.endswith("000") and digits.isdigit():
            raise CellError(
                f"{exc.message} 号码以 000 结尾，多半是曾被 Excel 当成数字、最后几位被改成了 0。{fix}"
            ) from None
        raise CellError(exc.message) from None


# Label, code or alias → code, per enum table (one dict lookup per cell).
_LOOKUP: dict[str, dict[str, str]] = {
    name: {**{c: c for c in table}, **{lab: c for c, lab in table.items()}, **ALIASES.get(name, {})}
    for name, table in LABELS.items()
}


def enum_code(value: Cell, enum: str) -> str:
    s = "".join(cell_text(value).split())
    code = _LOOKUP[enum].get(s) if s else None
    if code is None and s:
        code = code_for(enum, s)
    if code is None:
        options = "、".join(LABELS[enum].values())
        raise CellError(f"不是可选的值。可选：{options}。")
    return code


def flag(value: Cell) -> bool:
    if isinstance(value, bool):
        return value
    s = cell_text(value).lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise CellError("请填“是”或“否”。")
