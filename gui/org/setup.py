"""Setting up a township's organisation: edit/dissolve a branch, party groups (党小组), the committee
(支委) with its seats and terms, and the 换届 election. Every write goes through ``gui.ops``; the rules
live in ``services.org``, ``services.groups`` and ``services.committee``.

``install(window)`` adds the menu entries (文件 → 修改乡镇/支部, 撤销支部, 党小组, 支部委员会, 换届选举).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from gui.meetings.form import parse_guests
from gui.org import dialogs as org_dialogs
from gui.widgets.forms import DateField, FormDialog, submit
from models.enums import LABELS, CommitteeRole, ExclusionGround, label
from services import committee, demo_marker, groups, org
from services.db import Database
from services.errors import ErrorCollector, ValidationError
from services.members import members_on

if TYPE_CHECKING:
    from gui.main_window import MainWindow

WARN_STYLE = "color: #8a5a00;"


def _member_choices(db: Database, parent: QWidget, branch_id: str, day: date) -> list[tuple[str, str]]:
    """(id, name) of the branch's members on ``day``, sorted by name."""
    rows = ops.run_read(parent, db, lambda s: [(m.id, m.name) for m in members_on(s, branch_id, day)])
    return rows or []


# --- branch: dissolve --------------------------------------------------------------------------


class DissolveBranchDialog(FormDialog):
    """撤销/合并: date and reason; refused while members are on the roll (services.org.dissolve_branch)."""

    def __init__(self, parent: QWidget | None, db: Database, branch_id: str, name: str) -> None:
        super().__init__(parent, f"撤销党组织 — {name}")
        self.db, self.branch_id = db, branch_id
        self.say("有党员或记录的党组织不能删除，只能撤销：记录保留，自撤销日起不再检查。")
        self.on = DateField("dissolved_on", "撤销日期")
        self.on.setObjectName("dissolvedOn")
        self.reason = QLineEdit()
        self.reason.setObjectName("dissolvedReason")
        self.reason.setPlaceholderText("如：并入某某党支部 / 单位撤销")
        self.support.row(self.form, "撤销日期", "dissolved_on", self.on)
        self.support.row(self.form, "原因", "dissolved_reason", self.reason)

    def save(self) -> None:
        found = ErrorCollector()
        (on,) = self.dates(found, self.on)
        reason, branch_id = self.reason.text(), self.branch_id

        def write(s: Session) -> str:
            assert on is not None  # a required field: parsed, or its error stopped the save
            return org.dissolve_branch(s, branch_id, on, reason).id

        self.submit(self.db, write, changes={"branch"}, found=found)


# --- party groups ------------------------------------------------------------------------------


class GroupDialog(FormDialog):
    """New party group, or rename / change leader of one."""

    def __init__(
        self, parent: QWidget | None, db: Database, branch_id: str, group: groups.GroupRow | None = None
    ) -> None:
        super().__init__(parent, "修改党小组" if group else "新建党小组")
        self.db, self.branch_id, self.group = db, branch_id, group
        self.name = QLineEdit(group.name if group else "")
        self.name.setObjectName("groupName")
        self.leader = QComboBox()
        self.leader.setObjectName("groupLeader")
        self.leader.addItem("（暂不设组长）", None)
        for member_id, name in _member_choices(db, self, branch_id, date.today()):
            self.leader.addItem(name, member_id)
        if group and group.leader_id:
            self.leader.setCurrentIndex(max(0, self.leader.findData(group.leader_id)))
        # Empty unless known: a group that has met for years, entered today, is not founded today (that
        # would refuse every earlier 党小组会 the clerk back-fills).
        self.founded = DateField("founded_on", "成立日期", required=False)
        self.founded.setObjectName("groupFounded")
        self.founded.set_date(group.founded_on if group else None)
        self.founded.setToolTip(
            "成立以前的月份不检查党小组会。不知道时留空：从第一次党小组会记录起要求每月开会"
        )
        self.support.row(self.form, "党小组名称", "name", self.name)
        self.support.row(self.form, "组长", "leader_id", self.leader)
        self.support.row(self.form, "成立日期", "founded_on", self.founded)

    def save(self) -> None:
        found = ErrorCollector()
        (founded,) = self.dates(found, self.founded)
        name, leader, branch_id, group = (
            self.name.text(),
            self.leader.currentData(),
            self.branch_id,
            self.group,
        )

        def write(s: Session) -> str:
            if group is None:
                return groups.create_group(
                    s, branch_id, name, leader_id=leader, founded_on=founded, founding_unknown=founded is None
                ).id
            groups.rename_group(s, group.id, name)
            groups.set_leader(s, group.id, leader)
            if founded is not None and founded != group.founded_on:
                groups.set_founded(s, group.id, founded)
            return group.id

        self.submit(self.db, write, changes={"member", "org"}, found=found)


class PartyGroupsDialog(QDialog):
    """The branch's party groups on the left, its members (checkable) on the right: check members,
    pick a group, 编入 (Ctrl+Enter) puts them all in it at once."""

    def __init__(
        self, parent: QWidget | None, db: Database, branch_id: str, preselect: list[str] | None = None
    ) -> None:
        super().__init__(parent)
        self.db, self.branch_id = db, branch_id
        self.setWindowTitle("党小组")
        self.resize(760, 520)
        self.groups = QListWidget()
        self.groups.setObjectName("groupList")
        self.members = QListWidget()
        self.members.setObjectName("groupMembers")
        self.members.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.new_button = QPushButton("新建党小组…")
        self.edit_button = QPushButton("改名/组长…")
        self.dissolve_button = QPushButton("撤销党小组…")
        self.assign_button = QPushButton("编入所选党小组 (Ctrl+Enter)")
        self.assign_button.setObjectName("assignButton")
        self.unassign_button = QPushButton("移出党小组")
        self.error = QLabel()
        self.error.setObjectName("groupError")
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("groupStatus")

        left = QVBoxLayout()
        left.addWidget(QLabel("<b>党小组</b>"))
        left.addWidget(self.groups, 1)
        for b in (self.new_button, self.edit_button, self.dissolve_button):
            left.addWidget(b)
        right = QVBoxLayout()
        right.addWidget(QLabel("<b>本支部党员</b>（空格勾选，可多选）"))
        right.addWidget(self.members, 1)
        row = QHBoxLayout()
        row.addWidget(self.assign_button)
        row.addWidget(self.unassign_button)
        right.addLayout(row)
        top = QHBoxLayout()
        top.addLayout(left, 1)
        top.addLayout(right, 2)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(top, 1)
        lay.addWidget(self.error)
        lay.addWidget(self.status)
        lay.addWidget(close)

        self.new_button.clicked.connect(self.new_group)
        self.edit_button.clicked.connect(self.edit_group)
        self.dissolve_button.clicked.connect(self.dissolve_group)
        self.assign_button.clicked.connect(self.assign)
        self.unassign_button.clicked.connect(lambda: self.assign(remove=True))
        QShortcut(QKeySequence("Ctrl+Return"), self, self.assign)
        chain: list[QWidget] = [self.groups, self.new_button, self.edit_button, self.dissolve_button]
        chain.append(self.members)
        for w1, w2 in itertools.pairwise(chain):
            QWidget.setTabOrder(w1, w2)
        self._preselect = set(preselect or [])
        self.reload()

    def reload(self) -> None:
        branch_id = self.branch_id

        def read(s: Session) -> tuple[list[groups.GroupRow], list[tuple[str, str, str]]]:
            rows = groups.list_groups(s, branch_id)
            names = {g.id: g.name for g in rows}
            people = [
                (m.id, m.name, names.get(m.party_group_id or "", ""))
                for m in members_on(s, branch_id, date.today())
            ]
            return rows, people

        got = ops.run_read(self, self.db, read)
        if got is None:
            return
        rows, people = got
        keep = self.current_group()
        self.rows = rows
        self.groups.clear()
        for g in rows:
            leader = f"组长 {g.leader_name}，" if g.leader_name else ""
            since = f"，{g.founded_on.isoformat()} 成立" if g.founded_on else ""
            item = QListWidgetItem(f"{g.name}（{leader}{g.members} 人{since}）")
            item.setData(Qt.ItemDataRole.UserRole, g.id)
            self.groups.addItem(item)
            if keep and g.id == keep.id:
                self.groups.setCurrentItem(item)
        if self.groups.currentRow() < 0 and self.groups.count():
            self.groups.setCurrentRow(0)
        checked = self.checked_ids() | self._preselect
        self._preselect = set()
        self.members.clear()
        for member_id, name, group_name in people:
            item = QListWidgetItem(f"{name}　{group_name or '（未编组）'}")
            item.setData(Qt.ItemDataRole.UserRole, member_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if member_id in checked else Qt.CheckState.Unchecked)
            self.members.addItem(item)
        if self.members.count() and self.members.currentRow() < 0:
            self.members.setCurrentRow(0)

    def current_group(self) -> groups.GroupRow | None:
        item = self.groups.currentItem()
        if item is None:
            return None
        gid = item.data(Qt.ItemDataRole.UserRole)
        return next((g for g in getattr(self, "rows", []) if g.id == gid), None)

    def checked_ids(self) -> set[str]:
        out = set()
        for i in range(self.members.count()):
            item = self.members.item(i)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.add(str(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def new_group(self) -> None:
        dialog = GroupDialog(self, self.db, self.branch_id)
        if dialog.exec():
            self.reload()
            for i in range(self.groups.count()):
                item = self.groups.item(i)
                if item is not None and item.data(Qt.ItemDataRole.UserRole) == dialog.result_id:
                    self.groups.setCurrentRow(i)

    def edit_group(self) -> None:
        group = self.current_group()
        if group is None:
            self.error.setText("请先选择党小组。")
            return
        if GroupDialog(self, self.db, self.branch_id, group).exec():
            self.reload()

    def dissolve_group(self) -> None:
        group = self.current_group()
        if group is None:
            self.error.setText("请先选择党小组。")
            return
        answer = QMessageBox.question(
            self, "撤销党小组", f"撤销{group.name}？组员将移出该党小组，已有的党小组会记录保留。"
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        gid = group.id
        done = ops.run_write(
            self, self.db, lambda s: groups.dissolve_group(s, gid, date.today()).id, changes={"member", "org"}
        )
        if done is not None:
            self.reload()

    def assign(self, remove: bool = False) -> None:
        self.error.clear()
        group = None if remove else self.current_group()
        if not remove and group is None:
            self.error.setText("请先在左侧选择（或新建）党小组。")
            return
        ids = sorted(self.checked_ids())
        gid, branch_id = (group.id if group else None), self.branch_id
        changed = ops.run_write(
            self,
            self.db,
            lambda s: groups.assign_members(s, gid, ids, branch_id=branch_id),
            on_invalid=lambda e: self.error.setText(e.message),
            changes={"member", "org"},
        )
        if changed is None:
            return
        where = f"编入{group.name}" if group else "移出党小组"
        moved = f"（其中 {len(ids) - changed} 名原已在组内）" if len(ids) != changed else ""
        self.status.setText(f"已将 {len(ids)} 名党员{where}{moved}。")
        for i in range(self.members.count()):
            item = self.members.item(i)
            if item is not None:
                item.setCheckState(Qt.CheckState.Unchecked)
        self.reload()


# --- committee ---------------------------------------------------------------------------------


class SeatDialog(FormDialog):
    """登记任职: member (full members of the branch), role (only 书记/副书记 under 7 full members),
    from–to, how elected; the 书记 party-age warning shows before saving."""

    def __init__(self, parent: QWidget | None, db: Database, branch_id: str, today: date | None = None):
        super().__init__(parent, "登记支委任职")
        self.db, self.branch_id = db, branch_id
        self.member = QComboBox()
        self.member.setObjectName("seatMember")
        self.role = QComboBox()
        self.role.setObjectName("seatRole")
        self.start = DateField("start_on", "任职日期")
        self.start.setObjectName("seatStart")
        self.start.set_date(today or date.today())
        self.end = DateField("end_on", "离任日期", required=False)
        self.end.setObjectName("seatEnd")
        self.how = QLineEdit()
        self.how.setObjectName("seatHow")
        self.how.setPlaceholderText("如：支部党员大会选举 / 补选 / 上级任命（可空）")
        self.warning = QLabel()
        self.warning.setObjectName("seatWarning")
        self.warning.setStyleSheet(WARN_STYLE)
        self.warning.setWordWrap(True)
        s = self.support
        s.row(self.form, "党员", "member_id", self.member)
        s.row(self.form, "职务", "role", self.role)
        s.row(self.form, "任职日期", "start_on", self.start)
        s.row(self.form, "离任日期", "end_on", self.end)
        s.row(self.form, "产生方式", "elected_how", self.how)
        self.body.insertWidget(2, self.warning)
        self.start.editingFinished.connect(self._refresh_choices)
        self.member.currentIndexChanged.connect(self._refresh_warning)
        self.role.currentIndexChanged.connect(self._refresh_warning)
        self._refresh_choices()

    def _refresh_choices(self) -> None:
        try:
            day = self.start.value() or date.today()
        except ValidationError:
            return
        branch_id = self.branch_id

        def read(s: Session) -> tuple[list[tuple[str, str]], list[str], int]:
            people = [
                (m.id, m.name)
                for m in members_on(s, branch_id, day)
                if m.status == "full" and (m.full_member_on is None or m.full_member_on <= day)
            ]
            return (
                people,
                committee.allowed_roles(s, branch_id, day),
                committee.full_members_on(s, branch_id, day),
            )

        got = ops.run_read(self, self.db, read)
        if got is None:
            return
        people, roles, full = got
        keep_member, keep_role = self.member.currentData(), self.role.currentData()
        self.member.blockSignals(True)
        self.role.blockSignals(True)
        self.member.clear()
        for member_id, name in people:
            self.member.addItem(name, member_id)
        self.role.clear()
        for code in roles:
            self.role.addItem(label(CommitteeRole(code)), code)
        self.member.setCurrentIndex(max(0, self.member.findData(keep_member)))
        self.role.setCurrentIndex(max(0, self.role.findData(keep_role)))
        self.member.blockSignals(False)
        self.role.blockSignals(False)
        if full < committee.COMMITTEE_THRESHOLD:
            self.say(
                f"本支部正式党员 {full} 名，不足 {committee.COMMITTEE_THRESHOLD} 名：不设支部委员会，"
                "只设书记（必要时设副书记）。只有正式党员可以任职。"
            )
        else:
            self.say(
                f"本支部正式党员 {full} 名，设支部委员会（一般 3 至 5 人，最多 7 人）。只有正式党员可以任职。"
            )
        self._refresh_warning()

    def _refresh_warning(self, *_args: object) -> None:
        member_id, role = self.member.currentData(), self.role.currentData()
        try:
            day = self.start.value() or date.today()
        except ValidationError:
            return
        if not member_id or not role:
            self.warning.clear()
            return
        warnings = ops.run_read(self, self.db, lambda s: committee.seat_warnings(s, member_id, role, day))
        self.warning.setText("提示：" + "；".join(warnings) if warnings else "")

    def save(self) -> None:
        found = ErrorCollector()
        start, end = self.dates(found, self.start, self.end)
        member_id, role, how, branch_id = (
            self.member.currentData(),
            self.role.currentData(),
            self.how.text(),
            self.branch_id,
        )
        if not member_id:
            found.add("member_id", "请选择党员（只有正式党员可以任职）。")

        def write(s: Session) -> str:
            assert start is not None
            return committee.add_seat(s, branch_id, member_id, str(role), start, end, elected_how=how).id

        self.submit(self.db, write, changes={"committee", "org"}, found=found)


class EndSeatDialog(FormDialog):
    def __init__(self, parent: QWidget | None, db: Database, seat: committee.SeatRow) -> None:
        super().__init__(parent, f"结束任职 — {seat.member_name}（{seat.role_label}）")
        self.db, self.seat = db, seat
        self.on = DateField("end_on", "离任日期")
        self.on.setObjectName("seatEndOn")
        self.on.set_date(date.today())
        self.support.row(self.form, "离任日期", "end_on", self.on)

    def save(self) -> None:
        found = ErrorCollector()
        (on,) = self.dates(found, self.on)
        seat_id = self.seat.id

        def write(s: Session) -> str:
            assert on is not None
            return committee.end_seat(s, seat_id, on).id

        self.submit(self.db, write, changes={"committee", "org"}, found=found)


class TermDialog(FormDialog):
    """登记现任一届 for a branch set up mid-term (its last 换届 was before this program)."""

    def __init__(self, parent: QWidget | None, db: Database, branch_id: str) -> None:
        super().__init__(parent, "登记本届任期")
        self.db, self.branch_id = db, branch_id
        self.say("本届换届日期；届满日期不填则按领域自动计算（村、社区 5 年，其他 3 年）。")
        self.start = DateField("term_start", "本届换届日期")
        self.start.setObjectName("termStart")
        self.due = DateField("term_end", "届满日期", required=False)
        self.due.setObjectName("termEnd")
        self.support.row(self.form, "本届换届日期", "term_start", self.start)
        self.support.row(self.form, "届满日期", "term_end", self.due)

    def save(self) -> None:
        found = ErrorCollector()
        start, due = self.dates(found, self.start, self.due)
        branch_id = self.branch_id

        def write(s: Session) -> str:
            assert start is not None
            return committee.start_term(s, branch_id, start, due_on=due).id

        self.submit(self.db, write, changes={"branch", "committee"}, found=found)


@dataclass
class _ElectionRow:
    member_id: str
    name: str
    role: QComboBox
    status: QComboBox
    ground: QComboBox
    reason: QLineEdit


_PRESENT, _LEAVE, _ABSENT, _EXCLUDED = "present", "leave", "absent", "excluded"
_STATUS_LABELS = {_PRESENT: "出席", _LEAVE: "请假", _ABSENT: "缺席", _EXCLUDED: "不计入应到会"}


class ElectionDialog(FormDialog):
    """换届选举大会: per member — elected role, attendance (出席/请假/缺席/不计入应到会 with an allowed
    ground), reason; 列席 outsiders; the four-fifths line updates as marks change."""

    def __init__(self, parent: QWidget | None, db: Database, branch_id: str, today: date | None = None):
        super().__init__(parent, "换届选举")
        self.db, self.branch_id = db, branch_id
        self.resize(900, 640)
        self.say(
            "选举须有应到会有表决权党员的五分之四以上到会；只有规定情形可不计入应到会人数。"
            "记录后上届任职全部结束，当选人员自选举日起任职，新一届开始。"
        )
        self.held_on = DateField("held_on", "选举日期")
        self.held_on.setObjectName("electionDate")
        self.held_on.set_date(today or date.today())
        self.place = QLineEdit()
        self.guests = QPlainTextEdit()
        self.guests.setObjectName("electionGuests")
        self.guests.setTabChangesFocus(True)
        self.guests.setMaximumHeight(60)
        self.guests.setPlaceholderText("列席：每行一人，姓名，单位或职务")
        s = self.support
        s.row(self.form, "选举日期", "held_on", self.held_on)
        s.row(self.form, "地点", "place", self.place)
        s.row(self.form, "列席人员", "guests", self.guests)
        self.grid_box = QWidget()
        self.grid = QGridLayout(self.grid_box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_box)
        self.body.insertWidget(2, scroll, 1)
        self.quorum = QLabel()
        self.quorum.setObjectName("electionQuorum")
        self.quorum.setWordWrap(True)
        self.body.insertWidget(3, self.quorum)
        err = QLabel()
        err.setStyleSheet("color: #b3261e;")
        err.setWordWrap(True)
        err.hide()
        self.body.insertWidget(4, err)
        for f in ("attendance", "excluded", "elected", "role", "member_id"):
            s.register(f, self.grid_box, err)
        self.rows: list[_ElectionRow] = []
        self._filled_for: date | None = None
        self.held_on.editingFinished.connect(self._fill)
        self._fill()

    def _fill(self) -> None:
        try:
            day = self.held_on.value() or date.today()
        except ValidationError:
            return
        if day == self._filled_for:
            return  # leaving the date field unchanged keeps what was typed in the rows
        self._filled_for = day
        branch_id = self.branch_id
        people = ops.run_read(
            self,
            self.db,
            lambda s: [(m.id, m.name, m.can_vote_on(day)) for m in members_on(s, branch_id, day)],
        )
        if people is None:
            return
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()  # type: ignore[union-attr]
        for col, title in enumerate(("姓名", "当选职务", "到会情况", "不计入应到会的理由", "请假/缺席原因")):
            self.grid.addWidget(QLabel(f"<b>{title}</b>"), 0, col)
        self.rows = []
        widgets: list[QWidget] = []
        for i, (member_id, name, votes) in enumerate(people, start=1):
            role = QComboBox()
            role.addItem("—", None)
            for r in CommitteeRole:
                role.addItem(label(r), str(r))
            status = QComboBox()
            for code, text in _STATUS_LABELS.items():
                status.addItem(text, code)
            ground = QComboBox()
            ground.addItem("—", None)
            for g in ExclusionGround:
                ground.addItem(LABELS["ExclusionGround"][g], str(g))
            reason = QLineEdit()
            for w in (role, status, ground, reason):
                w.setObjectName(f"election_{i}_{type(w).__name__}")
            status.currentIndexChanged.connect(self._update_quorum)
            self.grid.addWidget(QLabel(name + ("" if votes else "（无表决权）")), i, 0)
            self.grid.addWidget(role, i, 1)
            self.grid.addWidget(status, i, 2)
            self.grid.addWidget(ground, i, 3)
            self.grid.addWidget(reason, i, 4)
            self.rows.append(_ElectionRow(member_id, name, role, status, ground, reason))
            widgets += [role, status, ground, reason]
        order = [self.held_on, self.place, self.guests, *widgets, self.save_button]
        for a, b in itertools.pairwise(order):
            QWidget.setTabOrder(a, b)
        self._update_quorum()

    def collect(self) -> committee.ElectionInput:
        held_on = self.held_on.value()
        assert held_on is not None
        data = committee.ElectionInput(
            held_on=held_on,
            elected=[],
            place=self.place.text(),
            guests=[(g.name, g.unit) for g in parse_guests(self.guests.toPlainText())],
        )
        for row in self.rows:
            if row.role.currentData():
                data.elected.append((row.member_id, str(row.role.currentData())))
            status = row.status.currentData()
            if status == _LEAVE:
                data.leave.append((row.member_id, row.reason.text()))
            elif status == _ABSENT:
                data.absent.append((row.member_id, row.reason.text()))
            elif status == _EXCLUDED:
                ground = row.ground.currentData()
                data.excluded.append(committee.Exclusion(row.member_id, str(ground or ""), row.reason.text()))
        return data

    def _update_quorum(self, *_args: object) -> None:
        try:
            data = self.collect()
        except ValidationError:
            return
        branch_id = self.branch_id
        q = ops.run_read(
            self, self.db, lambda s: committee.election_quorum(s, branch_id, data), on_invalid=lambda _e: None
        )
        if q is None:
            self.quorum.setText("不计入应到会的党员须选择规定的理由。")
            self.quorum.setStyleSheet("color: #b3261e;")
            return
        self.quorum.setText(q.describe())
        self.quorum.setStyleSheet("color: #1b6e20;" if q.met else "color: #b3261e;")

    def save(self) -> None:
        found = ErrorCollector()
        data = None
        with found.check():
            data = self.collect()
        for row in self.rows:
            if row.status.currentData() == _EXCLUDED and not row.ground.currentData():
                found.add("excluded", f"{row.name}：不计入应到会须选择规定的理由。")
        branch_id = self.branch_id

        def write(s: Session) -> committee.ElectionResult:
            assert data is not None  # collected, or its error stopped the save
            return committee.record_election(s, branch_id, data)

        changes = {"committee", "meeting", "branch", "org"}
        result = submit(self, self.support, self.db, write, changes=changes, found=found)
        if result is None:
            return
        if result.warnings:
            QMessageBox.information(self, "已保存", "已记录换届选举。\n提示：" + "\n".join(result.warnings))
        self.result_id = result.meeting_id
        self.accept()


class CommitteeDialog(QDialog):
    """The branch's committee: seats (current first), term history, and the actions on them."""

    def __init__(self, parent: QWidget | None, db: Database, branch_id: str, name: str = "") -> None:
        super().__init__(parent)
        self.db, self.branch_id = db, branch_id
        self.setWindowTitle(f"支部委员会 — {name}" if name else "支部委员会")
        self.resize(760, 480)
        self.summary = QLabel()
        self.summary.setObjectName("committeeSummary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("seatTable")
        self.table.setHorizontalHeaderLabels(["职务", "姓名", "任职日期", "离任日期", "产生方式"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.terms = QLabel()
        self.terms.setObjectName("termHistory")
        self.terms.setWordWrap(True)
        self.add_button = QPushButton("登记任职… (Ctrl+N)")
        self.add_button.setObjectName("addSeatButton")
        self.end_button = QPushButton("结束任职…")
        self.term_button = QPushButton("登记本届任期…")
        self.election_button = QPushButton("换届选举…")
        self.import_button = QPushButton("从 Excel 导入…")
        self.message = QLabel()
        self.message.setObjectName("committeeMessage")
        self.message.setWordWrap(True)
        row = QHBoxLayout()
        for b in (
            self.add_button,
            self.end_button,
            self.term_button,
            self.election_button,
            self.import_button,
        ):
            row.addWidget(b)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        lay.addLayout(row)
        lay.addWidget(self.terms)
        lay.addWidget(self.message)
        lay.addWidget(close)
        self.import_button.clicked.connect(self.choose_file)
        self.add_button.clicked.connect(self.add_seat)
        self.end_button.clicked.connect(self.end_seat)
        self.term_button.clicked.connect(self.set_term)
        self.election_button.clicked.connect(self.election)
        QShortcut(QKeySequence("Ctrl+N"), self, self.add_seat)
        self.rows: list[committee.SeatRow] = []
        self.reload()

    def reload(self) -> None:
        branch_id = self.branch_id

        def read(s: Session) -> tuple[list[committee.SeatRow], list[tuple[date, date, date | None]], int]:
            terms = [(t.start_on, t.due_on, t.ended_on) for t in committee.terms(s, branch_id)]
            return committee.seats(s, branch_id), terms, committee.full_members_on(s, branch_id, date.today())

        got = ops.run_read(self, self.db, read)
        if got is None:
            return
        self.rows, terms, full = got
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            values = [
                r.role_label,
                r.member_name,
                r.start_on.isoformat(),
                r.end_on.isoformat() if r.end_on else "现任",
                r.elected_how,
            ]
            for col, text in enumerate(values):
                self.table.setItem(i, col, QTableWidgetItem(text))
        if self.rows:
            self.table.selectRow(0)
        current = [r for r in self.rows if r.end_on is None]
        setup = (
            "设支部委员会"
            if full >= committee.COMMITTEE_THRESHOLD
            else "不设支委会，只设书记（必要时设副书记）"
        )
        self.summary.setText(f"正式党员 {full} 名：{setup}。现任 {len(current)} 人。")
        if terms:
            self.terms.setText(
                "历届任期："
                + "；".join(
                    f"{a.isoformat()} 起（{'已于 ' + e.isoformat() + ' 换届' if e else '本届，' + d.isoformat() + ' 届满'}）"
                    for a, d, e in terms
                )
            )
        else:
            self.terms.setText("尚未登记任期：可“登记本届任期”，或记录一次换届选举。")

    def choose_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(self, "选择支委名单", "", "Excel 工作簿 (*.xlsx)")
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> None:
        """Seat everyone in the sheet (all or none); the first refused row is shown here."""
        from services.excel.committee_import import import_committee

        branch_id = self.branch_id
        ids = ops.run_write(
            self,
            self.db,
            lambda s: import_committee(s, branch_id, path),
            on_invalid=lambda e: self.message.setText(e.message),
            changes={"committee", "org"},
        )
        if ids is not None:
            self.message.setText(f"已登记 {len(ids)} 条任职。")
            self.reload()

    def set_term(self) -> None:
        if TermDialog(self, self.db, self.branch_id).exec():
            self.reload()

    def add_seat(self) -> None:
        if SeatDialog(self, self.db, self.branch_id).exec():
            self.reload()

    def end_seat(self) -> None:
        row = self.table.currentRow()
        if row < 0 or row >= len(self.rows):
            QMessageBox.information(self, "结束任职", "请先选中一条任职记录。")
            return
        if EndSeatDialog(self, self.db, self.rows[row]).exec():
            self.reload()

    def election(self) -> None:
        if ElectionDialog(self, self.db, self.branch_id).exec():
            self.reload()


# --- window wiring -----------------------------------------------------------------------------


def _branch_or_explain(window: MainWindow, what: str) -> str | None:
    branch_id = window.current_branch_id()
    if branch_id is None:
        QMessageBox.information(window, what, "请先在左侧选中一个党组织。")
    return branch_id


def edit_selected(window: MainWindow) -> None:
    """修改 the selected township or branch."""

    if window.current_node_kind() == "township":
        township_id = window.current_township_id()
        if township_id:
            org_dialogs.TownshipDialog(window, window.db, township_id=township_id).exec()
        return
    branch_id = _branch_or_explain(window, "修改党组织")
    if branch_id:
        township_id = window.current_township_id() or ""
        org_dialogs.BranchDialog(window, window.db, township_id, None, branch_id=branch_id).exec()


def dissolve_selected(window: MainWindow) -> None:
    branch_id = _branch_or_explain(window, "撤销党组织")
    if branch_id:
        DissolveBranchDialog(window, window.db, branch_id, window.current_node_name()).exec()


def party_groups(window: MainWindow, preselect: list[str] | None = None) -> None:
    branch_id = _branch_or_explain(window, "党小组")
    if branch_id:
        PartyGroupsDialog(window, window.db, branch_id, preselect).exec()


def committee_dialog(window: MainWindow) -> None:
    branch_id = _branch_or_explain(window, "支部委员会")
    if branch_id:
        CommitteeDialog(window, window.db, branch_id, window.current_node_name()).exec()


def election(window: MainWindow) -> None:
    branch_id = _branch_or_explain(window, "换届选举")
    if branch_id:
        ElectionDialog(window, window.db, branch_id).exec()


DEMO_TITLE = "【演示数据库：虚构数据，不得上报】"


def update_demo_title(window: MainWindow) -> None:
    """The title bar says so when the database was filled by the demo generator."""
    note = ops.run_read(window, window.db, demo_marker.demo_note)
    title = window.windowTitle().replace(DEMO_TITLE, "")
    window.setWindowTitle(title + DEMO_TITLE if note is not None else title)


def install(window: MainWindow) -> None:
    update_demo_title(window)
    ops.bus().changed.connect(lambda tags: update_demo_title(window) if "all" in tags else None)
    menu = window.menus["文件"]
    first = menu.actions()[0] if menu.actions() else None  # the organisation comes first, before 退出
    actions = [
        ("新建乡镇…", lambda: org_dialogs.new_township(window)),
        ("新建支部…", lambda: org_dialogs.new_branch(window)),
        ("修改乡镇/党组织…", lambda: edit_selected(window)),
        ("撤销党组织…", lambda: dissolve_selected(window)),
        ("党小组…", lambda: party_groups(window)),
        ("支部委员会…", lambda: committee_dialog(window)),
        ("换届选举…", lambda: election(window)),
    ]
    for text, slot in actions:
        action = window.add_action("文件", text, slot)
        if first is not None:
            menu.removeAction(action)
            menu.insertAction(first, action)
    if org_dialogs.demo_available():
        tools = window.menus["工具"]
        top = tools.actions()[0] if tools.actions() else None
        demo = window.add_action("工具", "载入演示数据…", lambda: org_dialogs.load_demo(window))
        if top is not None:
            tools.removeAction(demo)
            tools.insertAction(top, demo)
