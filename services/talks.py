"""谈心谈话, 民主评议党员 grades and the 流动党员 contact log: the records the 组织生活 rules need.

Sources: 《中国共产党支部工作条例（试行）》 (committee members talk with each member at least once a
year, before the 组织生活会); 《中国共产党党员教育管理工作条例》第十八条 (民主评议: 优秀 at most one
third of full members, 预备党员 take part without a grade, 不合格 → 限期改正, 劝其退党 or 除名);
第二十三条 (keeping in touch with 流动党员).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import AppraisalGrade, FlowContact, FlowRecord, HeartTalk
from models.enums import AppraisalGradeCode, ContactWay, FollowUp, MemberStatus
from services.errors import NotFound, ValidationError
from services.members import get_member
from services.org import committee_on, soft_delete


def record_talk(
    session: Session,
    talker_id: str,
    member_id: str,
    on: date,
    topic: str,
    notes: str = "",
    today: date | None = None,
) -> HeartTalk:
    """A 谈心谈话 between a committee member (or the secretary of a branch without a committee) and a
    member of the same branch. Raises ``ValidationError`` naming the field: talker not on the committee
    that day, the same person twice, a member not in the branch that day, a future date, no topic."""
    today = today or date.today()
    member = get_member(session, member_id)
    talker = get_member(session, talker_id)
    if on > today:
        raise ValidationError("on", "谈话日期不能晚于今天。")
    if talker.id == member.id:
        raise ValidationError("member_id", "谈话对象不能是谈话人本人。")
    if not member.in_branch_on(on):
        raise ValidationError("member_id", f"{member.name} 在 {on} 不是本支部党员。")
    seats = {s.member_id for s in committee_on(session, member.branch_id, on)}
    if talker.id not in seats:
        raise ValidationError(
            "talker_id", f"{talker.name} 在 {on} 不是本支部委员（书记），请选择支部委员作为谈话人。"
        )
    if not topic.strip():
        raise ValidationError("topic", "请填写谈话主题。")
    row = HeartTalk(
        branch_id=member.branch_id,
        talker_id=talker.id,
        member_id=member.id,
        on=on,
        topic=topic.strip(),
        notes=notes.strip(),
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class GradeResult:
    """The stored grade, and a warning when 优秀 now exceeds one third of the full members."""

    grade: AppraisalGrade
    warning: str = ""


def excellent_share(session: Session, branch_id: str, year: int) -> tuple[int, int]:
    """(优秀 grades, full members graded) of a branch for a year."""
    rows = session.execute(
        select(AppraisalGrade.grade, func.count())
        .where(
            AppraisalGrade.branch_id == branch_id,
            AppraisalGrade.year == year,
            AppraisalGrade.deleted.is_(False),
        )
        .group_by(AppraisalGrade.grade)
    )
    counts = dict(rows.all())
    return int(counts.get(AppraisalGradeCode.EXCELLENT, 0)), sum(int(n) for n in counts.values())


def record_grade(
    session: Session,
    member_id: str,
    year: int,
    grade: str,
    follow_up: str = "",
    follow_up_on: date | None = None,
    notes: str = "",
    today: date | None = None,
) -> GradeResult:
    """Set a member's 民主评议 grade for ``year`` (one per member and year; a second call updates it).

    Refused (``ValidationError``): an unknown grade, a year not yet begun, a 预备党员 on the year's last
    day (they take part without a grade), a follow-up on a grade other than 不合格. 优秀 beyond one third
    of the full members graded is allowed but returned as a warning with the count."""
    today = today or date.today()
    member = get_member(session, member_id)
    if grade not in AppraisalGradeCode.__members__.values():
        raise ValidationError("grade", f"未知的评议等次：{grade}。")
    if year > today.year or year < 1949:
        raise ValidationError("year", f"年度不合理：{year}。")
    end = date(year, 12, 31)
    probationary = member.status == MemberStatus.PROBATIONARY or (
        member.full_member_on is not None and member.full_member_on > end
    )
    if probationary:
        raise ValidationError("grade", f"{member.name} 在 {year} 年是预备党员，参加民主评议但不评定等次。")
    if follow_up and follow_up not in FollowUp.__members__.values():
        raise ValidationError("follow_up", f"未知的处置方式：{follow_up}。")
    if follow_up and grade != AppraisalGradeCode.UNQUALIFIED:
        raise ValidationError("follow_up", "只有评为不合格的党员才需要处置（限期改正、劝其退党或除名）。")
    row = session.scalar(
        select(AppraisalGrade).where(AppraisalGrade.member_id == member_id, AppraisalGrade.year == year)
    )
    if row is None:
        row = AppraisalGrade(member_id=member.id, branch_id=member.branch_id, year=year)
        session.add(row)
    row.deleted = False
    row.grade, row.follow_up, row.follow_up_on, row.notes = grade, follow_up, follow_up_on, notes.strip()
    session.flush()
    excellent, graded = excellent_share(session, member.branch_id, year)
    warning = ""
    if excellent * 3 > graded:
        warning = f"{year} 年评为优秀 {excellent} 人，超过参评正式党员 {graded} 人的三分之一，请核实。"
    return GradeResult(row, warning)


def record_contact(
    session: Session, member_id: str, on: date, way: str, content: str, today: date | None = None
) -> FlowContact:
    """A contact with a 流动党员 while away. Refused: a member not registered as away that day, an
    unknown way, a future date, no content."""
    member = get_member(session, member_id)
    if on > (today or date.today()):
        raise ValidationError("on", "联系日期不能晚于今天。")
    if way not in ContactWay.__members__.values():
        raise ValidationError("way", f"未知的联系方式：{way}。")
    away = session.scalar(
        select(FlowRecord.id).where(
            FlowRecord.member_id == member_id,
            FlowRecord.deleted.is_(False),
            FlowRecord.since <= on,
            (FlowRecord.until.is_(None)) | (FlowRecord.until >= on),
        )
    )
    if away is None:
        raise ValidationError("member_id", f"{member.name} 在 {on} 没有外出流动登记，请先登记外出流动。")
    if not content.strip():
        raise ValidationError("content", "请填写联系内容。")
    row = FlowContact(
        member_id=member.id, branch_id=member.branch_id, on=on, way=way, content=content.strip()
    )
    session.add(row)
    session.flush()
    return row


def delete(
    session: Session, model: type[HeartTalk] | type[AppraisalGrade] | type[FlowContact], row_id: str
) -> None:
    """Soft-delete one row of these ledgers (the recycle bin can restore it)."""
    row = session.get(model, row_id)
    if row is None or getattr(row, "deleted", True):
        raise NotFound("找不到该记录。")
    soft_delete(row)
    session.flush()
