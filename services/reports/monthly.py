"""一月一分析: per branch, what the month's records hold, the month's findings (the handbook engine),
and what falls due next month, sorted by urgency, each line saying what to do.

Sources of the due items (see ../shared/domain.md):
- committee terms: 支部工作条例 第二十一条 (3 years; village/community 5 years), 换届 prepared before the
  term ends (选举工作条例);
- probation: 党章 第七条 (one year from admission; the 党员大会 decides the conversion when it ends),
  extended probation from the development record (发展党员工作细则);
- 积极分子: 发展党员工作细则 第十三条 (at least one year of training before becoming a 发展对象) and the
  six-monthly review (same 细则);
- lapses: 党章 第九条 (6 months without organisational life or dues: regarded as having left), warned at 3
  and 5 months — the same runs the handbook's lapse rules judge (services.fees.unpaid_runs / life_gap_runs);
- 组织生活会: 党员教育管理工作条例 第十七条 (at least once a year), listed in the last three months of the
  year while none is on record;
- 积极分子 reserve: the pack's reserve rule (TEAM-02: at least 10 per village, services.pipeline).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import func, literal, or_, select
from sqlalchemy.orm import Session

from models import Attendance, Branch, Meeting, Member
from models.decisions import Decision, DisclosurePosting
from models.development import DevelopmentRecord
from models.enums import LABELS, AttendanceStatus, DevelopmentStage, MeetingType, MemberState, MemberStatus
from models.fees import FeeDue, FundEntry
from models.filing import EvidenceFiling
from models.rectification import Rectification
from models.training import TrainingSession
from models.transfer import MemberTransfer
from services import fees
from services.dates import add_months, add_years
from services.development import conversion_due
from services.handbook.pack import Pack
from services.handbook.period import month as month_period
from services.ledgers.catalog import LISTINGS
from services.pipeline import pipeline_table, reserve_from_pack
from services.reports.charts import Chart
from services.reports.common import Month, Scope, check_month, parse_month, scope, scoped_check
from services.reports.output import Document, Section
from services.reports.progress import Breakdown

URGENT, SOON, REMIND = 1, 2, 3
URGENCY_LABELS = {URGENT: "紧急", SOON: "较急", REMIND: "提醒"}
MEETING_KINDS = [t.value for t in MeetingType]

# (label, model, date column, branch column) of the other ledgers whose entries the month counts.
LEDGERS: list[tuple[str, Any, Any, Any]] = [
    ("决策事项", Decision, Decision.proposed_on, Decision.branch_id),
    ("公开", DisclosurePosting, DisclosurePosting.posted_on, DisclosurePosting.branch_id),
    ("培训", TrainingSession, TrainingSession.held_on, TrainingSession.branch_id),
    ("党费缴纳", FeeDue, FeeDue.paid_on, FeeDue.branch_id),
    ("经费收支", FundEntry, FundEntry.on, FundEntry.branch_id),
    ("整改问题", Rectification, Rectification.found_on, Rectification.branch_id),
    ("组织关系转接", MemberTransfer, MemberTransfer.on, MemberTransfer.branch_id),
    ("资料归档", EvidenceFiling, EvidenceFiling.filed_on, EvidenceFiling.branch_id),
]
# ... and every other declared ledger whose entries are each dated on one day (谈心谈话, 流动党员联系记录):
# a ledger declared in services.ledgers.catalog is counted without being listed here again.
LEDGERS += [
    (listing.title, listing.model, getattr(listing.model, listing.dated), listing.model.branch_id)
    for listing in LISTINGS.values()
    if listing.dated and listing.model not in {model for _, model, *_ in LEDGERS}
]


@dataclass
class BranchMonth:
    """What one branch recorded in the month."""

    code: str
    name: str
    meetings: dict[str, int]  # MeetingType code → meetings held in the month
    present: int  # attendances marked 出席
    expected: int  # 出席 + 请假 + 缺席 (列席 observers are not expected)
    ledgers: dict[str, int]  # ledger label → entries dated in the month
    # MeetingType code → the meetings counted in ``meetings`` ("2026-10-10 议题"), for the drill-down
    meeting_items: dict[str, list[str]] = field(default_factory=dict)

    @property
    def attendance_rate(self) -> float | None:
        """Share of expected attendances present, 0–1; None when no meeting had attendance."""
        return self.present / self.expected if self.expected else None

    def rate_text(self) -> str:
        rate = self.attendance_rate
        return "—" if rate is None else f"{rate * 100:.1f}%"


@dataclass(frozen=True)
class DueItem:
    """Something that falls due in the next month (or is already overdue)."""

    urgency: int  # URGENT / SOON / REMIND
    due_on: date
    branch_code: str
    branch_name: str
    who: str  # member / activist name, or "" for the branch itself
    what: str  # what falls due
    todo: str  # what to do, with the source
    kind: str  # stable code: term / probation / activist_year / activist_review / dues / life / life_meeting

    def as_dict(self) -> dict[str, Any]:
        return {
            "urgency": self.urgency,
            "urgency_label": URGENCY_LABELS[self.urgency],
            "due_on": self.due_on.isoformat(),
            "branch_code": self.branch_code,
            "branch": self.branch_name,
            "who": self.who,
            "what": self.what,
            "todo": self.todo,
            "kind": self.kind,
        }


@dataclass
class MonthReport:
    month: Month
    title: str
    branches: list[BranchMonth]
    findings: list[dict[str, Any]]  # Finding.to_dict() of the month's check
    due: list[DueItem]
    notes: list[str] = field(default_factory=list)
    # 发展党员工作进度 on the month's last day (or today, for the month under way)
    pipeline: Breakdown | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": str(self.month),
            "title": self.title,
            "branches": [
                {
                    "code": b.code,
                    "name": b.name,
                    "meetings": b.meetings,
                    "present": b.present,
                    "expected": b.expected,
                    "attendance_rate": None if b.attendance_rate is None else round(b.attendance_rate, 4),
                    "ledgers": b.ledgers,
                }
                for b in self.branches
            ],
            "findings": [
                {k: f[k] for k in ("branch_code", "importance", "rule_id", "rule_name", "period", "message")}
                for f in self.findings
            ],
            "due": [d.as_dict() for d in self.due],
            "notes": self.notes,
            "pipeline": self.pipeline.as_dict() if self.pipeline is not None else None,
        }

    def lines(self) -> list[str]:
        """Plain text for the terminal."""
        out = [f"{self.title} {self.month.label()} 一月一分析", "一、本月记录"]
        for b in self.branches:
            held = "，".join(f"{_kind(k)}{n}" for k, n in b.meetings.items() if n) or "无会议记录"
            led = "，".join(f"{k}{n}" for k, n in b.ledgers.items() if n) or "无"
            out.append(f"  {b.name}：{held}；出勤率 {b.rate_text()}；其他台账：{led}")
        out.append(f"二、本月问题（{len(self.findings)} 条）")
        out += [f"  {f['branch_name']} [{f['importance_label']}] {f['message']}" for f in self.findings]
        out.append(f"三、下月到期事项（{len(self.due)} 条）")
        out += [
            f"  [{URGENCY_LABELS[d.urgency]}] {d.due_on.isoformat()} {d.branch_name} {d.who} {d.what} → {d.todo}"
            for d in self.due
        ]
        if self.pipeline is not None:
            steps = "，".join(
                f"{c} {n}" for c, n in zip(self.pipeline.columns, self.pipeline.totals(), strict=True)
            )
            out.append(f"四、{self.pipeline.title}：{steps}")
        out += self.notes
        return out


def _also_types() -> Any:
    """``Meeting.also_types`` (other kinds one record also was, comma-separated) where the schema has it."""
    return getattr(Meeting, "also_types", None)


def _is_kind(kind: str) -> Any:
    """A meeting of ``kind``, as its main kind or one it was held together with."""
    also = _also_types()
    if also is None:
        return Meeting.type == kind
    return or_(Meeting.type == kind, also.like(f"%{kind}%"))


def _kind(code: str) -> str:
    return LABELS["MeetingType"].get(code, code)


def month_report(
    session: Session,
    period_text: str,
    branch_code: str | None = None,
    *,
    today: date | None = None,
    pack: Pack | None = None,
    township_code: str | None = None,
) -> MonthReport:
    """一月一分析 of the month ``period_text`` (2026-11) for the township or one branch (and those below it).

    ``pack``: the handbook pack whose findings are listed (default: the built-in pack). Raises
    ValidationError("period") for a month after ``today``'s month or before the first branch was founded,
    NotFound for an unknown branch code. Without ``branch_code``: the township ``township_code``, else
    every township of the database (see ``common.scope``)."""
    from services.handbook.pack import load_pack

    today = today or date.today()
    month = parse_month(period_text, "period")
    where = scope(session, branch_code, township_code)
    check_month(session, where, month, today, field="period")
    ids = where.ids
    branches = [_empty_month(b, where) for b in where.branches]
    _fill_counts(
        session, ids, month, {b.code: b for b in branches}, {b.id: where.code(b) for b in where.branches}
    )
    pack = pack or load_pack()
    # The check's lapse rules and the 到期事项 list judge the same dues / organisational-life runs: once.
    with fees.shared_lapse_runs(session):
        result = scoped_check(session, pack, month_period(month.year, month.month), where, today)
        due = _due(session, where, month, pack, today)
    order = {b.id: i for i, b in enumerate(where.branches)}
    findings = sorted(
        result.findings, key=lambda f: (order.get(f.branch_id, 0), -f.rank, f.rule_id, f.period)
    )
    notes = []
    if month.year == today.year and month.month == today.month:
        notes.append(f"注：{month.label()}尚未结束，截至 {today.isoformat()} 的记录。")
    from services.reports.progress import pipeline_on

    pipeline = pipeline_on(session, where, min(month.last, today))
    return MonthReport(month, where.title(), branches, [f.to_dict() for f in findings], due, notes, pipeline)


def _empty_month(branch: Branch, where: Scope) -> BranchMonth:
    return BranchMonth(
        where.code(branch),
        where.name(branch),
        dict.fromkeys(MEETING_KINDS, 0),
        0,
        0,
        {k: 0 for k, *_ in LEDGERS},
    )


def _fill_counts(
    session: Session, ids: list[str], month: Month, by_code: dict[str, BranchMonth], code_of: dict[str, str]
) -> None:
    """Meetings by kind, attendance and ledger entries of the month: a few grouped queries."""
    in_month = (Meeting.held_on >= month.first, Meeting.held_on <= month.last)
    kinds_col = _also_types() if _also_types() is not None else literal("")
    meetings = (
        select(Meeting.branch_id, Meeting.type, kinds_col, Meeting.held_on, Meeting.topics)
        .where(Meeting.branch_id.in_(ids), Meeting.deleted.is_(False), *in_month)
        .order_by(Meeting.held_on, Meeting.id)
    )
    # one row per meeting: the count of a cell is the length of the list the drill-down shows
    for branch_id, kind, also, held_on, topics in session.execute(meetings):
        row = by_code[code_of[branch_id]]
        # one record counts for every kind it was (主题党日暨党员大会; 党员教育管理工作条例 第十六–十八条)
        for k in {kind, *(x for x in str(also or "").split(",") if x)}:
            row.meetings[k] = row.meetings.get(k, 0) + 1
            topic = str(topics or "").splitlines()[0][:40] if topics else ""
            row.meeting_items.setdefault(k, []).append(f"{held_on.isoformat()} {_kind(k)} {topic}".strip())
    att = (
        select(Meeting.branch_id, Attendance.status, func.count())
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(
            Meeting.branch_id.in_(ids), Meeting.deleted.is_(False), Attendance.deleted.is_(False), *in_month
        )
        .group_by(Meeting.branch_id, Attendance.status)
    )
    for branch_id, status, n in session.execute(att):
        row = by_code[code_of[branch_id]]
        if status == AttendanceStatus.PRESENT:
            row.present += n
        if status in (AttendanceStatus.PRESENT, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT):
            row.expected += n
    for label, model, day, branch_col in LEDGERS:
        stmt = (
            select(branch_col, func.count())
            .where(branch_col.in_(ids), model.deleted.is_(False), day >= month.first, day <= month.last)
            .group_by(branch_col)
        )
        for branch_id, n in session.execute(stmt):
            by_code[code_of[branch_id]].ledgers[label] += n


def _due(session: Session, where: Scope, month: Month, pack: Pack, today: date) -> list[DueItem]:
    """What falls due in the month after ``month`` (and what is already overdue by then), as known on
    ``today`` (a dues payment made after it is not known, as in the handbook check)."""
    nxt = month.next()
    start, end = nxt.first, nxt.last
    branches = where.branches
    info = {b.id: b for b in branches}
    ids = list(info)
    order = {where.code(b): i for i, b in enumerate(branches)}
    out: list[DueItem] = []

    def add(urgency: int, due_on: date, branch_id: str, who: str, what: str, todo: str, kind: str) -> None:
        b = info[branch_id]
        out.append(DueItem(urgency, due_on, where.code(b), where.name(b), who, what, todo, kind))

    for b in branches:
        if b.term_end is not None and b.term_end <= end:
            overdue = b.term_end < start
            add(
                URGENT,
                b.term_end,
                b.id,
                "",
                f"支委会任期{'已于' if overdue else '将于'} {b.term_end.isoformat()} 届满",
                "任期已满，尽快报告上级党委并按期换届，不得无故拖延（支部工作条例第二十一条；选举工作条例）"
                if overdue
                else "提前向上级党委报告，启动换届选举（支部工作条例第二十一条；选举工作条例）",
                "term",
            )

    records = {
        r.member_id: r
        for r in session.scalars(
            select(DevelopmentRecord).where(
                DevelopmentRecord.branch_id.in_(ids), DevelopmentRecord.deleted.is_(False)
            )
        )
        if r.member_id
    }
    probationers = session.scalars(
        select(Member).where(
            Member.branch_id.in_(ids),
            Member.deleted.is_(False),
            Member.state == MemberState.ACTIVE,
            Member.status == MemberStatus.PROBATIONARY,
            Member.full_member_on.is_(None),  # 转正 already recorded: nothing falls due
        )
    )
    for m in probationers:
        record = records.get(m.id)
        due_on = (conversion_due(record) if record is not None else None) or add_years(m.joined_on, 1)
        if due_on <= end:
            late = due_on < start
            add(
                URGENT,
                due_on,
                m.branch_id,
                m.name,
                f"预备期{'已于' if late else '将于'} {due_on.isoformat()} 期满",
                "本人提交转正申请，支部党员大会讨论能否按期转正（党章第七条）",
                "probation",
            )

    activists = session.scalars(
        select(DevelopmentRecord).where(
            DevelopmentRecord.branch_id.in_(ids),
            DevelopmentRecord.deleted.is_(False),
            DevelopmentRecord.stage == DevelopmentStage.ACTIVIST,
            DevelopmentRecord.withdrawn_on.is_(None),
        )
    )
    for r in activists:
        if r.activist_on is None:
            continue
        year_on = add_years(r.activist_on, 1)
        if start <= year_on <= end:
            add(
                REMIND,
                year_on,
                r.branch_id,
                r.name,
                f"列为入党积极分子将满一年（{r.activist_on.isoformat()} 起）",
                "经支委会研究，可确定为发展对象，报上级党委备案（发展党员工作细则第十三条）",
                "activist_year",
            )
        review_on = add_months(r.last_review_on or r.activist_on, 6)
        if review_on <= end:
            late = review_on < start
            add(
                SOON if late else REMIND,
                review_on,
                r.branch_id,
                r.name,
                f"半年考察{'已逾期（应于' if late else '到期（'}{review_on.isoformat()}）",
                "培养联系人汇报，支委会进行半年考察并记入考察登记表（发展党员工作细则）",
                "activist_review",
            )

    as_of = str(month)
    # The same arguments as the handbook's lapse rules (services.handbook.ledger_rules.lapse) for a
    # month that has ended, so inside shared_lapse_runs both read one computation.
    lookback = fees.LAPSE_LOOKBACK_MONTHS
    runs_of = {
        "dues": fees.unpaid_runs(session, as_of, ids, lookback, paid_by=today),
        "life": fees.life_gap_runs(session, as_of, ids, lookback_months=lookback),
    }
    for kind, noun in (("dues", "未交党费"), ("life", "未参加组织生活")):
        for run in runs_of[kind]:
            reach = run.months + 1
            if reach == 3:
                urgency, todo = REMIND, "支委谈心谈话，了解原因，提醒按时参加/交纳（党章第九条，满3个月提醒）"
            elif reach == 5:
                urgency, todo = SOON, "支部书记谈话，书面提醒，说明满6个月将按自行脱党处理（党章第九条）"
            elif reach == 6:
                urgency, todo = (
                    URGENT,
                    "满6个月无正当理由即视为自行脱党：核实有无请假、流动等正当理由后，支部党员大会讨论处理（党章第九条）",
                )
            else:
                continue
            add(
                urgency,
                start,
                run.branch_id,
                run.name,
                f"{noun}已连续 {run.months} 个月（{run.since} 起），{nxt.label()}将满 {reach} 个月",
                todo,
                kind,
            )

    if nxt.year == month.year and nxt.month >= 10:
        held = set(
            session.scalars(
                select(Meeting.branch_id).where(
                    Meeting.branch_id.in_(ids),
                    Meeting.deleted.is_(False),
                    _is_kind(MeetingType.LIFE),
                    Meeting.held_on >= date(month.year, 1, 1),
                    Meeting.held_on <= month.last,
                )
            )
        )
        for b in branches:
            if b.id in held or b.kind != "branch":
                continue
            left = 12 - nxt.month + 1
            add(
                URGENT if nxt.month == 12 else SOON,
                date(month.year, 12, 31),
                b.id,
                "",
                f"{month.year}年尚未召开组织生活会（年底前还剩 {left} 个月）",
                "会前谈心谈话、征求意见，召开组织生活会并开展民主评议党员（党员教育管理工作条例第十七、十八条）",
                "life_meeting",
            )

    reserve = reserve_from_pack(pack)
    if reserve is not None:
        for row in pipeline_table(session, ids, reserve):
            if row.short:
                have = row.counts.get(DevelopmentStage.ACTIVIST.value, 0)
                add(
                    REMIND,
                    end,
                    row.branch_id,
                    "",
                    f"入党积极分子 {have} 名，少于储备要求的 {reserve.minimum} 名",
                    f"从入党申请人中推荐确定积极分子，指定培养联系人（{reserve.rule_id}；发展党员工作细则）",
                    "reserve",
                )
    out.sort(key=lambda d: (d.urgency, d.due_on, order[d.branch_code], d.who))
    return out


def document(report: MonthReport) -> Document:
    """The report as a printable / exportable document: records, findings, due items."""
    kinds = [k for k in MEETING_KINDS if any(b.meetings.get(k) for b in report.branches)] or MEETING_KINDS[:5]
    ledger_labels = [label for label, *_ in LEDGERS]
    records = Section(
        "本月记录",
        ["支部", *(_kind(k) for k in kinds), "出勤率", "台账记录"],
        [
            [
                b.name,
                *(b.meetings.get(k, 0) for k in kinds),
                b.rate_text(),
                "，".join(f"{k}{b.ledgers[k]}" for k in ledger_labels if b.ledgers[k]) or "无",
            ]
            for b in report.branches
        ],
        widths=[16, *([7] * len(kinds)), 8, 22],
        note="出勤率 = 出席人次 ÷（出席 + 请假 + 缺席）人次，列席不计。",
        items={
            (i, j + 1): list(b.meeting_items.get(k, []))
            for i, b in enumerate(report.branches)
            for j, k in enumerate(kinds)
        },
    )
    findings = Section(
        "本月问题",
        ["支部", "级别", "规则", "问题"],
        [[f["branch_name"], f["importance_label"], f["rule_id"], f["message"]] for f in report.findings],
        widths=[16, 6, 10, 60],
        empty="本月未发现问题。",
    )
    due = Section(
        f"{report.month.next().label()}到期事项",
        ["紧急程度", "到期日", "支部", "对象", "事项", "应做"],
        [[URGENCY_LABELS[d.urgency], d.due_on, d.branch_name, d.who, d.what, d.todo] for d in report.due],
        widths=[8, 11, 14, 8, 30, 40],
        empty="下月没有到期事项。",
    )
    title = f"{report.title} {report.month.label()} 一月一分析"
    sections = [records, findings, due]
    if report.pipeline is not None:
        sections.append(report.pipeline.section())
    return Document(title, report.title, sections, charts(report, kinds))


def percent(rate: float | None) -> float:
    """An attendance rate as a percentage with one decimal, as ``rate_text`` shows it (no meeting: 0)."""
    return 0.0 if rate is None else round(rate * 100, 1)


def charts(report: MonthReport, kinds: list[str] | None = None) -> list[Chart]:
    """图1 each branch's attendance rate, 图2 its meetings by kind: the numbers of the 本月记录 table."""
    kinds = kinds or [k for k in MEETING_KINDS if any(b.meetings.get(k) for b in report.branches)]
    names = [b.name for b in report.branches]
    out = [
        Chart(
            f"图1 {report.month.label()}各支部出勤率",
            "bar",
            names,
            [("出勤率", [percent(b.attendance_rate) for b in report.branches])],
            unit="%",
        )
    ]
    if kinds:
        out.append(
            Chart(
                f"图2 {report.month.label()}各支部会议次数",
                "bar",
                names,
                [(_kind(k), [b.meetings.get(k, 0) for b in report.branches]) for k in kinds],
                unit="次",
            )
        )
    if report.pipeline is not None:
        out += [replace(c, title=f"图{len(out) + 1} {c.title}") for c in report.pipeline.charts]
    return out
