"""What a received value must be before the county stores it: the same rules as entry.

Per column, derived from the models: a real calendar date / time (not only its shape), a string
no longer than the column, no NULL where the column is required, a code from its enum where the
column holds one (``ENUM_COLUMNS``: the models keep codes in plain String columns). A package the
receiver cannot represent is refused naming the table, the record and the value; an unknown code
names the sender's app version (a newer township build).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, DateTime, String, Table, Time

from models import enums

# table.column -> the enum whose codes it stores (docs/sync-package.md, *Value rules*).
ENUM_COLUMNS: dict[tuple[str, str], type[StrEnum]] = {
    ("branch", "kind"): enums.BranchKind,
    ("branch", "domain"): enums.BranchDomain,
    ("member", "gender"): enums.Gender,
    ("member", "status"): enums.MemberStatus,
    ("member", "state"): enums.MemberState,
    ("member", "discipline"): enums.Discipline,
    ("member", "education"): enums.Education,  # or "" (not recorded)
    ("member", "occupation"): enums.Occupation,  # or "" (not recorded)
    ("committee_seat", "role"): enums.CommitteeRole,
    ("meeting", "type"): enums.MeetingType,
    ("attendance", "status"): enums.AttendanceStatus,
    ("development_record", "stage"): enums.DevelopmentStage,
    ("member_transfer", "direction"): enums.TransferDirection,
    ("fee_due", "category"): enums.FeeCategory,
    ("fund_entry", "direction"): enums.FundDirection,
    ("decision", "procedure"): enums.DecisionProcedure,
    ("decision_step", "step"): enums.DecisionStepCode,
    ("training_session", "kind"): enums.TrainingKind,
    ("venue_check", "item"): enums.VenueItem,
    ("rectification", "status"): enums.RectificationStatus,
}
EMPTY_ALLOWED = frozenset({("member", "education"), ("member", "occupation")})
EARLIEST = datetime(1900, 1, 1)


class BadValue(Exception):
    """One value the receiver refuses: ``index`` of the row, ``column``, a Chinese ``reason``."""

    def __init__(self, index: int, column: str, reason: str) -> None:
        super().__init__(reason)
        self.index, self.column, self.reason = index, column, reason


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


def _parse_all(values: Sequence[Any], parse: Any, what: str, column: str) -> None:
    """Each distinct value checked once (dates repeat a lot): all of them at once by one regex pass
    over their canonical text (``_REAL``); otherwise parsed, a timestamp as its date and its second."""
    distinct = set(values)
    distinct.discard(None)
    distinct.discard("")
    real = _REAL.get(parse)
    if real is not None and set(map(type, distinct)) <= {str} and real.fullmatch("\n".join(distinct) + "\n"):
        return
    present = list(filter(None, values))
    try:
        if parse is datetime.fromisoformat:  # canonical "YYYY-MM-DD HH:MM:SS.ffffff" (checked before)
            for d in {v[:10] for v in present}:
                date.fromisoformat(d)
            for t in {v[11:19] for v in present}:
                time.fromisoformat(t)
        else:
            for v in set(present):
                parse(v)
        return
    except (TypeError, ValueError):
        pass
    for i, v in enumerate(values):
        if v is None:
            continue
        try:
            parse(v)
        except (TypeError, ValueError):
            raise BadValue(i, column, f"不是真实存在的{what}") from None


def check_column(table: Table, column: str, values: Sequence[Any], *, app_version: str) -> None:
    """Raise ``BadValue`` for the first value of ``column`` an entry form would not accept.

    ``values`` are already of the column's JSON type and canonical text form (the receiver's
    ``_check_values``); this adds what the form checks: real dates, lengths, required, codes.
    """
    col = table.c[column]
    if not col.nullable and not col.primary_key and None in values:
        raise BadValue(list(values).index(None), column, "是必填项，但为空")
    if isinstance(col.type, DateTime):
        _parse_all(values, datetime.fromisoformat, "日期时间", column)
    elif isinstance(col.type, Date):
        _parse_all(values, date.fromisoformat, "日期", column)
    elif isinstance(col.type, Time):
        _parse_all(values, time.fromisoformat, "时间", column)
    elif isinstance(col.type, String) and col.type.length:
        limit = col.type.length
        texts = values if None not in values else list(filter(None, values))  # str or None (checked before)
        if max(map(len, texts), default=0) > limit:
            for i, v in enumerate(values):
                if isinstance(v, str) and len(v) > limit:
                    raise BadValue(i, column, f"长度 {len(v)} 超过上限 {limit} 个字符")
    enum = ENUM_COLUMNS.get((table.name, column))
    if enum is not None:
        codes = {e.value for e in enum}
        if (table.name, column) in EMPTY_ALLOWED:
            codes.add("")
        if set(values) - {None} <= codes:
            return
        for i, v in enumerate(values):
            if v is not None and v not in codes:
                raise BadValue(
                    i,
                    column,
                    f"代码 {v!r} 不是本机软件认识的取值（发送方软件版本 {app_version or '未知'}）。"
                    f"请先把县级软件升级到不低于 {app_version or '发送方'} 的版本再导入",
                )
