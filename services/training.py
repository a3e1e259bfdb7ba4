"""教育培训: study sessions and trainings; yearly hours per member against the pack's target."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Member, TrainingAttendance, TrainingSession
from models.enums import MemberState, TrainingKind
from services import textclean
from services.dates import in_year
from services.errors import ValidationError
from services.members import members_on
from services.org import get_branch
from services.sqlsets import among, plain_rows


@dataclass
class TrainingInput:
    title: str
    held_on: date
    minutes: int
    kind: str = TrainingKind.STUDY
    organizer: str = ""
    place: str = ""
    content: str = ""
    attendee_ids: list[str] | None = None  # None: every member of the branch on that day, full length


def create_session(
    session: Session, branch_id: str, data: TrainingInput, today: date | None = None
) -> TrainingSession:
    today = today or date.today()
    branch = get_branch(session, branch_id)
    data = textclean.cleaned_input(data)  # validation sees what will be stored
    if not data.title.strip():
        raise ValidationError("title", "请填写学习培训主题。")
    if data.kind not in TrainingKind.__members__.values():
        raise ValidationError("kind", f"未知的培训形式：{data.kind}。")
    if data.held_on > today:
        raise ValidationError("held_on", "日期不能晚于今天。")
    if branch.founded_on and data.held_on < branch.founded_on:
        raise ValidationError("held_on", "日期早于支部成立日期。")
    if not 0 < data.minutes <= 24 * 60 * 30:
        raise ValidationError("minutes", "时长须大于 0（以分钟计）。")
    members = {m.id for m in members_on(session, branch_id, data.held_on)}
    ids = list(members) if data.attendee_ids is None else data.attendee_ids
    strangers = [i for i in ids if i not in members]
    if strangers:
        names = [m.name for m in session.scalars(select(Member).where(Member.id.in_(strangers)))]
        raise ValidationError("attendees", f"{'、'.join(names) or '所选人员'} 在当天不是本支部党员。")
    row = TrainingSession(
        branch_id=branch_id,
        title=data.title.strip(),
        kind=data.kind,
        held_on=data.held_on,
        minutes=data.minutes,
        organizer=data.organizer.strip(),
        place=data.place.strip(),
        content=data.content,
    )
    session.add(row)
    session.flush()
    for member_id in ids:
        session.add(TrainingAttendance(session_id=row.id, member_id=member_id, minutes=data.minutes))
    session.flush()
    return row


@dataclass(frozen=True)
class HoursRow:
    member_id: str
    name: str
    branch_id: str
    minutes: int
    target_minutes: int

    @property
    def met(self) -> bool:
        return self.minutes >= self.target_minutes


def yearly_hours(
    session: Session, year: int, target_hours: int, branch_ids: list[str] | None = None
) -> list[HoursRow]:
    """Each member's training minutes in ``year`` (zero included) against the target, for the roster
    as of that year's end: members who joined (or came into the branch) after it are not listed, nor
    members gone by then; a member who joined during the year owes the months from the joining month
    on (32 学时 × months / 12, 《中国共产党党员教育管理工作条例》第二十条), in minutes, rounded down."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    stmt = (
        select(TrainingAttendance.member_id, func.sum(TrainingAttendance.minutes))
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .where(
            TrainingAttendance.deleted.is_(False),
            TrainingSession.deleted.is_(False),
            *in_year(TrainingSession.held_on, year),
        )
        .group_by(TrainingAttendance.member_id)
    )
    done: dict[str, int] = defaultdict(int, {k: int(v or 0) for k, v in plain_rows(session, stmt)})
    # Plain columns, not ORM objects: a township has thousands of members and checks ask every year.
    members = select(Member.id, Member.name, Member.branch_id, Member.joined_on, Member.branch_since).where(
        Member.deleted.is_(False),
        Member.joined_on <= last,
        Member.branch_since <= last,
        ((Member.left_on.is_(None)) & (Member.state == MemberState.ACTIVE)) | (Member.left_on > last),
    )
    if branch_ids is not None:
        members = members.where(among(session, Member.branch_id, branch_ids))
    out = []
    for mid, name, branch_id, joined_on, _since in plain_rows(
        session, members.order_by(Member.branch_id, Member.name)
    ):
        months = 12 if joined_on < first else 13 - joined_on.month
        out.append(HoursRow(mid, name, branch_id, done[mid], target_hours * 60 * months // 12))
    return out
