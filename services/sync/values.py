"""What a received value must be before the county stores it: the same rules as entry.

Every rule is derived from the models, never from a list of tables kept here:
- a real calendar date / time (not only its shape) within what the app's date arithmetic can
  handle (``EARLIEST``–``latest_date()``: years from 1900 to a hundred years after the county's
  clock; an entry form refuses the rest, and ``date.max`` would crash every later "one year after");
- a string no longer than the column, with no control character, NUL or lone surrogate (what a
  database or an output file cannot hold; the free-text columns were already cleaned as entry
  cleans them, so this only refuses what no cleaning could make safe: ids, user names, hashes);
- an integer within its SQL type (``Integer`` 32 bits, ``BigInteger`` 64 bits) and never negative
  (amounts in fen, minutes, days, sizes, years, positions, change numbers: nothing the app counts
  is below zero); a ``year`` column a year the date rules allow;
- no NULL where the column is required;
- a code from its enum where the column holds one: ``enum_columns()`` reads the ledgers' choice
  columns and every model column's ``info={"enum": …}`` (``services.ledgers.schema.CODED``); ``""``
  is allowed where the column's default is ``""`` (not recorded). A column of comma-separated codes
  declares ``info={"enum_list": …}`` (a meeting's other kinds). An unknown code names the sender's
  app version (a newer township build) the county must upgrade to;
- a month column (``YYYY-MM``, ``services.ledgers.schema.column_kind`` MONTH) is a real month; an
  attachment's ``sha256`` is 64 lowercase hex digits (it names a file in the store).

A package the receiver cannot represent is refused naming the table, the record and the value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, String, Table, Time

from models import enums

EARLIEST = datetime(1900, 1, 1)
YEARS_AHEAD = 100  # dates up to this many years after the county's clock (terms, deadlines, …)
INT_LIMITS = {"Integer": (1 << 31) - 1, "BigInteger": (1 << 63) - 1}
# C0 controls but tab and line feed, DEL, lone surrogates: what neither PostgreSQL text, UTF-8 nor
# an xlsx/PDF cell can hold. Cleaned free text never contains them.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+-]{0,31}")


def words(name: str, label: str) -> str:
    """``党员（member）``: what a clerk calls it, with the code a technician looks up."""
    return name if label == name else f"{label}（{name}）"


def table_words(table: str) -> str:
    """A table as a refusal names it, in Chinese with its code (``党员（member）``)."""
    from services.audit_labels import table_name_label

    return words(table, table_name_label(table))


def column_words(column: str) -> str:
    """A column as a refusal names it, in Chinese with its code (``入党日期（joined_on）``)."""
    from services.audit_labels import field_label

    return words(column, field_label(column))


class BadValue(Exception):
    """One value the receiver refuses: ``index`` of the row, ``column``, a Chinese ``reason``."""

    def __init__(self, index: int, column: str, reason: str) -> None:
        super().__init__(reason)
        self.index, self.column, self.reason = index, column, reason


@cache
def enum_columns() -> dict[tuple[str, str], frozenset[str]]:
    """(table, column) → the codes it may hold, derived from the models and the ledger declarations
    (``services.ledgers.schema.CODED``, ``models.enums.LABELS``); ``""`` where the column's default
    is ``""``."""
    import models
    from services.ledgers import schema

    out: dict[tuple[str, str], frozenset[str]] = {}
    for (table_name, column), enum in schema.CODED.items():
        table = models.Base.metadata.tables.get(table_name)
        if table is None or column not in table.c:
            continue
        codes = set(enums.LABELS[enum])
        default = table.c[column].default
        if default is not None and getattr(default, "arg", None) == "":
            codes.add("")
        out[(table_name, column)] = frozenset(codes)
    return out


@cache
def list_columns() -> dict[tuple[str, str], frozenset[str]]:
    """(table, column) → codes of a column holding comma-separated codes (``info={"enum_list": …}``)."""
    import models

    return {
        (table.name, col.name): frozenset(enums.LABELS[col.info["enum_list"]])
        for table in models.Base.metadata.tables.values()
        for col in table.columns
        if "enum_list" in col.info
    }


def latest_date(today: date | None = None) -> date:
    """The latest date a received value may carry: ``YEARS_AHEAD`` years after ``today`` (county)."""
    today = today or datetime.now().date()
    return today.replace(year=today.year + YEARS_AHEAD, day=min(today.day, 28))


_DAY = (  # a real calendar day, years 0001-9999 (what date.fromisoformat accepts in this form)
    "(?!0000)(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)"
)
_CLOCK = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"  # a real time of day to the second
# Canonical text (tables.DATETIME_RE / DATE_RE / TIME_RE) that is also a real date or time: a column
# whose distinct values all match, joined by newlines, needs no value parsed one by one.
_REAL = {
    datetime.fromisoformat: re.compile(f"(?:{_DAY} {_CLOCK}\\.[0-9]{{6}}\n)*"),
    date.fromisoformat: re.compile(f"(?:{_DAY}\n)*"),
    time.fromisoformat: re.compile(f"(?:{_CLOCK}\\.[0-9]{{6}}\n)*"),
}


def _parse_all(values: Sequence[Any], parse: Any, what: str, column: str) -> set[str]:
    """Each distinct value checked once (dates repeat a lot): all of them at once by one regex pass
    over their canonical text (``_REAL``); otherwise parsed, a timestamp as its date and its second.
    Returns the distinct dates (``YYYY-MM-DD``) for the range check (times: their distinct values)."""
    distinct = set(values)
    distinct.discard(None)
    distinct.discard("")
    real = _REAL.get(parse)
    if real is not None and set(map(type, distinct)) <= {str} and real.fullmatch("\n".join(distinct) + "\n"):
        return {v[:10] for v in distinct} if parse != time.fromisoformat else distinct
    present = list(filter(None, values))
    try:
        if (
            parse == datetime.fromisoformat
        ):  # (a new bound method each time: ==, not is) canonical "YYYY-MM-DD HH:MM:SS.ffffff" (checked before)
            days = {v[:10] for v in present}
            for d in days:
                date.fromisoformat(d)
            for t in {v[11:19] for v in present}:
                time.fromisoformat(t)
        else:
            days = set(present)
            for v in days:
                parse(v)
        return days
    except (TypeError, ValueError):
        pass
    for i, v in enumerate(values):
        if v is None:
            continue
        try:
            parse(v)
        except (TypeError, ValueError):
            raise BadValue(i, column, f"不是真实存在的{what}") from None
    return set()  # not reached: some value failed above


def _date_range(values: Sequence[Any], days: set[str], column: str, today: date | None) -> None:
    """Dates and timestamps (canonical text, real; ``days`` their distinct dates) between
    ``EARLIEST`` and ``latest_date``."""
    if not days:
        return
    low, high = EARLIEST.date().isoformat(), latest_date(today).isoformat()
    lo, hi = min(days), max(days)
    if lo >= low and hi <= high:
        return
    early = lo < low
    i = next(i for i, v in enumerate(values) if v is not None and v[:10] == (lo if early else hi))
    reason = f"早于 {low[:4]} 年" if early else f"晚于 {high}（县里电脑当前日期之后 {YEARS_AHEAD} 年）"
    raise BadValue(i, column, f"{reason}，不是合理的日期")


def _int_range(col_type: Any, values: Sequence[Any], column: str) -> None:
    limit = INT_LIMITS["BigInteger" if isinstance(col_type, BigInteger) else "Integer"]
    present = [v for v in values if v is not None]
    if not present or (min(present) >= 0 and max(present) <= limit):
        return
    for i, v in enumerate(values):
        if v is not None and v < 0:
            raise BadValue(i, column, "是负数，本机不保存负数（金额、天数、分钟数、序号都不能小于 0）")
        if v is not None and v > limit:
            raise BadValue(i, column, f"超过该字段能保存的最大整数 {limit}")


def _year_range(values: Sequence[Any], column: str, today: date | None) -> None:
    low, high = EARLIEST.year, latest_date(today).year
    for i, v in enumerate(values):
        if v is not None and not low <= v <= high:
            raise BadValue(i, column, f"不是合理的年度（应在 {low}–{high} 之间）")


def _codes(
    values: Sequence[Any], column: str, codes: frozenset[str], app_version: str, *, listed: bool
) -> None:
    distinct = set(values) - {None}
    if listed:
        found = {part for v in distinct for part in v.split(",") if part} if distinct else set()
    else:
        found = distinct
    if found <= codes:
        return
    unknown = sorted(found - codes)[0]
    if not _VERSION.fullmatch(app_version or ""):
        app_version = ""  # a version string no build writes: not repeated in the message
    for i, v in enumerate(values):
        if v is not None and (unknown in v.split(",") if listed else v == unknown):
            raise BadValue(
                i,
                column,
                f"代码 {unknown[:40]!r} 不是本机软件认识的取值（发送方软件版本 {app_version or '未知'}）。"
                f"请先把县级软件升级到不低于 {app_version or '发送方'} 的版本再导入",
            )


def check_column(
    table: Table, column: str, values: Sequence[Any], *, app_version: str, today: date | None = None
) -> None:
    """Raise ``BadValue`` for the first value of ``column`` an entry form would not accept.

    ``values`` are already of the column's JSON type and canonical text form (the receiver's
    ``_check_values``); this adds what the form checks: real dates in a sane range, lengths, safe
    characters, integer ranges, required, codes. ``today``: the county's date (local clock if None).
    """
    col = table.c[column]
    if not col.nullable and not col.primary_key and None in values:
        raise BadValue(list(values).index(None), column, "是必填项，但为空")
    if isinstance(col.type, DateTime):
        _date_range(values, _parse_all(values, datetime.fromisoformat, "日期时间", column), column, today)
    elif isinstance(col.type, Date):
        _date_range(values, _parse_all(values, date.fromisoformat, "日期", column), column, today)
    elif isinstance(col.type, Time):
        _parse_all(values, time.fromisoformat, "时间", column)
    elif isinstance(col.type, Integer) and not isinstance(col.type, Boolean):
        _int_range(col.type, values, column)
        if column == "year":  # a calendar year (评议年度, 归档年度): what the date rules allow
            _year_range(values, column, today)
    elif isinstance(col.type, String):
        _check_text(table, col, values)
    key = (table.name, column)
    if (codes := enum_columns().get(key)) is not None:
        _codes(values, column, codes, app_version, listed=False)
    elif (codes := list_columns().get(key)) is not None:
        _codes(values, column, codes, app_version, listed=True)


def _check_text(table: Table, col: Any, values: Sequence[Any]) -> None:
    column = col.name
    present = values if None not in values else [v for v in values if v is not None]  # str (typed)
    limit = col.type.length
    if limit and max(map(len, present), default=0) > limit:
        for i, v in enumerate(values):
            if isinstance(v, str) and len(v) > limit:
                raise BadValue(i, column, f"长度 {len(v)} 超过上限 {limit} 个字符")
    if present and _uncleaned(column) and not _printable("".join(present)):
        for i, v in enumerate(values):
            if isinstance(v, str) and (hit := _UNSAFE.search(v)):
                raise BadValue(
                    i, column, f"含有无法保存的控制字符或残缺的 Unicode 字符（U+{ord(hit.group()):04X}）"
                )
    if _is_month(table.name, column):
        for i, v in enumerate(values):
            if isinstance(v, str) and not _MONTH.fullmatch(v):
                raise BadValue(i, column, "不是真实存在的月份（应为 YYYY-MM）")
    if table.name == "attachment" and column == "sha256":
        for i, v in enumerate(values):
            if isinstance(v, str) and not _SHA256.fullmatch(v):
                raise BadValue(i, column, "不是附件内容的 SHA-256（64 位小写十六进制）")


@cache
def _uncleaned(column: str) -> bool:
    """Whether the receiver left this column's text as sent (ids, user names, hashes): the others
    were cleaned as entry cleans them (``services.textclean``), which removes every character
    ``_UNSAFE`` matches, so scanning them again would only cost time."""
    from services import textclean

    return textclean.policy_for(column) is None


def _printable(text: str) -> bool:
    """No character ``_UNSAFE`` refuses: one C pass (``isprintable``) for the usual text, the regular
    expression only when something else unprintable (a line break, a full-width space) is there."""
    if text.isprintable():
        return True
    return _UNSAFE.search(text) is None


@cache
def _is_month(table: str, column: str) -> bool:
    import models
    from services.ledgers import kinds, schema

    return schema.column_kind(table, models.Base.metadata.tables[table].c[column]) is kinds.MONTH
