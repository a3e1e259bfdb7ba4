"""发展党员: the development pipeline, step by step, per 《中国共产党发展党员工作细则》.

Steps are recorded as they happened; timing problems (talk later than a month, less than a year as
积极分子, training too short, conversion overdue) are findings of the handbook checks, not refusals,
so a clerk can still file history as it was. What can never be true (dates out of order, an
applicant under 18, a probationary member without two full-member introducers) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import DevelopmentRecord, Meeting, Member
from models.enums import DevelopmentStage, MemberState, MemberStatus
from services import idcard, textclean
from services.dates import add_months, age_on
from services.errors import NotFound, ValidationError
from services.members import MemberInput, create_member
from services.org import get_branch
from services.workdays import working_days

STAGE_ORDER = [s.value for s in DevelopmentStage if s != DevelopmentStage.WITHDRAWN]


@dataclass
class ApplicantInput:
    name: str
    id_number: str
    applied_on: date
    phone: str = ""
    notes: str = ""


def create_applicant(
    session: Session, branch_id: str, data: ApplicantInput, today: date | None = None
) -> DevelopmentRecord:
    today = today or date.today()
    branch = get_branch(session, branch_id)
    data = textclean.cleaned_input(data)  # validation sees what will be stored
    if not data.name.strip():
        raise ValidationError("name", "姓名不能为空。")
    info = idcard.parse(data.id_number, "id_number", today)
    if data.applied_on > today:
        raise ValidationError("applied_on", "申请日期不能晚于今天。")
    age = age_on(info.birth_date, data.applied_on)
    if age < 18:
        raise ValidationError("applied_on", f"递交申请时年龄为 {age} 岁，申请入党须年满十八岁。")
    dup = session.scalar(
        select(DevelopmentRecord.id).where(
            DevelopmentRecord.township_id == branch.township_id,
            DevelopmentRecord.id_number == info.number,
            DevelopmentRecord.deleted.is_(False),
            DevelopmentRecord.stage.notin_([DevelopmentStage.WITHDRAWN, DevelopmentStage.FULL]),
        )
    )
    if dup:
        raise ValidationError("id_number", f"身份证号 {info.number} 已在发展党员名单中。")
    record = DevelopmentRecord(
        township_id=branch.township_id,
        branch_id=branch.id,
        name=data.name.strip(),
        id_number=info.number,
        gender=info.gender,
        birth_date=info.birth_date,
        phone=data.phone.strip(),
        applied_on=data.applied_on,
        stage=DevelopmentStage.APPLICANT,
        notes=data.notes,
    )
    session.add(record)
    session.flush()
    return record


def get_record(session: Session, record_id: str) -> DevelopmentRecord:
    record = session.get(DevelopmentRecord, record_id)
    if record is None or record.deleted:
        raise NotFound("找不到该发展党员记录，可能已被删除。")
    return record


def _not_before(field: str, day: date, earlier: date | None, what: str, today: date) -> None:
    if day > today:
        raise ValidationError(field, "日期不能晚于今天。")
    if earlier is not None and day < earlier:
        raise ValidationError(field, f"日期不能早于{what}（{earlier.isoformat()}）。")


def _require_stage(record: DevelopmentRecord, *stages: str) -> None:
    if record.stage not in stages:
        from models.enums import label

        raise ValidationError(
            "stage", f"{record.name} 目前是“{label(DevelopmentStage(record.stage))}”，不能进行这一步。"
        )


def record_talk(session: Session, record_id: str, on: date, today: date | None = None) -> DevelopmentRecord:
    record = get_record(session, record_id)
    _not_before("talked_on", on, record.applied_on, "申请日期", today or date.today())
    record.talked_on = on
    session.flush()
    return record


def make_activist(session: Session, record_id: str, on: date, today: date | None = None) -> DevelopmentRecord:
    record = get_record(session, record_id)
    _require_stage(record, DevelopmentStage.APPLICANT)
    _not_before("activist_on", on, record.applied_on, "申请日期", today or date.today())
    record.activist_on = on
    record.stage = DevelopmentStage.ACTIVIST
    session.flush()
    return record


def review_activist(
    session: Session, record_id: str, on: date, today: date | None = None
) -> DevelopmentRecord:
    """积极分子 are reviewed every six months; the latest review date is kept."""
    record = get_record(session, record_id)
    _require_stage(record, DevelopmentStage.ACTIVIST, DevelopmentStage.CANDIDATE)
    _not_before("last_review_on", on, record.activist_on, "确定为积极分子的日期", today or date.today())
    record.last_review_on = on
    session.flush()
    return record


def make_candidate(
    session: Session, record_id: str, on: date, today: date | None = None
) -> DevelopmentRecord:
    record = get_record(session, record_id)
    _require_stage(record, DevelopmentStage.ACTIVIST)
    _not_before("candidate_on", on, record.activist_on, "确定为积极分子的日期", today or date.today())
    record.candidate_on = on
    record.stage = DevelopmentStage.CANDIDATE
    session.flush()
    return record


def record_training(
    session: Session,
    record_id: str,
    days: int,
    hours: int,
    political_review_on: date | None = None,
    today: date | None = None,
) -> DevelopmentRecord:
    record = get_record(session, record_id)
    _require_stage(record, DevelopmentStage.CANDIDATE)
    if days < 0 or hours < 0:
        raise ValidationError("training_hours", "培训天数和学时不能为负数。")
    if political_review_on is not None:
        _not_before(
            "political_review_on",
            political_review_on,
            record.candidate_on,
            "确定为发展对象的日期",
            today or date.today(),
        )
        record.political_review_on = political_review_on
    record.training_days = days
    record.training_hours = hours
    session.flush()
    return record


def record_publicity(
    session: Session, record_id: str, start: date, end: date, today: date | None = None
) -> DevelopmentRecord:
    """发展对象公示 before admission (细则第二十二条 as republished; at least 5 working days — a shorter
    公示 is the check's finding, not refused, so history can be filed as it was)."""
    record = get_record(session, record_id)
    _require_stage(record, DevelopmentStage.CANDIDATE, DevelopmentStage.PROBATIONARY, DevelopmentStage.FULL)
    _not_before("publicity_from", start, record.candidate_on, "确定为发展对象的日期", today or date.today())
    if end < start:
        raise ValidationError("publicity_to", f"公示结束日期（{end}）不能早于开始日期（{start}）。")
    record.publicity_from, record.publicity_to = start, end
    session.flush()
    return record


def record_approval(
    session: Session, record_id: str, on: date, today: date | None = None
) -> DevelopmentRecord:
    """上级党委审批 of the admission (should come within 3 months of it; a later one is a finding)."""
    record = get_record(session, record_id)
    _require_stage(record, DevelopmentStage.PROBATIONARY, DevelopmentStage.FULL)
    _not_before("approved_on", on, record.admitted_on, "支部大会接收的日期", today or date.today())
    record.approved_on = on
    session.flush()
    return record


def record_oath(session: Session, record_id: str, on: date, today: date | None = None) -> DevelopmentRecord:
    """入党宣誓 (after the 上级党委 approval, 细则第二十七条 as republished)."""
    record = get_record(session, record_id)
    _require_stage(record, DevelopmentStage.PROBATIONARY, DevelopmentStage.FULL)
    _not_before("oath_on", on, record.admitted_on, "支部大会接收的日期", today or date.today())
    record.oath_on = on
    session.flush()
    return record


def _admission_issues(
    r: DevelopmentRecord,
    today: date,
    t: PipelineThresholds,
    add: Any,
    congress_days: dict[str, set[date]] | None,
) -> None:
    """Misses around the admission: 政治审查 before it, 公示 of at least ``publicity_days`` working
    days (by the State Council holiday calendar, ``services.workdays``; beyond its years only a hint), the 支部党员大会 on record, the 上级党委 approval within ``approval_months``, 入党宣誓."""
    admitted = r.admitted_on
    assert admitted is not None
    if r.political_review_on is None or r.political_review_on > admitted:
        add(r, "political_review", "error", f"{r.name} 于 {admitted} 接收为预备党员，此前没有政治审查记录。")
    if r.publicity_from is None or r.publicity_to is None:
        add(r, "publicity", "warning", f"{r.name} 接收为预备党员前没有公示记录。")
    else:
        days = working_days(r.publicity_from, r.publicity_to)
        if days.at_most < t.publicity_days:  # short whatever the holidays: a finding
            add(
                r,
                "publicity",
                "warning",
                f"{r.name} 公示 {r.publicity_from} 至 {r.publicity_to}，{days.describe()}，"
                f"不足 {t.publicity_days} 个工作日。",
            )
        elif days.count < t.publicity_days:  # short only if the unknown year had no 调休: ask, don't accuse
            add(
                r,
                "publicity",
                "info",
                f"{r.name} 公示 {r.publicity_from} 至 {r.publicity_to}，{days.describe()}，"
                f"可能不足 {t.publicity_days} 个工作日。",
            )
    if (
        congress_days is not None
        and r.admission_meeting_id is None
        and admitted not in congress_days.get(r.branch_id, set())
    ):
        add(
            r,
            "admission_meeting",
            "warning",
            f"{r.name} 于 {admitted} 接收为预备党员，没有当天的支部党员大会记录。",
        )
    limit = add_months(admitted, t.approval_months)
    if r.approved_on is None and today > limit:
        add(
            r,
            "approval",
            "warning",
            f"{r.name} 于 {admitted} 接收，{t.approval_months} 个月内没有上级党委审批记录。",
        )
    elif r.approved_on is not None and r.approved_on > limit:
        add(
            r,
            "approval",
            "warning",
            f"{r.name} 的上级党委审批（{r.approved_on}）晚于接收后 {t.approval_months} 个月。",
        )
    if r.approved_on is not None and r.oath_on is None and today > add_months(r.approved_on, 3):
        add(r, "oath", "info", f"{r.name} 已经上级党委审批（{r.approved_on}），没有入党宣誓记录。")


def admit(
    session: Session,
    record_id: str,
    on: date,
    introducer_ids: tuple[str, str],
    joined_member: MemberInput | None = None,
    meeting_id: str | None = None,
    today: date | None = None,
) -> Member:
    """支部大会接收为预备党员: the vote date is the 入党日期; creates the member record."""
    today = today or date.today()
    record = get_record(session, record_id)
    _require_stage(record, DevelopmentStage.CANDIDATE)
    _not_before("admitted_on", on, record.candidate_on, "确定为发展对象的日期", today)
    first, second = introducer_ids
    if not first or not second or first == second:
        raise ValidationError("introducers", "须有两名入党介绍人。")
    for field, member_id in (("introducer1_id", first), ("introducer2_id", second)):
        intro = session.get(Member, member_id)
        if intro is None or intro.deleted or intro.state != MemberState.ACTIVE:
            raise ValidationError(field, "入党介绍人必须是在册党员。")
        if intro.status != MemberStatus.FULL:
            raise ValidationError(field, f"入党介绍人 {intro.name} 是预备党员；介绍人须为正式党员。")
    data = joined_member or MemberInput(
        name=record.name, id_number=record.id_number, joined_on=on, phone=record.phone
    )
    data.joined_on = on
    data.status = MemberStatus.PROBATIONARY
    data.full_member_on = None
    data.branch_since = on
    member = create_member(session, record.branch_id, data, today)
    record.introducer1_id, record.introducer2_id = first, second
    record.admitted_on = on
    record.admission_meeting_id = meeting_id
    record.member_id = member.id
    record.stage = DevelopmentStage.PROBATIONARY
    session.flush()
    return member


def conversion_due(record: DevelopmentRecord) -> date | None:
    """One year after admission, plus any extension (延长预备期, 6–12 months, once)."""
    if record.admitted_on is None:
        return None
    return add_months(add_months(record.admitted_on, 12), record.probation_extended_months)


def extend_probation(session: Session, record_id: str, months: int) -> DevelopmentRecord:
    record = get_record(session, record_id)
    _require_stage(record, DevelopmentStage.PROBATIONARY)
    if record.probation_extended_months:
        raise ValidationError("probation_extended_months", "预备期只能延长一次。")
    if not 6 <= months <= 12:
        raise ValidationError(
            "probation_extended_months", "预备期延长不能少于半年，最长不超过一年（6–12 个月）。"
        )
    record.probation_extended_months = months
    session.flush()
    return record


def convert(
    session: Session,
    record_id: str,
    on: date,
    today: date | None = None,
    meeting_id: str | None = None,
) -> DevelopmentRecord:
    """转为正式党员, decided by the 支部党员大会 held on ``on`` (``meeting_id``: its record).

    Two dates: ``converted_on`` is the meeting's date; the member's 转正日期 (``full_member_on``, from
    which party age counts) is the day the probation ends (党章第七条), not the meeting's date. A
    meeting before the probation ends is the check's finding (DEV-09), not refused here."""
    record = get_record(session, record_id)
    _require_stage(record, DevelopmentStage.PROBATIONARY)
    _not_before("converted_on", on, record.admitted_on, "接收为预备党员的日期", today or date.today())
    if meeting_id is not None:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None or meeting.deleted or meeting.branch_id != record.branch_id:
            raise ValidationError("conversion_meeting_id", "请选择本支部讨论转正的支部党员大会记录。")
        if meeting.held_on != on:
            raise ValidationError(
                "converted_on", f"转正讨论日期应为该次党员大会的日期（{meeting.held_on}）。"
            )
    record.converted_on = on
    record.conversion_meeting_id = meeting_id
    record.stage = DevelopmentStage.FULL
    if record.member_id:
        member = session.get(Member, record.member_id)
        if member is not None:
            member.status = MemberStatus.FULL
            member.full_member_on = conversion_due(record) or on
    session.flush()
    return record


def withdraw(session: Session, record_id: str, on: date, reason: str) -> DevelopmentRecord:
    record = get_record(session, record_id)
    _require_stage(record, DevelopmentStage.APPLICANT, DevelopmentStage.ACTIVIST, DevelopmentStage.CANDIDATE)
    if not reason.strip():
        raise ValidationError("notes", "请填写终止培养的原因。")
    record.stage = DevelopmentStage.WITHDRAWN
    record.withdrawn_on = on
    record.notes = (
        record.notes + "\n" if record.notes else ""
    ) + f"{on.isoformat()} 终止培养：{reason.strip()}"
    session.flush()
    return record


def pipeline_by_branch(session: Session, branch_ids: list[str] | None = None) -> dict[str, dict[str, int]]:
    """Counts per branch and stage (the township view of the pipeline)."""
    stmt = (
        select(DevelopmentRecord.branch_id, DevelopmentRecord.stage, func.count())
        .where(DevelopmentRecord.deleted.is_(False))
        .group_by(DevelopmentRecord.branch_id, DevelopmentRecord.stage)
    )
    if branch_ids is not None:
        stmt = stmt.where(DevelopmentRecord.branch_id.in_(branch_ids))
    out: dict[str, dict[str, int]] = {}
    for branch_id, stage, count in session.execute(stmt):
        out.setdefault(branch_id, {})[stage] = int(count)
    return out


@dataclass(frozen=True)
class PipelineIssue:
    """A timing problem of one record; ``level`` is error / warning."""

    record_id: str
    branch_id: str
    name: str
    code: str
    level: str
    message: str


@dataclass(frozen=True)
class PipelineThresholds:
    """Defaults from the 细则; the handbook pack may override them."""

    min_age: int = 18
    talk_within_months: int = 1
    activist_min_months: int = 12  # a calendar year (细则第十三条), not 365 days
    training_min_days: int = 3
    training_min_hours: int = 24
    conversion_warn_days: int = 30
    review_every_months: int = 6
    publicity_days: int = 5  # 公示 working days
    approval_months: int = 3  # 上级党委 approves within


def pipeline_issues(
    records: list[DevelopmentRecord],
    today: date,
    t: PipelineThresholds | None = None,
    congress_days: dict[str, set[date]] | None = None,
) -> list[PipelineIssue]:
    """Every timing rule of the pipeline over ``records`` as of ``today``.

    ``congress_days``: branch → days a 支部党员大会 (as its primary kind or also) is on record; when
    given, an admission or a conversion with neither a linked meeting nor a 党员大会 that day is
    reported (细则第二十四、二十八条 as republished: both are decided by the 支部党员大会)."""
    t = t or PipelineThresholds()
    out: list[PipelineIssue] = []

    def add(r: DevelopmentRecord, code: str, level: str, message: str) -> None:
        out.append(PipelineIssue(r.id, r.branch_id, r.name, code, level, message))

    for r in records:
        if r.deleted or r.stage == DevelopmentStage.WITHDRAWN:
            continue
        age = age_on(r.birth_date, r.applied_on)
        if age < t.min_age:
            add(r, "age", "error", f"{r.name} 递交申请时 {age} 岁，未满 {t.min_age} 岁。")
        talk_by = add_months(r.applied_on, t.talk_within_months)
        if r.talked_on is None and today > talk_by:
            add(
                r,
                "talk",
                "error",
                f"{r.name} 于 {r.applied_on} 递交申请，{t.talk_within_months} 个月内未谈话。",
            )
        elif r.talked_on is not None and r.talked_on > talk_by:
            add(
                r,
                "talk",
                "warning",
                f"{r.name} 的谈话（{r.talked_on}）晚于申请后 {t.talk_within_months} 个月。",
            )
        if (
            r.activist_on
            and r.candidate_on
            and r.candidate_on < add_months(r.activist_on, t.activist_min_months)
        ):
            add(
                r,
                "activist_year",
                "error",
                f"{r.name} 于 {r.activist_on} 确定为积极分子，{r.candidate_on} 即确定为发展对象，"
                f"培养不足 {t.activist_min_months} 个月。",
            )
        if r.stage == DevelopmentStage.ACTIVIST and r.activist_on:
            last = r.last_review_on or r.activist_on
            if today > add_months(last, t.review_every_months):
                add(r, "review", "warning", f"{r.name} 超过 {t.review_every_months} 个月未进行积极分子考察。")
        if r.admitted_on and (
            r.training_days < t.training_min_days and r.training_hours < t.training_min_hours
        ):
            add(
                r,
                "training",
                "error",
                f"{r.name} 发展对象培训 {r.training_days} 天 / {r.training_hours} 学时，"
                f"不足 {t.training_min_days} 天或 {t.training_min_hours} 学时。",
            )
        if r.admitted_on is not None:
            _admission_issues(r, today, t, add, congress_days)
        due = conversion_due(r)
        if r.converted_on is not None and due is not None and r.converted_on < due:
            add(
                r,
                "early_conversion",
                "error",
                f"{r.name} 预备期至 {due} 届满，{r.converted_on} 即讨论转正，早于预备期满。",
            )
        if (
            congress_days is not None
            and r.converted_on is not None
            and r.conversion_meeting_id is None
            and r.converted_on not in congress_days.get(r.branch_id, set())
        ):
            add(
                r,
                "conversion_meeting",
                "warning",
                f"{r.name} 于 {r.converted_on} 转正，没有讨论转正的支部党员大会记录。",
            )
        if r.stage == DevelopmentStage.PROBATIONARY and due is not None:
            if today > due:
                add(r, "conversion", "error", f"{r.name} 预备期已于 {due} 届满，尚未讨论转正。")
            elif (due - today).days <= t.conversion_warn_days:
                add(r, "conversion", "warning", f"{r.name} 预备期将于 {due} 届满，请及时讨论转正。")
    return out
