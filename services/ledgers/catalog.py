"""Each ledger declared once: its columns (key, title, kind, width) and a loader.

The same declaration feeds the screen (a table per ledger), the Excel export (``services/excel/exports/
listings.py``), the printed section (a pack ``[[ledger.section]]`` with ``listing = "<code>"``, read by
``services.handbook.ledgers``) and ``ledger list`` on the command line; the ledger's actions (forms and
``ledger do``) are declared beside it in ``services.ledgers.actions``. Loaders take the branch ids in view
(None: all) and an optional year, and return plain dicts keyed by column: stored values (codes, fen,
dates), which the column's kind shows (labels, yuan, ISO dates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models import (
    AppraisalGrade,
    Attachment,
    Branch,
    Decision,
    DevelopmentRecord,
    DisclosurePosting,
    FeeDue,
    FlowContact,
    FlowRecord,
    FundEntry,
    HeartTalk,
    Member,
    MemberExemption,
    MemberTransfer,
    Rectification,
    TrainingAttendance,
    TrainingSession,
    VenueCheck,
    WeakBranchFlag,
)
from models.enums import DecisionStepCode, label
from services import decisions as decision_service
from services import development
from services.dates import in_year, year_bounds
from services.ledgers import kinds
from services.ledgers.kinds import COUNT, DATE, HOURS, MEMBER, MONEY, MONTH, Choice, Kind, choice
from services.ledgers.schema import NAMED


@dataclass(frozen=True)
class Column:
    """One column of a ledger: ``key`` in the loader's rows, ``title`` shown, ``kind`` (how the value is
    parsed, shown and exported), ``width`` in characters (Excel and print; 0: the kind's default)."""

    key: str
    title: str
    kind: Kind = kinds.TEXT
    width: int = 0
    source: str = ""  # the model attribute a table ledger reads (default: ``key``); ids become names
    blank_zero: bool = False  # 0 shown as empty (an optional amount)

    def __post_init__(self) -> None:
        if not self.width:
            object.__setattr__(self, "width", 12 if self.kind is kinds.TEXT else self.kind.width)


@dataclass(frozen=True)
class Listing:
    code: str
    title: str
    ledger: str  # which of the seven ledgers it belongs to (pack code)
    columns: tuple[Column, ...]
    load: Callable[[Session, list[str] | None, int | None], list[dict[str, Any]]]
    model: Any = None  # the table whose records it lists: its label and coded columns come from here
    # the ``model`` column of the one day each entry is dated (a talk's 日期); "" for a ledger of periods
    # (流动党员 外出–返回), of years or of several tables
    dated: str = ""

    def coded(self) -> dict[tuple[str, str], str]:
        """(table, column) → LABELS enum of each choice column read straight from ``model``."""
        if self.model is None:
            return {}
        table = self.model.__table__
        return {
            (table.name, c.source or c.key): c.kind.enum
            for c in self.columns
            if isinstance(c.kind, Choice) and c.kind.enum and (c.source or c.key) in table.columns
        }

    def column(self, key: str) -> Column:
        """The declared column ``key``; KeyError naming the ledger's keys when there is none."""
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(f"{self.title}没有列“{key}”，可用：{'、'.join(c.key for c in self.columns)}")

    def display(self, row: dict[str, Any], key: str) -> str:
        """The text a clerk sees for one cell (labels of codes, money in yuan, dates ISO, 是/否)."""
        return self.column(key).kind.display(row.get(key))

    def cell(self, row: dict[str, Any], key: str) -> object:
        """The Excel cell of one value (real dates, exact yuan)."""
        return self.column(key).kind.cell(row.get(key))


LISTINGS: dict[str, Listing] = {}


def register(listing: Listing) -> Listing:
    LISTINGS[listing.code] = listing
    return listing


def _scope(stmt: Select[Any], column: Any, branch_ids: list[str] | None) -> Select[Any]:
    return stmt if branch_ids is None else stmt.where(column.in_(branch_ids))


def _year(stmt: Select[Any], column: Any, year: int | None) -> Select[Any]:
    if year is None:
        return stmt
    return stmt.where(*in_year(column, year))


def _branch_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Branch.id, Branch.name)).all())


def _member_names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(ids))).all())


def _table(
    model: Any,
    columns: tuple[Column, ...],
    *,
    date: str | None = None,
    until: str | None = None,
    year_attr: str | None = None,
    order: tuple[str, ...] = (),
) -> Callable[[Session, list[str] | None, int | None], list[dict[str, Any]]]:
    """The loader of a ledger that is one table: its live rows in the branches, for a year when asked
    (``date`` in the year; with ``until``, a period overlapping the year; or ``year_attr`` equal to it),
    one dict per row keyed by column, ids in ``schema.NAMED`` columns turned into names."""

    def load(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
        stmt = _scope(select(model).where(model.deleted.is_(False)), model.branch_id, branch_ids)
        if year is not None and year_attr is not None:
            stmt = stmt.where(getattr(model, year_attr) == year)
        elif year is not None and date is not None and until is not None:
            first, after = year_bounds(year)  # a period overlapping the year
            end = getattr(model, until)
            stmt = stmt.where(getattr(model, date) < after, end.is_(None) | (end >= first))
        elif year is not None and date is not None:
            stmt = stmt.where(*in_year(getattr(model, date), year))
        keys = order or ((date,) if date else ())
        rows = list(session.scalars(stmt.order_by(*(getattr(model, k) for k in keys))))
        sources = [(c.key, c.source or c.key, c.blank_zero) for c in columns]
        names: dict[str, dict[str, str]] = {}
        for _key, src, _zero in sources:
            if NAMED.get(src) == "member":
                names[src] = _member_names(session, {getattr(r, src) for r in rows if getattr(r, src)})
            elif NAMED.get(src) == "branch":
                names[src] = _branch_names(session)
        return [
            {"id": r.id}
            | {
                key: names[src].get(getattr(r, src), "")
                if src in names
                else (getattr(r, src) or None if zero else getattr(r, src))
                for key, src, zero in sources
            }
            for r in rows
        ]

    return load


def declare(
    code: str,
    title: str,
    ledger: str,
    model: Any,
    columns: tuple[Column, ...],
    **period: Any,
) -> Listing:
    """Registers a ledger that is one table (``_table``'s ``date``/``until``/``year_attr``/``order``)."""
    dated = period.get("date") or "" if period.get("until") is None else ""
    return register(Listing(code, title, ledger, columns, _table(model, columns, **period), model, dated))


def _development(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    stmt = _scope(
        select(DevelopmentRecord).where(DevelopmentRecord.deleted.is_(False)),
        DevelopmentRecord.branch_id,
        branch_ids,
    )
    records = list(session.scalars(stmt.order_by(DevelopmentRecord.applied_on)))
    if year is not None:
        records = [
            r
            for r in records
            if r.applied_on.year <= year
            and ((end := r.converted_on or r.withdrawn_on) is None or end.year >= year)
        ]
    branches = _branch_names(session)
    intro = _member_names(session, {i for r in records for i in (r.introducer1_id, r.introducer2_id) if i})
    return [
        {
            "id": r.id,
            "branch": branches.get(r.branch_id, ""),
            "name": r.name,
            "gender": r.gender,
            "stage": r.stage,
            "applied_on": r.applied_on,
            "talked_on": r.talked_on,
            "activist_on": r.activist_on,
            "candidate_on": r.candidate_on,
            "training": f"{r.training_days} 天 / {r.training_hours} 学时" if r.candidate_on else "",
            "introducers": "、".join(intro.get(i, "") for i in (r.introducer1_id, r.introducer2_id) if i),
            "political_review_on": r.political_review_on,
            "publicity": f"{r.publicity_from}—{r.publicity_to}"
            if r.publicity_from and r.publicity_to
            else "",
            "admitted_on": r.admitted_on,
            "approved_on": r.approved_on,
            "oath_on": r.oath_on,
            "conversion_due": development.conversion_due(r),
            "converted_on": r.converted_on,
            "withdrawn_on": r.withdrawn_on,
        }
        for r in records
    ]


register(
    Listing(
        "development",
        "发展党员",
        "members",
        (
            Column("branch", "支部", width=16),
            Column("name", "姓名", width=8),
            Column("gender", "性别", choice("Gender"), width=4),
            Column("stage", "阶段", choice("DevelopmentStage"), width=10),
            Column("applied_on", "申请日期", DATE),
            Column("talked_on", "谈话日期", DATE),
            Column("activist_on", "确定积极分子", DATE),
            Column("candidate_on", "确定发展对象", DATE),
            Column("training", "培训", width=14),
            Column("introducers", "入党介绍人", width=12),
            Column("political_review_on", "政治审查", DATE),
            Column("publicity", "公示", width=22),
            Column("admitted_on", "接收预备党员", DATE),
            Column("approved_on", "上级审批", DATE),
            Column("oath_on", "入党宣誓", DATE),
            # 转正日期 is the day the probation ends; the 党员大会 discussing it has its own date.
            Column("conversion_due", "预备期满（转正日期）", DATE),
            Column("converted_on", "讨论转正", DATE),
            Column("withdrawn_on", "终止培养", DATE),
        ),
        _development,
        DevelopmentRecord,
    )
)


def _fees(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    """One row per member and month. Reads only the shown columns (no ORM objects) with the member's
    name joined in SQL: a township's ten years of 党费 (~35,000 rows) load in a fraction of a second."""
    columns: Select[Any] = select(  # type: ignore[assignment]
        FeeDue.id,
        FeeDue.month,
        Member.name,
        FeeDue.category,
        FeeDue.income_fen,
        FeeDue.due_fen,
        FeeDue.paid_fen,
        FeeDue.paid_on,
        FeeDue.receipt_no,
    )
    stmt = _scope(
        columns.outerjoin(Member, Member.id == FeeDue.member_id).where(FeeDue.deleted.is_(False)),
        FeeDue.branch_id,
        branch_ids,
    )
    if year is not None:
        stmt = stmt.where(FeeDue.month >= f"{year:04d}-01", FeeDue.month <= f"{year:04d}-12")
    return [
        {
            "id": fid,
            "month": month_,
            "name": name or "",
            "category": category,
            "income_fen": income or None,
            "due_fen": due,
            "paid_fen": paid,
            "paid_on": paid_on,
            "receipt_no": receipt,
        }
        for fid, month_, name, category, income, due, paid, paid_on, receipt in session.execute(
            stmt.order_by(FeeDue.month, FeeDue.member_id)
        )
    ]


register(
    Listing(
        "fees",
        "党费收缴",
        "support",
        (
            Column("month", "月份", MONTH),
            Column("name", "姓名", width=8, source="member_id"),
            Column("category", "类别", choice("FeeCategory"), width=8),
            Column("income_fen", "月收入（元）", MONEY),
            Column("due_fen", "应交（元）", MONEY, width=10),
            Column("paid_fen", "实交（元）", MONEY, width=10),
            Column("paid_on", "交纳日期", DATE),
            Column("receipt_no", "收据号", width=14),
        ),
        _fees,
        FeeDue,
    )
)


def _training(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    stmt = _scope(
        select(TrainingSession).where(TrainingSession.deleted.is_(False)),
        TrainingSession.branch_id,
        branch_ids,
    )
    rows = list(session.scalars(_year(stmt, TrainingSession.held_on, year).order_by(TrainingSession.held_on)))
    counts = dict(
        session.execute(
            select(TrainingAttendance.session_id, func.count())
            .where(
                TrainingAttendance.session_id.in_([r.id for r in rows]), TrainingAttendance.deleted.is_(False)
            )
            .group_by(TrainingAttendance.session_id)
        ).all()
    )
    return [
        {
            "id": r.id,
            "held_on": r.held_on,
            "title": r.title,
            "kind": r.kind,
            "minutes": r.minutes,
            "organizer": r.organizer,
            "attendees": int(counts.get(r.id, 0)),
        }
        for r in rows
    ]


register(
    Listing(
        "training",
        "教育培训",
        "education",
        (
            Column("held_on", "日期", DATE),
            Column("title", "主题", width=30),
            Column("kind", "形式", choice("TrainingKind"), width=8),
            Column("minutes", "学时", HOURS, width=6),
            Column("organizer", "组织单位", width=12),
            Column("attendees", "参加人数", COUNT, width=8),
        ),
        _training,
        TrainingSession,
    )
)


def _decisions(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    return [
        {
            "id": p.decision_id,
            "proposed_on": p.proposed_on,
            "title": p.title,
            "done": "、".join(label(DecisionStepCode(s)) for s in p.done),
            "missing": "、".join(label(DecisionStepCode(s)) for s in p.missing),
            "procedure": p.procedure,
        }
        for p in decision_service.progress(session, branch_ids, year)
    ]


register(
    Listing(
        "decisions",
        "决策（四议两公开）",
        "rules",
        (
            Column("proposed_on", "提议日期", DATE),
            Column("title", "事项", width=24),
            Column("done", "已完成步骤", width=40),
            Column("missing", "待完成步骤", width=30),
            Column("procedure", "程序", choice("DecisionProcedure"), width=10),
        ),
        _decisions,
        Decision,
    )
)


def _venue(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    stmt = _scope(select(VenueCheck).where(VenueCheck.deleted.is_(False)), VenueCheck.branch_id, branch_ids)
    rows = session.scalars(
        _year(stmt, VenueCheck.checked_on, year).order_by(VenueCheck.checked_on, VenueCheck.item)
    )
    checks = list(rows)
    branches = _branch_names(session)
    photos = _photo_counts(session, "venue_check", [r.id for r in checks])
    return [
        {
            "id": r.id,
            "branch": branches.get(r.branch_id, ""),
            "item": r.item,
            "checked_on": r.checked_on,
            "met": r.met,
            "photos": photos.get(r.id, 0),
            "notes": r.notes,
        }
        for r in checks
    ]


def _photo_counts(session: Session, owner_type: str, ids: list[str]) -> dict[str, int]:
    """Attachments per owner row (the 八有 photo of each checked item)."""
    out: dict[str, int] = {}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        stmt = (
            select(Attachment.owner_id, func.count())
            .where(
                Attachment.owner_type == owner_type,
                Attachment.owner_id.in_(ids[start : start + 500]),
                Attachment.deleted.is_(False),
            )
            .group_by(Attachment.owner_id)
        )
        out.update({owner: int(n) for owner, n in session.execute(stmt)})
    return out


register(
    Listing(
        "venue",
        "阵地建设（八有）",
        "venue",
        (
            Column("branch", "支部", width=16),
            Column("item", "项目", choice("VenueItem"), width=14),
            Column("checked_on", "检查日期", DATE),
            Column("met", "达标", kinds.BOOL, width=6),
            Column("photos", "照片", COUNT, width=6),
            Column("notes", "说明", width=24),
        ),
        _venue,
        VenueCheck,
    )
)


declare(
    "transfers",
    "组织关系转接",
    "members",
    MemberTransfer,
    (
        Column("branch", "支部", width=16, source="branch_id"),
        Column("name", "姓名", MEMBER, source="member_id"),
        Column("direction", "转入/转出", choice("TransferDirection"), width=8),
        Column("on", "日期", DATE),
        Column("counterpart", "转自/转往", width=24),
        Column("letter_no", "介绍信编号", width=14),
    ),
    date="on",
)
declare(
    "flow",
    "流动党员",
    "members",
    FlowRecord,
    (
        Column("name", "姓名", MEMBER, source="member_id"),
        Column("destination", "流入地", width=20),
        Column("since", "外出日期", DATE),
        Column("until", "返回日期", DATE),
        Column("contact", "联系方式", width=14),
    ),
    date="since",
    until="until",
)
declare(
    "exemptions",
    "请假与免于要求",
    "members",
    MemberExemption,
    (
        Column("name", "姓名", MEMBER, source="member_id"),
        Column("kind", "类别", choice("ExemptionKind"), width=10),
        Column("start_on", "开始日期", DATE),
        Column("end_on", "截止日期", DATE),
        Column("reduced_fen", "少交后每月", MONEY, blank_zero=True),
        Column("reason", "事由", width=24),
        Column("approved_by", "批准", width=12),
    ),
    date="start_on",
    until="end_on",
)
declare(
    "talks",
    "谈心谈话",
    "org_life",
    HeartTalk,
    (
        Column("on", "日期", DATE),
        Column("talker", "谈话人", MEMBER, source="talker_id"),
        Column("name", "谈话对象", MEMBER, source="member_id"),
        Column("topic", "主题", width=24),
        Column("notes", "主要内容", width=30),
    ),
    date="on",
)
declare(
    "grades",
    "民主评议等次",
    "org_life",
    AppraisalGrade,
    (
        Column("year", "年度", kinds.INT, width=6),
        Column("name", "姓名", MEMBER, source="member_id"),
        Column("grade", "等次", choice("AppraisalGradeCode"), width=8),
        Column("follow_up", "处置", choice("FollowUp"), width=10),
        Column("follow_up_on", "处置日期", DATE),
        Column("notes", "备注", width=24),
    ),
    year_attr="year",
    order=("year", "grade"),
)
declare(
    "flow_contacts",
    "流动党员联系记录",
    "members",
    FlowContact,
    (
        Column("on", "日期", DATE),
        Column("name", "姓名", MEMBER, source="member_id"),
        Column("way", "方式", choice("ContactWay"), width=6),
        Column("content", "内容", width=36),
    ),
    date="on",
)
declare(
    "funds",
    "活动经费",
    "support",
    FundEntry,
    (
        Column("on", "日期", DATE),
        Column("direction", "收支", choice("FundDirection"), width=6),
        Column("category", "类别", width=14),
        Column("amount_fen", "金额（元）", MONEY, width=12),
        Column("description", "摘要", width=24),
        Column("voucher_no", "凭证号", width=12),
    ),
    date="on",
)
declare(
    "disclosures",
    "党务公开",
    "rules",
    DisclosurePosting,
    (
        Column("posted_on", "公开日期", DATE),
        Column("title", "公开事项", width=30),
        Column("channel", "公开形式", width=10),
        Column("until_on", "公开截止", DATE),
    ),
    date="posted_on",
)
declare(
    "rectification",
    "督查整改",
    "rules",
    Rectification,
    (
        Column("branch", "支部", width=16, source="branch_id"),
        Column("category", "问题类别", width=14),
        Column("description", "问题描述", width=30),
        Column("found_on", "发现日期", DATE),
        Column("deadline", "整改时限", DATE),
        Column("responsible", "责任人", width=8),
        Column("status", "状态", choice("RectificationStatus"), width=8),
        Column("closed_on", "销号日期", DATE),
    ),
    date="found_on",
)
declare(
    "weak-branches",
    "软弱涣散党组织整顿",
    "rules",
    WeakBranchFlag,
    (
        Column("branch", "支部", width=16, source="branch_id"),
        Column("flagged_on", "列入日期", DATE),
        Column("reason", "原因", width=30),
        Column("closed_on", "销号日期", DATE),
        Column("closing_notes", "整顿情况", width=30),
    ),
    date="flagged_on",
    until="closed_on",
)

# The order of the 其他台账 list (and of ``ledger list``'s choices): the paper ledgers' order.
_ORDER = (
    "development",
    "transfers",
    "flow",
    "exemptions",
    "talks",
    "grades",
    "flow_contacts",
    "fees",
    "funds",
    "training",
    "decisions",
    "disclosures",
    "venue",
    "rectification",
    "weak-branches",
)
LISTINGS.update({code: LISTINGS.pop(code) for code in _ORDER})


def declared_columns(table: str) -> dict[str, str] | None:
    """Declared key → the column of ``table`` it reads, over every ledger listing ``table`` (``name`` →
    ``member_id`` for 组织关系转接); None when no ledger declares the table. A pack's ``records = …``
    section on such a table names these keys (``services.handbook.sources.section_field``)."""
    out: dict[str, str] | None = None
    for listing in LISTINGS.values():
        if listing.model is None or listing.model.__tablename__ != table:
            continue
        columns = listing.model.__table__.columns
        out = (out or {}) | {
            c.key: c.source or c.key for c in listing.columns if (c.source or c.key) in columns
        }
    return out
