"""党内统计年报: tables declared as data (a statistics pack, TOML beside the handbook pack), computed
from the roster as of 31 December, with cross-checks that name the cell and the members behind a failure.

Pack format (see resources/statistics/default.toml and docs/statistics-pack.md):
- ``[[table]]`` with ``kind = "grid"`` (default): ``rows`` and ``columns``, each a list of
  ``{label, field?, values?, not_values?, min?, max?, sum_of?}``; a cell counts the members in the roster
  on 31 December matching its row and its column. ``min``/``max`` are inclusive bands (integers for
  ``age``, dates for ``joined_on``); bands (or value lists) of one field must not overlap.
  ``partition``: fields whose rows must count every member of the first (合计) row exactly once.
  Fields: gender, ethnicity, education, status, branch_domain, flowing, occupation (职业, the 党内统计
  categories of models.enums.Occupation), migrant_worker (农民工), hardship (困难党员), age, joined_on;
  the year's 民主评议 (appraisal: grade or "none"; not_appraised: why not graded) and 教育培训 (trained,
  training_hours in whole 学时, training_kinds — a set, never a partition field).
- ``population`` (what a grid counts; the fields each has are in ``POPULATIONS``): "roster" (members on
  31 December, default), "admitted" (发展党员: members admitted as 预备党员 in the year, facts as on the
  入党日期), "organisations" (党委/党总支/党支部 existing on 31 December: org_kind, branch_domain),
  "party_groups" (党小组 existing then) and "sessions" (教育培训 sessions held in the year: training_kind).
- ``kind = "flow"``: 上年末, ``increase`` and ``decrease`` causes, 本年末; checked
  上年末 + Σ增加 − Σ减少 = 本年末 and each member (or 党组织, population "organisations": causes founded /
  dissolved) that came or went counted under exactly one cause.
The pack is validated with pydantic on load; an unknown field, a wrong type or overlapping bands raise
PackError naming the table and the row.

Roster on a day (the same rule as services.members.members_on, township-wide): not deleted, 入党日期 and
转入本支部日期 on or before the day, not left (转出/死亡/出党) on or before it. Member status on the day:
full when the 转正日期 is on or before it (or, without one, the member is recorded as full).
Members without a birth date or 入党日期 are listed by name as 无法统计, never silently dropped.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch, Member
from models.enums import (
    AppraisalGradeCode,
    BranchDomain,
    BranchKind,
    Education,
    Gender,
    MemberState,
    MemberStatus,
    Occupation,
    TrainingKind,
    TransferDirection,
)
from models.transfer import MemberTransfer
from services.dates import age_on
from services.errors import ValidationError
from services.handbook.errors import PackError
from services.paths import resources_dir
from services.reports.charts import Chart
from services.reports.common import earliest_record, scope
from services.reports.output import Document, Section
from services.reports.progress import Breakdown

if TYPE_CHECKING:
    from services.handbook.pack import Pack

Bound = int | date
FIELDS: dict[str, str] = {
    "gender": "category",
    "ethnicity": "category",
    "education": "category",
    "status": "category",
    "branch_domain": "category",
    "flowing": "category",
    "occupation": "category",
    "migrant_worker": "category",
    "hardship": "category",
    "age": "number",
    "joined_on": "date",
    # 民主评议 and 教育培训 of the year, for the roster population
    "appraisal": "category",
    "not_appraised": "category",
    "trained": "category",
    "training_hours": "number",
    "training_kinds": "category",
    # 党组织 (organisations, party_groups) and training sessions
    "org_kind": "category",
    "training_kind": "category",
}
# The Chinese name of each field, for report text (a clerk reads 学历, not education); the pack's own
# messages name the code its author wrote.
FIELD_LABELS: dict[str, str] = {
    "gender": "性别",
    "ethnicity": "民族",
    "education": "学历",
    "status": "党员类别",
    "branch_domain": "所在领域",
    "flowing": "流动党员",
    "occupation": "职业",
    "migrant_worker": "农民工",
    "hardship": "困难党员",
    "age": "年龄",
    "joined_on": "入党日期",
    "appraisal": "民主评议等次",
    "not_appraised": "未参加评议原因",
    "trained": "参加培训",
    "training_hours": "培训学时",
    "training_kinds": "培训形式",
    "org_kind": "党组织类别",
    "training_kind": "培训形式",
}


# Fields holding a set of values (a member trained in several kinds): a line matches when any value is
# among its ``values``; such a field cannot partition a table (one member would fall in several rows).
MULTI = {"training_kinds"}
# What each population counts and the fields its items have (see the module docstring).
POPULATIONS: dict[str, set[str]] = {
    "roster": {
        "gender", "ethnicity", "education", "status", "branch_domain", "flowing", "occupation",
        "migrant_worker", "hardship", "age", "joined_on", "appraisal", "not_appraised", "trained",
        "training_hours", "training_kinds",
    },
    "admitted": {
        "gender", "ethnicity", "education", "branch_domain", "occupation", "migrant_worker", "age",
        "joined_on",
    },
    "organisations": {"org_kind", "branch_domain"},
    "party_groups": {"org_kind", "branch_domain"},
    "sessions": {"training_kind", "branch_domain"},
}  # fmt: skip
NOT_APPRAISED = ("", "probationary", "flowing", "excused", "other")
# The values a category field can take (a value outside them would silently count nobody).
_KNOWN: dict[str, set[str | bool]] = {
    "gender": set(Gender),
    "education": {*Education, ""},  # "" matches nobody (a blank 学历 is 无法统计); kept so older packs load
    "status": set(MemberStatus),
    "branch_domain": set(BranchDomain),
    "occupation": set(Occupation),
    "flowing": {True, False},
    "migrant_worker": {True, False},
    "hardship": {True, False},
    "appraisal": {*AppraisalGradeCode, "none"},
    "not_appraised": set(NOT_APPRAISED),
    "trained": {True, False},
    "training_kinds": set(TrainingKind),
    "org_kind": set(BranchKind),
    "training_kind": set(TrainingKind),
}
CAUSES = {
    "admitted": "increase",
    "transferred_in": "increase",
    "transferred_out": "decrease",
    "deceased": "decrease",
    "left": "decrease",
    "founded": "increase",  # 党组织 founded in the year (founded_on)
    "dissolved": "decrease",  # 党组织 dissolved (撤销/合并) in the year (dissolved_on)
}
CAUSE_POPULATION = {"founded": "organisations", "dissolved": "organisations"}  # others: "roster"


def default_stats_path() -> Path:
    return resources_dir() / "statistics" / "default.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Line(_Strict):
    """A row or a column: 合计 (no field), categories (values / not_values) or a band (min / max)."""

    label: str = Field(min_length=1)
    field: str | None = None
    values: list[str | bool] | None = None
    not_values: list[str] | None = None
    min: Bound | None = None
    max: Bound | None = None
    sum_of: list[str] = []

    @model_validator(mode="after")
    def _shape(self) -> Line:
        where = f"“{self.label}”"
        if self.field is None:
            if (
                self.values is not None
                or self.not_values is not None
                or self.min is not None
                or self.max is not None
            ):
                raise ValueError(f"{where}：写了取值或区间，却没有写 field")
            return self
        kind = FIELDS.get(self.field)
        if kind is None:
            raise ValueError(f"{where}：未知的统计字段“{self.field}”，可用：{'、'.join(FIELDS)}")
        if kind == "category":
            if self.min is not None or self.max is not None:
                raise ValueError(f"{where}：字段 {self.field} 是类别，不能用 min/max，请用 values")
            if (self.values is None) == (self.not_values is None):
                raise ValueError(f"{where}：字段 {self.field} 须写 values 或 not_values 之一")
            known = _KNOWN.get(self.field)
            odd = [v for v in [*(self.values or []), *(self.not_values or [])] if known and v not in known]
            if known and odd:
                shown = "、".join(repr(v) if isinstance(v, bool) else str(v) for v in odd)
                allowed = "、".join(sorted(str(v).lower() for v in known))
                raise ValueError(f"{where}：字段 {self.field} 没有取值 {shown}，可用：{allowed}")
        else:
            if self.values is not None or self.not_values is not None:
                raise ValueError(f"{where}：字段 {self.field} 是区间，请用 min/max，不能用 values")
            if self.min is None and self.max is None:
                raise ValueError(f"{where}：字段 {self.field} 须写 min 或 max")
            want = date if kind == "date" else int
            for bound in (self.min, self.max):
                if bound is not None and (not isinstance(bound, want) or isinstance(bound, bool)):
                    raise ValueError(
                        f"{where}：字段 {self.field} 的 min/max 应为{'日期（如 1949-09-30）' if want is date else '整数'}"
                    )
            if self.min is not None and self.max is not None and self.min > self.max:  # type: ignore[operator]
                raise ValueError(f"{where}：min 大于 max")
        return self

    def matches(self, facts: dict[str, Any]) -> bool | None:
        """True/False, or None when the member's value for the field is unknown (无法统计)."""
        if self.field is None:
            return True
        value = facts.get(self.field)
        if value is None:
            return None
        if isinstance(value, frozenset):
            if self.values is not None:
                return bool(value & set(self.values))
            return bool(value - set(self.not_values or []))
        if self.values is not None:
            return value in self.values
        if self.not_values is not None:
            return value not in self.not_values
        return (self.min is None or self.min <= value) and (self.max is None or value <= self.max)


class Cause(_Strict):
    label: str = Field(min_length=1)
    cause: Literal[
        "admitted", "transferred_in", "transferred_out", "deceased", "left", "founded", "dissolved"
    ]


class Table(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    kind: Literal["grid", "flow"] = "grid"
    population: Literal["roster", "admitted", "organisations", "party_groups", "sessions"] = "roster"
    source: str = ""  # the 党内统计 document the table follows (shown under its title)
    rows: list[Line] = []
    columns: list[Line] = []
    partition: list[str] = []
    increase: list[Cause] = []
    decrease: list[Cause] = []


class PackInfo(_Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    version: str = Field(min_length=1)


class StatsPack(_Strict):
    pack: PackInfo
    table: list[Table] = Field(min_length=1)


def _overlaps(table: Table, lines: list[Line], what: str) -> list[str]:
    """Rows (or columns) of one field whose bands or values overlap, each pair once."""
    problems: list[str] = []
    by_field: dict[str, list[Line]] = {}
    for line in lines:
        if line.field is not None:
            by_field.setdefault(line.field, []).append(line)
    for fld, group in by_field.items():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if a.values is not None and b.values is not None:
                    common = set(a.values) & set(b.values)
                    if common:
                        shown = "、".join(str(v) for v in common)
                        problems.append(
                            f"表“{table.title}”的{what}“{a.label}”与“{b.label}”都包含 {fld} = {shown}，同一人会被数两次"
                        )
                elif FIELDS[fld] != "category":
                    lo = (
                        max(x for x in (a.min, b.min) if x is not None)
                        if a.min is not None or b.min is not None
                        else None
                    )
                    hi = (
                        min(x for x in (a.max, b.max) if x is not None)
                        if a.max is not None or b.max is not None
                        else None
                    )
                    if lo is None or hi is None or lo <= hi:  # type: ignore[operator]
                        problems.append(
                            f"表“{table.title}”的{what}“{a.label}”与“{b.label}”的区间重叠（字段 {fld}），请调整 min/max"
                        )
    return problems


def _cross_check(pack: StatsPack) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for t in pack.table:
        if t.id in seen:
            problems.append(f"表编号“{t.id}”重复")
        seen.add(t.id)
        if t.kind == "flow":
            if t.rows or t.columns or t.partition:
                problems.append(f"表“{t.title}”是变化表（flow），不能写 rows/columns/partition")
            if not t.increase or not t.decrease:
                problems.append(f"表“{t.title}”须写 increase 和 decrease")
            if t.population not in ("roster", "organisations"):
                problems.append(f"表“{t.title}”：变化表只能统计 roster（党员）或 organisations（党组织）")
            for c in [*t.increase, *t.decrease]:
                side = "increase" if c in t.increase else "decrease"
                if CAUSES[c.cause] != side:
                    problems.append(f"表“{t.title}”：原因 {c.cause} 不能写在 {side} 中")
                if CAUSE_POPULATION.get(c.cause, "roster") != t.population:
                    problems.append(f"表“{t.title}”：原因 {c.cause} 不适用于 population = {t.population}")
            continue
        if not t.rows or not t.columns:
            problems.append(f"表“{t.title}”须写 rows 和 columns")
            continue
        if t.rows[0].field is not None:
            problems.append(f"表“{t.title}”的第一行应为合计行（不写 field）")
        allowed = POPULATIONS[t.population]
        for line in [*t.rows, *t.columns]:
            if line.field is not None and line.field not in allowed:
                problems.append(
                    f"表“{t.title}”的“{line.label}”：population = {t.population} 没有字段 {line.field}，"
                    f"可用：{'、'.join(sorted(allowed))}"
                )
        for fld in t.partition:
            if fld in MULTI:
                problems.append(f"表“{t.title}”：字段 {fld} 一人可有多个取值，不能写在 partition 中")
        problems += _overlaps(t, t.rows, "行")
        problems += _overlaps(t, t.columns, "列")
        labels = [r.label for r in t.rows]
        for dup in {x for x in labels if labels.count(x) > 1}:
            problems.append(f"表“{t.title}”：行名“{dup}”重复")
        for r in t.rows:
            for name in r.sum_of:
                if name not in labels:
                    problems.append(f"表“{t.title}”的行“{r.label}”：sum_of 中的“{name}”不是本表的行")
        for fld in t.partition:
            if fld not in {r.field for r in t.rows}:
                problems.append(f"表“{t.title}”：partition 中的字段“{fld}”没有对应的行")
    return problems


def _describe(raw: dict[str, Any], err: Any) -> str:
    loc = list(err["loc"])
    parts: list[str] = []
    node: Any = raw
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
            node = node[key]
            label = (
                node.get("title") or node.get("label") or node.get("id") if isinstance(node, dict) else None
            )
            parts[-1] = f"{parts[-1]}“{label}”" if label else f"{parts[-1]} 第 {key + 1} 项"
        elif isinstance(key, str):
            words = {"table": "表", "rows": "行", "columns": "列", "increase": "增加", "decrease": "减少"}
            parts.append(words.get(key, key))
            node = node.get(key) if isinstance(node, dict) else None
    where = " → ".join(parts) or "（文件顶层）"
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{where}：不认识的设置项（拼写错误？）"
    if kind == "missing":
        return f"{where}：缺少此项"
    if kind == "value_error":
        return f"{where}：{err['ctx']['error']!s}"
    if kind == "literal_error":
        return f"{where}：取值“{err.get('input')}”无效，可选：{err.get('ctx', {}).get('expected', '')}"
    return f"{where}：{err.get('msg', kind)}（现为“{err.get('input')}”）"


def parse_stats_pack(text: str, file: str) -> StatsPack:
    """Parse and validate a statistics pack; raises PackError listing every problem (Chinese, one per line)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackError(file, [f"TOML 语法错误：{exc}（请检查引号、括号和等号）"]) from None
    try:
        pack = StatsPack.model_validate(raw)
    except PydanticError as exc:
        raise PackError(file, [_describe(raw, e) for e in exc.errors()]) from None
    problems = _cross_check(pack)
    if problems:
        raise PackError(file, problems)
    return pack


def load_stats_pack(path: str | Path | None = None) -> StatsPack:
    """The statistics pack at ``path`` (default: the built-in one). Raises PackError."""
    target = Path(path) if path else default_stats_path()
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackError(str(target), ["文件不存在"]) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise PackError(str(target), [f"无法读取：{exc}"]) from None
    return parse_stats_pack(text, str(target))


# --- computing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    branch: str
    facts: dict[str, Any]


@dataclass
class Cell:
    row: str
    column: str
    count: int
    member_ids: list[str]


@dataclass
class TableResult:
    id: str
    title: str
    columns: list[str]
    rows: list[str]
    cells: dict[tuple[str, str], Cell]
    chart_rows: list[str] = field(
        default_factory=list
    )  # the rows its chart shows (a grid's finest partition)
    source: str = ""  # the document the table follows (the pack's ``source``)

    def value(self, row: str, column: str) -> int:
        return self.cells[(row, column)].count

    def matrix(self) -> list[list[object]]:
        return [[r, *(self.cells[(r, c)].count for c in self.columns)] for r in self.rows]


@dataclass(frozen=True)
class CheckFailure:
    table: str
    cell: str  # e.g. 党员基本情况 · 党员总数 × 合计
    message: str
    members: tuple[str, ...]  # names (支部 姓名)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"members": list(self.members)}


@dataclass
class StatsReport:
    year: int
    title: str
    pack: str
    tables: list[TableResult]
    failures: list[CheckFailure]
    uncountable: list[str]  # 无法统计: "支部 姓名（缺出生日期）"
    people: dict[str, Person] = field(default_factory=dict)
    # 发展党员工作进度 on 31 December and the year's monthly check results per branch (services.reports.progress)
    extras: list[Breakdown] = field(default_factory=list)

    def table(self, table_id: str) -> TableResult:
        return next(t for t in self.tables if t.id == table_id)

    def members_of(self, table_id: str, row: str, column: str) -> list[str]:
        """Drill-down: the names counted in one cell, sorted."""
        cell = self.table(table_id).cells[(row, column)]
        return sorted(self.people[i].name for i in cell.member_ids)

    def lines(self) -> list[str]:
        """Plain text: each table, then the cross-checks and 无法统计."""
        out = [f"{self.title} {self.year}年 党内统计年报（{self.pack}）"]
        for t in self.tables:
            out.append(f"【{t.title}】  " + "  ".join(t.columns))
            out += ["  " + "  ".join(str(v) for v in line) for line in t.matrix()]
        for extra in self.extras:
            out.append(f"【{extra.title}】  " + "  ".join(extra.columns))
            out.append("  合计  " + "  ".join(str(v) for v in extra.totals()))
        if self.failures:
            out.append(f"核对未通过 {len(self.failures)} 处：")
            out += [f"  {f.cell}：{f.message}：{'、'.join(f.members)}" for f in self.failures]
        else:
            out.append("核对全部通过。")
        if self.uncountable:
            out.append("无法统计：" + "、".join(self.uncountable))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "title": self.title,
            "pack": self.pack,
            "tables": [
                {"id": t.id, "title": t.title, "columns": t.columns, "rows": t.matrix()} for t in self.tables
            ],
            "checks_passed": not self.failures,
            "failures": [f.as_dict() for f in self.failures],
            "uncountable": self.uncountable,
            "progress": [e.as_dict() for e in self.extras],
        }


def _status_on(m: Member, day: date) -> str:
    if m.full_member_on is not None:
        return "full" if m.full_member_on <= day else "probationary"
    return m.status


class _Roster:
    """Who was in the scope's roster on a day, from the member rows and their transfer records.

    A transfer record (组织关系转接) into or out of a branch in scope on day d puts the member in or out of
    the scope from d on; a member whose first in-scope record is a transfer out was in the scope before it.
    Moving between two branches of the scope is therefore neither 转入 nor 转出 for the scope. Without
    transfer records the member row's 转入本支部日期 and 离开日期 decide."""

    def __init__(self, session: Session, members: list[Member], scope_ids: list[str]) -> None:
        self.events: dict[str, list[tuple[date, str]]] = {}
        if members:
            rows = session.execute(
                select(MemberTransfer.member_id, MemberTransfer.on, MemberTransfer.direction).where(
                    MemberTransfer.branch_id.in_(scope_ids), MemberTransfer.deleted.is_(False)
                )
            )
            wanted = {m.id for m in members}
            for member_id, on, direction in rows:
                if member_id in wanted:
                    self.events.setdefault(member_id, []).append((on, direction))
            for ev in self.events.values():
                ev.sort(key=lambda e: (e[0], 0 if e[1] == TransferDirection.OUT else 1))

    def present(self, m: Member, day: date) -> bool:
        if m.joined_on is None or m.joined_on > day:
            return False
        if m.state in (MemberState.DECEASED, MemberState.LEFT) and (m.left_on is None or m.left_on <= day):
            return False
        ev = self.events.get(m.id)
        if ev:
            past = [e for e in ev if e[0] <= day]
            return past[-1][1] == TransferDirection.IN if past else ev[0][1] == TransferDirection.OUT
        if m.left_on is not None:
            if m.left_on <= day:
                return False
        elif m.state != MemberState.ACTIVE:
            return False
        return m.branch_since is None or m.branch_since <= day

    def moved(self, m: Member, direction: str, first: date, last: date) -> bool:
        """A transfer record of ``direction`` in [first, last]; without records, the member row's dates."""
        ev = self.events.get(m.id)
        if ev:
            return any(first <= on <= last and d == direction for on, d in ev)
        if direction == TransferDirection.IN:
            return m.branch_since is not None and first <= m.branch_since <= last
        return m.state == MemberState.TRANSFERRED_OUT and m.left_on is not None and first <= m.left_on <= last


def _who(m: Member, names: dict[str, str]) -> str:
    """支部 姓名; ``names``: branch id → its name, qualified with the township's when the scope holds several."""
    return f"{names[m.branch_id]} {m.name}"


def statistics(
    session: Session,
    year: int,
    branch_code: str | None = None,
    *,
    today: date | None = None,
    pack: StatsPack | None = None,
    township_code: str | None = None,
    handbook: Pack | None = None,
) -> StatsReport:
    """The yearly tables of ``pack`` (default: the built-in pack) as of 31 December ``year``, then the
    development pipeline on that day and the year's monthly check results per branch (``extras``; the
    handbook pack ``handbook``, default the built-in one).

    Raises ValidationError("year") for a year not yet over on ``today`` or before the township's first
    branch was founded; NotFound for an unknown branch code."""
    today = today or date.today()
    pack = pack or load_stats_pack()
    where = scope(session, branch_code, township_code)
    end = date(year, 12, 31)
    if end > today:
        raise ValidationError(
            "year", f"{year}年还没有结束（今天是 {today.isoformat()}），年报按12月31日统计。"
        )
    start_day = earliest_record(session, where)
    if start_day is not None and end < start_day:
        raise ValidationError(
            "year",
            f"{year}年早于{where.title()}建立的时间（{start_day.isoformat()}），没有可统计的记录。",
        )
    prev_end = date(year - 1, 12, 31)
    # every branch by id (a member who moved out of the scope is named with the branch they are in now)
    branches = {b.id: b for b in session.scalars(select(Branch))}
    names = {i: where.name(b) if b.township_id in where.townships else b.name for i, b in branches.items()}
    moved_through = select(MemberTransfer.member_id).where(
        MemberTransfer.branch_id.in_(where.ids), MemberTransfer.deleted.is_(False)
    )
    members = list(
        session.scalars(
            select(Member).where(
                Member.deleted.is_(False),
                Member.branch_id.in_(where.ids) | Member.id.in_(moved_through),
            )
        )
    )
    book = _Roster(session, members, where.ids)
    roster = [m for m in members if book.present(m, end)]
    uncountable: list[str] = []
    people: dict[str, Person] = {}
    used = {line.field for t in pack.table for line in [*t.rows, *t.columns] if line.field}
    counts_occupation = "occupation" in used
    counts_education = "education" in used
    whose = (
        None
        if where.whole
        else select(Member.id).where(
            Member.deleted.is_(False), Member.branch_id.in_(where.ids) | Member.id.in_(moved_through)
        )
    )
    yearly = _YearFacts(session, year, [m.id for m in roster], used, whose)
    for m in roster:
        facts: dict[str, Any] = {
            "gender": m.gender,
            "ethnicity": m.ethnicity,
            "education": m.education or None,  # not recorded: 无法统计 in a table that counts 学历
            "status": _status_on(m, end),
            "branch_domain": branches[m.branch_id].domain,
            "flowing": m.is_flowing,
            "occupation": m.occupation or None,  # not recorded: 无法统计 in a table that counts 职业
            "migrant_worker": m.is_migrant_worker,
            "hardship": m.is_hardship,
            "age": age_on(m.birth_date, end) if m.birth_date is not None else None,
            "joined_on": m.joined_on,
            **yearly.facts(m, year),
        }
        missing = [
            w
            for w, v, counted in (
                ("出生日期", m.birth_date, True),
                ("入党日期", m.joined_on, True),
                ("学历", m.education, counts_education),
                ("职业", m.occupation, counts_occupation),
            )
            if not v and counted
        ]
        if missing:
            uncountable.append(f"{_who(m, names)}（缺{'、'.join(missing)}）")
        people[m.id] = Person(m.id, _who(m, names), m.branch_id, facts)
    results: list[TableResult] = []
    failures: list[CheckFailure] = []
    by_number: dict[str, list[Member]] = {}
    for m in roster:
        by_number.setdefault(m.id_number, []).append(m)
    for number, rows in sorted(by_number.items()):
        if len(rows) > 1:
            failures.append(
                CheckFailure(
                    "花名册",
                    f"{end.isoformat()} 在册名单",
                    f"身份证号 {number} 在册 {len(rows)} 次，每张表会把同一人数 {len(rows)} 次，请删除重复的记录",
                    tuple(sorted(_who(m, names) for m in rows)),
                )
            )
    populations: dict[str, list[str]] = {"roster": [m.id for m in roster]}
    wanted = {t.population for t in pack.table}
    if "admitted" in wanted:
        populations["admitted"] = _admitted(members, book, names, year, branches, people)
    orgs = _Organisations(session, where, names, year)
    if wanted & {"organisations", "party_groups"}:
        populations["organisations"] = orgs.present(end, people)
        populations["party_groups"] = orgs.groups(end, people)
    if "sessions" in wanted:
        populations["sessions"] = _sessions(session, where, names, year, branches, people)
    caches: dict[str, dict[str, dict[Any, list[str]]]] = {}
    for t in pack.table:
        if t.kind == "flow" and t.population == "organisations":
            res, fails = orgs.flow(t, prev_end, end, people)
        elif t.kind == "flow":
            res, fails = _flow(t, members, book, names, prev_end, end, year, people)
        else:
            res, fails = _grid(t, populations[t.population], people, caches.setdefault(t.population, {}))
        results.append(res)
        failures += fails
    from services.reports.progress import compliance_by_month, pipeline_on

    extras = [pipeline_on(session, where, end), compliance_by_month(session, where, year, today, handbook)]
    return StatsReport(
        year,
        where.title(),
        f"{pack.pack.name} {pack.pack.version}",
        results,
        failures,
        uncountable,
        people,
        extras,
    )


class _YearFacts:
    """The year's 民主评议 grades and 教育培训 of the roster, read only when the pack counts them.

    ``appraisal``: the grade recorded for the year (AppraisalGradeCode) or "none". ``not_appraised``: why a
    member without a grade was not graded — "probationary" (预备党员 on 31 December take part without a
    grade: 党员教育管理工作条例 第十八条, ../shared/domain.md 民主评议 grades; services.talks.record_grade
    refuses them one), "flowing" (流动党员 away), "excused" (an approved 请假 / 年老体弱 exemption covering
    part of the year), else "other"; "" for a graded member. ``trained``: at least one 教育培训 session
    attended in the year; ``training_hours``: whole 学时 (60 minutes, as the handbook's 32 学时 rule,
    党员教育管理工作条例 第二十条) credited in the year; ``training_kinds``: the kinds attended."""

    def __init__(
        self, session: Session, year: int, roster_ids: list[str], used: set[str], whose: Any = None
    ) -> None:
        """``whose``: a select of member ids the records are read for (None: every member)."""
        from models import AppraisalGrade, MemberExemption, TrainingAttendance, TrainingSession
        from models.enums import ExemptionKind

        ids = set(roster_ids)
        self.grades: dict[str, str] = {}
        self.excused: set[str] = set()
        self.minutes: dict[str, int] = {}
        self.kinds: dict[str, set[str]] = {}
        self.appraisal = bool(used & {"appraisal", "not_appraised"})
        self.training = bool(used & {"trained", "training_hours", "training_kinds"})
        first, last = date(year, 1, 1), date(year, 12, 31)
        if self.appraisal:
            grades = select(AppraisalGrade.member_id, AppraisalGrade.grade).where(
                AppraisalGrade.deleted.is_(False), AppraisalGrade.year == year
            )
            if whose is not None:
                grades = grades.where(AppraisalGrade.member_id.in_(whose))
            self.grades = {mid: g for mid, g in session.execute(grades) if mid in ids}
            excused = select(MemberExemption.member_id).where(
                MemberExemption.deleted.is_(False),
                MemberExemption.kind.in_([ExemptionKind.LEAVE, ExemptionKind.INFIRM]),
                MemberExemption.start_on <= last,
                MemberExemption.end_on.is_(None) | (MemberExemption.end_on >= first),
            )
            self.excused = {mid for (mid,) in session.execute(excused) if mid in ids}
        if self.training:
            rows = (
                select(TrainingAttendance.member_id, TrainingAttendance.minutes, TrainingSession.kind)
                .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
                .where(
                    TrainingAttendance.deleted.is_(False),
                    TrainingSession.deleted.is_(False),
                    TrainingSession.held_on >= first,
                    TrainingSession.held_on <= last,
                )
            )
            if whose is not None:
                rows = rows.where(TrainingAttendance.member_id.in_(whose))
            for mid, minutes, kind in session.execute(rows):
                if mid in ids:
                    self.minutes[mid] = self.minutes.get(mid, 0) + int(minutes or 0)
                    self.kinds.setdefault(mid, set()).add(kind)

    def facts(self, m: Member, year: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.appraisal:
            grade = self.grades.get(m.id)
            out["appraisal"] = grade or "none"
            if grade:
                out["not_appraised"] = ""
            elif _status_on(m, date(year, 12, 31)) == "probationary":
                out["not_appraised"] = "probationary"
            elif m.is_flowing:
                out["not_appraised"] = "flowing"
            elif m.id in self.excused:
                out["not_appraised"] = "excused"
            else:
                out["not_appraised"] = "other"
        if self.training:
            out["trained"] = m.id in self.minutes
            out["training_hours"] = self.minutes.get(m.id, 0) // 60
            out["training_kinds"] = frozenset(self.kinds.get(m.id, ()))
        return out


def _admitted(
    members: list[Member],
    book: _Roster,
    names: dict[str, str],
    year: int,
    branches: dict[str, Branch],
    people: dict[str, Person],
) -> list[str]:
    """发展党员 of the year: members whose 入党日期 (the day the 支部党员大会 admitted them as 预备党员,
    《中国共产党发展党员工作细则》(2014): the vote date is the 入党日期; ../shared/domain.md development
    pipeline) falls in the year, in the scope's
    roster on that day — whatever became of them later (转出, 死亡 …). Their facts as on the day they were
    admitted: ``age`` is the age on the 入党日期."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    out: list[str] = []
    for m in members:
        if m.joined_on is None or not first <= m.joined_on <= last or not book.present(m, m.joined_on):
            continue
        key = f"{m.id}#admitted"  # its own facts (age on the 入党日期), apart from the roster's
        out.append(key)
        facts = {
            "gender": m.gender,
            "ethnicity": m.ethnicity,
            "education": m.education or None,  # not recorded: 无法统计, as 职业
            "branch_domain": branches[m.branch_id].domain,
            "occupation": m.occupation or None,
            "migrant_worker": m.is_migrant_worker,
            "age": age_on(m.birth_date, m.joined_on) if m.birth_date is not None else None,
            "joined_on": m.joined_on,
        }
        people[key] = Person(m.id, _who(m, names), m.branch_id, facts)
    return out


def _existed(founded: date | None, dissolved: date | None, day: date) -> bool:
    """An organisation exists on ``day``: founded by then (unknown founding: always) and not yet dissolved
    (撤销 takes effect on ``dissolved_on``)."""
    return (founded is None or founded <= day) and (dissolved is None or dissolved > day)


class _Organisations:
    """党组织 of the scope: branches by kind (党委/党总支/党支部, ``org_kind``) and domain, their 党小组,
    and the change over the year (新建 ``founded`` / 撤销 ``dissolved``). Source: 中国共产党党内统计
    《中国共产党党内统计公报》 (党组织 by kind and by 单位), 支部工作条例 第四条 and 党章 (支部, 党总支, 党委;
    ../shared/domain.md organisation rules)."""

    def __init__(self, session: Session, where: Any, names: dict[str, str], year: int) -> None:
        from models import PartyGroup

        self.branches = list(where.branches)
        self.names = names
        self.year = year
        self.party_groups = list(
            session.scalars(
                select(PartyGroup).where(PartyGroup.deleted.is_(False), PartyGroup.branch_id.in_(where.ids))
            )
        )

    def _person(self, b: Branch, people: dict[str, Person]) -> None:
        people[b.id] = Person(b.id, self.names[b.id], b.id, {"org_kind": b.kind, "branch_domain": b.domain})

    def present(self, day: date, people: dict[str, Person]) -> list[str]:
        out = []
        for b in self.branches:
            if _existed(b.founded_on, b.dissolved_on, day):
                self._person(b, people)
                out.append(b.id)
        return out

    def groups(self, day: date, people: dict[str, Person]) -> list[str]:
        """党小组 existing on ``day`` in a branch that exists then."""
        by_id = {b.id: b for b in self.branches}
        out = []
        for g in self.party_groups:
            b = by_id.get(g.branch_id)
            if b is None or not _existed(b.founded_on, b.dissolved_on, day):
                continue
            if not _existed(g.founded_on, g.dissolved_on, day):
                continue
            people[g.id] = Person(
                g.id, f"{self.names[b.id]} {g.name}", b.id, {"org_kind": b.kind, "branch_domain": b.domain}
            )
            out.append(g.id)
        return out

    def flow(
        self, t: Table, prev_end: date, end: date, people: dict[str, Person]
    ) -> tuple[TableResult, list[CheckFailure]]:
        before = [b.id for b in self.branches if _existed(b.founded_on, b.dissolved_on, prev_end)]
        after = [b.id for b in self.branches if _existed(b.founded_on, b.dissolved_on, end)]
        for b in self.branches:
            self._person(b, people)
        first = date(self.year, 1, 1)
        by_id = {b.id: b for b in self.branches}
        tests: dict[str, Callable[[str], bool]] = {
            "founded": lambda i: by_id[i].founded_on is not None and first <= by_id[i].founded_on <= end,
            "dissolved": lambda i: (
                by_id[i].dissolved_on is not None and first <= by_id[i].dissolved_on <= end
            ),
        }
        return _flow_table(t, "党组织数", before, after, tests, people, "请核对其成立或撤销日期")


def _sessions(
    session: Session,
    where: Any,
    names: dict[str, str],
    year: int,
    branches: dict[str, Branch],
    people: dict[str, Person],
) -> list[str]:
    """教育培训 sessions (集中学习、培训班、网络学习、专题讲座) held in the year by the scope's branches,
    each named with its date, title and 学时 (60 minutes; 党员教育管理工作条例 第二十条)."""
    from models import TrainingSession

    rows = session.scalars(
        select(TrainingSession)
        .where(
            TrainingSession.deleted.is_(False),
            TrainingSession.branch_id.in_(where.ids),
            TrainingSession.held_on >= date(year, 1, 1),
            TrainingSession.held_on <= date(year, 12, 31),
        )
        .order_by(TrainingSession.held_on, TrainingSession.id)
    )
    out = []
    for ts in rows:
        hours = f"{ts.minutes / 60:.1f}".rstrip("0").rstrip(".")
        name = f"{names[ts.branch_id]} {ts.held_on.isoformat()} {ts.title}（{hours}学时）"
        facts = {"training_kind": ts.kind, "branch_domain": branches[ts.branch_id].domain}
        people[ts.id] = Person(ts.id, name, ts.branch_id, facts)
        out.append(ts.id)
    return out


def _buckets(items: list[str], people: dict[str, Person], fld: str) -> dict[Any, list[str]]:
    """The items grouped by their value of ``fld`` (None: unknown): a line is matched once per value."""
    out: dict[Any, list[str]] = {}
    for item in items:
        out.setdefault(people[item].facts.get(fld), []).append(item)
    return out


def _grid(
    t: Table,
    items: list[str],
    people: dict[str, Person],
    cache: dict[str, dict[Any, list[str]]] | None = None,
) -> tuple[TableResult, list[CheckFailure]]:
    """A grid table over ``items`` (ids of the table's population, facts in ``people``). ``cache``: the
    items grouped by field value, shared by the tables of one population."""
    cache = {} if cache is None else cache
    cols, rows = [c.label for c in t.columns], [r.label for r in t.rows]
    unknown: dict[str, set[str]] = {}  # field → items whose value is missing
    everyone = set(items)
    position = {item: i for i, item in enumerate(items)}

    def hits(line: Line) -> set[str]:
        if line.field is None:
            return everyone
        if line.field not in cache:
            cache[line.field] = _buckets(items, people, line.field)
        found: set[str] = set()
        for value, ids in cache[line.field].items():
            if value is None:
                unknown.setdefault(line.field, set()).update(ids)
            elif line.matches({line.field: value}):
                found.update(ids)
        return found

    col_sets = {c.label: hits(c) for c in t.columns}
    cells: dict[tuple[str, str], Cell] = {}
    for r in t.rows:
        row_set = hits(r)
        for c in cols:
            ids = sorted(row_set & col_sets[c], key=position.__getitem__)
            cells[(r.label, c)] = Cell(r.label, c, len(ids), ids)
    groups = [[r.label for r in t.rows if r.field == f] for f in t.partition]
    res = TableResult(
        t.id, t.title, cols, rows, cells, max(groups, key=len) if groups else rows[1:], t.source
    )
    fails: list[CheckFailure] = []
    total_row = rows[0]
    names = lambda ids: tuple(sorted(people[i].name for i in ids))  # noqa: E731
    for fld in t.partition:
        parts = [r.label for r in t.rows if r.field == fld]
        for c in cols:
            counted = Counter(i for p in parts for i in cells[(p, c)].member_ids)
            total_ids = cells[(total_row, c)].member_ids
            if (
                len(counted) != len(total_ids)
                or any(n != 1 for n in counted.values())
                or not all(i in counted for i in total_ids)
            ):
                missing = [i for i in total_ids if counted.get(i, 0) != 1]
                why = (
                    "无法统计（缺少数据）"
                    if any(i in unknown.get(fld, set()) for i in missing)
                    else "不在任何一档"
                )
                fails.append(
                    CheckFailure(
                        t.title,
                        f"{t.title} · {total_row} × {c}",
                        f"按{FIELD_LABELS.get(fld, fld)}分档合计 {sum(cells[(p, c)].count for p in parts)}，不等于{total_row} "
                        f"{len(total_ids)}：{len(missing)} 人{why}",
                        names(missing),
                    )
                )
    for r in t.rows:
        if not r.sum_of:
            continue
        for c in cols:
            whole = set(cells[(r.label, c)].member_ids)
            part_ids = [i for p in r.sum_of for i in cells[(p, c)].member_ids]
            if len(part_ids) != len(whole) or set(part_ids) != whole:
                odd = (whole ^ set(part_ids)) | {i for i in part_ids if part_ids.count(i) > 1}
                fails.append(
                    CheckFailure(
                        t.title,
                        f"{t.title} · {r.label} × {c}",
                        f"{r.label} {len(whole)} ≠ {'+'.join(r.sum_of)} {len(part_ids)}",
                        names(odd),
                    )
                )
    return res, fails


def _flow(
    t: Table,
    members: list[Member],
    book: _Roster,
    names: dict[str, str],
    prev_end: date,
    end: date,
    year: int,
    people: dict[str, Person],
) -> tuple[TableResult, list[CheckFailure]]:
    """党员数量变化: 上年末, the causes of increase and decrease, 本年末 (members)."""
    by_id = {m.id: m for m in members}
    before = [m.id for m in members if book.present(m, prev_end)]
    after = [m.id for m in members if book.present(m, end)]
    start_of_year = date(year, 1, 1)
    member_tests: dict[str, Callable[[Member], bool]] = {
        # 发展党员 here: admitted in the year while in the scope (the same members as population "admitted");
        # a member admitted elsewhere in the year who then came in is 转入
        "admitted": lambda m: start_of_year <= m.joined_on <= end and book.present(m, m.joined_on),
        "transferred_in": lambda m: (
            not (start_of_year <= m.joined_on <= end and book.present(m, m.joined_on))
            and book.moved(m, TransferDirection.IN, start_of_year, end)
        ),
        "transferred_out": lambda m: book.moved(m, TransferDirection.OUT, start_of_year, end),
        "deceased": lambda m: m.state == MemberState.DECEASED and m.left_on is not None and m.left_on <= end,
        "left": lambda m: m.state == MemberState.LEFT and m.left_on is not None and m.left_on <= end,
    }

    def on_member(test: Callable[[Member], bool]) -> Callable[[str], bool]:
        return lambda i: test(by_id[i])

    tests = {k: on_member(f) for k, f in member_tests.items()}
    for i in {*before, *after}:
        m = by_id[i]
        people.setdefault(i, Person(i, _who(m, names), m.branch_id, {}))
    return _flow_table(t, "党员数", before, after, tests, people, "请核对其入党、转入或离开记录")


def _flow_table(
    t: Table,
    row: str,
    before_ids: list[str],
    after_ids: list[str],
    tests: dict[str, Callable[[str], bool]],
    people: dict[str, Person],
    hint: str,
) -> tuple[TableResult, list[CheckFailure]]:
    """One row ``row``: 上年末, each cause, 本年末. Checked: every item that came (went) under exactly one
    cause of increase (decrease), and 上年末 + Σ增加 − Σ减少 = 本年末; a failure names the items."""
    before, after = set(before_ids), set(after_ids)
    came = [i for i in after_ids if i not in before]
    went = [i for i in before_ids if i not in after]
    cols = ["上年末", *(c.label for c in t.increase), *(c.label for c in t.decrease), "本年末"]
    cells = {(row, c): Cell(row, c, 0, []) for c in cols}
    cells[(row, "上年末")] = Cell(row, "上年末", len(before_ids), list(before_ids))
    cells[(row, "本年末")] = Cell(row, "本年末", len(after_ids), list(after_ids))
    fails: list[CheckFailure] = []
    label = lambda i: people[i].name  # noqa: E731
    for side, group, causes in (("增加", came, t.increase), ("减少", went, t.decrease)):
        for i in group:
            hits = [c.label for c in causes if tests[c.cause](i)]
            for h in hits:
                cells[(row, h)].count += 1
                cells[(row, h)].member_ids.append(i)
            if len(hits) != 1:
                why = "没有对应的原因" if not hits else f"同时计入 {'、'.join(hits)}"
                fails.append(
                    CheckFailure(
                        t.title, f"{t.title} · {side}", f"{label(i)} {side}{why}，{hint}", (label(i),)
                    )
                )
    inc = sum(cells[(row, c.label)].count for c in t.increase)
    dec = sum(cells[(row, c.label)].count for c in t.decrease)
    if len(before) + inc - dec != len(after):
        odd = [
            i
            for i in [*came, *went]
            if sum(1 for c in (t.increase if i in after else t.decrease) if tests[c.cause](i)) != 1
        ]
        fails.append(
            CheckFailure(
                t.title,
                f"{t.title} · 本年末",
                f"上年末 {len(before)} + 增加 {inc} − 减少 {dec} = {len(before) + inc - dec}，不等于本年末 {len(after)}",
                tuple(sorted(label(i) for i in odd)),
            )
        )
    return TableResult(t.id, t.title, cols, [row], cells, source=t.source), fails


def document(report: StatsReport) -> Document:
    """The tables as sections (xlsx: one sheet each), then the cross-checks and 无法统计."""
    sections = [
        Section(
            t.title,
            ["项目", *t.columns],
            t.matrix(),
            widths=[22, *([9] * len(t.columns))],
            note=f"依据：{t.source}" if t.source else "",
            items={
                (i, j + 1): report.members_of(t.id, r, c)
                for i, r in enumerate(t.rows)
                for j, c in enumerate(t.columns)
            },
        )
        for t in report.tables
    ]
    sections.append(
        Section(
            "核对",
            ["表", "单元格", "问题", "涉及党员"],
            [[f.table, f.cell, f.message, "、".join(f.members)] for f in report.failures],
            widths=[14, 22, 40, 30],
            empty="全部核对通过。",
        )
    )
    sections.append(
        Section(
            "无法统计", ["党员（缺少的数据）"], [[u] for u in report.uncountable], widths=[60], empty="无。"
        )
    )
    sections += [extra.section() for extra in report.extras]
    title = f"{report.title} {report.year}年 党内统计年报"
    return Document(title, report.title, sections, charts(report))


def charts(report: StatsReport) -> list[Chart]:
    """One bar chart per table, of the table's own cells: a grid table's ``chart_rows`` (the rows of its
    finest partition: age bands, education, 职业 …) in each column; a flow table's one row across its columns."""
    out: list[Chart] = []
    for t in report.tables:
        title = f"图{len(out) + 1} {t.title}"
        if t.chart_rows:
            series = [(c, [t.value(r, c) for r in t.chart_rows]) for c in t.columns]
            out.append(Chart(title, "bar", t.chart_rows, series))
        elif len(t.rows) == 1:
            out.append(
                Chart(title, "bar", t.columns, [(t.rows[0], [t.value(t.rows[0], c) for c in t.columns])])
            )
    for extra in report.extras:
        for chart in extra.charts:
            out.append(replace(chart, title=f"图{len(out) + 1} {chart.title}"))
    return out
