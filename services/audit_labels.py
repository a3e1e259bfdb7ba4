"""The audit log in a clerk's words: Chinese table and field names, the member or meeting a row is
about instead of its UUID, 是/否 and labels instead of codes, "（空）" instead of ``None``.

``readable(session, rows)`` turns ``services.audit.AuditRow`` values into ``ReadableEntry`` values
(table, record and change text) for the 操作日志 screen; ``field_label`` / ``value_text`` /
``table_name_label`` are the single pieces. Nothing here changes the stored log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from models import Base
from models.enums import LABELS, DevelopmentStage, MeetingType, label
from services.audit import AuditRow
from services.ledgers.schema import coded, table_label

SETTING_LABELS = {
    "trust.lock_minutes": "无操作自动锁定（分钟）",
    "trust.backup_keep": "保留备份份数",
    "trust.backup_daily": "每天首次启动时备份",
    "app.version": "程序版本",
    "device.id": "本机设备编号",
}

FLAG_SETTINGS = frozenset({"trust.backup_daily"})

FIELD_LABELS = {
    "name": "名称",
    "code": "代码",
    "county": "所属县（区）",
    "title": "标题",
    "id_number": "身份证号",
    "gender": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "education": "学历",
    "phone": "联系电话",
    "joined_on": "入党日期",
    "full_member_on": "转正日期",
    "branch_since": "转入本支部日期",
    "status": "类别",
    "state": "状态",
    "discipline": "处分",
    "is_flowing": "流动党员",
    "occupation": "职业",
    "is_migrant_worker": "农民工",
    "is_hardship": "困难党员",
    "party_group_id": "党小组",
    "branch_id": "所在党组织",
    "township_id": "乡镇",
    "member_id": "党员",
    "meeting_id": "会议",
    "parent_id": "上级党组织",
    "type": "类型",
    "kind": "类型",
    "domain": "领域",
    "held_on": "日期",
    "start_time": "开始时间",
    "end_time": "结束时间",
    "place": "地点",
    "host": "主持人",
    "recorder": "记录人",
    "lecturer": "授课人",
    "topics": "议题",
    "minutes": "会议记录",
    "resolutions": "决议",
    "reason": "原因",
    "notes": "备注",
    "month": "月份",
    "category": "类别",
    "income_fen": "月收入（分）",
    "due_fen": "应交（分）",
    "paid_fen": "实交（分）",
    "amount_fen": "金额（分）",
    "paid_on": "交纳日期",
    "receipt_no": "收据号",
    "voucher_no": "凭证号",
    "direction": "收支",
    "description": "摘要",
    "on": "日期",
    "date": "日期",
    "since": "起始日期",
    "until": "截止日期",
    "today": "今天的日期",
    "as_of": "检查日期",
    "start_on": "开始日期",
    "end_on": "结束日期",
    "publicity_from": "公示开始日期",
    "publicity_to": "公示结束日期",
    "political_review_on": "政审日期",
    "follow_up_on": "跟进日期",
    "recorded_on": "补录日期",
    "dissolved_on": "撤销日期",
    "attendance": "出席情况",
    "founded_on": "成立日期",
    "term_start": "任期开始",
    "term_end": "任期届满",
    "role": "角色",
    "username": "用户名",
    "display_name": "姓名",
    "failed_attempts": "登录失败次数",
    "locked_until": "锁定至",
    "last_login_at": "上次登录",
    "active": "启用",
    "value": "值",
    "deleted": "在回收站",
    "deleted_at": "删除时间",
    "filename": "文件名",
    "file_name": "文件名",
    "caption": "说明",
    "stage": "阶段",
    "applied_on": "申请日期",
    "activist_on": "确定积极分子日期",
    "candidate_on": "确定发展对象日期",
    "admitted_on": "接收预备党员日期",
    "converted_on": "转正日期",
    "left_on": "离开日期",
    "destination": "去向",
    "counterpart": "对方党组织",
    "letter_no": "介绍信编号",
    "direction_in": "转入",
    "checked_on": "核查日期",
    "item": "项目",
    "met": "达标",
    "year": "年度",
    "text": "内容",
    "rule_id": "检查规则",
    "period": "期间",
    "step": "步骤",
    "done_on": "完成日期",
    "posted_on": "公开日期",
    "content": "内容",
    "flagged_on": "确定日期",
    "closed_on": "销号日期",
    "training_hours": "学时",
    "sort_order": "顺序",
    "note": "说明",
    "rows": "行数",
}

# Bookkeeping every tracked row carries; the log shows who and when in its own columns.
HIDDEN_FIELDS = frozenset(
    {"id", "row_seq", "created_at", "created_by", "updated_at", "updated_by", "password_hash"}
)
REFERENCE_FIELDS = {
    "member_id": "member",
    "branch_id": "branch",
    "parent_id": "branch",
    "party_group_id": "party_group",
    "meeting_id": "meeting",
    "township_id": "township",
    "introducer1_id": "member",
    "introducer2_id": "member",
}
_TABLE_CLASSES = {m.class_.__tablename__: m.class_ for m in Base.registry.mappers}


def table_name_label(table: str) -> str:
    """Chinese name of a table (``user_account`` → 用户); the code itself only when unknown."""
    return table_label(table)


def field_label(field: str) -> str:
    """Chinese name of a column (``joined_on`` → 入党日期); the code itself only when unknown."""
    return FIELD_LABELS.get(field, field)


def value_text(value: Any, table: str = "", field: str = "") -> str:
    """A stored value as a clerk reads it: （空） for nothing, 是/否, the label of a code of the coded
    column ``table.field`` (``services.ledgers.schema.CODED``; the column decides, codes repeat)."""
    if value is None or value == "":
        return "（空）"
    if value is True:
        return "是"
    if value is False:
        return "否"
    enum = coded(table, field)
    if enum is not None and isinstance(value, str):
        return LABELS[enum].get(value, value)
    return str(value)


class _Names:
    """Looks up and caches what a row is called (a member's name, a meeting's date and type …)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[str, str], str] = {}

    def of(self, table: str, row_id: str) -> str:
        key = (table, row_id)
        if key not in self.cache:
            self.cache[key] = self._lookup(table, row_id)
        return self.cache[key]

    def _lookup(self, table: str, row_id: str) -> str:
        if table == "db_meta":
            return SETTING_LABELS.get(row_id, row_id)
        cls = _TABLE_CLASSES.get(table)
        if cls is None or not row_id or row_id == "*":
            return row_id
        try:
            obj = self.session.get(cls, row_id)
        except Exception:  # a key of another shape (composite, integer): show it as stored
            return row_id
        if obj is None:
            return f"（已不存在的记录 {row_id[:8]}）"
        if table == "meeting":
            return f"{obj.held_on.isoformat()} {label(MeetingType(obj.type))}"
        if table in ("attendance", "fee_due", "training_attendance", "development_record", "flow_record"):
            who = self.of("member", str(getattr(obj, "member_id", "") or ""))
            stage = getattr(obj, "stage", None)
            extra = getattr(obj, "month", None) or (label(DevelopmentStage(stage)) if stage else None)
            return f"{who}{' ' + extra if extra else ''}"
        for attr in ("name", "display_name", "username", "title", "caption", "filename"):
            text = getattr(obj, attr, None)
            if text:
                return str(text)
        return row_id[:8]


CLI_USER = "cli"  # the command line's user when no --user is given (main.py)


def actor_label(username: str) -> str:
    """Who did something, as a clerk reads it: the command line's default user ``cli`` is
    命令行（未登录）, nobody is —, an account's name as it is."""
    name = (username or "").strip()
    if not name:
        return "—"
    if name == CLI_USER:
        return "命令行（未登录）"
    return name


def record_label(session: Session, table: str, row_id: str) -> str:
    """What one row is called (a member's name, a meeting's date and type, a branch's name …);
    ``（已不存在的记录 …）`` when it is gone, the id when the table names nothing."""
    return _Names(session).of(table, row_id)


@dataclass(frozen=True)
class ReadableEntry:
    """One audit entry in words: ``table`` (Chinese), ``record`` (what it is about), ``text``."""

    table: str
    record: str
    text: str


def readable(session: Session, rows: Iterable[AuditRow]) -> list[ReadableEntry]:
    """The 操作日志 rows as a clerk reads them (see the module docstring)."""
    names = _Names(session)
    out: list[ReadableEntry] = []
    for r in rows:
        parts: list[str] = []
        for key, pair in r.changes.items():
            if key in HIDDEN_FIELDS or (r.table_name == "db_meta" and key == "key"):
                continue
            if r.row_id in FLAG_SETTINGS:  # stored as "1"/"0"
                pair = [{"1": True, "0": False}.get(str(v), v) if v is not None else None for v in pair]
            old, new = [*pair, None, None][:2] if isinstance(pair, list | tuple) else (None, pair)
            ref = REFERENCE_FIELDS.get(key)
            shown_old = names.of(ref, str(old)) if ref and old else value_text(old, r.table_name, key)
            shown_new = names.of(ref, str(new)) if ref and new else value_text(new, r.table_name, key)
            name = field_label(key) if r.table_name != "db_meta" else SETTING_LABELS.get(r.row_id, "值")
            if key == "deleted" and new is True:
                parts.append("移入回收站")
            elif key == "deleted" and new is False and old is True:
                parts.append("从回收站恢复")
            elif old is None or old == "":
                parts.append(f"{name}：{shown_new}")
            elif new is None or new == "":
                parts.append(f"{name}：{shown_old} → 清空")
            else:
                parts.append(f"{name}：{shown_old} → {shown_new}")
        record = names.of(r.table_name, r.row_id) if r.table_name else ""
        table = table_name_label(r.table_name) if r.table_name else ""
        out.append(ReadableEntry(table, record, "；".join(parts)))
    return out
