"""Time zones in one place: timestamps are stored as naive UTC (``models.base.utcnow``) and shown and
filtered in the computer's local time (Beijing time on a township clerk's PC).

Every screen, CLI line, Excel cell, PDF and sync message that shows a stored timestamp goes through
``show``/``to_local``; every filter by a calendar day goes through ``day_range_utc``. The local zone is
the operating system's (``TZ`` on POSIX), read at each call, so tests can set it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

ZONE_NOTE = "（本地时间）"


def to_local(stored: datetime) -> datetime:
    """A stored naive-UTC timestamp (or an aware one) as naive local time."""
    aware = stored if stored.tzinfo is not None else stored.replace(tzinfo=UTC)
    return aware.astimezone().replace(tzinfo=None)


def to_utc(local: datetime) -> datetime:
    """Naive local time (what a clerk typed) → naive UTC, as stored."""
    aware = local.astimezone() if local.tzinfo is None else local
    return aware.astimezone(UTC).replace(tzinfo=None)


def show(stored: datetime | None, *, seconds: bool = False) -> str:
    """``YYYY-MM-DD HH:MM[:SS]`` in local time; "" for None."""
    if stored is None:
        return ""
    return f"{to_local(stored):%Y-%m-%d %H:%M:%S}" if seconds else f"{to_local(stored):%Y-%m-%d %H:%M}"


def show_iso(text: str, *, seconds: bool = False) -> str:
    """An ISO 8601 UTC string from a sync package or acknowledgement (``…Z`` or naive) in local time;
    the text itself when it is not a timestamp."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return show(parsed, seconds=seconds)


def local_today() -> date:
    """Today's date where the clerk is."""
    return datetime.now().date()


def day_range_utc(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """Stored-UTC bounds [start, end) covering the local calendar days ``first`` … ``last`` (inclusive);
    None where open."""
    start = to_utc(datetime.combine(first, time.min)) if first else None
    end = to_utc(datetime.combine(last + timedelta(days=1), time.min)) if last else None
    return start, end
