"""A clerk's first day on an EMPTY database (no demo), through the real dialogs, with the keyboard:
township → two branches → roster import → committee → party groups → three meetings (支委会 with a 列席
guest and a 请假, 党小组会, 支部党员大会) → the month's check has no ORG-01…04 finding, the booklet
prints the committee and the 列席 guest, and a sync package exports."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from gui import ops
from gui.excel.import_dialog import ExcelImportDialog
from gui.meetings.form import MeetingForm
from gui.org.dialogs import BranchDialog, TownshipDialog
from gui.org.setup import GroupDialog, PartyGroupsDialog, SeatDialog
from models import Branch, Meeting, MeetingGuest, Township
from services import committee, idcard
from services.db import Database
from services.handbook.pack import load_pack
from services.handbook.service import run_check
from services.printing.booklet import print_branch_booklet
from services.sync.exporter import export_package
from tests.excel.conftest import write_book
from tests.gui.conftest import show_active, type_text
from tests.printing.pdfcheck import texts as page_texts

TODAY = date.today()
DAY = TODAY - timedelta(days=1) if TODAY.day > 1 else TODAY  # the meetings: this month, not in the future
SEATED = TODAY - timedelta(days=60)

VILLAGE = ["张国强", "王秀兰", "李建军", "赵丽华", "刘志刚", "陈美玲", "杨永富", "黄春梅", "周晓东"]
ORGAN = ["吴文静", "郑海涛", "孙立新"]


def everyone_present(qtbot: QtBot, form: MeetingForm) -> None:
    """Marks the sign-in sheet 全部出席 with the keyboard (rows start unmarked)."""
    form.all_present.setFocus()
    qtbot.keyClick(form.all_present, Qt.Key.Key_Space)


def roster_book(path: Path, names: list[str], seq: int, probationary: int = 0) -> Path:
    rows: list[list[object]] = [["姓名", "公民身份号码", "入党日期", "党员类别"]]
    for i, name in enumerate(names):
        prob = i >= len(names) - probationary
        joined = (TODAY - timedelta(days=100)).isoformat() if prob else "2001-07-01"
        rows.append(
            [
                name,
                idcard.make("620421", date(1975, 1, 1), seq + 2 * i),
                joined,
                "预备党员" if prob else "正式党员",
            ]
        )
    return write_book(path, rows)


def save(qtbot: QtBot, dialog: QWidget) -> None:
    """Ctrl+S, as the clerk saves every form."""
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)


def pick(qtbot: QtBot, combo: QWidget, steps: int) -> None:
    """Choose a combo entry with the arrow keys."""
    combo.setFocus()
    for _ in range(steps):
        qtbot.keyClick(combo, Qt.Key.Key_Down)


def make_township(qtbot: QtBot, db: Database) -> str:
    dialog = TownshipDialog(None, db, first_run=True)
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    qtbot.keyClicks(dialog.code, "620421101")
    type_text(qtbot, dialog.name, "城关镇")
    save(qtbot, dialog)
    assert dialog.result_id is not None
    return dialog.result_id


def make_branch(qtbot: QtBot, db: Database, township_id: str, code: str, name: str, domain_steps: int) -> str:
    dialog = BranchDialog(None, db, township_id, None)
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    qtbot.keyClicks(dialog.code, code)
    type_text(qtbot, dialog.name, name)
    pick(qtbot, dialog.domain, domain_steps)
    qtbot.keyClicks(dialog.founded, "2000-01-01")
    save(qtbot, dialog)
    assert dialog.result_id is not None
    return dialog.result_id


def import_roster(qtbot: QtBot, db: Database, branch_id: str, path: Path) -> None:
    dialog = ExcelImportDialog(db, "roster", branch_id=branch_id)
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    dialog.path_edit.setFocus()
    qtbot.keyClicks(dialog.path_edit, str(path))
    qtbot.keyClick(dialog.check_button, Qt.Key.Key_Space)
    ops.wait_idle()
    assert dialog.import_button.isEnabled(), dialog.summary.text()
    with qtbot.waitSignal(dialog.imported):
        qtbot.keyClick(dialog.import_button, Qt.Key.Key_Space)
    ops.wait_idle()


def seat(qtbot: QtBot, db: Database, branch_id: str, member_name: str, role_label: str) -> SeatDialog:
    dialog = SeatDialog(None, db, branch_id)
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    dialog.start.setFocus()
    dialog.start.selectAll()
    qtbot.keyClicks(dialog.start, SEATED.isoformat())
    qtbot.keyClick(dialog.start, Qt.Key.Key_Tab)  # editingFinished: roles for that day
    members = [dialog.member.itemText(i) for i in range(dialog.member.count())]
    pick(qtbot, dialog.member, members.index(member_name))
    roles = [dialog.role.itemText(i) for i in range(dialog.role.count())]
    pick(qtbot, dialog.role, roles.index(role_label))
    save(qtbot, dialog)
    return dialog


def test_first_day_walk_on_an_empty_database(
    app: QApplication, qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    with db.reader() as s:
        assert s.scalars(select(Township)).all() == []  # empty: no demo

    township_id = make_township(qtbot, db)
    village = make_branch(qtbot, db, township_id, "B01", "红旗村党支部", 0)  # 农村
    organ = make_branch(qtbot, db, township_id, "B02", "镇机关党支部", 2)  # 机关
    with db.reader() as s:
        domains = {b.code: b.domain for b in s.scalars(select(Branch))}
    assert domains == {"B01": "rural", "B02": "organ"}

    import_roster(qtbot, db, village, roster_book(tmp_path / "village.xlsx", VILLAGE, 1, probationary=1))
    import_roster(qtbot, db, organ, roster_book(tmp_path / "organ.xlsx", ORGAN, 101))

    # Committee: 8 full members in the village (a committee), 3 in the organ (a secretary only).
    for name, role in (("张国强", "书记"), ("王秀兰", "组织委员"), ("李建军", "宣传委员")):
        assert seat(qtbot, db, village, name, role).result_id is not None
    small = SeatDialog(None, db, organ)
    qtbot.addWidget(small)
    assert [small.role.itemText(i) for i in range(small.role.count())] == ["书记", "副书记"]
    assert "不足 7 名" in small.intro.text()
    offered = SeatDialog(None, db, village)
    qtbot.addWidget(offered)
    people = [offered.member.itemText(i) for i in range(offered.member.count())]
    assert "周晓东" not in people and len(people) == 8  # a 预备党员 is never offered a seat
    assert seat(qtbot, db, organ, "吴文静", "书记").result_id is not None

    # Party groups: two, members checked with the space bar and put in at once (Ctrl+Enter).
    groups_dialog = PartyGroupsDialog(None, db, village)
    qtbot.addWidget(groups_dialog)
    show_active(qtbot, groups_dialog)
    for group_name, leader_steps in (("第一党小组", 1), ("第二党小组", 5)):
        new = GroupDialog(groups_dialog, db, village)
        show_active(qtbot, new)
        type_text(qtbot, new.name, group_name)
        pick(qtbot, new.leader, leader_steps)
        save(qtbot, new)
        assert new.result_id is not None
    groups_dialog.reload()
    show_active(qtbot, groups_dialog)
    names = [
        groups_dialog.members.item(i).text().split("　")[0] for i in range(groups_dialog.members.count())
    ]
    for half, row in ((VILLAGE[:4], 0), (VILLAGE[4:], 1)):
        groups_dialog.groups.setFocus()
        groups_dialog.groups.setCurrentRow(row)
        groups_dialog.members.setFocus()
        for name in half:
            groups_dialog.members.setCurrentRow(names.index(name))
            qtbot.keyClick(groups_dialog.members, Qt.Key.Key_Space)
        qtbot.keyClick(groups_dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert f"已将 {len(half)} 名党员编入" in groups_dialog.status.text(), groups_dialog.error.text()
    rows = {g.name: g for g in groups_dialog.rows}
    assert rows["第一党小组"].members == 4 and rows["第二党小组"].members == 5

    # 支委会 with a 列席 guest and one 请假 with a reason.
    form = MeetingForm(None, db, village, today=TODAY)
    qtbot.addWidget(form)
    show_active(qtbot, form)
    pick(qtbot, form.type, 1)  # 支委会
    form.held_on.setFocus()
    form.held_on.selectAll()
    qtbot.keyClicks(form.held_on, DAY.isoformat())
    qtbot.keyClick(form.held_on, Qt.Key.Key_Return)
    assert sorted(r.name for r in form.attendance.rows) == ["张国强", "李建军", "王秀兰"]
    type_text(qtbot, form.topics, "研究发展党员工作")
    everyone_present(qtbot, form)
    form.guests.setFocus()
    type_text(qtbot, form.guests, "戚九，驻村第一书记")
    leave_row = [r.name for r in form.attendance.rows].index("李建军")
    form.table.setFocus()
    form.table.selectRow(leave_row)
    qtbot.keyClick(form.table, Qt.Key.Key_2)
    qtbot.keyClick(form.table, Qt.Key.Key_F2)  # 2 moved to the reason cell: F2 edits it
    editor = form.table.findChild(QLineEdit)
    assert editor is not None
    type_text(qtbot, editor, "外出开会")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)  # Tab commits the reason and moves on
    assert form.attendance.rows[leave_row].reason == "外出开会"
    assert "实到 2 人" in form.quorum_label.text()
    save(qtbot, form)
    assert form.meeting_id is not None, [lab.text() for lab in form.support.labels.values() if lab.text()]
    committee_meeting = form.meeting_id

    # 党小组会 of the first group.
    form = MeetingForm(None, db, village, today=TODAY)
    qtbot.addWidget(form)
    show_active(qtbot, form)
    pick(qtbot, form.type, 2)  # 党小组会
    pick(qtbot, form.party_group, 1)
    form.held_on.setFocus()
    form.held_on.selectAll()
    qtbot.keyClicks(form.held_on, DAY.isoformat())
    qtbot.keyClick(form.held_on, Qt.Key.Key_Return)
    assert len(form.attendance.rows) == 4
    type_text(qtbot, form.topics, "学习党章")
    everyone_present(qtbot, form)
    save(qtbot, form)
    assert form.meeting_id is not None, form.support.general.text()

    # 支部党员大会 in both branches.
    for branch_id in (village, organ):
        form = MeetingForm(None, db, branch_id, today=TODAY)
        qtbot.addWidget(form)
        show_active(qtbot, form)
        form.held_on.setFocus()
        form.held_on.selectAll()
        qtbot.keyClicks(form.held_on, DAY.isoformat())
        qtbot.keyClick(form.held_on, Qt.Key.Key_Return)
        type_text(qtbot, form.topics, "学习贯彻全会精神")
        everyone_present(qtbot, form)
        save(qtbot, form)
        assert form.meeting_id is not None, form.support.general.text()

    with db.reader() as s:
        guest = s.scalars(select(MeetingGuest)).one()
        assert (guest.meeting_id, guest.name, guest.unit) == (committee_meeting, "戚九", "驻村第一书记")
        assert len(s.scalars(select(Meeting)).all()) == 4
        assert [r.role for r in committee.seats(s, village, on=TODAY)] == [
            "secretary",
            "organization",
            "propaganda",
        ]

        # The month's check: no ORG-01…04 finding for either branch.
        result = run_check(s, load_pack(), DAY.strftime("%Y-%m"), as_of=TODAY)
        org_findings = [f for f in result.findings if f.rule_id in ("ORG-01", "ORG-02", "ORG-03", "ORG-04")]
        assert org_findings == []

        # The booklet prints the committee and the 列席 guest on the 支委会 form.
        out = print_branch_booklet(s, village, DAY.year, tmp_path / "booklet.pdf")
    text = "\n".join(page_texts(Path(out.path)))
    flat = text.replace(" ", "").replace("\n", "")
    assert "支部委员会" in flat and "张国强" in flat and "组织委员" in flat
    assert "列席人员" in flat and "戚九（驻村第一书记）" in flat

    # A sync package exports.
    usb = tmp_path / "usb"
    usb.mkdir()
    exported = export_package(db, usb, key=Ed25519PrivateKey.generate(), user="clerk")
    assert exported.path.is_file()
    assert exported.rows_by_table.get("committee_seat") == 4
    assert exported.rows_by_table.get("meeting_guest") == 1
