"""The 党员名册 tab: the roster of the selected township/branch, instant search, pinyin sort."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from gui.roster.member_form import MemberForm
from gui.roster.model import NAME_COLUMN, RosterModel
from gui.widgets.forms import no_branch_message
from services import members
from services.db import Database

if TYPE_CHECKING:
    from gui.main_window import MainWindow

SEARCH_DELAY_MS = 150  # pause in typing before the search runs: one query per word, not per key


class RosterTable(QTableView):
    """Enter opens the selected member, Delete removes it (after confirmation)."""

    def __init__(self, view: RosterView) -> None:
        super().__init__()
        self.view = view

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.view.edit_current()
        elif event.key() == Qt.Key.Key_Delete:
            self.view.delete_current()
        else:
            super().keyPressEvent(event)


class RosterView(QWidget):
    def __init__(self, window: MainWindow | None, db: Database) -> None:
        super().__init__()
        self.window_ = window
        self.db = db
        self.branch_ids: list[str] | None = None

        self.search = QLineEdit()
        self.search.setObjectName("rosterSearch")
        self.search.setPlaceholderText("搜索：姓名、身份证号、电话或拼音首字母（Ctrl+F）")
        self.search.setClearButtonEnabled(True)
        self.include_inactive = QCheckBox("含已转出/去世")
        self.new_button = QPushButton("新建党员 (Ctrl+N)")
        self.edit_button = QPushButton("修改")
        self.delete_button = QPushButton("删除")
        self.history_button = QPushButton("经历…")
        self.history_button.setToolTip("入党、转接、流动经历，发展党员档案与党费情况")
        self.group_button = QPushButton("编入党小组…")
        self.group_button.setObjectName("assignGroupButton")
        self.group_button.setToolTip("把选中的党员（可按 Shift/Ctrl 多选）一起编入党小组")

        self.model = RosterModel()
        self.all_count = 0  # members in scope before the search
        self.table = RosterTable(self)
        self.table.setObjectName("rosterTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(NAME_COLUMN, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Several rows may be selected at once (编入党小组); the current row is the one edited.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((80, 40, 90, 160, 80, 110, 90, 70, 140, 80, 60)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda _i: self.edit_current())

        # Search and the actions on two rows: at 1024 px one row squeezed the buttons' text.
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.include_inactive)
        actions = QHBoxLayout()
        for button in (
            self.new_button,
            self.edit_button,
            self.delete_button,
            self.history_button,
            self.group_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(bar)
        lay.addLayout(actions)
        lay.addWidget(self.table)

        # Search: typing restarts a short timer; when it fires, one SQL query finds the matching ids.
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(self._search_changed)
        self.search.returnPressed.connect(self.to_results)
        self.search.installEventFilter(self)  # Down from the search box moves into the results
        self.include_inactive.toggled.connect(lambda _on: self.refresh())
        self.new_button.clicked.connect(self.new_record)
        self.edit_button.clicked.connect(self.edit_current)
        self.delete_button.clicked.connect(self.delete_current)
        self.history_button.clicked.connect(self.history_current)
        self.lazy = ops.LazyRefresh(self, self.refresh)
        self.group_button.clicked.connect(self.assign_group)
        ops.bus().changed.connect(self._on_changed)

    # --- the tab protocol (routed by MainWindow) ------------------------------------------
    def set_branches(self, branch_ids: list[str] | None) -> None:
        self.branch_ids = branch_ids
        self.refresh()

    def refresh(self) -> None:
        """Count the members in scope, then show the search's first batch (in SQL, in the header's order)."""
        ids, inactive = self.branch_ids, self.include_inactive.isChecked()
        if self.search.text().strip():  # the total beside "找到 …": without the search
            total = ops.run_read(self, self.db, lambda s: members.roster_source(ids, "", inactive).count(s))
            if total is None:
                return
            self.all_count = total
        self.apply_search()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def to_results(self) -> None:
        """Enter or Down in the search box: into the result list, on the first match."""
        if self.search_timer.isActive():  # typed faster than the debounce: search now
            self.apply_search()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        current = self.table.currentIndex()
        if (not current.isValid() or self.table.isRowHidden(current.row())) and self.model.rowCount():
            self.table.setCurrentIndex(self.first_index())
            self.table.selectRow(0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_PageDown)
        ):
            self.to_results()
            return True
        return super().eventFilter(watched, event)

    def new_record(self) -> None:
        branch_id = self.window_.current_branch_id() if self.window_ is not None else None
        if branch_id is None and self.branch_ids is not None and len(self.branch_ids) == 1:
            branch_id = self.branch_ids[0]
        if branch_id is None:
            QMessageBox.information(self, "新建党员", no_branch_message(self.window_, "党员所在的支部"))
            return
        form = MemberForm(self, self.db, branch_id)
        form.saved.connect(self._select_member)
        form.exec()

    # --- row actions ----------------------------------------------------------------------
    def current_row(self) -> members.RosterRow | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.rows[index.row()]

    def edit_current(self) -> None:
        row = self.current_row()
        if row is None:
            return
        branch_id = self._branch_of(row.id)
        if branch_id is None:
            return
        form = MemberForm(self, self.db, branch_id, row.id)
        form.saved.connect(self._select_member)
        form.exec()

    def delete_current(self) -> None:
        row = self.current_row()
        if row is None:
            return
        answer = QMessageBox.question(
            self,
            "删除党员",
            f"确定删除党员“{row.name}”（{row.id_number}）吗？\n记录将移入回收站，不会真正抹去。"
            "\n（党员转出、去世或出党不要删除：请点“经历…”，用其中的“转出…”或“去世/出党…”登记。）",
        )
        if answer == QMessageBox.StandardButton.Yes:
            ops.run_write(self, self.db, lambda s: members.delete_member(s, row.id), changes={"member"})

    def history_current(self) -> None:
        from gui.roster.history import MemberHistoryDialog  # imported late: it pulls in the ledger forms

        row = self.current_row()
        if row is None:
            QMessageBox.information(self, "经历", "请先在名册中选择一名党员。")
            return
        MemberHistoryDialog(self, self.db, row.id).exec()

    def selected_rows(self) -> list[members.RosterRow]:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        return [self.model.rows[r] for r in sorted(rows)]

    def assign_group(self) -> None:
        """Open the party-group dialog of the selected members' branch with them checked."""
        from gui.org.setup import PartyGroupsDialog

        chosen = self.selected_rows()
        current = self.current_row()
        if not chosen and current is not None:
            chosen = [current]
        ids = [r.id for r in chosen]
        if not ids:
            QMessageBox.information(self, "编入党小组", "请先在名册中选择党员（可多选）。")
            return

        def branches_of(s: Session) -> set[str]:
            return {members.get_member(s, i).branch_id for i in ids}

        branches = ops.run_read(self, self.db, branches_of) or set()
        if len(branches) != 1:
            QMessageBox.information(self, "编入党小组", "所选党员属于不同支部；党小组只能编入本支部党员。")
            return
        PartyGroupsDialog(self, self.db, branches.pop(), preselect=ids).exec()

    # --- internals ------------------------------------------------------------------------
    def _branch_of(self, member_id: str) -> str | None:
        return ops.run_read(self, self.db, lambda s: members.get_member(s, member_id).branch_id)

    def _search_changed(self, _text: str) -> None:
        self.search_timer.start()  # restarts: the search runs once typing pauses

    def apply_search(self) -> None:
        """Show the rows matching the search box now, as one SQL query (``members.roster_source``: name,
        ID number, phone, pinyin initials) read a batch at a time; empty box: every row in scope."""
        self.search_timer.stop()
        ids, inactive, term = self.branch_ids, self.include_inactive.isChecked(), self.search.text().strip()
        try:
            self.model.set_source(self.db, members.roster_source(ids, term, inactive))
        except Exception as exc:
            ops.show_error(self, exc)
            return
        if not term:
            self.all_count = self.model.count
        self._update_status()

    def _update_status(self) -> None:
        shown, total = self.model.count, self.all_count
        text = f"党员 {total} 人" if shown == total else f"找到 {shown} 人 / 共 {total} 人"
        if self.window_ is not None:
            self.window_.set_view_status(self, text)

    def _on_changed(self, tags: object) -> None:
        if ops.touches(tags, "member", "branch", "party_group"):
            self.lazy.request()  # reloads now when on screen, else when next shown

    def _select_member(self, member_id: str) -> None:
        index = self.model.index_of(member_id, NAME_COLUMN)
        if index.isValid():
            self.table.setCurrentIndex(index)
            self.table.scrollTo(index)

    def first_index(self) -> QModelIndex:
        return self.model.index(0, NAME_COLUMN)


def install(window: MainWindow) -> None:
    view = RosterView(window, window.db)
    view.setObjectName("rosterView")
    window.add_tab(view, "党员名册")
    window.selectionChanged.connect(view.set_branches)  # the window emits it once all screens are in
