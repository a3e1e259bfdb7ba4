"""Lenient date parsing for what clerks type: 2020-07-01, 2020.7.1, 2020/07/01, 2020年7月1日, 20200701."""

from __future__ import annotations

import re
from datetime import date

_FULLWIDTH = str.maketrans("０１２３４５６７８９．／－", "0123456789./-")
_SEPARATED = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(text: str) -> date | None:
    """The date the text means, or None when it is not a date."""
    s = str(text).strip().translate(_FULLWIDTH)
    match = _SEPARATED.match(s) or _COMPACT.match(s)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
