"""ORM models (SQLAlchemy 2, no Qt). Importing this package registers every table."""

from models.attachment import Attachment
from models.base import Base, Tracked, new_id, utcnow
from models.meeting import Attendance, Meeting
from models.member import Member
from models.meta import ChangeCounter, DbMeta
from models.organization import Branch, CommitteeSeat, PartyGroup, Township

__all__ = [
    "Attachment",
    "Attendance",
    "Base",
    "Branch",
    "ChangeCounter",
    "CommitteeSeat",
    "DbMeta",
    "Meeting",
    "Member",
    "PartyGroup",
    "Township",
    "Tracked",
    "new_id",
    "utcnow",
]
