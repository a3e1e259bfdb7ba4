"""Organisation dialogs refuse bad input at the field and write nothing: branch edit and dissolve,
committee seats (预备党员, second 书记, dates, small branch), 换届 below four-fifths or on a ground not
allowed, a 列席 person without a name."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from gui.meetings.form import MeetingForm
from gui.org import setup as org_setup
from gui.org.dialogs import BranchDialog
from gui.org.setup import CommitteeDialog, DissolveBranchDialog, ElectionDialog, GroupDialog, SeatDialog
from models import Branch, BranchTerm, CommitteeSeat, Meeting, PartyGroup
from services import committee
from services.db import Database
from services.members import members_on
from tests.conftest import TODAY, Builder
from tests.gui.conftest import show_active, type_text


def count(db: Database, model: type) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def ctrl_s(qtbot: QtBot, widget: QApplication | object) -> None:
    qtbot.keyClick(widget, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # type: ignore[arg-type]


def test_branch_edit_shows_a_taken_code_at_the_field_then_saves_the_new_domain(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    build.branch("B01")
    other = build.branch("B02", "二村党支部")
    dialog = BranchDialog(None, db, build.township_id, None, branch_id=other.id)
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    assert dialog.code.text() == "B02" and dialog.windowTitle() == "修改党组织"
    dialog.code.selectAll()
    qtbot.keyClicks(dialog.code, "B01")
    ctrl_s(qtbot, dialog)
    assert dialog.support.message_for("code") == "支部代码 B01 在本乡镇已存在。"
    dialog.code.selectAll()
    qtbot.keyClicks(dialog.code, "B02")
    dialog.domain.setFocus()
    qtbot.keyClick(dialog.domain, Qt.Key.Key_Down)  # 农村 → 社区
    type_text(qtbot, dialog.name, "（社区）")
    ctrl_s(qtbot, dialog)
    assert dialog.result_id == other.id
    with db.reader() as s:
        b = s.get(Branch, other.id)
        assert b is not None and b.domain == "community" and b.name == "二村党支部（社区）"


def test_dissolving_a_branch_with_members_is_refused_at_the_date(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=3)
    dialog = DissolveBranchDialog(None, db, branch.id, branch.name)
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    qtbot.keyClicks(dialog.on, "2026-10-01")
    ctrl_s(qtbot, dialog)
    assert dialog.support.message_for("dissolved_reason") == "请填写撤销或合并的原因（如：并入某某党支部）。"
    type_text(qtbot, dialog.reason, "并入二村党支部")
    ctrl_s(qtbot, dialog)
    assert "仍有在册党员 3 名" in dialog.support.message_for("dissolved_on")
    with db.reader() as s:
        assert s.get(Branch, branch.id).dissolved_on is None  # type: ignore[union-attr]


def test_seat_form_offers_only_full_members_and_refuses_a_second_secretary(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=9, probationary=1)  # 8 full: a committee
    with db.transaction("test") as s:
        first = s.scalars(select(CommitteeSeat)).all()
        assert first == []
        people = [m for m in members_on(s, branch.id, TODAY) if m.status == "full"]
        committee.add_seat(s, branch.id, people[0].id, "secretary", date(2024, 1, 1), today=TODAY)
    dialog = SeatDialog(None, db, branch.id, today=date(2025, 1, 1))
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    offered = [dialog.member.itemText(i) for i in range(dialog.member.count())]
    assert len(offered) == 8 and "党员B0100" not in offered  # the 预备党员 is not offered
    assert dialog.role.count() == len(list(committee.CommitteeRole))
    dialog.member.setFocus()
    qtbot.keyClick(dialog.member, Qt.Key.Key_Down)
    ctrl_s(qtbot, dialog)  # role 书记 while one sits
    assert "同一时间只能有一名书记" in dialog.support.message_for("role")
    dialog.end.setFocus()
    qtbot.keyClicks(dialog.end, "2024-12-01")
    dialog.role.setFocus()
    qtbot.keyClick(dialog.role, Qt.Key.Key_Down)
    ctrl_s(qtbot, dialog)
    assert dialog.support.message_for("end_on") == "离任日期必须晚于任职日期。"
    assert count(db, CommitteeSeat) == 1


def test_small_branch_seat_form_offers_secretary_and_deputy_and_warns_on_party_age(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=0)
    build.member(branch.id, "老党员甲")
    build.member(branch.id, "老党员乙")
    build.member(branch.id, "新党员", joined_on=date(2025, 6, 1))
    dialog = SeatDialog(None, db, branch.id)
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    assert [dialog.role.itemText(i) for i in range(dialog.role.count())] == ["书记", "副书记"]
    assert "不足 7 名" in dialog.intro.text()
    names = [dialog.member.itemText(i) for i in range(dialog.member.count())]
    dialog.member.setCurrentIndex(names.index("新党员"))
    assert "党龄不足 1 年" in dialog.warning.text()
    ctrl_s(qtbot, dialog)
    assert dialog.result_id is not None  # a warning, not a refusal


def test_election_below_four_fifths_is_refused_and_nothing_written(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=5)
    dialog = ElectionDialog(None, db, branch.id, today=date(2026, 6, 30))
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    rows = dialog.rows
    rows[0].role.setFocus()
    qtbot.keyClick(rows[0].role, Qt.Key.Key_Down)  # 书记
    for row in rows[1:3]:
        row.status.setFocus()
        qtbot.keyClick(row.status, Qt.Key.Key_Down)  # 请假
        type_text(qtbot, row.reason, "外出")
    assert "实到 3 人" in dialog.quorum.text() and "不符合" in dialog.quorum.text()
    ctrl_s(qtbot, dialog)
    assert "五分之四" in dialog.support.message_for("attendance")
    # Excluding one on leave without a ground is refused too; with an allowed ground 4 of 4 may vote.
    rows[1].status.setFocus()
    qtbot.keyClick(rows[1].status, Qt.Key.Key_Down)
    qtbot.keyClick(rows[1].status, Qt.Key.Key_Down)  # 不计入应到会
    ctrl_s(qtbot, dialog)
    assert "规定的理由" in dialog.support.message_for("excluded")
    assert count(db, Meeting) == 0 and count(db, BranchTerm) == 0 and count(db, CommitteeSeat) == 0
    rows[1].ground.setFocus()
    qtbot.keyClick(rows[1].ground, Qt.Key.Key_Down)  # 患精神疾病或因病不能表达本人意志
    rows[2].status.setCurrentIndex(0)  # back from leave
    assert "符合五分之四" in dialog.quorum.text()
    ctrl_s(qtbot, dialog)
    assert dialog.result_id is not None
    with db.reader() as s:
        term = s.scalars(select(BranchTerm)).one()
        assert (term.start_on, term.due_on) == (date(2026, 6, 30), date(2031, 6, 30))  # 农村: 5 years
        assert s.get(Branch, branch.id).term_end == date(2031, 6, 30)  # type: ignore[union-attr]


def test_guest_without_a_name_is_shown_at_the_guest_field_and_nothing_saved(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=3)
    form = MeetingForm(None, db, branch.id, today=TODAY)
    qtbot.addWidget(form)
    show_active(qtbot, form)
    type_text(qtbot, form.topics, "学习")
    form.guests.setFocus()
    type_text(qtbot, form.guests, "，驻村第一书记")
    ctrl_s(qtbot, form)
    assert form.support.message_for("guests") == "第 1 位列席人员：请填写姓名。"
    assert count(db, Meeting) == 0


def test_group_dialog_refuses_a_duplicate_name_at_the_field(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=3)
    for expected in (None, "本支部已有名为「第一党小组」的党小组。"):
        dialog = GroupDialog(None, db, branch.id)
        qtbot.addWidget(dialog)
        show_active(qtbot, dialog)
        type_text(qtbot, dialog.name, "第一党小组")
        ctrl_s(qtbot, dialog)
        if expected:
            assert dialog.support.message_for("name") == expected
    assert count(db, PartyGroup) == 1


def test_committee_dialog_lists_current_seats_and_term_history(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=3, domain="organ")
    with db.transaction("test") as s:
        people = members_on(s, branch.id, TODAY)
        committee.start_term(s, branch.id, date(2024, 3, 1), today=TODAY)
        committee.add_seat(s, branch.id, people[0].id, "secretary", date(2024, 3, 1), today=TODAY)
    dialog = CommitteeDialog(None, db, branch.id, branch.name)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 0).text() == "书记"
    assert "不设支委会" in dialog.summary.text()
    assert "2024-03-01 起（本届，2027-03-01 届满）" in dialog.terms.text()  # 机关: 3 years


def test_missing_secretary_finding_opens_the_committee_dialog_to_fill_it(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    from gui.handbook.view import HandbookView
    from services.handbook.pack import load_pack
    from services.handbook.service import run_check

    branch = build.branch(members=3)
    with db.reader() as s:
        result = run_check(s, load_pack(), "2026-11", as_of=TODAY)
    [finding] = [f for f in result.findings if f.rule_id == "ORG-03" and f.branch_id == branch.id]
    assert finding.prefill is not None
    view = HandbookView(None, db, today=TODAY)
    qtbot.addWidget(view)
    form = view.prefilled_form(finding.prefill)
    qtbot.addWidget(form)
    assert isinstance(form, CommitteeDialog) and form.branch_id == branch.id


def test_roster_selection_goes_to_the_group_dialog_checked(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, monkeypatch: object
) -> None:
    from PySide6.QtCore import QItemSelectionModel

    from gui.org import setup as org_setup
    from gui.roster.view import RosterView

    branch = build.branch(members=4)
    with db.transaction("test") as s:
        from services import groups

        groups.create_group(s, branch.id, "第一党小组")
    view = RosterView(None, db)
    qtbot.addWidget(view)
    view.set_branches([branch.id])
    opened: list[org_setup.PartyGroupsDialog] = []
    monkeypatch.setattr(org_setup.PartyGroupsDialog, "exec", lambda d: opened.append(d) or 0)  # type: ignore[attr-defined]
    sel = view.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in (0, 2):
        sel.select(view.model.index(row, 0), flags)
    view.group_button.click()
    [dialog] = opened
    qtbot.addWidget(dialog)
    assert len(dialog.checked_ids()) == 2
    show_active(qtbot, dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.status.text() == "已将 2 名党员编入第一党小组。"


def test_committee_sheet_is_imported_through_the_seat_rules_all_or_nothing(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, tmp_path: object
) -> None:
    from pathlib import Path

    from tests.excel.conftest import write_book

    branch = build.branch(members=8, probationary=1)
    dialog = CommitteeDialog(None, db, branch.id, branch.name)
    qtbot.addWidget(dialog)
    folder = Path(str(tmp_path))
    header = ["姓名", "职务", "任职日期", "离任日期", "产生方式"]
    bad = write_book(
        folder / "bad.xlsx",
        [
            header,
            ["党员B0101", "书记", "2024-01-01", "", "选举"],
            ["党员B0100", "组织委员", "2024-01-01", "", ""],
        ],
    )
    dialog.load_file(bad)
    assert dialog.message.text().startswith("第 3 行：党员B0100 在 2024-01-01 是预备党员")
    assert count(db, CommitteeSeat) == 0
    good = write_book(
        folder / "good.xlsx",
        [
            header,
            ["党员B0101", "书记", "2024-01-01", "", "选举"],
            ["党员B0102", "组织委员", "2024-01-01", "", ""],
        ],
    )
    dialog.load_file(good)
    assert dialog.message.text() == "已登记 2 条任职。" and dialog.table.rowCount() == 2


def test_the_file_menu_reaches_every_organisation_dialog(
    app: QApplication, qtbot: QtBot, db: Database
) -> None:
    from gui.main_window import MainWindow

    window = MainWindow(db, screens=[org_setup.install])
    qtbot.addWidget(window)
    texts = [a.text() for a in window.menus["文件"].actions()]
    for entry in (
        "新建乡镇…",
        "新建支部…",
        "修改乡镇/党组织…",
        "撤销党组织…",
        "党小组…",
        "支部委员会…",
        "换届选举…",
    ):
        assert entry in texts
    assert texts.index("换届选举…") < texts.index("退出")


def test_township_dialog_edits_the_selected_township(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    from gui.org.dialogs import TownshipDialog
    from models import Township

    township_id = build.township("T01", "城关镇")
    dialog = TownshipDialog(None, db, township_id=township_id)
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    assert (dialog.windowTitle(), dialog.name.text()) == ("修改乡镇", "城关镇")
    dialog.name.clear()
    ctrl_s(qtbot, dialog)
    assert dialog.support.message_for("name") == "乡镇名称不能为空。"
    type_text(qtbot, dialog.name, "城关街道")
    ctrl_s(qtbot, dialog)
    with db.reader() as s:
        assert s.get(Township, township_id).name == "城关街道"  # type: ignore[union-attr]
