"""What every report shares: reading a month, the branches in scope and the bounds of a period."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Branch, Township
from services import org
from services.errors import ValidationError

_MONTH = re.compile(r"^\s*(\d{4})\s*[-./年]\s*(\d{1,2})\s*月?\s*$")


@dataclass(frozen=True)
class Month:
    """A calendar month; ``first`` and ``last`` are its first and last day (local dates)."""

    year: int
    month: int

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_month(text: str, field: str = "month") -> Month:
    """``2026-12``, ``2026.12``, ``2026年12月`` → Month.

    Raises ValidationError(field) naming the expected form when the text is not a month."""
    match = _MONTH.match(str(text or "").replace("－", "-"))
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        raise ValidationError(field, f"{field}：无法识别的月份“{text}”（请用 2026-12 的格式）。")
    return Month(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class Scope:
    """The branches a report covers: the whole township (``branch`` None) or one branch and those below it."""

    township_name: str
    branch: Branch | None
    branches: list[Branch]  # in tree order (sort_order, code)

    @property
    def ids(self) -> list[str]:
        return [b.id for b in self.branches]

    def title(self) -> str:
        return self.branch.name if self.branch is not None else self.township_name


def scope(session: Session, branch_code: str | None) -> Scope:
    """Branches a report covers. Raises NotFound (from services.org) for an unknown branch code and
    ValidationError("township") when the database holds no township yet."""
    township = session.scalar(select(Township).where(Township.deleted.is_(False)).order_by(Township.code))
    if township is None:
        raise ValidationError("township", "数据库中还没有乡镇，请先建立乡镇和支部。")
    if branch_code:
        branch = org.branch_by_code(session, branch_code)
        ids = set(org.descendant_branch_ids(session, branch.id))
        township = session.get(Township, branch.township_id) or township
    else:
        branch = None
        ids = set(org.descendant_branch_ids(session, township.id))
    rows = session.scalars(
        select(Branch)
        .where(Branch.id.in_(ids), Branch.deleted.is_(False))
        .order_by(Branch.sort_order, Branch.code)
    ).all()
    return Scope(township.name, branch, list(rows))


def earliest_record(session: Session, scope_: Scope) -> date | None:
    """The first day the township (or branch) is known to have existed: the earliest branch founding date,
    else the date the first branch was entered. None when there are no branches."""
    founded = [b.founded_on for b in scope_.branches if b.founded_on is not None]
    if founded:
        return min(founded)
    created = session.scalar(select(func.min(Branch.created_at)).where(Branch.id.in_(scope_.ids)))
    return created.date() if created is not None else None


def check_month(
    session: Session,
    scope_: Scope,
    month: Month,
    today: date,
    *,
    field: str,
    months_ahead: int = 0,
    future: bool = True,
    past: bool = True,
) -> None:
    """Refuse a month after ``today``'s month (plus ``months_ahead``; when ``future``) or before the township
    existed (when ``past``).

    Raises ValidationError(field) with a Chinese message naming the field."""
    limit = Month(today.year, today.month)
    for _ in range(months_ahead):
        limit = limit.next()
    if future and (month.year, month.month) > (limit.year, limit.month):
        if months_ahead:
            raise ValidationError(
                field,
                f"{field}：{month.label()}太远，最多可查到 {limit.label()}（今天是 {today.isoformat()}）。",
            )
        raise ValidationError(
            field, f"{field}：{month.label()}还没有到（今天是 {today.isoformat()}），不能统计将来的月份。"
        )
    start = earliest_record(session, scope_) if past else None
    if start is not None and month.last < start:
        raise ValidationError(
            field,
            f"{field}：{month.label()}早于{scope_.title()}建立的时间（{start.isoformat()}），这个月没有可统计的记录。",
        )
