"""决策与公开: decisions with their steps (villages: 四议两公开, in order) and 党务公开 postings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch, Decision, DecisionStep, DisclosurePosting, Meeting
from models.enums import DecisionProcedure, DecisionStepCode, label
from services.dates import in_year
from services.errors import NotFound, ValidationError
from services.org import get_branch
from services.sqlsets import among

FOUR_TWO = [s.value for s in DecisionStepCode]  # the order the steps must happen in


def create_decision(
    session: Session,
    branch_id: str,
    title: str,
    proposed_on: date,
    content: str = "",
    procedure: str = "four_two",
    today: date | None = None,
) -> Decision:
    get_branch(session, branch_id)
    if not title.strip():
        raise ValidationError("title", "请填写决策事项。")
    if procedure not in DecisionProcedure.__members__.values():
        raise ValidationError("procedure", f"未知的决策程序：{procedure}。")
    if proposed_on > (today or date.today()):
        raise ValidationError("proposed_on", "提议日期不能晚于今天。")
    decision = Decision(
        branch_id=branch_id,
        title=title.strip(),
        proposed_on=proposed_on,
        content=content,
        procedure=procedure,
    )
    session.add(decision)
    session.flush()
    if procedure == "four_two":
        session.add(
            DecisionStep(decision_id=decision.id, step=DecisionStepCode.PROPOSAL, done_on=proposed_on)
        )
        session.flush()
    return decision


def record_step(
    session: Session,
    decision_id: str,
    step: str,
    done_on: date,
    meeting_id: str | None = None,
    notes: str = "",
    today: date | None = None,
) -> DecisionStep:
    """Record one step of 四议两公开; steps must follow each other in order and in time."""
    decision = session.scalar(select(Decision).where(Decision.id == decision_id, Decision.deleted.is_(False)))
    if decision is None:
        raise NotFound("找不到该决策事项。")
    if step not in FOUR_TWO:
        raise ValidationError("step", f"未知的决策步骤：{step}。")
    if done_on > (today or date.today()):
        raise ValidationError("done_on", "日期不能晚于今天。")
    done = {
        s.step: s
        for s in session.scalars(
            select(DecisionStep).where(
                DecisionStep.decision_id == decision_id, DecisionStep.deleted.is_(False)
            )
        )
    }
    if step in done:
        raise ValidationError("step", f"“{label(DecisionStepCode(step))}”已经登记过了。")
    index = FOUR_TWO.index(step)
    if decision.procedure == "four_two" and index > 0:
        previous = FOUR_TWO[index - 1]
        if previous not in done:
            raise ValidationError("step", f"请先登记上一步“{label(DecisionStepCode(previous))}”。")
        if done_on < done[previous].done_on:
            raise ValidationError(
                "done_on",
                f"日期早于上一步“{label(DecisionStepCode(previous))}”（{done[previous].done_on}）。",
            )
    if meeting_id is not None:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None or meeting.deleted or meeting.branch_id != decision.branch_id:
            raise ValidationError("meeting_id", "关联的会议不属于本支部。")
    row = DecisionStep(
        decision_id=decision_id, step=step, done_on=done_on, meeting_id=meeting_id, notes=notes.strip()
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class DecisionProgress:
    decision_id: str
    branch_id: str
    title: str
    proposed_on: date
    done: tuple[str, ...]
    missing: tuple[str, ...]
    procedure: str = "four_two"  # DecisionProcedure code

    @property
    def complete(self) -> bool:
        return not self.missing


def progress(
    session: Session, branch_ids: list[str] | None = None, year: int | None = None
) -> list[DecisionProgress]:
    stmt = select(Decision).where(Decision.deleted.is_(False))
    if branch_ids is not None:
        stmt = stmt.where(among(session, Decision.branch_id, branch_ids))
    if year is not None:
        stmt = stmt.where(*in_year(Decision.proposed_on, year))
    out = []
    steps: dict[str, set[str]] = {}
    decisions = list(session.scalars(stmt.order_by(Decision.proposed_on)))
    if decisions:
        for decision_id, step in session.execute(
            select(DecisionStep.decision_id, DecisionStep.step).where(
                among(session, DecisionStep.decision_id, [d.id for d in decisions]),
                DecisionStep.deleted.is_(False),
            )
        ):
            steps.setdefault(decision_id, set()).add(step)
    for d in decisions:
        have = steps.get(d.id, set())
        wanted = FOUR_TWO if d.procedure == "four_two" else []
        out.append(
            DecisionProgress(
                d.id,
                d.branch_id,
                d.title,
                d.proposed_on,
                tuple(s for s in FOUR_TWO if s in have),
                tuple(s for s in wanted if s not in have),
                d.procedure,
            )
        )
    return out


def post_disclosure(
    session: Session,
    branch_id: str,
    title: str,
    posted_on: date,
    until_on: date | None = None,
    channel: str = "公开栏",
    content: str = "",
    today: date | None = None,
) -> DisclosurePosting:
    branch: Branch = get_branch(session, branch_id)
    if not title.strip():
        raise ValidationError("title", "请填写公开事项。")
    if posted_on > (today or date.today()):
        raise ValidationError("posted_on", "公开日期不能晚于今天。")
    if until_on is not None and until_on < posted_on:
        raise ValidationError("until_on", "公开截止日期不能早于公开日期。")
    row = DisclosurePosting(
        branch_id=branch.id,
        title=title.strip(),
        posted_on=posted_on,
        until_on=until_on,
        channel=channel,
        content=content,
    )
    session.add(row)
    session.flush()
    return row
