"""The attendance checklist of the meeting form: one row per person, status and reason editable.

Keyboard: in the table, 1 出席 · 2 请假 · 3 缺席 · 4 列席 set the status of the selected rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from models.enums import LABELS, AttendanceStatus
from services.meetings import AttendanceInput, Quorum, tally

AnyIndex = QModelIndex | QPersistentModelIndex
STATUS_ORDER = [
    AttendanceStatus.PRESENT,
    AttendanceStatus.LEAVE,
    AttendanceStatus.ABSENT,
    AttendanceStatus.OBSERVER,
]
COL_NAME, COL_KIND, COL_STATUS, COL_REASON = range(4)
# A new meeting starts with nobody marked: defaulting everyone to 出席 let a clerk save a sign-in
# sheet nobody checked (and overstated attendance, which counts for the quorum). 全部出席 is one click.
UNSET = ""
UNSET_LABEL = "（未登记）"
HEADERS = ["姓名", "身份", "出席情况", "原因"]


@dataclass
class AttendeeRow:
    member_id: str
    name: str
    kind: str  # 正式党员 / 预备党员 / 留党察看 …
    can_vote: bool
    status: str = UNSET  # UNSET until the clerk marks the row
    reason: str = ""


class AttendanceModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AttendeeRow] = []

    def set_rows(self, rows: list[AttendeeRow], keep_marks: bool = True) -> None:
        """Replace the people; statuses already marked for the same members are kept."""
        previous = {r.member_id: r for r in self.rows} if keep_marks else {}
        for row in rows:
            old = previous.get(row.member_id)
            if old is not None:
                row.status, row.reason = old.status, old.reason
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def set_status(self, row_numbers: list[int], status: str) -> None:
        for n in row_numbers:
            if 0 <= n < len(self.rows):
                self.rows[n].status = str(status)
                self.dataChanged.emit(self.index(n, COL_STATUS), self.index(n, COL_REASON))

    def mark_all_present(self) -> None:
        self.set_status(list(range(len(self.rows))), AttendanceStatus.PRESENT)

    def unmarked(self) -> list[str]:
        """Names of the rows nobody marked yet."""
        return [r.name for r in self.rows if r.status == UNSET]

    def entries(self) -> list[AttendanceInput]:
        return [AttendanceInput(r.member_id, r.status, r.reason) for r in self.rows]

    def quorum(self) -> Quorum:
        return tally([(r.status, r.can_vote) for r in self.rows])

    # --- Qt model API ---------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.column() in (COL_STATUS, COL_REASON):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: AnyIndex, role: int = 0) -> object:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == COL_NAME:
                return row.name
            if col == COL_KIND:
                return row.kind
            if col == COL_STATUS:
                if role == Qt.ItemDataRole.EditRole:
                    return row.status
                return LABELS["AttendanceStatus"][row.status] if row.status else UNSET_LABEL
            return row.reason
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_KIND and not row.can_vote:
            return "参加会议，没有表决权，不计入表决人数"
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_STATUS and row.status != "present":
            from PySide6.QtGui import QColor

            if row.status == UNSET:
                return QColor("#777777")
            return QColor("#b3261e") if row.status == AttendanceStatus.ABSENT else QColor("#8a5a00")
        return None

    def setData(self, index: AnyIndex, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        row = self.rows[index.row()]
        if index.column() == COL_STATUS and str(value) in LABELS["AttendanceStatus"]:
            row.status = str(value)
        elif index.column() == COL_REASON:
            row.reason = str(value)
        else:
            return False
        self.dataChanged.emit(index, index)
        return True


class StatusDelegate(QStyledItemDelegate):
    """A combo box for the status column."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex) -> QWidget:
        combo = QComboBox(parent)
        for status in STATUS_ORDER:
            combo.addItem(LABELS["AttendanceStatus"][status], str(status))
        return combo

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        assert isinstance(editor, QComboBox)
        editor.setCurrentIndex(max(0, editor.findData(index.data(Qt.ItemDataRole.EditRole))))

    def setModelData(self, editor: QWidget, model: object, index: AnyIndex) -> None:
        assert isinstance(editor, QComboBox)
        index.model().setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


STATUS_KEYS = {
    Qt.Key.Key_1: AttendanceStatus.PRESENT,
    Qt.Key.Key_2: AttendanceStatus.LEAVE,
    Qt.Key.Key_3: AttendanceStatus.ABSENT,
    Qt.Key.Key_4: AttendanceStatus.OBSERVER,
}


class AttendanceTable(QTableView):
    def __init__(self, model: AttendanceModel) -> None:
        super().__init__()
        self.attendance = model
        self.setModel(model)
        self.setItemDelegateForColumn(COL_STATUS, StatusDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.setTabKeyNavigation(False)  # Tab leaves the table: keyboard users move on to the next field
        self.verticalHeader().setDefaultSectionSize(24)
        header = self.horizontalHeader()
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_KIND, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.setToolTip("按 1 出席、2 请假、3 缺席、4 列席（可多选）；在“原因”列直接输入请假原因")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        status = STATUS_KEYS.get(Qt.Key(event.key()))
        if status is not None and self.state() != QAbstractItemView.State.EditingState:
            rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
            if not rows and self.currentIndex().isValid():
                rows = [self.currentIndex().row()]
            self.attendance.set_status(rows, status)
            if status == AttendanceStatus.LEAVE and len(rows) == 1:
                self.setCurrentIndex(self.attendance.index(rows[0], COL_REASON))
            return
        super().keyPressEvent(event)
