"""The 请假/免于要求, 谈心谈话, 民主评议 and 流动党员联系 forms of the 其他台账 tab, as a clerk uses them:
each saves what was typed, and every bad input is refused with a Chinese message at its field and
nothing written."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPlainTextEdit, QSpinBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from gui.ledgers_view import ActionDialog, LedgersView
from models import AppraisalGrade, FlowContact, HeartTalk, MemberExemption
from services import committee, transfers
from services.db import Database
from services.ledgers.actions import ACTIONS
from services.members import members_on
from tests.conftest import Builder
from tests.gui.conftest import Boxes, type_text

TODAY = date.today()
DAY = TODAY - timedelta(days=30)


def _people(build: Builder, branch_id: str) -> list[tuple[str, str]]:
    with build.db.reader() as s:
        return [(m.id, m.name) for m in members_on(s, branch_id, TODAY)]


def _form(qtbot: QtBot, build: Builder, branch_id: str, ledger: str, title: str) -> ActionDialog:
    view = LedgersView(None, build.db)
    qtbot.addWidget(view)
    view.set_branches([branch_id])
    view.select_ledger(ledger)
    dialog = view.dialog_for(next(a for a in ACTIONS[ledger] if a.title == title))
    assert dialog is not None
    qtbot.addWidget(dialog)
    return dialog


def _pick(dialog: ActionDialog, key: str, data: object) -> None:
    combo = dialog.widgets[key]
    assert isinstance(combo, QComboBox)
    index = combo.findData(data)
    assert index >= 0, f"{key}: {data} not offered"
    combo.setCurrentIndex(index)


def _type(qtbot: QtBot, dialog: ActionDialog, key: str, text: str) -> None:
    widget = dialog.widgets[key]
    assert isinstance(widget, QLineEdit | QPlainTextEdit)
    widget.clear()
    type_text(qtbot, widget, text)


def _count(db: Database, model: type) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(model.deleted.is_(False))) or 0)  # type: ignore[attr-defined]


def _saved(dialog: ActionDialog) -> bool:
    return dialog.result() == dialog.DialogCode.Accepted


def test_leave_form_refuses_an_end_before_the_start_then_records_the_leave(
    qtbot: QtBot, app: QApplication, build: Builder
) -> None:
    branch = build.branch(members=3)
    member_id, _name = _people(build, branch.id)[0]
    dialog = _form(qtbot, build, branch.id, "exemptions", "登记请假/免于要求")
    _pick(dialog, "member_id", member_id)
    _pick(dialog, "kind", "leave")
    _type(qtbot, dialog, "start_on", "2026-03-10")
    _type(qtbot, dialog, "end_on", "2026-03-01")
    _type(qtbot, dialog, "reason", "外出就医")
    dialog.save()
    assert dialog.support.message_for("end_on") == "截止日期（2026-03-01）不能早于开始日期（2026-03-10）。"
    assert not _saved(dialog) and _count(build.db, MemberExemption) == 0
    _type(qtbot, dialog, "end_on", "2026.5.31")
    dialog.save()
    assert _saved(dialog)
    with build.db.reader() as s:
        row = s.scalars(select(MemberExemption)).one()
        assert (row.kind, row.start_on, row.end_on, row.reason) == (
            "leave",
            date(2026, 3, 10),
            date(2026, 5, 31),
            "外出就医",
        )


def test_leave_form_refuses_an_overlap_a_missing_reason_and_a_bad_date_at_their_fields(
    qtbot: QtBot, app: QApplication, build: Builder
) -> None:
    branch = build.branch(members=3)
    member_id, _name = _people(build, branch.id)[0]
    first = _form(qtbot, build, branch.id, "exemptions", "登记请假/免于要求")
    _pick(first, "member_id", member_id)
    _pick(first, "kind", "leave")
    _type(qtbot, first, "start_on", "2026-03-01")
    _type(qtbot, first, "end_on", "2026-04-30")
    _type(qtbot, first, "reason", "外出就医")
    first.save()
    assert _saved(first)
    again = _form(qtbot, build, branch.id, "exemptions", "登记请假/免于要求")
    _pick(again, "member_id", member_id)
    _pick(again, "kind", "leave")
    _type(qtbot, again, "start_on", "2026-04-15")
    _type(qtbot, again, "end_on", "三月底")
    again.save()
    assert again.support.message_for("end_on") == "截止日期“三月底”无法识别，请按 2026-07-01 的格式填写。"
    _type(qtbot, again, "end_on", "2026-05-15")
    again.save()
    assert again.support.message_for("reason") == "请填写事由。"
    _type(qtbot, again, "reason", "照顾病人")
    again.save()
    assert "与已登记的请假（2026-03-01 至 2026-04-30）重叠" in again.support.message_for("start_on")
    assert not _saved(again) and _count(build.db, MemberExemption) == 1


def _with_secretary(build: Builder, members: int = 4) -> tuple[str, str, list[tuple[str, str]]]:
    branch = build.branch(members=members)
    people = _people(build, branch.id)
    with build.db.transaction("t") as s:
        committee.start_term(s, branch.id, date(2024, 3, 1), today=TODAY)
        committee.add_seat(s, branch.id, people[0][0], "secretary", date(2024, 3, 1), today=TODAY)
    return branch.id, people[0][0], people


def test_talk_form_refuses_a_talker_off_the_committee_and_no_topic_then_records(
    qtbot: QtBot, app: QApplication, build: Builder
) -> None:
    branch_id, secretary, people = _with_secretary(build)
    dialog = _form(qtbot, build, branch_id, "talks", "登记谈心谈话")
    _pick(dialog, "talker_id", people[1][0])
    _pick(dialog, "member_id", people[2][0])
    _type(qtbot, dialog, "on", DAY.isoformat())
    _type(qtbot, dialog, "topic", "思想动态")
    dialog.save()
    assert "不是本支部委员（书记），请选择支部委员作为谈话人" in dialog.support.message_for("talker_id")
    _pick(dialog, "talker_id", secretary)
    _pick(dialog, "member_id", secretary)
    dialog.save()
    assert dialog.support.message_for("member_id") == "谈话对象不能是谈话人本人。"
    _pick(dialog, "member_id", people[2][0])
    _type(qtbot, dialog, "on", (TODAY + timedelta(days=3)).isoformat())
    dialog.save()
    assert dialog.support.message_for("on") == "谈话日期不能晚于今天。"
    assert _count(build.db, HeartTalk) == 0
    _type(qtbot, dialog, "on", DAY.isoformat())
    dialog.save()
    assert _saved(dialog)
    with build.db.reader() as s:
        talk = s.scalars(select(HeartTalk)).one()
        assert (talk.talker_id, talk.member_id, talk.on, talk.topic) == (
            secretary,
            people[2][0],
            DAY,
            "思想动态",
        )


def test_grade_form_refuses_a_probationary_member_and_a_follow_up_on_a_pass_and_warns_past_a_third(
    qtbot: QtBot, app: QApplication, build: Builder, boxes: Boxes
) -> None:
    branch = build.branch(members=3, probationary=1)
    people = _people(build, branch.id)
    with build.db.reader() as s:
        probationary = next(m.id for m in members_on(s, branch.id, TODAY) if m.status == "probationary")
    full = [pid for pid, _n in people if pid != probationary]
    year = TODAY.year - 1

    def form() -> ActionDialog:
        dialog = _form(qtbot, build, branch.id, "grades", "评定民主评议等次")
        year_box = dialog.widgets["year"]
        assert isinstance(year_box, QSpinBox)
        year_box.setValue(year)
        return dialog

    dialog = form()
    _pick(dialog, "member_id", probationary)
    _pick(dialog, "grade", "excellent")
    dialog.save()
    assert "是预备党员，参加民主评议但不评定等次" in dialog.support.message_for("grade")
    _pick(dialog, "member_id", full[0])
    _pick(dialog, "grade", "qualified")
    _pick(dialog, "follow_up", "correct")
    dialog.save()
    assert dialog.support.message_for("follow_up").startswith("只有评为不合格的党员才需要处置")
    assert _count(build.db, AppraisalGrade) == 0
    _pick(dialog, "grade", "excellent")
    _pick(dialog, "follow_up", None)
    dialog.save()
    assert _saved(dialog)
    assert boxes.shown and "超过参评正式党员 1 人的三分之一" in boxes.shown[-1][2]  # 1 of 1 graded so far
    second = form()
    _pick(second, "member_id", full[1])
    _pick(second, "grade", "qualified")
    second.save()
    assert _saved(second) and _count(build.db, AppraisalGrade) == 2


def test_contact_form_refuses_a_member_not_away_and_empty_content_then_records(
    qtbot: QtBot, app: QApplication, build: Builder
) -> None:
    branch = build.branch(members=3)
    people = _people(build, branch.id)
    away = people[1][0]
    with build.db.transaction("t") as s:
        transfers.start_flow(s, away, "江苏省苏州市", DAY - timedelta(days=60), "13912345678", today=TODAY)
    dialog = _form(qtbot, build, branch.id, "flow_contacts", "登记联系")
    _pick(dialog, "member_id", people[0][0])
    _type(qtbot, dialog, "on", DAY.isoformat())
    _pick(dialog, "way", "phone")
    _type(qtbot, dialog, "content", "了解务工情况")
    dialog.save()
    assert "没有外出流动登记，请先登记外出流动" in dialog.support.message_for("member_id")
    _pick(dialog, "member_id", away)
    _type(qtbot, dialog, "content", "")
    dialog.save()
    assert dialog.support.message_for("content") == "请填写内容。"
    assert _count(build.db, FlowContact) == 0
    _type(qtbot, dialog, "content", "了解务工情况，提醒交纳党费")
    dialog.save()
    assert _saved(dialog)
    with build.db.reader() as s:
        contact = s.scalars(select(FlowContact)).one()
        assert (contact.member_id, contact.on, contact.way) == (away, DAY, "phone")
