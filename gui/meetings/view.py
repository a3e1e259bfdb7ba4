"""The 会议记录 tab: meetings of the selected township/branch by date and type, filtered by year/type."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui import ops
from gui.meetings.form import MeetingForm
from gui.widgets.forms import no_branch_message
from gui.widgets.table_model import Column, RowTableModel
from models.enums import LABELS, MeetingType
from services import meetings
from services.db import Database
from services.paging import LoadedRows

if TYPE_CHECKING:
    from gui.main_window import MainWindow

AnyIndex = QModelIndex | QPersistentModelIndex
HEADERS = ["日期", "类型", "支部", "地点", "议题", "出席/应到"]
YEARS_BACK = 15


class MeetingsModel(RowTableModel[meetings.MeetingRow]):
    """Meetings newest first on the listing base; every sort breaks ties by date. The rows of a year
    (or all years) come from one query (``meetings.list_meetings``) and are all in memory, so the
    search words and a header's order apply to every one of them, not only to the fetched ones."""

    def __init__(self) -> None:
        super().__init__([], (0, Qt.SortOrder.DescendingOrder))
        self.branch_names: dict[str, str] = {}
        self.loaded: list[meetings.MeetingRow] = []
        branch = self._branch_name
        self.columns = [
            Column(HEADERS[0], lambda r: r.held_on.isoformat(), "held_on"),
            Column(HEADERS[1], lambda r: r.type_label, "type"),
            Column(HEADERS[2], branch, "branch"),
            Column(HEADERS[3], lambda r: r.place, "place"),
            Column(
                HEADERS[4], lambda r: r.topics.replace("\n", " ")[:80], "topics", tooltip=lambda r: r.topics
            ),
            Column(HEADERS[5], lambda r: f"{r.present}/{r.expected}", "attendance"),
        ]
        self.keys: dict[str, Callable[[meetings.MeetingRow], object]] = {
            "held_on": lambda r: (r.held_on, r.type),
            "type": lambda r: (r.type_label, r.held_on),
            "branch": lambda r: (branch(r), r.held_on),
            "place": lambda r: (r.place, r.held_on),
            "topics": lambda r: (r.topics, r.held_on),
            "attendance": lambda r: (r.present / r.expected if r.expected else 0.0, r.held_on),
        }

    def _branch_name(self, row: meetings.MeetingRow) -> str:
        return self.branch_names.get(row.branch_id, "")

    def set_meetings(self, rows: list[meetings.MeetingRow], branch_names: dict[str, str]) -> None:
        self.branch_names = branch_names
        self.loaded = list(rows)
        self.show_words([])

    def show_words(self, words: list[str]) -> None:
        """Show the meetings whose 议题, 地点, type or branch contain every one of ``words`` (all: none)."""

        def text(r: meetings.MeetingRow) -> str:
            return " ".join((r.topics, r.place, r.type_label, self._branch_name(r)))

        accept = (lambda r: all(w in text(r) for w in words)) if words else None
        self.set_source(None, LoadedRows(self.loaded, self.keys, lambda r: r.id, accept=accept))


class MeetingsTable(QTableView):
    def __init__(self, view: MeetingsView) -> None:
        super().__init__()
        self.view = view

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.view.edit_current()
        elif event.key() == Qt.Key.Key_Delete:
            self.view.delete_current()
        else:
            super().keyPressEvent(event)


class MeetingsView(QWidget):
    def __init__(self, window: MainWindow | None, db: Database, *, today: date | None = None) -> None:
        super().__init__()
        self.window_ = window
        self.db = db
        self.today = today
        self.branch_ids: list[str] | None = None

        self.year = QComboBox()
        self.year.setObjectName("meetingYear")
        self.year.addItem("全部年份", None)
        this_year = (today or date.today()).year
        for y in range(this_year, this_year - YEARS_BACK, -1):
            self.year.addItem(f"{y} 年", y)
        self.year.setCurrentIndex(1)
        self.type = QComboBox()
        self.type.setObjectName("meetingType")
        self.type.addItem("全部类型", None)
        for t in MeetingType:
            self.type.addItem(LABELS["MeetingType"][t], str(t))
        self.search = QLineEdit()
        self.search.setObjectName("meetingSearch")
        self.search.setPlaceholderText("搜索议题、地点、类型或支部（Ctrl+F）")
        self.search.setClearButtonEnabled(True)
        self.new_button = QPushButton("记录会议 (Ctrl+N)")
        self.edit_button = QPushButton("查看/修改")
        self.delete_button = QPushButton("删除")

        self.model = MeetingsModel()
        self.table = MeetingsTable(self)
        self.table.setObjectName("meetingsTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((100, 110, 150, 140, 300, 80)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda _i: self.edit_current())

        bar = QHBoxLayout()
        bar.addWidget(QLabel("年份"))
        bar.addWidget(self.year)
        bar.addWidget(QLabel("类型"))
        bar.addWidget(self.type)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.new_button)
        bar.addWidget(self.edit_button)
        bar.addWidget(self.delete_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(bar)
        lay.addWidget(self.table)

        self.year.currentIndexChanged.connect(lambda _i: self.refresh())
        self.type.currentIndexChanged.connect(lambda _i: self.refresh())
        self.search.textChanged.connect(lambda _t: self._apply_search())
        self.search.returnPressed.connect(self.to_results)
        self.search.installEventFilter(self)
        self.new_button.clicked.connect(self.new_record)
        self.edit_button.clicked.connect(self.edit_current)
        self.delete_button.clicked.connect(self.delete_current)
        self.lazy = ops.LazyRefresh(self, self.refresh)
        ops.bus().changed.connect(self._on_changed)

    # --- the tab protocol -----------------------------------------------------------------
    def set_branches(self, branch_ids: list[str] | None) -> None:
        self.branch_ids = branch_ids
        self.refresh()

    def refresh(self) -> None:
        types = [self.type.currentData()] if self.type.currentData() else []
        flt = meetings.MeetingFilter(branch_ids=self.branch_ids, year=self.year.currentData(), types=types)
        rows = ops.run_read(self, self.db, lambda s: meetings.list_meetings(s, flt))
        if rows is None:
            return
        names = self.window_.branch_names() if self.window_ is not None else {}
        self.model.set_meetings(rows, names)
        self.table.setColumnHidden(2, self.branch_ids is not None and len(self.branch_ids) == 1)
        self._apply_search()

    def focus_search(self) -> None:
        """Ctrl+F: the search box (议题, 地点, 会议类型, 支部 of the listed meetings)."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def to_results(self) -> None:
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        current = self.table.currentIndex()
        if not current.isValid() and self.model.rowCount():
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

    def _apply_search(self) -> None:
        words = self.search.text().split()
        self.model.show_words(words)
        if self.window_ is not None:
            shown, total = self.model.count, len(self.model.loaded)
            status = f"会议 {total} 次" if shown == total else f"找到 {shown} 次 / 共 {total} 次"
            self.window_.set_view_status(self, status)

    def new_record(self) -> None:
        branch_id = self._single_branch()
        if branch_id is None:
            QMessageBox.information(self, "记录会议", no_branch_message(self.window_, "召开会议的支部"))
            return
        form = MeetingForm(self, self.db, branch_id, today=self.today)
        form.saved.connect(self._select_meeting)
        form.exec()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)  # back on the list, on the saved meeting

    def current_row(self) -> meetings.MeetingRow | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.rows[index.row()]

    def edit_current(self) -> None:
        row = self.current_row()
        if row is None:
            return
        form = MeetingForm(self, self.db, row.branch_id, row.id, today=self.today)
        form.saved.connect(self._select_meeting)
        form.exec()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def delete_current(self) -> None:
        row = self.current_row()
        if row is None:
            return
        answer = QMessageBox.question(
            self,
            "删除会议记录",
            f"确定删除 {row.held_on.isoformat()} 的{row.type_label}记录吗？\n记录及其出席情况将移入回收站。",
        )
        if answer == QMessageBox.StandardButton.Yes:
            ops.run_write(self, self.db, lambda s: meetings.delete_meeting(s, row.id), changes={"meeting"})

    # --- internals ------------------------------------------------------------------------
    def _single_branch(self) -> str | None:
        if self.window_ is not None and self.window_.current_branch_id() is not None:
            return self.window_.current_branch_id()
        if self.branch_ids is not None and len(self.branch_ids) == 1:
            return self.branch_ids[0]
        return None

    def _on_changed(self, tags: object) -> None:
        # The listing shows meetings, their attendance counts and branch names; a member's own
        # details (phone, status …) are not in it, so a member save does not reload it.
        if ops.touches(tags, "meeting", "attendance", "branch"):
            self.lazy.request()

    def _select_meeting(self, meeting_id: str) -> None:
        index = self.model.index_of(meeting_id)
        if index.isValid():
            self.table.setCurrentIndex(index)
            self.table.scrollTo(index)


def install(window: MainWindow) -> None:
    view = MeetingsView(window, window.db)
    view.setObjectName("meetingsView")
    window.add_tab(view, "会议记录")
    window.selectionChanged.connect(view.set_branches)  # the window emits it once all screens are in
