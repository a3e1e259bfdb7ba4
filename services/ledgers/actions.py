"""What a clerk can do on each ledger, declared as data beside its listing: a title, the fields of its
form (each with a column kind), whether it needs a selected row, and the service call it makes.

No Qt here. ``gui/ledgers_view.py`` builds one button and one form per action (the widget from each
field's kind); ``ledger do`` on the command line builds its arguments from the same fields
(``services/cli/ledger.py``). A field's key is the name the service raises its ``ValidationError``
with, so an error lands at the field on the form and names the argument on the command line.

The old per-ledger commands (``fee pay``, ``talk add``, ``problem close`` …) are generated from the same
actions: ``command`` names the old command, a field's ``option`` the old option where it differs from
the key (``paid_fen`` was ``--amount``), ``positional`` the field (or ``row``) taken as the first
argument, ``row_by`` the fields that find the row when no row id is given (a 党费 row by member and
month). A command that creates a row prints what it saved with the row's short id (``编号 1a2b3c4d``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AppraisalGrade, FeeDue, FlowContact, HeartTalk
from models.enums import DevelopmentStage, label
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
from services.ledgers.values import Money
from services.workdays import working_days


@dataclass(frozen=True)
class Field:
    """One field of an action's form: ``key`` (the service's field name), ``label``, ``kind``."""

    key: str
    label: str
    kind: Kind = kinds.TEXT
    required: bool = True
    default: Any = None  # used when nothing is given (and the form's initial value)
    option: str = ""  # the old command's option (without ``--``) when it differs from the key
    const: str | None = None  # the old option is a flag storing this code (``--ordinary``)

    @property
    def choices(self) -> tuple[tuple[str, str], ...]:
        """(code, label) pairs of a choice field; empty for other kinds."""
        return getattr(self.kind, "choices", ())

    def parse(self, text: Any) -> Any:
        """The value of what a clerk typed (form text, CLI argument, xlsx cell).

        Raises ValidationError(key) for a bad value or a missing required one."""
        value = self.kind.parse(text, self.key)
        if value is None and self.default is not None:
            value = self.kind.parse(self.default, self.key)
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
class RowBy:
    """How a command line finds the row of a ``needs_row`` action without its id: the live row of
    ``model`` whose columns equal these fields (a 党费 row by member and month)."""

    model: Any
    fields: tuple[Field, ...]
    missing: str = ""  # the message when there is none, formatted with the values by key

    def find(self, session: Session, values: dict[str, Any]) -> str:
        """The id of the one live row; ValidationError at the last field when there is none."""
        stmt = select(self.model.id).where(
            self.model.deleted.is_(False), *(getattr(self.model, f.key) == values[f.key] for f in self.fields)
        )
        found = session.scalar(stmt)
        if found is None:
            given = "、".join(f"{f.label} {f.kind.display(values[f.key])}" for f in self.fields)
            text = self.missing.format(**values) if self.missing else f"找不到{given}的记录，请先登记。"
            raise ValidationError(self.fields[-1].key, text)
        return str(found)


@dataclass(frozen=True)
class Action:
    """One thing a clerk can do on a ledger: a form of ``fields`` whose values ``run`` hands to a service.

    ``said`` turns the service's result into the line reported after the commit (None: the title)."""

    title: str
    fields: tuple[Field, ...]
    run: Run
    needs_row: bool = False
    needs_branch: bool = True
    changes: frozenset[str] = field(default_factory=frozenset)
    command: str = ""  # the old command line name: "fee pay"
    positional: str = ""  # a field key (or "row") the old command takes as its first argument
    row_by: RowBy | None = None
    said: Callable[[Any], str] | None = None


def _branch(t: Target) -> str:
    if not t.branch_id:
        raise ValidationError("branch_id", "请先在左侧选择一个支部。")
    return t.branch_id


def _row(t: Target) -> str:
    if not t.row_id:
        raise ValidationError("row", "请先在表格中选择一行。")
    return t.row_id


def _step(
    title: str, key: str, label: str, record: Callable[[Session, str, Any], object], command: str
) -> Action:
    """A 发展党员 step recorded on the selected record with one date (the service's field ``key``)."""
    return Action(
        title,
        (Field(key, label, DATE, option="date"),),
        lambda s, t, v: record(s, _row(t), v[key]),
        True,
        command=command,
        positional="row",
        said=_stage,
    )


def _transfer(
    title: str, verb: str, counterpart: str, option: str, move: Callable[..., object], command: str
) -> Action:
    """转出 or 转入 of a member: the date, the other organisation (the old ``--to``/``--from``) and the
    letter number; ``move(session, target, member_id, on, organisation, letter_no)``."""
    return Action(
        title,
        (
            Field("member_id", "党员", MEMBER),
            Field("on", f"{verb}日期", DATE, option="date"),
            Field("counterpart", counterpart, option=option),
            Field("letter_no", "介绍信编号", required=False, option="letter"),
        ),
        lambda s, t, v: move(s, t, v["member_id"], v["on"], v["counterpart"], v["letter_no"] or ""),
        changes=frozenset({"member"}),
        command=command,
        positional="member_id",
    )


def _stage(record: Any) -> str:
    return f"{record.name}：{label(DevelopmentStage(record.stage))}"


def _publicity(record: Any) -> str:
    return f"已记录（{working_days(record.publicity_from, record.publicity_to).describe()}）"


ACTIONS: dict[str, tuple[Action, ...]] = {
    "development": (
        Action(
            "登记入党申请人",
            (
                Field("name", "姓名"),
                Field("id_number", "公民身份号码"),
                Field("applied_on", "递交申请日期", DATE, option="applied"),
                Field("phone", "联系电话", required=False),
            ),
            lambda s, t, v: dev.create_applicant(
                s,
                _branch(t),
                dev.ApplicantInput(v["name"], v["id_number"], v["applied_on"], v["phone"] or ""),
            ),
            command="dev apply",
        ),
        _step("登记谈话", "talked_on", "谈话日期", dev.record_talk, "dev talk"),
        _step("确定为积极分子", "activist_on", "确定日期", dev.make_activist, "dev activist"),
        _step("积极分子考察", "last_review_on", "考察日期", dev.review_activist, "dev review"),
        _step("确定为发展对象", "candidate_on", "确定日期", dev.make_candidate, "dev candidate"),
        Action(
            "培训与政审",
            (
                Field("training_days", "集中培训天数", INT, option="days"),
                Field("training_hours", "培训学时", INT, option="hours"),
                Field("political_review_on", "政治审查日期", DATE, required=False, option="review"),
            ),
            lambda s, t, v: dev.record_training(
                s, _row(t), v["training_days"], v["training_hours"], v["political_review_on"]
            ),
            True,
            command="dev training",
            positional="row",
        ),
        Action(
            "接收为预备党员",
            (
                Field("admitted_on", "支部大会日期", DATE, option="date"),
                Field("introducers", "入党介绍人一", MEMBER),
                Field("introducer2", "入党介绍人二", MEMBER, option="introducers"),
            ),
            lambda s, t, v: dev.admit(s, _row(t), v["admitted_on"], (v["introducers"], v["introducer2"])),
            True,
            changes=frozenset({"member"}),
            command="dev admit",
            positional="row",
        ),
        Action(
            "公示",
            (
                Field("publicity_from", "公示开始日期", DATE, option="from"),
                Field("publicity_to", "公示结束日期", DATE, option="to"),
            ),
            lambda s, t, v: dev.record_publicity(s, _row(t), v["publicity_from"], v["publicity_to"]),
            True,
            command="dev publicity",
            positional="row",
            said=_publicity,
        ),
        _step("上级审批", "approved_on", "审批日期", dev.record_approval, "dev approve"),
        _step("宣誓", "oath_on", "宣誓日期", dev.record_oath, "dev oath"),
        # The meeting's date; the 转正日期 itself is the day the probation ends (党章第七条).
        _step("转为正式党员", "converted_on", "支部大会讨论转正日期", dev.convert, "dev convert"),
        Action(
            "延长预备期",
            (Field("probation_extended_months", "延长月数（6–12）", INT, option="months"),),
            lambda s, t, v: dev.extend_probation(s, _row(t), v["probation_extended_months"]),
            True,
            command="dev extend",
            positional="row",
        ),
        Action(
            "终止培养",
            (Field("on", "日期", DATE, option="date"), Field("notes", "原因", MULTILINE, option="reason")),
            lambda s, t, v: dev.withdraw(s, _row(t), v["on"], v["notes"]),
            True,
            command="dev withdraw",
            positional="row",
        ),
    ),
    "transfers": (
        _transfer(
            "转出党员",
            "转出",
            "转往党组织",
            "to",
            lambda s, t, member, on, org, letter: transfers.transfer_out(s, member, on, org, letter),
            "transfer out",
        ),
        _transfer(
            "转入党员（已在名册中）",
            "转入",
            "转自党组织",
            "from",
            lambda s, t, member, on, org, letter: transfers.transfer_in(
                s, member, _branch(t), on, org, letter
            ),
            "transfer in",
        ),
        Action(
            "登记去世/出党",
            (
                Field("member_id", "党员", MEMBER),
                Field(
                    "state",
                    "情况",
                    choice("", ("deceased", "去世"), ("left", "出党"), ("active", "恢复在册（更正误登记）")),
                ),
                Field("left_on", "日期", DATE, option="date"),
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
                Field("destination", "流入地", option="to"),
                Field("since", "外出日期", DATE),
                Field("contact", "联系方式"),
            ),
            lambda s, t, v: transfers.start_flow(
                s, v["member_id"], v["destination"], v["since"], v["contact"] or ""
            ),
            changes=frozenset({"member"}),
            command="transfer flow",
            positional="member_id",
        ),
        Action(
            "登记返回",
            (Field("member_id", "党员", MEMBER), Field("until", "返回日期", DATE, option="date")),
            lambda s, t, v: transfers.end_flow(s, v["member_id"], v["until"]),
            changes=frozenset({"member"}),
            command="transfer return",
            positional="member_id",
        ),
    ),
    "exemptions": (
        Action(
            "登记请假/免于要求",
            (
                Field("member_id", "党员", MEMBER),
                Field("kind", "类别", choice("ExemptionKind")),
                Field("start_on", "开始日期", DATE, option="from"),
                Field("end_on", "截止日期", DATE, required=False, option="to"),
                Field("reduced_fen", "少交后每月金额", MONEY, required=False, option="reduced"),
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
            command="exempt add",
            positional="member_id",
        ),
        Action(
            "删除",
            (),
            lambda s, t, v: exemptions.delete_exemption(s, _row(t)),
            needs_row=True,
            changes=frozenset({"member"}),
            command="exempt rm",
            positional="row",
            said=lambda _row: "已删除（可在回收站恢复）",
        ),
    ),
    "talks": (
        Action(
            "登记谈心谈话",
            (
                Field("talker_id", "谈话人（支部委员）", MEMBER, option="talker"),
                Field("member_id", "谈话对象", MEMBER, option="member"),
                Field("on", "谈话日期", DATE, option="date"),
                Field("topic", "主题"),
                Field("notes", "主要内容", MULTILINE, required=False),
            ),
            lambda s, t, v: talks.record_talk(
                s, v["talker_id"], v["member_id"], v["on"], v["topic"], v["notes"] or ""
            ),
            command="talk add",
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
                Field("follow_up_on", "处置日期", DATE, required=False, option="follow-up-date"),
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
            command="talk grade",
            positional="member_id",
            said=lambda _result: "已评定",
        ),
        Action("删除", (), lambda s, t, v: talks.delete(s, AppraisalGrade, _row(t)), needs_row=True),
    ),
    "flow_contacts": (
        Action(
            "登记联系",
            (
                Field("member_id", "流动党员", MEMBER),
                Field("on", "联系日期", DATE, option="date"),
                Field("way", "方式", choice("ContactWay")),
                Field("content", "内容"),
            ),
            lambda s, t, v: talks.record_contact(s, v["member_id"], v["on"], v["way"], v["content"]),
            command="talk contact",
            positional="member_id",
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
                Field("income_fen", "税后月收入（元）", MONEY, required=False, option="income"),
            ),
            lambda s, t, v: fees.set_due(
                s, v["member_id"], v["month"], v["category"], v["income_fen"] or 0, fees.current_schedule()
            ),
            command="fee set",
            positional="member_id",
            said=lambda row: f"{row.month} 应交 {Money(row.due_fen).yuan} 元",
        ),
        Action(
            "按上月生成本月",
            (Field("month", "月份", MONTH),),
            lambda s, t, v: fees.generate_month(s, _branch(t), v["month"], {}, fees.current_schedule()),
            command="fee generate",
            said=lambda count: f"已生成 {count} 条",
        ),
        Action(
            "登记交纳",
            (
                Field("paid_fen", "金额（元）", MONEY, option="amount"),
                Field("paid_on", "交纳日期", DATE, option="date"),
                Field("receipt_no", "收据号", required=False, option="receipt"),
            ),
            lambda s, t, v: _pay(s, _row(t), v),
            True,
            command="fee pay",
            positional="member_id",
            row_by=RowBy(
                FeeDue,
                (Field("member_id", "党员", MEMBER), Field("month", "月份", MONTH)),
                "{month} 还没有应交党费记录，请先核定该月党费（fee set）。",
            ),
        ),
    ),
    "funds": (
        Action(
            "登记收支",
            (
                Field("on", "日期", DATE, option="date"),
                Field("direction", "收支", choice("FundDirection")),
                Field("category", "类别"),
                Field("amount_fen", "金额（元）", MONEY, option="amount"),
                Field("description", "摘要", required=False),
                Field("voucher_no", "凭证号", required=False, option="voucher"),
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
            command="fund add",
        ),
    ),
    "training": (
        Action(
            "登记学习培训",
            (
                Field("title", "主题"),
                Field("held_on", "日期", DATE, option="date"),
                Field("minutes", "学时", HOURS, option="hours"),
                Field("kind", "形式", choice("TrainingKind"), default="study"),
                Field("organizer", "组织单位", required=False),
            ),
            lambda s, t, v: training.create_session(
                s,
                _branch(t),
                training.TrainingInput(
                    v["title"], v["held_on"], v["minutes"], v["kind"], v["organizer"] or ""
                ),
            ),
            command="training add",
        ),
    ),
    "decisions": (
        Action(
            "登记决策事项",
            (
                Field("title", "事项"),
                Field("proposed_on", "党支部提议日期", DATE, option="date"),
                Field("content", "内容", MULTILINE, False),
                Field(
                    "procedure",
                    "决策程序",
                    choice("DecisionProcedure"),
                    default="four_two",
                    option="ordinary",
                    const="ordinary",
                ),
            ),
            lambda s, t, v: decisions.create_decision(
                s, _branch(t), v["title"], v["proposed_on"], v["content"] or "", v["procedure"]
            ),
            command="decision add",
        ),
        Action(
            "登记下一步",
            (
                Field("step", "步骤", choice("", *choice("DecisionStepCode").choices[1:])),
                Field("done_on", "日期", DATE, option="date"),
            ),
            lambda s, t, v: decisions.record_step(s, _row(t), v["step"], v["done_on"]),
            True,
            command="decision step",
            positional="row",
        ),
    ),
    "disclosures": (
        Action(
            "登记党务公开",
            (
                Field("title", "公开事项"),
                Field("posted_on", "公开日期", DATE, option="date"),
                Field("until_on", "公开截止", DATE, required=False, option="until"),
                Field("channel", "公开形式", default="公开栏"),
            ),
            lambda s, t, v: decisions.post_disclosure(
                s, _branch(t), v["title"], v["posted_on"], v["until_on"], v["channel"] or "公开栏"
            ),
            command="decision disclose",
        ),
    ),
    "venue": (
        Action(
            "登记“八有”核查",
            (
                Field("item", "项目", choice("VenueItem")),
                Field("checked_on", "核查日期", DATE, option="date"),
                Field("met", "达标", BOOL),
                Field("notes", "说明", required=False),
            ),
            lambda s, t, v: venue.record_check(
                s, _branch(t), v["item"], v["checked_on"], bool(v["met"]), v["notes"] or ""
            ),
            command="venue check",
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
                Field("found_on", "发现日期", DATE, option="found"),
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
            command="problem add",
        ),
        Action(
            "开始整改",
            (),
            lambda s, t, v: rectification.start_work(s, _row(t)),
            True,
            command="problem start",
            positional="row",
            said=lambda _row: "已改为整改中",
        ),
        Action(
            "整改销号",
            (
                Field("closed_on", "销号日期", DATE, option="date"),
                Field("fix_evidence", "整改佐证", MULTILINE, option="evidence"),
            ),
            lambda s, t, v: rectification.close_problem(s, _row(t), v["closed_on"], v["fix_evidence"]),
            True,
            command="problem close",
            positional="row",
        ),
    ),
    "weak-branches": (
        Action(
            "列为软弱涣散",
            (Field("flagged_on", "列入日期", DATE, option="date"), Field("reason", "原因", MULTILINE)),
            lambda s, t, v: rectification.flag_weak(s, _branch(t), v["flagged_on"], v["reason"]),
            command="problem weak",
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
