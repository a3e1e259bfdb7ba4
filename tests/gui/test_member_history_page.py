"""The member page's history: what a clerk sees for one member, and 转出 / 流动 from there."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import select

import main
from gui.roster.history import MemberHistoryDialog
from gui.roster.view import RosterView
from models import FlowRecord, Member, MemberTransfer
from models.enums import MemberState
from services import development as dev
from services import fees, idcard, transfers
from tests.conftest import Builder
from tests.gui.conftest import Boxes, type_text


def _admitted(build: Builder, branch_id: str) -> str:
    """A member who came through the 发展党员 pipeline (applied 2021, admitted 2023)."""
    intro1 = build.member(branch_id, "介绍人甲")
    intro2 = build.member(branch_id, "介绍人乙")
    with build.db.transaction("t") as s:
        r = dev.create_applicant(
            s,
            branch_id,
            dev.ApplicantInput("李发展", idcard.make("620421", date(1995, 3, 3), 31), date(2021, 3, 1)),
        )
        dev.record_talk(s, r.id, date(2021, 3, 20))
        dev.make_activist(s, r.id, date(2021, 6, 1))
        dev.make_candidate(s, r.id, date(2022, 7, 1))
        dev.record_training(s, r.id, 3, 24, date(2022, 8, 1))
        member = dev.admit(s, r.id, date(2023, 1, 10), (intro1.id, intro2.id))
        return member.id


def _dialog(qtbot: QtBot, build: Builder, member_id: str) -> MemberHistoryDialog:
    dialog = MemberHistoryDialog(None, build.db, member_id)
    qtbot.addWidget(dialog)
    return dialog


def _cells(table) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_history_shows_development_file_transfer_flow_and_dues(
    qtbot: QtBot, app: QApplication, build: Builder
) -> None:
    branch = build.branch()
    member_id = _admitted(build, branch.id)
    this_month = date.today().strftime("%Y-%m")
    last_month = fees.shift_month(this_month, -1)
    with build.db.transaction("t") as s:
        transfers.start_flow(s, member_id, "广东省深圳市", date(2024, 2, 1), "13800000000")
        transfers.end_flow(s, member_id, date(2024, 9, 1))
        fees.set_due(s, member_id, last_month, "salaried", 300_000)
        fees.set_due(s, member_id, this_month, "salaried", 300_000)
        fees.record_payment(s, member_id, last_month, 1500, date.today(), "R-1")
    dialog = _dialog(qtbot, build, member_id)

    history = _cells(dialog.history)
    assert history[0] == ["2023-01-10", "入党"]
    assert ["2024-02-01", "外出流动：广东省深圳市，联系方式 13800000000"] in history
    assert ["2024-09-01", "流动结束返回"] in history
    steps = dict((step, day) for step, day in _cells(dialog.development))
    assert steps["递交入党申请书"] == "2021-03-01"
    assert steps["确定为入党积极分子"] == "2021-06-01"
    assert steps["支部大会接收为预备党员"] == "2023-01-10"
    assert steps["转为正式党员"] == "—"
    assert "介绍人甲、介绍人乙" in dialog.development_note.text()
    assert "3 天 / 24 学时" in dialog.development_note.text()
    dues = dialog.dues.text()
    assert f"未交清 1 个月：{this_month}" in dues
    assert "连续 1 个月未交" in dues
    assert dialog.flow_button.isEnabled() and not dialog.return_button.isEnabled()


def test_member_without_development_file_says_so(qtbot: QtBot, app: QApplication, build: Builder) -> None:
    branch = build.branch()
    member = build.member(branch.id, "老党员", joined_on=date(2001, 7, 1))
    dialog = _dialog(qtbot, build, member.id)
    assert dialog.development.rowCount() == 0
    assert "无" in dialog.dev_box.title()
    assert "没有应交党费记录" in dialog.dues.text()


def test_transfer_out_from_the_history_writes_letter_and_shows_it(
    qtbot: QtBot, app: QApplication, build: Builder
) -> None:
    branch = build.branch()
    member = build.member(branch.id, "王转出", joined_on=date(2010, 7, 1))
    dialog = _dialog(qtbot, build, member.id)
    form = dialog.dialog_for(next(a for a in _actions("transfers") if a.title == "转出党员"))
    assert form is not None
    qtbot.addWidget(form)
    on = form.widgets["on"]
    assert isinstance(on, QLineEdit)
    on.setText((date.today() - timedelta(days=3)).isoformat())
    type_text(qtbot, form.widgets["counterpart"], "县教育局党委")
    qtbot.keyClicks(form.widgets["letter_no"], "No.2024-017")
    form.save()
    assert form.result() == form.DialogCode.Accepted
    dialog.load()
    assert any("转出，转往县教育局党委（介绍信 No.2024-017）" in row[1] for row in _cells(dialog.history))
    assert "已转出" in dialog.heading.text()
    assert not dialog.out_button.isEnabled() and not dialog.flow_button.isEnabled()
    with build.db.reader() as s:
        assert s.get(Member, member.id).state == MemberState.TRANSFERRED_OUT  # type: ignore[union-attr]
        assert s.scalar(select(MemberTransfer.letter_no)) == "No.2024-017"


def test_flow_start_and_return_from_the_history(qtbot: QtBot, app: QApplication, build: Builder) -> None:
    branch = build.branch()
    member = build.member(branch.id, "赵流动")
    dialog = _dialog(qtbot, build, member.id)
    form = dialog.dialog_for(next(a for a in _actions("flow") if a.title == "登记外出流动"))
    assert form is not None
    qtbot.addWidget(form)
    type_text(qtbot, form.widgets["destination"], "新疆乌鲁木齐")
    type_text(qtbot, form.widgets["contact"], "13800000001")
    form.save()
    assert form.result() == form.DialogCode.Accepted
    dialog.load()
    assert "流动在外" in dialog.heading.text()
    assert dialog.return_button.isEnabled() and not dialog.flow_button.isEnabled()

    back = dialog.dialog_for(next(a for a in _actions("flow") if a.title == "登记返回"))
    assert back is not None
    qtbot.addWidget(back)
    back.save()
    assert back.result() == back.DialogCode.Accepted
    dialog.load()
    assert "流动在外" not in dialog.heading.text()
    with build.db.reader() as s:
        row = s.scalar(select(FlowRecord))
        assert row is not None and row.until == date.today()


def test_flow_with_empty_destination_is_refused_at_the_field(
    qtbot: QtBot, app: QApplication, build: Builder
) -> None:
    branch = build.branch()
    member = build.member(branch.id, "钱空白")
    dialog = _dialog(qtbot, build, member.id)
    form = dialog.dialog_for(next(a for a in _actions("flow") if a.title == "登记外出流动"))
    assert form is not None
    qtbot.addWidget(form)
    form.save()
    assert "流入地" in form.support.message_for("destination")
    assert form.result() != form.DialogCode.Accepted
    with build.db.reader() as s:
        assert s.scalar(select(FlowRecord.id)) is None


def test_roster_history_button_opens_the_selected_member(
    qtbot: QtBot, app: QApplication, build: Builder, boxes: Boxes, monkeypatch: pytest.MonkeyPatch
) -> None:
    branch = build.branch()
    build.member(branch.id, "孙名册")
    view = RosterView(None, build.db)
    qtbot.addWidget(view)
    opened: list[str] = []

    def fake_exec(self: MemberHistoryDialog) -> int:
        assert self.page is not None
        opened.append(self.page.name)
        return 0

    monkeypatch.setattr(MemberHistoryDialog, "exec", fake_exec)
    view.set_branches([branch.id])
    view.history_current()
    assert opened == [] and "请先在名册中选择一名党员" in boxes.texts()[-1]
    view.table.setCurrentIndex(view.first_index())
    view.history_button.click()
    assert opened == ["孙名册"]


def _actions(code: str):  # type: ignore[no-untyped-def]
    from services.ledgers.actions import ACTIONS

    return ACTIONS[code]


def test_flow_before_joining_the_party_is_refused_at_the_field(
    qtbot: QtBot, app: QApplication, build: Builder
) -> None:
    branch = build.branch()
    member = build.member(branch.id, "周新党员", joined_on=date(2025, 7, 1))
    dialog = _dialog(qtbot, build, member.id)
    form = dialog.dialog_for(next(a for a in _actions("flow") if a.title == "登记外出流动"))
    assert form is not None
    qtbot.addWidget(form)
    type_text(qtbot, form.widgets["destination"], "广东省东莞市")
    type_text(qtbot, form.widgets["contact"], "13800000001")
    since = form.widgets["since"]
    assert isinstance(since, QLineEdit)
    since.setText("2025-03-01")
    form.save()
    assert "不能早于入党日期（2025-07-01）" in form.support.message_for("since")
    with build.db.reader() as s:
        assert s.scalar(select(FlowRecord.id)) is None


def test_the_same_page_on_the_command_line(
    build: Builder, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    branch = build.branch()
    member_id = _admitted(build, branch.id)
    with build.db.transaction("t") as s:
        transfers.start_flow(s, member_id, "广东省深圳市", date(2024, 2, 1), "13800000001")
    assert main.main(["--db", str(db_path), "transfer", "history", member_id]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "李发展\t一村党支部\t在册\t流动在外"
    assert "2023-01-10\t入党" in out
    assert "确定为发展对象 2022-07-01" in out and "转为正式党员 —" in out
    assert "党费：近 12 个月没有应交党费记录" in out
    assert main.main(["--db", str(db_path), "transfer", "history", member_id, "--json"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert page["is_flowing"] is True and page["history"][0] == ["2023-01-10", "入党"]
    assert main.main(["--db", str(db_path), "transfer", "history", "no-such-id"]) == 1
    assert "找不到该党员" in capsys.readouterr().err
