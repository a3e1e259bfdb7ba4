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
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models import (
    AppraisalGrade,
    Attachment,
    Branch,
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
from services.ledgers.kinds import COUNT, DATE, HOURS, MONEY, MONTH, Kind, choice


@dataclass(frozen=True)
class Column:
    """One column of a ledger: ``key`` in the loader's rows, ``title`` shown, ``kind`` (how the value is
    parsed, shown and exported), ``width`` in characters (Excel and print; 0: the kind's default)."""

    key: str
    title: str
    kind: Kind = kinds.TEXT
    width: int = 0

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
    )
)


def _transfers(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    stmt = _scope(
        select(MemberTransfer).where(MemberTransfer.deleted.is_(False)), MemberTransfer.branch_id, branch_ids
    )
    rows = list(session.scalars(_year(stmt, MemberTransfer.on, year).order_by(MemberTransfer.on)))
    names = _member_names(session, {r.member_id for r in rows})
    branches = _branch_names(session)
    return [
        {
            "id": r.id,
            "branch": branches.get(r.branch_id, ""),
            "name": names.get(r.member_id, ""),
            "direction": r.direction,
            "on": r.on,
            "counterpart": r.counterpart,
            "letter_no": r.letter_no,
        }
        for r in rows
    ]


register(
    Listing(
        "transfers",
        "组织关系转接",
        "members",
        (
            Column("branch", "支部", width=16),
            Column("name", "姓名", width=8),
            Column("direction", "转入/转出", choice("TransferDirection"), width=8),
            Column("on", "日期", DATE),
            Column("counterpart", "转自/转往", width=24),
            Column("letter_no", "介绍信编号", width=14),
        ),
        _transfers,
    )
)


def _flow(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    stmt = _scope(select(FlowRecord).where(FlowRecord.deleted.is_(False)), FlowRecord.branch_id, branch_ids)
    if year is not None:
        first, after = year_bounds(year)  # away at some time in the year: the periods overlap
        stmt = stmt.where(FlowRecord.since < after).where(
            (FlowRecord.until.is_(None)) | (FlowRecord.until >= first)
        )
    rows = list(session.scalars(stmt.order_by(FlowRecord.since)))
    names = _member_names(session, {r.member_id for r in rows})
    return [
        {
            "id": r.id,
            "name": names.get(r.member_id, ""),
            "destination": r.destination,
            "since": r.since,
            "until": r.until,
            "contact": r.contact,
        }
        for r in rows
    ]


register(
    Listing(
        "flow",
        "流动党员",
        "members",
        (
            Column("name", "姓名", width=8),
            Column("destination", "流入地", width=20),
            Column("since", "外出日期", DATE),
            Column("until", "返回日期", DATE),
            Column("contact", "联系方式", width=14),
        ),
        _flow,
    )
)


def _exemptions(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    stmt = _scope(
        select(MemberExemption).where(MemberExemption.deleted.is_(False)),
        MemberExemption.branch_id,
        branch_ids,
    )
    if year is not None:
        stmt = stmt.where(MemberExemption.start_on <= date(year, 12, 31)).where(
            (MemberExemption.end_on.is_(None)) | (MemberExemption.end_on >= date(year, 1, 1))
        )
    rows = list(session.scalars(stmt.order_by(MemberExemption.start_on)))
    names = _member_names(session, {r.member_id for r in rows})
    return [
        {
            "id": r.id,
            "name": names.get(r.member_id, ""),
            "kind": r.kind,
            "start_on": r.start_on,
            "end_on": r.end_on,
            "reduced_fen": r.reduced_fen or None,
            "reason": r.reason,
            "approved_by": r.approved_by,
        }
        for r in rows
    ]


register(
    Listing(
        "exemptions",
        "请假与免于要求",
        "members",
        (
            Column("name", "姓名", width=8),
            Column("kind", "类别", choice("ExemptionKind"), width=10),
            Column("start_on", "开始日期", DATE),
            Column("end_on", "截止日期", DATE),
            Column("reduced_fen", "少交后每月", MONEY),
            Column("reason", "事由", width=24),
            Column("approved_by", "批准", width=12),
        ),
        _exemptions,
    )
)


def _talks(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    stmt = _scope(select(HeartTalk).where(HeartTalk.deleted.is_(False)), HeartTalk.branch_id, branch_ids)
    if year is not None:
        stmt = stmt.where(HeartTalk.on >= date(year, 1, 1), HeartTalk.on <= date(year, 12, 31))
    rows = list(session.scalars(stmt.order_by(HeartTalk.on)))
    names = _member_names(session, {r.member_id for r in rows} | {r.talker_id for r in rows})
    return [
        {
            "id": r.id,
            "on": r.on,
            "talker": names.get(r.talker_id, ""),
            "name": names.get(r.member_id, ""),
            "topic": r.topic,
            "notes": r.notes,
        }
        for r in rows
    ]


register(
    Listing(
        "talks",
        "谈心谈话",
        "org_life",
        (
            Column("on", "日期", DATE),
            Column("talker", "谈话人", width=8),
            Column("name", "谈话对象", width=8),
            Column("topic", "主题", width=24),
            Column("notes", "主要内容", width=30),
        ),
        _talks,
    )
)


def _grades(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    stmt = _scope(
        select(AppraisalGrade).where(AppraisalGrade.deleted.is_(False)), AppraisalGrade.branch_id, branch_ids
    )
    if year is not None:
        stmt = stmt.where(AppraisalGrade.year == year)
    rows = list(session.scalars(stmt.order_by(AppraisalGrade.year, AppraisalGrade.grade)))
    names = _member_names(session, {r.member_id for r in rows})
    return [
        {
            "id": r.id,
            "year": r.year,
            "name": names.get(r.member_id, ""),
            "grade": r.grade,
            "follow_up": r.follow_up,
            "follow_up_on": r.follow_up_on,
            "notes": r.notes,
        }
        for r in rows
    ]


register(
    Listing(
        "grades",
        "民主评议等次",
        "org_life",
        (
            Column("year", "年度", kinds.INT, width=6),
            Column("name", "姓名", width=8),
            Column("grade", "等次", choice("AppraisalGradeCode"), width=8),
            Column("follow_up", "处置", choice("FollowUp"), width=10),
            Column("follow_up_on", "处置日期", DATE),
            Column("notes", "备注", width=24),
        ),
        _grades,
    )
)


def _contacts(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    stmt = _scope(
        select(FlowContact).where(FlowContact.deleted.is_(False)), FlowContact.branch_id, branch_ids
    )
    if year is not None:
        stmt = stmt.where(FlowContact.on >= date(year, 1, 1), FlowContact.on <= date(year, 12, 31))
    rows = list(session.scalars(stmt.order_by(FlowContact.on)))
    names = _member_names(session, {r.member_id for r in rows})
    return [
        {
            "id": r.id,
            "on": r.on,
            "name": names.get(r.member_id, ""),
            "way": r.way,
            "content": r.content,
        }
        for r in rows
    ]


register(
    Listing(
        "flow_contacts",
        "流动党员联系记录",
        "members",
        (
            Column("on", "日期", DATE),
            Column("name", "姓名", width=8),
            Column("way", "方式", choice("ContactWay"), width=6),
            Column("content", "内容", width=36),
        ),
        _contacts,
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
            Column("name", "姓名", width=8),
            Column("category", "类别", choice("FeeCategory"), width=8),
            Column("income_fen", "月收入（元）", MONEY),
            Column("due_fen", "应交（元）", MONEY, width=10),
            Column("paid_fen", "实交（元）", MONEY, width=10),
            Column("paid_on", "交纳日期", DATE),
            Column("receipt_no", "收据号", width=14),
        ),
        _fees,
    )
)


def _funds(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    stmt = _scope(select(FundEntry).where(FundEntry.deleted.is_(False)), FundEntry.branch_id, branch_ids)
    rows = list(session.scalars(_year(stmt, FundEntry.on, year).order_by(FundEntry.on)))
    return [
        {
            "id": r.id,
            "on": r.on,
            "direction": r.direction,
            "category": r.category,
            "amount_fen": r.amount_fen,
            "description": r.description,
            "voucher_no": r.voucher_no,
        }
        for r in rows
    ]


register(
    Listing(
        "funds",
        "活动经费",
        "support",
        (
            Column("on", "日期", DATE),
            Column("direction", "收支", choice("FundDirection"), width=6),
            Column("category", "类别", width=14),
            Column("amount_fen", "金额（元）", MONEY, width=12),
            Column("description", "摘要", width=24),
            Column("voucher_no", "凭证号", width=12),
        ),
        _funds,
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
        ),
        _decisions,
    )
)


def _disclosures(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    stmt = _scope(
        select(DisclosurePosting).where(DisclosurePosting.deleted.is_(False)),
        DisclosurePosting.branch_id,
        branch_ids,
    )
    rows = session.scalars(
        _year(stmt, DisclosurePosting.posted_on, year).order_by(DisclosurePosting.posted_on)
    )
    return [
        {"id": r.id, "posted_on": r.posted_on, "title": r.title, "channel": r.channel, "until_on": r.until_on}
        for r in rows
    ]


register(
    Listing(
        "disclosures",
        "党务公开",
        "rules",
        (
            Column("posted_on", "公开日期", DATE),
            Column("title", "公开事项", width=30),
            Column("channel", "公开形式", width=10),
            Column("until_on", "公开截止", DATE),
        ),
        _disclosures,
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
    )
)


def _problems(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    stmt = _scope(
        select(Rectification).where(Rectification.deleted.is_(False)), Rectification.branch_id, branch_ids
    )
    rows = session.scalars(_year(stmt, Rectification.found_on, year).order_by(Rectification.found_on))
    branches = _branch_names(session)
    return [
        {
            "id": r.id,
            "branch": branches.get(r.branch_id, ""),
            "category": r.category,
            "description": r.description,
            "found_on": r.found_on,
            "deadline": r.deadline,
            "responsible": r.responsible,
            "status": r.status,
            "closed_on": r.closed_on,
        }
        for r in rows
    ]


register(
    Listing(
        "rectification",
        "督查整改",
        "rules",
        (
            Column("branch", "支部", width=16),
            Column("category", "问题类别", width=14),
            Column("description", "问题描述", width=30),
            Column("found_on", "发现日期", DATE),
            Column("deadline", "整改时限", DATE),
            Column("responsible", "责任人", width=8),
            Column("status", "状态", choice("RectificationStatus"), width=8),
            Column("closed_on", "销号日期", DATE),
        ),
        _problems,
    )
)


def _weak(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    stmt = _scope(
        select(WeakBranchFlag).where(WeakBranchFlag.deleted.is_(False)), WeakBranchFlag.branch_id, branch_ids
    )
    rows = session.scalars(stmt.order_by(WeakBranchFlag.flagged_on))
    branches = _branch_names(session)
    return [
        {
            "id": r.id,
            "branch": branches.get(r.branch_id, ""),
            "flagged_on": r.flagged_on,
            "reason": r.reason,
            "closed_on": r.closed_on,
        }
        for r in rows
        if year is None or (r.flagged_on.year <= year and (r.closed_on is None or r.closed_on.year >= year))
    ]


register(
    Listing(
        "weak-branches",
        "软弱涣散党组织整顿",
        "rules",
        (
            Column("branch", "支部", width=16),
            Column("flagged_on", "列入日期", DATE),
            Column("reason", "原因", width=30),
            Column("closed_on", "销号日期", DATE),
        ),
        _weak,
    )
)
