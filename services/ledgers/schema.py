"""The kind of every stored column a pack may name: the one map of enum-coded columns and the rules
that turn a table column into a column kind (``_fen`` → money, Date → date, ``YYYY-MM`` text → month…).

The pack's ``[[ledger.section]]`` names table columns; the reader (``services.handbook.ledgers``) asks
``column_kind`` how to show and export each of them, the pack check asks ``coded`` which codes a filter
may use. Codes repeat across enums ("committee" is a meeting type and a branch kind), so the column, not
the code, decides which label applies.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, Integer, String

from services.ledgers import kinds
from services.ledgers.kinds import Choice, Kind

# (table, column) → the LABELS table holding its closed set of codes.
CODED: dict[tuple[str, str], str] = {
    ("meeting", "type"): "MeetingType",
    ("attendance", "status"): "AttendanceStatus",
    ("member", "status"): "MemberStatus",
    ("member", "state"): "MemberState",
    ("member", "gender"): "Gender",
    ("member", "discipline"): "Discipline",
    ("member", "education"): "Education",
    ("committee_seat", "role"): "CommitteeRole",
    ("branch", "domain"): "BranchDomain",
    ("branch", "kind"): "BranchKind",
    ("development_record", "gender"): "Gender",
    ("development_record", "stage"): "DevelopmentStage",
    ("member_transfer", "direction"): "TransferDirection",
    ("fee_due", "category"): "FeeCategory",
    ("member_exemption", "kind"): "ExemptionKind",
    ("appraisal_grade", "grade"): "AppraisalGradeCode",
    ("appraisal_grade", "follow_up"): "FollowUp",
    ("flow_contact", "way"): "ContactWay",
    ("fund_entry", "direction"): "FundDirection",
    ("decision", "procedure"): "DecisionProcedure",
    ("training_session", "kind"): "TrainingKind",
    ("decision_step", "step"): "DecisionStepCode",
    ("venue_check", "item"): "VenueItem",
    ("rectification", "status"): "RectificationStatus",
}

# Foreign keys shown by the name of the row they point to: column → table holding ``name``.
NAMED: dict[str, str] = {
    "member_id": "member",
    "talker_id": "member",
    "introducer1_id": "member",
    "introducer2_id": "member",
    "branch_id": "branch",
    "party_group_id": "party_group",
}


def coded(table: str, column: str) -> str | None:
    """Name of the LABELS table of a coded column, or None."""
    return CODED.get((table, column))


def column_kind(table: str, col: Column[object]) -> Kind:
    """The kind of a stored column, from the coded map, its name and its SQL type."""
    enum = coded(table, col.name)
    if enum is not None:
        return Choice(enum)
    if col.name in NAMED:
        return kinds.MEMBER if NAMED[col.name] == "member" else kinds.TEXT
    if col.name.endswith("_fen"):
        return kinds.MONEY
    if col.name == "minutes":
        return kinds.INT
    if isinstance(col.type, Boolean):
        return kinds.BOOL
    if isinstance(col.type, Date | DateTime):
        return kinds.DATE
    if isinstance(col.type, Integer):
        return kinds.INT
    if col.name == "month" and isinstance(col.type, String) and col.type.length == 7:
        return kinds.MONTH
    return kinds.TEXT
