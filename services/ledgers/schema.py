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

# What a clerk calls the records of each table (recycle bin, audit log, sync screens): the one map.
TABLE_LABELS: dict[str, str] = {
    "township": "乡镇",
    "branch": "党组织",
    "party_group": "党小组",
    "party_group_membership": "党小组编组记录",
    "committee_seat": "支委任职",
    "branch_term": "支委会任期",
    "meeting_guest": "列席人员",
    "meeting_exclusion": "不计入应到会",
    "member": "党员",
    "meeting": "会议记录",
    "attendance": "会议出席",
    "attachment": "附件",
    "development_record": "发展党员",
    "member_transfer": "组织关系转接",
    "flow_record": "流动党员",
    "flow_contact": "流动党员联系记录",
    "member_exemption": "请假与免于要求",
    "heart_talk": "谈心谈话",
    "appraisal_grade": "民主评议等次",
    "fee_due": "党费",
    "fund_entry": "经费",
    "training_session": "教育培训",
    "training_attendance": "培训出席",
    "decision": "决策事项",
    "decision_step": "决策步骤",
    "disclosure_posting": "党务公开",
    "venue_check": "阵地建设（八有）核查",
    "rectification": "督查整改",
    "weak_branch_flag": "软弱涣散整顿",
    "evidence_filing": "资料归档",
    "finding_explanation": "检查说明",
    "user_account": "用户",
    "db_meta": "系统设置",
    "audit_log": "操作日志",
    "audit_head": "操作日志校验",
    "sync_device": "同步设备",
    "sync_enrollment": "同步登记",
    "sync_received": "收到的同步包",
    "sync_held": "暂存的同步包",
    "sync_conflict": "同步冲突",
    "change_counter": "变更计数",
}


def table_label(table: str) -> str:
    """What a clerk calls the records of ``table`` (the table name itself when unknown)."""
    return TABLE_LABELS.get(table, table)


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
