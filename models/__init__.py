"""ORM models (SQLAlchemy 2, no Qt). Importing this package registers every table."""

from models.accounts import UserAccount
from models.attachment import Attachment
from models.audit import AuditEntry, AuditHead
from models.base import Base, Tracked, new_id, utcnow
from models.decisions import Decision, DecisionStep, DisclosurePosting
from models.development import DevelopmentRecord
from models.exemption import MemberExemption
from models.fees import FeeDue, FundEntry
from models.filing import EvidenceFiling
from models.handbook import FindingExplanation
from models.meeting import Attendance, Meeting, MeetingExclusion, MeetingGuest
from models.member import Member
from models.meta import ChangeCounter, DbMeta
from models.organization import (
    Branch,
    BranchTerm,
    CommitteeSeat,
    PartyGroup,
    PartyGroupMembership,
    Township,
)
from models.rectification import Rectification, WeakBranchFlag
from models.sync import (
    CountyItem,
    CountyOutbox,
    SyncConflict,
    SyncDevice,
    SyncEnrollment,
    SyncHeld,
    SyncReceived,
)
from models.talks import AppraisalGrade, FlowContact, HeartTalk
from models.training import TrainingAttendance, TrainingSession
from models.transfer import FlowRecord, MemberTransfer
from models.venue import VenueCheck

__all__ = [
    "AppraisalGrade",
    "Attachment",
    "Attendance",
    "AuditEntry",
    "AuditHead",
    "Base",
    "Branch",
    "BranchTerm",
    "ChangeCounter",
    "CommitteeSeat",
    "CountyItem",
    "CountyOutbox",
    "DbMeta",
    "Decision",
    "DecisionStep",
    "DevelopmentRecord",
    "DisclosurePosting",
    "EvidenceFiling",
    "FeeDue",
    "FindingExplanation",
    "FlowContact",
    "FlowRecord",
    "FundEntry",
    "HeartTalk",
    "Meeting",
    "MeetingExclusion",
    "MeetingGuest",
    "Member",
    "MemberExemption",
    "MemberTransfer",
    "PartyGroup",
    "PartyGroupMembership",
    "Rectification",
    "SyncConflict",
    "SyncDevice",
    "SyncEnrollment",
    "SyncHeld",
    "SyncReceived",
    "Township",
    "Tracked",
    "TrainingAttendance",
    "TrainingSession",
    "UserAccount",
    "VenueCheck",
    "WeakBranchFlag",
    "new_id",
    "utcnow",
]
