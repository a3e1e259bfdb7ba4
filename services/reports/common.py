"""What every report shares: reading a month, the branches in scope and the bounds of a period."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Branch, Township
from services import org
from services.errors import ValidationError

if TYPE_CHECKING:
    from services.handbook.engine import CheckResult
    from services.handbook.pack import Pack
    from services.handbook.period import Period

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
        raise ValidationError(field, f"无法识别的月份“{text}”（请用 2026-12 的格式）。")
    return Month(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class Scope:
    """The branches a report covers: every township of the database, one township (``branch`` None) or
    one branch and those below it.

    In a scope of several townships (a county database) branch codes and names repeat, so ``code`` and
    ``name`` qualify them with the township (``T01/B101``, ``城关镇 一村党支部``)."""

    township_name: str
    branch: Branch | None
    branches: list[Branch]  # in tree order (township code, sort_order, code)
    townships: dict[str, Township] = field(default_factory=dict)  # id → township of every branch
    whole: bool = False  # every township of the database

    @property
    def ids(self) -> list[str]:
        return [b.id for b in self.branches]

    @property
    def several(self) -> bool:
        return len({b.township_id for b in self.branches}) > 1

    def code(self, b: Branch) -> str:
        """The branch's code, township-qualified (``T01/B101``, as ``--branch`` reads it) when several."""
        return f"{self.townships[b.township_id].code}/{b.code}" if self.several else b.code

    def name(self, b: Branch) -> str:
        """The branch's name, preceded by its township's when the scope holds several."""
        return f"{self.townships[b.township_id].name} {b.name}" if self.several else b.name

    def title(self) -> str:
        return self.branch.name if self.branch is not None else self.township_name


def scope(session: Session, branch_code: str | None, township_code: str | None = None) -> Scope:
    """Branches a report covers: ``branch_code`` (bare or ``T01/B101``; with ``township_code``, the branch of
    that township) and those below it; else the township ``township_code``; else every township of the
    database (a county database: all of them, titled with the county's name).

    Raises NotFound (from services.org) for an unknown branch or township code, ValidationError("branch")
    for a bare code several townships use, and ValidationError("township") when the database holds no
    township yet."""
    live = list(session.scalars(select(Township).where(Township.deleted.is_(False)).order_by(Township.code)))
    if not live:
        raise ValidationError("township", "数据库中还没有乡镇，请先建立乡镇和支部。")
    if branch_code:
        code = branch_code if not township_code or "/" in branch_code else f"{township_code}/{branch_code}"
        branch = org.branch_by_code(session, code)
        ids = set(org.descendant_branch_ids(session, branch.id))
        chosen = [t for t in live if t.id == branch.township_id]
    elif township_code:
        branch = None
        chosen = [org.township_by_code(session, township_code)]
        ids = set(org.descendant_branch_ids(session, chosen[0].id))
    else:
        branch = None
        chosen = live
        ids = {i for t in live for i in org.descendant_branch_ids(session, t.id)}
    rank = {t.id: i for i, t in enumerate(live)}
    rows = sorted(
        session.scalars(select(Branch).where(Branch.id.in_(ids), Branch.deleted.is_(False))).all(),
        key=lambda b: (rank.get(b.township_id, 0), b.sort_order, b.code),
    )
    if len(chosen) == 1:
        title = chosen[0].name
    else:
        counties = {t.county.strip() for t in chosen}
        county = counties.pop() if len(counties) == 1 else ""
        title = f"{county or '全部乡镇'}（{len(chosen)}个乡镇）"
    return Scope(title, branch, rows, {t.id: t for t in live}, branch is None and not township_code)


def scoped_check(session: Session, pack: Pack, period: Period, where: Scope, as_of: date) -> CheckResult:
    """The handbook check of ``period`` over exactly the scope's branches (a ``--township`` scope too)."""
    from services.handbook.engine import evaluate

    return evaluate(session, pack, period, branch_ids=None if where.whole else where.ids, as_of=as_of)


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
                f"{month.label()}太远，最多可查到 {limit.label()}（今天是 {today.isoformat()}）。",
            )
        raise ValidationError(
            field, f"{month.label()}还没有到（今天是 {today.isoformat()}），不能统计将来的月份。"
        )
    start = earliest_record(session, scope_) if past else None
    if start is not None and month.last < start:
        raise ValidationError(
            field,
            f"{month.label()}早于{scope_.title()}建立的时间（{start.isoformat()}），这个月没有可统计的记录。",
        )
