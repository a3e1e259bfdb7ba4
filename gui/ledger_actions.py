"""What a clerk can do on each of the other ledgers, declared as data: a title, the fields of its
form, whether it needs a selected row, and the service call it makes.

``gui/ledgers_view.py`` builds one button and one form per action from these declarations; the
same service functions back the CLI (``services/cli/development.py``, ``fees.py``, ``ledgers.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from models import AppraisalGrade, FeeDue, FlowContact, HeartTalk
from models.enums import LABELS
from services import (
    attachments,
    decisions,
    exemptions,
    fees,
    members,
    rectification,
    talks,
    training,
    transfers,
    venue,
)
from services import development as dev
from services.errors import ValidationError


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    # text / date / int / money (fen) / hours (minutes) / month / bool / choice / member / multiline /
    # image (a picture file chosen with 浏览…)
    kind: str = "text"
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()  # (code, label) for "choice"
    default: Any = None


@dataclass(frozen=True)
class Target:
    """Where an action applies: the branch in view and the selected row (if the action needs one)."""

    branch_id: str | None
    row_id: str | None


Run = Callable[[Session, Target, dict[str, Any]], object]


@dataclass(frozen=True)
class Action:
    title: str
    fields: tuple[Field, ...]
    run: Run
    needs_row: bool = False
    needs_branch: bool = True
    changes: frozenset[str] = field(default_factory=frozenset)


def _choices(enum_name: str) -> tuple[tuple[str, str], ...]:
    return tuple(LABELS[enum_name].items())


def _branch(t: Target) -> str:
    if not t.branch_id:
        raise ValidationError("branch_id", "请先在左侧选择一个支部。")
    return t.branch_id


def _row(t: Target) -> str:
    if not t.row_id:
        raise ValidationError("row", "请先在表格中选择一行。")
    return t.row_id


ACTIONS: dict[str, tuple[Action, ...]] = {
    "development": (
        Action(
            "登记入党申请人",
            (
                Field("name", "姓名"),
                Field("id_number", "公民身份号码"),
                Field("applied_on", "递交申请日期", "date"),
                Field("phone", "联系电话", required=False),
            ),
            lambda s, t, v: dev.create_applicant(
                s,
                _branch(t),
                dev.ApplicantInput(v["name"], v["id_number"], v["applied_on"], v["phone"] or ""),
            ),
        ),
        Action(
            "登记谈话",
            (Field("on", "谈话日期", "date"),),
            lambda s, t, v: dev.record_talk(s, _row(t), v["on"]),
            True,
        ),
        Action(
            "确定为积极分子",
            (Field("on", "确定日期", "date"),),
            lambda s, t, v: dev.make_activist(s, _row(t), v["on"]),
            True,
        ),
        Action(
            "确定为发展对象",
            (Field("on", "确定日期", "date"),),
            lambda s, t, v: dev.make_candidate(s, _row(t), v["on"]),
            True,
        ),
        Action(
            "培训与政审",
            (
                Field("days", "集中培训天数", "int"),
                Field("hours", "培训学时", "int"),
                Field("review", "政治审查日期", "date", required=False),
            ),
            lambda s, t, v: dev.record_training(s, _row(t), v["days"], v["hours"], v["review"]),
            True,
        ),
        Action(
            "接收为预备党员",
            (
                Field("on", "支部大会日期", "date"),
                Field("intro1", "入党介绍人一", "member"),
                Field("intro2", "入党介绍人二", "member"),
            ),
            lambda s, t, v: dev.admit(s, _row(t), v["on"], (v["intro1"], v["intro2"])),
            True,
            changes=frozenset({"member"}),
        ),
        Action(
            "公示",
            (Field("start", "公示开始日期", "date"), Field("end", "公示结束日期", "date")),
            lambda s, t, v: dev.record_publicity(s, _row(t), v["start"], v["end"]),
            True,
        ),
        Action(
            "上级审批",
            (Field("on", "审批日期", "date"),),
            lambda s, t, v: dev.record_approval(s, _row(t), v["on"]),
            True,
        ),
        Action(
            "宣誓",
            (Field("on", "宣誓日期", "date"),),
            lambda s, t, v: dev.record_oath(s, _row(t), v["on"]),
            True,
        ),
        Action(
            "转为正式党员",
            # The meeting's date; the 转正日期 itself is the day the probation ends (党章第七条).
            (Field("on", "支部大会讨论转正日期", "date"),),
            lambda s, t, v: dev.convert(s, _row(t), v["on"]),
            True,
        ),
        Action(
            "终止培养",
            (Field("on", "日期", "date"), Field("reason", "原因", "multiline")),
            lambda s, t, v: dev.withdraw(s, _row(t), v["on"], v["reason"]),
            True,
        ),
    ),
    "transfers": (
        Action(
            "转出党员",
            (
                Field("member", "党员", "member"),
                Field("on", "转出日期", "date"),
                Field("to", "转往党组织"),
                Field("letter", "介绍信编号", required=False),
            ),
            lambda s, t, v: transfers.transfer_out(s, v["member"], v["on"], v["to"], v["letter"] or ""),
            changes=frozenset({"member"}),
        ),
        Action(
            "登记去世/出党",
            (
                Field("member", "党员", "member"),
                Field("state", "情况", "choice", choices=(("deceased", "去世"), ("left", "出党"))),
                Field("on", "日期", "date"),
            ),
            lambda s, t, v: members.set_member_state(s, v["member"], v["state"], v["on"]),
            changes=frozenset({"member"}),
        ),
    ),
    "flow": (
        Action(
            "登记外出流动",
            (
                Field("member", "党员", "member"),
                Field("to", "流入地"),
                Field("since", "外出日期", "date"),
                Field("contact", "联系方式"),
            ),
            lambda s, t, v: transfers.start_flow(s, v["member"], v["to"], v["since"], v["contact"] or ""),
            changes=frozenset({"member"}),
        ),
        Action(
            "登记返回",
            (Field("member", "党员", "member"), Field("until", "返回日期", "date")),
            lambda s, t, v: transfers.end_flow(s, v["member"], v["until"]),
            changes=frozenset({"member"}),
        ),
    ),
    "exemptions": (
        Action(
            "登记请假/免于要求",
            (
                Field("member", "党员", "member"),
                Field("kind", "类别", "choice", choices=_choices("ExemptionKind")),
                Field("start_on", "开始日期", "date"),
                Field("end_on", "截止日期", "date", required=False),
                Field("reduced_fen", "少交后每月金额", "money", required=False),
                Field("reason", "事由"),
                Field("approved_by", "批准人/批准机构", required=False),
            ),
            lambda s, t, v: exemptions.add_exemption(
                s,
                v["member"],
                exemptions.ExemptionInput(
                    v["kind"],
                    v["start_on"],
                    v["end_on"],
                    v["reason"] or "",
                    v["approved_by"] or "",
                    v["reduced_fen"] or 0,
                ),
            ),
            changes=frozenset({"member"}),
        ),
        Action(
            "删除",
            (),
            lambda s, t, v: exemptions.delete_exemption(s, _row(t)),
            needs_row=True,
            changes=frozenset({"member"}),
        ),
    ),
    "talks": (
        Action(
            "登记谈心谈话",
            (
                Field("talker", "谈话人（支部委员）", "member"),
                Field("member", "谈话对象", "member"),
                Field("on", "谈话日期", "date"),
                Field("topic", "主题"),
                Field("notes", "主要内容", "multiline", required=False),
            ),
            lambda s, t, v: talks.record_talk(
                s, v["talker"], v["member"], v["on"], v["topic"], v["notes"] or ""
            ),
        ),
        Action(
            "删除",
            (),
            lambda s, t, v: talks.delete(s, HeartTalk, _row(t)),
            needs_row=True,
        ),
    ),
    "grades": (
        Action(
            "评定民主评议等次",
            (
                Field("member", "党员", "member"),
                Field("year", "年度", "int"),
                Field("grade", "等次", "choice", choices=_choices("AppraisalGradeCode")),
                Field("follow_up", "处置（不合格）", "choice", required=False, choices=_choices("FollowUp")),
                Field("follow_up_on", "处置日期", "date", required=False),
                Field("notes", "备注", required=False),
            ),
            lambda s, t, v: talks.record_grade(
                s,
                v["member"],
                v["year"],
                v["grade"],
                v["follow_up"] or "",
                v["follow_up_on"],
                v["notes"] or "",
            ),
        ),
        Action(
            "删除",
            (),
            lambda s, t, v: talks.delete(s, AppraisalGrade, _row(t)),
            needs_row=True,
        ),
    ),
    "flow_contacts": (
        Action(
            "登记联系",
            (
                Field("member", "流动党员", "member"),
                Field("on", "联系日期", "date"),
                Field("way", "方式", "choice", choices=_choices("ContactWay")),
                Field("content", "内容"),
            ),
            lambda s, t, v: talks.record_contact(s, v["member"], v["on"], v["way"], v["content"]),
        ),
        Action(
            "删除",
            (),
            lambda s, t, v: talks.delete(s, FlowContact, _row(t)),
            needs_row=True,
        ),
    ),
    "fees": (
        Action(
            "核定应交党费",
            (
                Field("member", "党员", "member"),
                Field("month", "月份", "month"),
                Field("category", "类别", "choice", choices=_choices("FeeCategory")),
                Field("income", "税后月收入（元）", "money", required=False),
            ),
            lambda s, t, v: fees.set_due(
                s, v["member"], v["month"], v["category"], v["income"] or 0, fees.current_schedule()
            ),
        ),
        Action(
            "按上月生成本月",
            (Field("month", "月份", "month"),),
            lambda s, t, v: fees.generate_month(s, _branch(t), v["month"], {}, fees.current_schedule()),
        ),
        Action(
            "登记交纳",
            (
                Field("amount", "金额（元）", "money"),
                Field("paid_on", "交纳日期", "date"),
                Field("receipt", "收据号", required=False),
            ),
            lambda s, t, v: _pay(s, _row(t), v),
            True,
        ),
    ),
    "funds": (
        Action(
            "登记收支",
            (
                Field("on", "日期", "date"),
                Field("direction", "收支", "choice", choices=(("income", "收入"), ("expense", "支出"))),
                Field("category", "类别"),
                Field("amount", "金额（元）", "money"),
                Field("description", "摘要", required=False),
                Field("voucher", "凭证号", required=False),
            ),
            lambda s, t, v: fees.add_fund_entry(
                s,
                _branch(t),
                v["on"],
                v["direction"],
                v["category"],
                v["amount"],
                v["description"] or "",
                v["voucher"] or "",
            ),
        ),
    ),
    "training": (
        Action(
            "登记学习培训",
            (
                Field("title", "主题"),
                Field("held_on", "日期", "date"),
                Field("minutes", "学时", "hours"),
                Field("kind", "形式", "choice", choices=_choices("TrainingKind")),
                Field("organizer", "组织单位", required=False),
            ),
            lambda s, t, v: training.create_session(
                s,
                _branch(t),
                training.TrainingInput(
                    v["title"], v["held_on"], v["minutes"], v["kind"], v["organizer"] or ""
                ),
            ),
        ),
    ),
    "decisions": (
        Action(
            "登记决策事项",
            (
                Field("title", "事项"),
                Field("on", "党支部提议日期", "date"),
                Field("content", "内容", "multiline", False),
            ),
            lambda s, t, v: decisions.create_decision(s, _branch(t), v["title"], v["on"], v["content"] or ""),
        ),
        Action(
            "登记下一步",
            (
                Field("step", "步骤", "choice", choices=_choices("DecisionStepCode")[1:]),
                Field("on", "日期", "date"),
            ),
            lambda s, t, v: decisions.record_step(s, _row(t), v["step"], v["on"]),
            True,
        ),
    ),
    "disclosures": (
        Action(
            "登记党务公开",
            (
                Field("title", "公开事项"),
                Field("posted_on", "公开日期", "date"),
                Field("until_on", "公开截止", "date", required=False),
                Field("channel", "公开形式", default="公开栏"),
            ),
            lambda s, t, v: decisions.post_disclosure(
                s, _branch(t), v["title"], v["posted_on"], v["until_on"], v["channel"] or "公开栏"
            ),
        ),
    ),
    "venue": (
        Action(
            "登记“八有”核查",
            (
                Field("item", "项目", "choice", choices=_choices("VenueItem")),
                Field("on", "核查日期", "date"),
                Field("met", "达标", "bool"),
                Field("notes", "说明", required=False),
            ),
            lambda s, t, v: venue.record_check(
                s, _branch(t), v["item"], v["on"], bool(v["met"]), v["notes"] or ""
            ),
        ),
        Action(
            "添加照片",
            (Field("path", "照片文件", "image"), Field("caption", "照片说明", required=False)),
            lambda s, t, v: attachments.store_file(
                s, "venue_check", _row(t), v["path"], kind="photo", caption=v["caption"] or ""
            ),
            True,
        ),
    ),
    "rectification": (
        Action(
            "登记问题",
            (
                Field("category", "问题类别"),
                Field("description", "问题描述", "multiline"),
                Field("found", "发现日期", "date"),
                Field("deadline", "整改时限", "date"),
                Field("responsible", "责任人", required=False),
            ),
            lambda s, t, v: rectification.open_problem(
                s,
                _branch(t),
                v["category"],
                v["description"],
                v["found"],
                v["deadline"],
                v["responsible"] or "",
            ),
        ),
        Action(
            "整改销号",
            (Field("on", "销号日期", "date"), Field("evidence", "整改佐证", "multiline")),
            lambda s, t, v: rectification.close_problem(s, _row(t), v["on"], v["evidence"]),
            True,
        ),
    ),
    "weak-branches": (
        Action(
            "列为软弱涣散",
            (Field("on", "列入日期", "date"), Field("reason", "原因", "multiline")),
            lambda s, t, v: rectification.flag_weak(s, _branch(t), v["on"], v["reason"]),
        ),
        Action(
            "整顿销号",
            (Field("on", "销号日期", "date"), Field("notes", "整顿情况", "multiline")),
            lambda s, t, v: rectification.close_weak(s, _row(t), v["on"], v["notes"]),
            True,
        ),
    ),
}


def _pay(session: Session, due_id: str, v: dict[str, Any]) -> object:
    due = session.get(FeeDue, due_id)
    if due is None or due.deleted:
        raise ValidationError("row", "找不到该党费记录。")
    return fees.record_payment(
        session,
        due.member_id,
        due.month,
        v["amount"],
        v["paid_on"],
        v["receipt"] or "",
        fees.current_schedule(),
    )
