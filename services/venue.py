"""阵地建设: the activity venue checked item by item against the 八有 standard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Attachment, VenueCheck
from models.enums import VenueItem
from services.errors import ValidationError
from services.org import get_branch

EIGHT = [i.value for i in VenueItem]


def record_check(
    session: Session,
    branch_id: str,
    item: str,
    checked_on: date,
    met: bool,
    notes: str = "",
    today: date | None = None,
) -> VenueCheck:
    get_branch(session, branch_id)
    if item not in EIGHT:
        raise ValidationError("item", f"未知的“八有”项目：{item}。")
    if checked_on > (today or date.today()):
        raise ValidationError("checked_on", "检查日期不能晚于今天。")
    row = VenueCheck(branch_id=branch_id, item=item, checked_on=checked_on, met=met, notes=notes.strip())
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class VenueStatus:
    item: str
    checked_on: date | None
    met: bool
    has_photo: bool
    check_id: str | None


def venue_status(session: Session, branch_id: str, as_of: date | None = None) -> list[VenueStatus]:
    """The latest check of each of the eight items (as of a date), and whether it has a photo."""
    stmt = select(VenueCheck).where(VenueCheck.branch_id == branch_id, VenueCheck.deleted.is_(False))
    if as_of is not None:
        stmt = stmt.where(VenueCheck.checked_on <= as_of)
    latest: dict[str, VenueCheck] = {}
    for row in session.scalars(stmt.order_by(VenueCheck.checked_on, VenueCheck.created_at)):
        latest[row.item] = row
    ids = [r.id for r in latest.values()]
    photos = set(
        session.scalars(
            select(Attachment.owner_id)
            .where(
                Attachment.owner_type == "venue_check",
                Attachment.owner_id.in_(ids),
                Attachment.deleted.is_(False),
            )
            .group_by(Attachment.owner_id)
            .having(func.count() > 0)
        )
    )
    out = []
    for item in EIGHT:
        check = latest.get(item)
        if check is None:
            out.append(VenueStatus(item, None, False, False, None))
        else:
            out.append(VenueStatus(item, check.checked_on, check.met, check.id in photos, check.id))
    return out
