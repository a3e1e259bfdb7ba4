"""What a clerk can do on each ledger, declared as data beside its listing: a title, the fields of its
form (each with a column kind), whether it needs a selected row, and the service call it makes.

No Qt here. ``gui/ledgers_view.py`` builds one button and one form per action (the widget from each
field's kind); ``ledger do`` on the command line builds its arguments from the same fields
(``services/ledgers/cli.py``). A field's key is the name the service raises its ``ValidationError``
with, so an error lands at the field on the form and names the argument on the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from models import AppraisalGrade, FeeDue, FlowContact, HeartTalk
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
from services.ledgers import kinds
from services.ledgers.kinds import (
    BOOL,
    DATE,
    HOURS,
    IMAGE,
    INT,
    MEMBER,
    MONEY,
    MONTH,
    MULTILINE,
    Kind,
    choice,
)


@dataclass(frozen=True)
class Field:
    """One field of an action's form: ``key`` (the service's field name), ``label``, ``kind``."""

    key: str
    label: str
    kind: Kind = kinds.TEXT
    required: bool = True
    default: Any = None

    @property
    def choices(self) -> tuple[tuple[str, str], ...]:
        """(code, label) pairs of a choice field; empty for other kinds."""
        return getattr(self.kind, "choices", ())

    def parse(self, text: Any) -> Any:
        """The value of what a clerk typed (form text, CLI argument, xlsx cell).

        Raises ValidationError(key) for a bad value or a missing required one."""
        value = self.kind.parse(text, self.key)
        if value is None and self.required and self.kind is not BOOL:
            verb = "选择" if self.kind.name in ("choice", "member", "image") else "填写"
            raise ValidationError(self.key, f"请{verb}{self.label}。")
        return value


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


def _branch(t: Target) -> str:
    if not t.branch_id:
        raise ValidationError("branch_id", "请先在左侧选择一个支部。")
    return t.branch_id


def _row(t: Target) -> str:
    if not t.row_id:
        raise ValidationError("row", "请先在表格中选择一行。")
    return t.row_id


def _step(title: str, key: str, label: str, record: Callable[[Session, str, Any], object]) -> Action:
    """A 发展党员 step recorded on the selected record with one date (the service's field ``key``)."""
    return Action(title, (Field(key, label, DATE),), lambda s, t, v: record(s, _row(t), v[key]), True)


ACTIONS: dict[str, tuple[Action, ...]] = {
    "development": (
        Action(
            "登记入党申请人",
            (
                Field("name", "姓名"),
                Field("id_number", "公民身份号码"),
                Field("applied_on", "递交申请日期", DATE),
                Field("phone", "联系电话", required=False),
            ),
            lambda s, t, v: dev.create_applicant(
                s,
                _branch(t),
                dev.ApplicantInput(v["name"], v["id_number"], v["applied_on"], v["phone"] or ""),
            ),
        ),
        _step("登记谈话", "talked_on", "谈话日期", dev.record_talk),
        _step("确定为积极分子", "activist_on", "确定日期", dev.make_activist),
        _step("确定为发展对象", "candidate_on", "确定日期", dev.make_candidate),
        Action(
            "培训与政审",
            (
                Field("training_days", "集中培训天数", INT),
                Field("training_hours", "培训学时", INT),
                Field("political_review_on", "政治审查日期", DATE, required=False),
            ),
            lambda s, t, v: dev.record_training(
                s, _row(t), v["training_days"], v["training_hours"], v["political_review_on"]
            ),
            True,
        ),
        Action(
            "接收为预备党员",
            (
                Field("admitted_on", "支部大会日期", DATE),
                Field("introducers", "入党介绍人一", MEMBER),
                Field("introducer2", "入党介绍人二", MEMBER),
            ),
            lambda s, t, v: dev.admit(s, _row(t), v["admitted_on"], (v["introducers"], v["introducer2"])),
            True,
            changes=frozenset({"member"}),
        ),
        Action(
            "公示",
            (Field("publicity_from", "公示开始日期", DATE), Field("publicity_to", "公示结束日期", DATE)),
            lambda s, t, v: dev.record_publicity(s, _row(t), v["publicity_from"], v["publicity_to"]),
            True,
        ),
        _step("上级审批", "approved_on", "审批日期", dev.record_approval),
        _step("宣誓", "oath_on", "宣誓日期", dev.record_oath),
        # The meeting's date; the 转正日期 itself is the day the probation ends (党章第七条).
        _step("转为正式党员", "converted_on", "支部大会讨论转正日期", dev.convert),
        Action(
            "终止培养",
            (Field("on", "日期", DATE), Field("notes", "原因", MULTILINE)),
            lambda s, t, v: dev.withdraw(s, _row(t), v["on"], v["notes"]),
            True,
        ),
    ),
    "transfers": (
        Action(
            "转出党员",
            (
                Field("member_id", "党员", MEMBER),
                Field("on", "转出日期", DATE),
                Field("counterpart", "转往党组织"),
                Field("letter_no", "介绍信编号", required=False),
            ),
            lambda s, t, v: transfers.transfer_out(
                s, v["member_id"], v["on"], v["counterpart"], v["letter_no"] or ""
            ),
            changes=frozenset({"member"}),
        ),
        Action(
            "登记去世/出党",
            (
                Field("member_id", "党员", MEMBER),
                Field("state", "情况", choice("", ("deceased", "去世"), ("left", "出党"))),
                Field("left_on", "日期", DATE),
            ),
            lambda s, t, v: members.set_member_state(s, v["member_id"], v["state"], v["left_on"]),
            changes=frozenset({"member"}),
        ),
    ),
    "flow": (
        Action(
            "登记外出流动",
            (
                Field("member_id", "党员", MEMBER),
                Field("destination", "流入地"),
                Field("since", "外出日期", DATE),
                Field("contact", "联系方式"),
            ),
            lambda s, t, v: transfers.start_flow(
                s, v["member_id"], v["destination"], v["since"], v["contact"] or ""
            ),
            changes=frozenset({"member"}),
        ),
        Action(
            "登记返回",
            (Field("member_id", "党员", MEMBER), Field("until", "返回日期", DATE)),
            lambda s, t, v: transfers.end_flow(s, v["member_id"], v["until"]),
            changes=frozenset({"member"}),
        ),
    ),
    "exemptions": (
        Action(
            "登记请假/免于要求",
            (
                Field("member_id", "党员", MEMBER),
                Field("kind", "类别", choice("ExemptionKind")),
                Field("start_on", "开始日期", DATE),
                Field("end_on", "截止日期", DATE, required=False),
                Field("reduced_fen", "少交后每月金额", MONEY, required=False),
                Field("reason", "事由"),
                Field("approved_by", "批准人/批准机构", required=False),
            ),
            lambda s, t, v: exemptions.add_exemption(
                s,
                v["member_id"],
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
                Field("talker_id", "谈话人（支部委员）", MEMBER),
                Field("member_id", "谈话对象", MEMBER),
                Field("on", "谈话日期", DATE),
                Field("topic", "主题"),
                Field("notes", "主要内容", MULTILINE, required=False),
            ),
            lambda s, t, v: talks.record_talk(
                s, v["talker_id"], v["member_id"], v["on"], v["topic"], v["notes"] or ""
            ),
        ),
        Action("删除", (), lambda s, t, v: talks.delete(s, HeartTalk, _row(t)), needs_row=True),
    ),
    "grades": (
        Action(
            "评定民主评议等次",
            (
                Field("member_id", "党员", MEMBER),
                Field("year", "年度", INT),
                Field("grade", "等次", choice("AppraisalGradeCode")),
                Field("follow_up", "处置（不合格）", choice("FollowUp"), required=False),
                Field("follow_up_on", "处置日期", DATE, required=False),
                Field("notes", "备注", required=False),
            ),
            lambda s, t, v: talks.record_grade(
                s,
                v["member_id"],
                v["year"],
                v["grade"],
                v["follow_up"] or "",
                v["follow_up_on"],
                v["notes"] or "",
            ),
        ),
        Action("删除", (), lambda s, t, v: talks.delete(s, AppraisalGrade, _row(t)), needs_row=True),
    ),
    "flow_contacts": (
        Action(
            "登记联系",
            (
                Field("member_id", "流动党员", MEMBER),
                Field("on", "联系日期", DATE),
                Field("way", "方式", choice("ContactWay")),
                Field("content", "内容"),
            ),
            lambda s, t, v: talks.record_contact(s, v["member_id"], v["on"], v["way"], v["content"]),
        ),
        Action("删除", (), lambda s, t, v: talks.delete(s, FlowContact, _row(t)), needs_row=True),
    ),
    "fees": (
        Action(
            "核定应交党费",
            (
                Field("member_id", "党员", MEMBER),
                Field("month", "月份", MONTH),
                Field("category", "类别", choice("FeeCategory")),
                Field("income_fen", "税后月收入（元）", MONEY, required=False),
            ),
            lambda s, t, v: fees.set_due(
                s, v["member_id"], v["month"], v["category"], v["income_fen"] or 0, fees.current_schedule()
            ),
        ),
        Action(
            "按上月生成本月",
            (Field("month", "月份", MONTH),),
            lambda s, t, v: fees.generate_month(s, _branch(t), v["month"], {}, fees.current_schedule()),
        ),
        Action(
            "登记交纳",
            (
                Field("paid_fen", "金额（元）", MONEY),
                Field("paid_on", "交纳日期", DATE),
                Field("receipt_no", "收据号", required=False),
            ),
            lambda s, t, v: _pay(s, _row(t), v),
            True,
        ),
    ),
    "funds": (
        Action(
            "登记收支",
            (
                Field("on", "日期", DATE),
                Field("direction", "收支", choice("FundDirection")),
                Field("category", "类别"),
                Field("amount_fen", "金额（元）", MONEY),
                Field("description", "摘要", required=False),
                Field("voucher_no", "凭证号", required=False),
            ),
            lambda s, t, v: fees.add_fund_entry(
                s,
                _branch(t),
                v["on"],
                v["direction"],
                v["category"],
                v["amount_fen"],
                v["description"] or "",
                v["voucher_no"] or "",
            ),
        ),
    ),
    "training": (
        Action(
            "登记学习培训",
            (
                Field("title", "主题"),
                Field("held_on", "日期", DATE),
                Field("minutes", "学时", HOURS),
                Field("kind", "形式", choice("TrainingKind")),
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
                Field("proposed_on", "党支部提议日期", DATE),
                Field("content", "内容", MULTILINE, False),
            ),
            lambda s, t, v: decisions.create_decision(
                s, _branch(t), v["title"], v["proposed_on"], v["content"] or ""
            ),
        ),
        Action(
            "登记下一步",
            (
                Field("step", "步骤", choice("", *choice("DecisionStepCode").choices[1:])),
                Field("done_on", "日期", DATE),
            ),
            lambda s, t, v: decisions.record_step(s, _row(t), v["step"], v["done_on"]),
            True,
        ),
    ),
    "disclosures": (
        Action(
            "登记党务公开",
            (
                Field("title", "公开事项"),
                Field("posted_on", "公开日期", DATE),
                Field("until_on", "公开截止", DATE, required=False),
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
                Field("item", "项目", choice("VenueItem")),
                Field("checked_on", "核查日期", DATE),
                Field("met", "达标", BOOL),
                Field("notes", "说明", required=False),
            ),
            lambda s, t, v: venue.record_check(
                s, _branch(t), v["item"], v["checked_on"], bool(v["met"]), v["notes"] or ""
            ),
        ),
        Action(
            "添加照片",
            (Field("path", "照片文件", IMAGE), Field("caption", "照片说明", required=False)),
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
                Field("description", "问题描述", MULTILINE),
                Field("found_on", "发现日期", DATE),
                Field("deadline", "整改时限", DATE),
                Field("responsible", "责任人", required=False),
            ),
            lambda s, t, v: rectification.open_problem(
                s,
                _branch(t),
                v["category"],
                v["description"],
                v["found_on"],
                v["deadline"],
                v["responsible"] or "",
            ),
        ),
        Action(
            "开始整改",
            (),
            lambda s, t, v: rectification.start_work(s, _row(t)),
            True,
        ),
        Action(
            "整改销号",
            (Field("closed_on", "销号日期", DATE), Field("fix_evidence", "整改佐证", MULTILINE)),
            lambda s, t, v: rectification.close_problem(s, _row(t), v["closed_on"], v["fix_evidence"]),
            True,
        ),
    ),
    "weak-branches": (
        Action(
            "列为软弱涣散",
            (Field("flagged_on", "列入日期", DATE), Field("reason", "原因", MULTILINE)),
            lambda s, t, v: rectification.flag_weak(s, _branch(t), v["flagged_on"], v["reason"]),
        ),
        Action(
            "整顿销号",
            (Field("closed_on", "销号日期", DATE), Field("closing_notes", "整顿情况", MULTILINE)),
            lambda s, t, v: rectification.close_weak(s, _row(t), v["closed_on"], v["closing_notes"]),
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
        v["paid_fen"],
        v["paid_on"],
        v["receipt_no"] or "",
        fees.current_schedule(),
    )
