"""The ledger sections of a printed booklet: a registry code adds to, and sections declared as data.

Two kinds of section end up in a booklet, grouped under their ledger (组织设置台账, 党员队伍台账, …):

- sections the handbook pack declares (``[[ledger.section]]``: records, filter, date field, columns) are
  printed by one generic table builder, so a province adds or changes a printed section by editing
  its pack;
- sections registered in code with ``register_section`` (or the ``@section`` decorator) for what a
  declaration cannot say: summaries and statistics. Later features (fees, the development pipeline…)
  register theirs from their own modules (listed in ``SECTION_MODULES`` or imported before printing).

When no pack can be loaded, the built-in ``fallback`` sections keep the booklet complete.
"""

from __future__ import annotations

import importlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from reportlab.platypus import Flowable, Paragraph, Spacer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models import Branch, Meeting, Member, MemberTransfer, PartyGroup, Township
from models.enums import (
    AttendanceStatus,
    BranchDomain,
    BranchKind,
    CommitteeRole,
    Education,
    Gender,
    MeetingType,
    MemberState,
    MemberStatus,
    TransferDirection,
    label,
)
from services.dates import in_year
from services.handbook.ledgers import section_rows
from services.handbook.pack import Ledger, LedgerSection, Pack
from services.handbook.period import Period
from services.meetings import kinds_label
from services.org import committee_on
from services.printing.layout import data_table, esc, styles

# Default ledger names and order (docs: /shared/domain.md); a pack overrides names and order.
DEFAULT_LEDGERS: dict[str, str] = {
    "org_setup": "组织设置台账",
    "team": "党员队伍台账",
    "org_life": "组织生活台账",
    "education": "教育培训台账",
    "system": "制度执行台账",
    "venue": "阵地建设台账",
    "support": "保障落实台账",
}

# Modules that register extra sections when imported (later ledgers add a line here or import
# themselves before printing).
SECTION_MODULES: list[str] = []


# --- the data a section is built from ----------------------------------------------------------


@dataclass
class BookletData:
    """One branch and one year, loaded once and shared by every section of the booklet."""

    session: Session
    branch: Branch
    township: Township
    year: int

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.year, 12, 31)

    @cached_property
    def moved_out(self) -> dict[str, date]:
        """Members who left this branch during or after the year by a transfer and now belong to another
        branch (their row moved with them): member id → the day they left this branch."""
        rows = self.session.execute(
            select(MemberTransfer.member_id, func.max(MemberTransfer.on))
            .join(Member, Member.id == MemberTransfer.member_id)
            .where(
                MemberTransfer.branch_id == self.branch.id,
                MemberTransfer.direction == TransferDirection.OUT,
                MemberTransfer.deleted.is_(False),
                MemberTransfer.on >= self.start,
                Member.branch_id != self.branch.id,
                Member.deleted.is_(False),
                Member.joined_on <= self.end,
            )
            .group_by(MemberTransfer.member_id)
        )
        return {member_id: on for member_id, on in rows}

    @cached_property
    def members(self) -> list[Member]:
        """Everyone who belonged to the branch at some time in the year (including who left, and who
        moved to another branch since: they stay in this branch's roster and statistics for the year)."""
        moved = list(self.moved_out)
        return list(
            self.session.scalars(
                select(Member)
                .where(
                    Member.deleted.is_(False),
                    (
                        (Member.branch_id == self.branch.id)
                        & (Member.branch_since <= self.end)
                        & ((Member.left_on.is_(None)) | (Member.left_on >= self.start))
                    )
                    | Member.id.in_(moved),
                )
                .order_by(Member.joined_on, Member.name)
            )
        )

    def in_branch_on(self, member: Member, day: date) -> bool:
        """Whether ``member`` belonged to THIS branch on ``day`` (a moved member: until they left it)."""
        if member.id in self.moved_out:
            return day < self.moved_out[member.id]
        return member.in_branch_on(day)

    @cached_property
    def member_names(self) -> dict[str, str]:
        """Names of the township's members by id (a member who moved on is still named here)."""
        rows = self.session.execute(
            select(Member.id, Member.name).where(Member.township_id == self.branch.township_id)
        )
        return {r[0]: r[1] for r in rows}

    @cached_property
    def groups(self) -> list[PartyGroup]:
        return list(
            self.session.scalars(
                select(PartyGroup)
                .where(PartyGroup.branch_id == self.branch.id, PartyGroup.deleted.is_(False))
                .order_by(PartyGroup.sort_order, PartyGroup.name)
            )
        )

    @cached_property
    def group_names(self) -> dict[str, str]:
        return {g.id: g.name for g in self.groups}

    @cached_property
    def meetings(self) -> list[Meeting]:
        """The year's meetings, oldest first, with their attendance."""
        return list(
            self.session.scalars(
                select(Meeting)
                .options(selectinload(Meeting.attendance))
                .where(
                    Meeting.branch_id == self.branch.id,
                    Meeting.deleted.is_(False),
                    *in_year(Meeting.held_on, self.year),
                )
                .order_by(Meeting.held_on, Meeting.start_time)
            )
        )

    def lookup(self, field_name: str, value: Any) -> str | None:
        """Names for foreign keys a clerk would not recognise as ids."""
        if value is None:
            return ""
        if field_name in ("member_id", "talker_id", "introducer1_id", "introducer2_id"):
            return self.member_names.get(value, "")
        if field_name == "party_group_id":
            return self.group_names.get(value, "")
        if field_name == "branch_id":
            return self.branch.name
        return None


# --- registry --------------------------------------------------------------------------------

Builder = Callable[[BookletData], list[Flowable]]


@dataclass(frozen=True)
class SectionSpec:
    """A printed section: its catalog title, the ledger it is filed under, and how to build it."""

    code: str
    title: str
    ledger: str
    build: Builder
    order: int = 100  # position within its ledger (pack sections come first, in pack order)
    fallback: bool = False  # only printed when no handbook pack is available


_REGISTRY: dict[str, SectionSpec] = {}


def register_section(spec: SectionSpec) -> SectionSpec:
    """Adds (or replaces, by code) a section printed in every yearly booklet."""
    _REGISTRY[spec.code] = spec
    return spec


def section(
    code: str, title: str, ledger: str, order: int = 100, *, fallback: bool = False
) -> Callable[[Builder], Builder]:
    def wrap(fn: Builder) -> Builder:
        register_section(SectionSpec(code, title, ledger, fn, order, fallback))
        return fn

    return wrap


def registered_sections() -> list[SectionSpec]:
    for module in SECTION_MODULES:
        importlib.import_module(module)
    return sorted(_REGISTRY.values(), key=lambda s: (s.order, s.code))


# --- sections declared in the handbook pack ------------------------------------------------------


def pack_ledgers(pack: Pack | None = None) -> list[Ledger] | None:
    """The ledgers of ``pack`` (default: the pack IN USE on this computer, as the check uses it), or
    None when no pack can be loaded (then the built-in fallback sections print)."""
    if pack is not None:
        return list(pack.ledger)
    try:
        from services.handbook.pack import pack_in_use

        return list(pack_in_use().ledger)
    except Exception:
        # A broken or missing pack must not stop printing; the built-in sections cover the basics.
        return None


def declared_builder(decl: LedgerSection) -> Builder:
    """Prints one pack section through the one ledger reader (``services.handbook.ledgers``)."""

    def build(data: BookletData) -> list[Flowable]:
        read = section_rows(data.session, decl, [data.branch.id], Period(data.start, data.end, "year"))
        rows = [[str(i), *row] for i, row in enumerate(read.rows, start=1)]
        widths = [5.0] + [float(w or k.width) for w, k in zip(read.widths, read.kinds, strict=True)]
        if read.dated:
            note = f"统计期间：{data.start.isoformat()} 至 {data.end.isoformat()}　共 {len(rows)} 条"
        else:
            note = f"截至打印时的记录　共 {len(rows)} 条"
        return [
            Paragraph(esc(note), styles().note),
            Spacer(1, 2),
            data_table(["序号", *read.headers], rows, widths, center=[0]),
        ]

    return build


def declared_spec(ledger: str, decl: LedgerSection, position: int) -> SectionSpec:
    return SectionSpec(f"pack.{ledger}.{position}", decl.title, ledger, declared_builder(decl), position)


# --- the plan of a booklet -------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerPlan:
    code: str
    name: str
    sections: list[SectionSpec]


def plan(declared: Sequence[Ledger] | None, extra: Iterable[SectionSpec] | None = None) -> list[LedgerPlan]:
    """Ledgers in pack order with their sections: the pack's, then the registered ones.

    Registered sections of a ledger the pack does not know still print, under the default name.
    ``extra`` (default: every registered section) is printed as given, fallback sections included.
    """
    specs = list(extra) if extra is not None else registered_sections()
    have_pack = declared is not None
    ledgers: dict[str, LedgerPlan] = {}
    for lg in declared or []:
        ledgers[lg.id] = LedgerPlan(
            lg.id, lg.name, [declared_spec(lg.id, s, i) for i, s in enumerate(lg.section)]
        )
    if not have_pack:
        for code, name in DEFAULT_LEDGERS.items():
            ledgers[code] = LedgerPlan(code, name, [])
    for spec in specs:
        if spec.fallback and have_pack and extra is None:
            continue
        if spec.ledger not in ledgers:
            ledgers[spec.ledger] = LedgerPlan(spec.ledger, DEFAULT_LEDGERS.get(spec.ledger, spec.ledger), [])
        ledgers[spec.ledger].sections.append(spec)
    for lp in ledgers.values():
        pack_part = [s for s in lp.sections if s.code.startswith("pack.")]
        coded = sorted((s for s in lp.sections if not s.code.startswith("pack.")), key=lambda s: s.order)
        lp.sections[:] = pack_part + coded
    return [lp for lp in ledgers.values() if lp.sections]


# --- built-in sections ---------------------------------------------------------------------------


def _d(value: date | None) -> str:
    return value.isoformat() if value else ""


@section("org.basic", "党组织基本情况", "org_setup", order=10)
def basic_info(data: BookletData) -> list[Flowable]:
    b = data.branch
    active = [m for m in data.members if data.in_branch_on(m, data.end) and m.state == "active"]
    full = sum(1 for m in active if m.status == "full")
    women = sum(1 for m in active if m.gender == "female")
    flowing = sum(1 for m in active if m.is_flowing)
    seats = committee_on(data.session, b.id, min(data.end, date.today()))
    secretary = next((data.member_names.get(s.member_id, "") for s in seats if s.role == "secretary"), "")
    rows = [
        ["党组织名称", b.name, "组织代码", b.code],
        ["所属乡镇", data.township.name, "组织类别", label(BranchKind(b.kind))],
        ["所属领域", label(BranchDomain(b.domain)), "成立日期", _d(b.founded_on)],
        ["本届换届日期", _d(b.term_start), "届满日期", _d(b.term_end)],
        ["支部书记", secretary, "党小组数", f"{len(data.groups)} 个"],
        ["年末党员数", f"{len(active)} 人", "其中正式党员", f"{full} 人"],
        ["其中预备党员", f"{len(active) - full} 人", "其中女党员", f"{women} 人"],
        ["其中流动党员", f"{flowing} 人", "本年召开会议", f"{len(data.meetings)} 次"],
    ]
    table = data_table(["项目", "内容", "项目", "内容"], rows, [24, 40, 24, 40])
    return [Paragraph(f"统计截至 {data.end.isoformat()}", styles().note), Spacer(1, 2), table]


@section("org.groups", "党小组及成员", "org_setup", order=20)
def groups_with_members(data: BookletData) -> list[Flowable]:
    by_group: dict[str | None, list[str]] = defaultdict(list)
    for m in data.members:
        if data.in_branch_on(m, data.end):
            by_group[m.party_group_id].append(m.name)
    names = {m.id: m.name for m in data.members}
    rows = [
        [
            str(i),
            g.name,
            names.get(g.leader_id or "", ""),
            f"{len(by_group[g.id])} 人",
            "、".join(by_group[g.id]),
        ]
        for i, g in enumerate(data.groups, start=1)
    ]
    if by_group.get(None) and data.groups:
        rows.append(["", "未编入党小组", "", f"{len(by_group[None])} 人", "、".join(by_group[None])])
    return [data_table(["序号", "党小组", "组长", "人数", "成员"], rows, [6, 18, 12, 10, 54], center=[0, 3])]


def _roster_note(data: BookletData, m: Member) -> str:
    if m.id in data.moved_out:
        return f"转出 {_d(data.moved_out[m.id])}"
    return "" if m.state == "active" else f"{label(MemberState(m.state))} {_d(m.left_on)}"


# 职业 in the printed roster: the 党内统计 categories (models.enums.Occupation) in words short enough for
# a column of the A4 page; the full wording is in the statistics tables.
ROSTER_OCCUPATION = {
    "worker": "工人",
    "farmer": "农牧渔民",
    "professional": "专业技术人员",
    "manager": "管理人员",
    "official": "机关工作人员",
    "student": "学生",
    "other": "其他职业",
    "retired": "离退休",
}


@section("members.roster", "党员花名册", "team", order=10, fallback=True)
def roster(data: BookletData) -> list[Flowable]:
    """The roster with the fields the 党内统计 counts: 职业, 农民工, 困难党员 ("是" when set)."""
    groups = {g.id: g.name for g in data.groups}
    rows = [
        [
            str(i),
            m.name,
            label(Gender(m.gender)),
            m.ethnicity,
            _d(m.birth_date),
            label(Education(m.education)) if m.education else "",
            _d(m.joined_on),
            "预备" if m.status == MemberStatus.PROBATIONARY else "正式",
            groups.get(m.party_group_id or "", ""),
            ROSTER_OCCUPATION.get(m.occupation, ""),
            "是" if m.is_migrant_worker else "",
            "是" if m.is_hardship else "",
            m.id_number,
            _roster_note(data, m),
        ]
        for i, m in enumerate(data.members, start=1)
    ]
    header = [
        "序号",
        "姓名",
        "性别",
        "民族",
        "出生日期",
        "学历",
        "入党日期",
        "类别",
        "党小组",
        "职业",
        "农民工",
        "困难党员",
        "身份证号",
        "备注",
    ]
    # millimetres of the 162 mm frame, measured on a rendered page: a date (10 characters) and an 18-digit
    # 身份证号 at the small cell font stay on one line; headers of the narrow columns wrap
    widths = [6, 13, 5.5, 9, 17, 11, 17, 7.5, 12, 13, 6.5, 6.5, 30.5, 7.5]
    return [data_table(header, rows, widths, center=[0, 2, 3, 10, 11], small=True)]


@section("org.committee", "支部委员会成员", "org_setup", order=15, fallback=True)
def committee(data: BookletData) -> list[Flowable]:
    from models import CommitteeSeat

    seats = data.session.scalars(
        select(CommitteeSeat)
        .where(
            CommitteeSeat.branch_id == data.branch.id,
            CommitteeSeat.deleted.is_(False),
            CommitteeSeat.start_on <= data.end,
            (CommitteeSeat.end_on.is_(None)) | (CommitteeSeat.end_on >= data.start),
        )
        .order_by(CommitteeSeat.start_on)
    )
    rows = [
        [
            str(i),
            data.member_names.get(s.member_id, ""),
            label(CommitteeRole(s.role)),
            _d(s.start_on),
            _d(s.end_on),
        ]
        for i, s in enumerate(seats, start=1)
    ]
    return [
        data_table(["序号", "姓名", "职务", "任职日期", "离任日期"], rows, [6, 16, 16, 16, 16], center=[0])
    ]


def _counts(meeting: Meeting) -> Counter[str]:
    return Counter(a.status for a in meeting.attendance if not a.deleted)


@section("life.meetings", "会议活动一览", "org_life", order=10, fallback=True)
def meetings_list(data: BookletData) -> list[Flowable]:
    rows = []
    for i, m in enumerate(data.meetings, start=1):
        c = _counts(m)
        expected = c[AttendanceStatus.PRESENT] + c[AttendanceStatus.LEAVE] + c[AttendanceStatus.ABSENT]
        rows.append(
            [
                str(i),
                _d(m.held_on),
                kinds_label(m.type, m.also_types),
                m.topics,
                str(expected),
                str(c[AttendanceStatus.PRESENT]),
                str(c[AttendanceStatus.LEAVE]),
                str(c[AttendanceStatus.ABSENT]),
            ]
        )
    header = ["序号", "日期", "类型", "议题", "应到", "实到", "请假", "缺席"]
    return [data_table(header, rows, [5, 11, 12, 44, 6, 6, 6, 6], center=[0, 4, 5, 6, 7])]


@section("life.counts", "会议次数统计（按季度）", "org_life", order=20)
def meeting_counts(data: BookletData) -> list[Flowable]:
    # A combined meeting (组织生活会暨民主评议党员) counts under every kind it was, once in the total.
    counts: dict[str, list[int]] = {t.value: [0, 0, 0, 0] for t in MeetingType}
    total = [0, 0, 0, 0]
    for m in data.meetings:
        q = (m.held_on.month - 1) // 3
        for kind in {m.type, *(k for k in (m.also_types or "").split(",") if k)}:
            counts[kind][q] += 1
        total[q] += 1
    rows = [
        [label(t), *[str(n) for n in q], str(sum(q))]
        for t, q in ((MeetingType(code), q) for code, q in counts.items())
    ]
    rows.append(["合计（次）", *[str(n) for n in total], str(sum(total))])
    header = ["会议类型", "第一季度", "第二季度", "第三季度", "第四季度", "全年"]
    return [data_table(header, rows, [24, 12, 12, 12, 12, 12], center=[1, 2, 3, 4, 5])]


@section("life.attendance", "党员参加组织生活情况统计", "org_life", order=30)
def attendance_stats(data: BookletData) -> list[Flowable]:
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for m in data.meetings:
        for a in m.attendance:
            if not a.deleted and a.status != AttendanceStatus.OBSERVER:
                tally[a.member_id][a.status] += 1
    rows = []
    for i, member in enumerate(data.members, start=1):
        t = tally.get(member.id, Counter())
        should = t[AttendanceStatus.PRESENT] + t[AttendanceStatus.LEAVE] + t[AttendanceStatus.ABSENT]
        rate = f"{t[AttendanceStatus.PRESENT] * 100 // should}%" if should else "—"
        rows.append(
            [
                str(i),
                member.name,
                str(should),
                str(t[AttendanceStatus.PRESENT]),
                str(t[AttendanceStatus.LEAVE]),
                str(t[AttendanceStatus.ABSENT]),
                rate,
            ]
        )
    header = ["序号", "姓名", "应参加（次）", "出席", "请假", "缺席", "出席率"]
    return [data_table(header, rows, [6, 16, 14, 10, 10, 10, 10], center=[0, 2, 3, 4, 5, 6])]
