"""Turning one cell into a typed value, or into a message saying what is wrong with it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from models.enums import ALIASES, LABELS, code_for
from services import idcard, textclean
from services.dates import parse_date
from services.errors import ValidationError
from services.excel.reader import Cell, cell_text, serial_to_date


class CellError(Exception):
    """A cell that cannot be read; ``message`` is for the clerk."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "流动", "流动党员"}
_FALSE = {"", "否", "n", "no", "false", "0", "×", "不是"}
_SPACES = re.compile(r"\s+")
_YEAR_MONTH = re.compile(r"^\d{4}\s*[-./年]\s*(\d{1,2})\s*月?$")


def text(value: Cell, key: str = "") -> str:
    """A text cell cleaned the way the column ``key`` is stored (``textclean.policy_for``: identifying
    columns such as phone are NFKC-normalised, free text keeps its full-width punctuation)."""
    return textclean.clean(cell_text(value), textclean.policy_for(key) or textclean.FREE)


def name(value: Cell) -> str:
    """Chinese names carry no spaces; stray ones (also full-width) come from copy and paste.
    Invisible characters go and middle-dot variants become ``·`` (``textclean.clean_key``)."""
    return textclean.clean_key(cell_text(value), person=True)


def folded(value: Cell) -> str:
    """A cell as text with full-width letters, digits and signs folded (NFKC): for codes, choices,
    dates and numbers, never for free text."""
    return textclean.clean_key(cell_text(value))


def cleaning_note(value: Cell, key: str) -> str:
    """What entry cleaning removes or replaces in this cell, for the import preview ("" if nothing)."""
    raw = cell_text(value)
    policy = textclean.policy_for(key) or textclean.FREE
    cleaned = textclean.clean(raw, policy)
    if cleaned == raw:
        return ""
    if policy == textclean.FREE:
        return textclean.explain(raw, cleaned)
    # folding full-width digits or collapsing spaces is expected there: only invisible/control chars
    # and the name dot are worth a word
    invisible = textclean.clean_free(raw) != raw or textclean.has_format_characters(raw)
    dots = policy == textclean.PERSON and cleaned.count(textclean.MIDDLE_DOT) > raw.count(
        textclean.MIDDLE_DOT
    )
    return textclean.explain(raw, cleaned) if invisible or dots else ""


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


def dates(cells: Iterable[Cell]) -> list[date | CellError | None]:
    """``date_value`` of many cells (a column's distinct cells), in their order: the date (None when
    blank), or the ``CellError`` it raises. Text in the ISO form 2020-07-01 (what most cells hold) is parsed
    by ``date.fromisoformat`` directly, as ``date_value`` would through ``dates.parse_date``'s own
    first step; everything else goes through ``date_value``."""
    cells = list(cells)
    if _iso_shaped(cells):  # the whole column written 2020-07-01: parsed in C
        try:
            return list(map(date.fromisoformat, cells))  # type: ignore[arg-type]
        except ValueError:
            pass  # an impossible day somewhere (2020-02-30): cell by cell, to say which
    out: list[date | CellError | None] = []
    add, iso = out.append, date.fromisoformat
    for cell in cells:
        if isinstance(cell, str) and len(cell) == 10 and cell[4] == "-" and cell[7] == "-" and cell.isascii():
            try:
                add(iso(cell))
                continue
            except ValueError:
                pass  # e.g. 2020-02-30 or 2020-7-1x: date_value says what is wrong
        try:
            add(date_value(cell))
        except CellError as exc:
            add(exc)
    return out


def _iso_shaped(cells: list[Cell]) -> bool:
    """Whether every cell is text of the shape 2020-07-01 (four digits, dash, two, dash, two)."""
    if not cells or set(map(type, cells)) != {str} or set(map(len, cells)) != {10}:  # type: ignore[arg-type]
        return False
    joined = "".join(cells)  # type: ignore[arg-type]
    digits = joined.replace("-", "")
    return (
        joined.isascii()
        and set(joined[4::10]) == {"-"}
        and set(joined[7::10]) == {"-"}
        and len(digits) == 8 * len(cells)
        and digits.isdigit()
    )


def year_month(value: Cell) -> tuple[int, int] | None:
    """2005.07, 2005年7月, 2005-7 (also the number 1980.05) as (year, month); None otherwise."""
    if isinstance(value, float) and 1900 <= value < 2101:
        year, frac = divmod(round(value * 100), 100)
        return (int(year), int(frac)) if 1 <= frac <= 12 else None
    match = _YEAR_MONTH.match(folded(value))
    if match and 1 <= int(match[1]) <= 12:
        return int(folded(value)[:4]), int(match[1])
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
    raw = folded(value)
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", raw.replace(" ", "")):
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


_ID_LAST = frozenset("0123456789Xx")


def id_numbers(cells: Iterable[Cell], today: date) -> list[tuple[str, date, str] | str]:
    """``id_number`` of many cells (a column's distinct cells), in their order: (number, birth date,
    gender "male" / "female") of a valid number, or the message ``id_number`` raises for it.

    The usual cell — 18 ASCII characters, 17 digits and a check character — is checked here in bulk
    (GB 11643-1999 check character by ``idcard.check_char``'s base-13 sum, birth dates of the same
    day parsed once); everything else, and every number that fails, goes through ``id_number``,
    which says what is wrong."""
    cells = list(cells)
    earliest = date(1900, 1, 1)
    check = idcard.CHECK_CHARS
    whole = _id_column(cells, today)  # the whole column at once, when every number is good
    if whole is not None:
        return whole  # type: ignore[return-value]
    out: list[tuple[str, date, str] | str] = []
    add = out.append
    births: dict[str, date | None] = {}
    for cell in cells:
        if (
            isinstance(cell, str)
            and len(cell) == 18
            and cell.isascii()
            and cell[:17].isdigit()
            and cell[17] in _ID_LAST
        ):
            number = cell.upper()
            ymd = number[6:14]
            if ymd in births:
                birth = births[ymd]
            else:
                try:
                    birth = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
                except ValueError:
                    birth = None
                birth = births[ymd] = birth if birth is not None and earliest <= birth <= today else None
            if birth is not None and check[2 * int(number[:17], 13) % 11] == number[17]:
                add((number, birth, "male" if number[16] in "13579" else "female"))
                continue
        try:
            info = id_number(cell, today)
        except CellError as exc:
            add(exc.message)
        else:
            add((info.number, info.birth_date, info.gender))
    return out


_GENDER_OF_DIGIT = {d: "male" if int(d) % 2 else "female" for d in "0123456789"}


def _id_column(cells: list[Cell], today: date) -> list[tuple[str, date, str]] | None:
    """(number, birth date, gender) of every cell when each is a good number of 18 ASCII characters
    (17 digits, check character right, birth date possible): the shape, the check characters and the
    birth dates tested a column at a time; None when any is not (``id_numbers`` then goes cell by
    cell, to say what is wrong where)."""
    if not cells or set(map(type, cells)) != {str} or set(map(len, cells)) != {18}:  # type: ignore[arg-type]
        return None
    texts: list[str] = cells  # type: ignore[assignment]
    lasts = "".join([t[17] for t in texts])
    if not set(lasts) <= _ID_LAST:
        return None
    numbers = [t.upper() for t in texts] if "x" in lasts else texts
    heads = [n[:17] for n in numbers]
    joined = "".join(heads)
    if not (joined.isascii() and joined.isdigit()):
        return None
    checks = idcard.CHECK_CHARS
    if "".join([checks[2 * int(h, 13) % 11] for h in heads]) != lasts.upper():
        return None
    try:  # the birth dates, YYYYMMDD, parsed in C
        births = list(map(date.fromisoformat, [n[6:14] for n in numbers]))
    except ValueError:
        return None
    if min(births) < date(1900, 1, 1) or max(births) > today:
        return None
    genders = [_GENDER_OF_DIGIT[n[16]] for n in numbers]
    return list(zip(numbers, births, genders, strict=True))


def identifying(cells: Iterable[Cell], kind: str) -> list[str | CellError]:
    """``name`` (``kind`` "name") or ``phone`` (``kind`` "phone") of many cells (a column's distinct
    cells), in their order: the cleaned text, or the ``CellError`` it raises. Text of ASCII letters and digits
    or of CJK ideographs only (most names and phone numbers) is what cleaning leaves as it is
    (``textclean.is_plain_key``) and is taken as it is; everything else goes through the function."""
    cells = list(cells)
    if cells and set(map(type, cells)) == {str} and textclean.is_plain_key("".join(cells)):  # type: ignore[arg-type]
        return list(cells)  # type: ignore[arg-type]  # every cell plain (a part of plain text is plain)
    convert = name if kind == "name" else phone
    plain = textclean.is_plain_key
    out: list[str | CellError] = []
    add = out.append
    for cell in cells:
        if isinstance(cell, str) and plain(cell):
            add(cell)
            continue
        try:
            add(convert(cell))
        except CellError as exc:
            add(exc)
    return out


def phone(value: Cell) -> str:
    """A phone number, recognising Excel's damage when the column is not text: a number cell loses a
    landline's leading 0 (0931-8123456 typed as 09318123456 becomes 9318123456). An 11-digit number
    starting with 1 (a mobile) or a 7–8 digit local number is taken as is; any other number is refused
    with the fix."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = str(int(Decimal(f"{value:.15g}"))) if float(value).is_integer() else cell_text(value)
        mobile = len(digits) == 11 and digits.startswith("1")
        if mobile or len(digits) in (7, 8):
            return digits
        raise CellError(
            f"联系电话被 Excel 存成了数字（{digits}），开头的 0 可能已丢失（如 0{digits}）。"
            "请把该列设置为“文本”格式（选中整列 → 设置单元格格式 → 文本），重新输入这些号码后再导入。"
        )
    return textclean.clean_key(cell_text(value))


def branch_matches(value: Cell, name: str, code: str) -> bool:
    """Whether a 所在支部 cell names this branch: its code or its name, also written with the
    township before it or without 党 (城关镇一村党支部, 一村支部); spaces and width do not matter."""
    said = "".join(folded(value).split())
    full = "".join(textclean.clean_key(name).split())
    if not said or said in (full, textclean.clean_key(code)):
        return True
    short = full.replace("党", "")
    return said.endswith(full) or said.replace("党", "").endswith(short)


def other_branch(said: str, target: str) -> str:
    """The message for a row whose 所在支部 names another branch than the import's target."""
    return (
        f"这一行属于“{said}”，不是导入目标“{target}”。"
        "请只导入本支部的行（在全镇名单中删去其他支部的行），或改为导入到该支部。"
    )


# Label, code or alias → code, per enum table (one dict lookup per cell).
_LOOKUP: dict[str, dict[str, str]] = {
    name: {**{c: c for c in table}, **{lab: c for c, lab in table.items()}, **ALIASES.get(name, {})}
    for name, table in LABELS.items()
}


def enum_code(value: Cell, enum: str) -> str:
    s = "".join(folded(value).split())
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
    s = folded(value).lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise CellError("请填“是”或“否”。")
