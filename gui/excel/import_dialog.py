"""Import from Excel: choose a file and a branch, preview every row and problem, then import.

Nothing is written until the clerk presses 导入; by default only a file without problems is imported,
or — when chosen — only its valid rows. Updates to existing members are applied only when confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from gui.widgets import files
from services import org
from services.db import Database
from services.excel.errors import ExcelFileError
from services.excel.meeting_import import apply_meeting_import, plan_meeting_import
from services.excel.plan import ACTION_LABELS, IMPORT_KINDS, ImportPlan, ImportResult
from services.excel.roster_import import apply_roster_import, plan_roster_import

KINDS = IMPORT_KINDS
ERROR_BRUSH = QBrush(QColor("#f8d7da"))
UPDATE_BRUSH = QBrush(QColor("#fff3cd"))
CREATE_BRUSH = QBrush(QColor("#e2f0d9"))
_Planner = Callable[..., ImportPlan]
_Applier = Callable[..., ImportResult]
BRUSHES = {"error": ERROR_BRUSH, "update": UPDATE_BRUSH, "create": CREATE_BRUSH}
_ROOT = QModelIndex()
_FUNCS: dict[str, tuple[_Planner, _Applier, set[str]]] = {
    "roster": (plan_roster_import, apply_roster_import, {"member"}),
    "meetings": (plan_meeting_import, apply_meeting_import, {"meeting"}),
}


def branch_choices(s: Session) -> list[tuple[str, str]]:
    """(id, "name（code）") of every branch, in tree order: the import's target picker."""
    return [(b.id, f"{b.name}（{b.code}）") for b in org.list_branches(s)]


class PreviewModel(QAbstractTableModel):
    """The plan's rows as the clerk typed them, coloured by what the import would do."""

    def __init__(self) -> None:
        super().__init__()
        self.plan: ImportPlan | None = None
        self.headers: list[str] = []
        self.notes: dict[int, str] = {}

    def show(self, plan: ImportPlan | None) -> None:
        self.beginResetModel()
        self.plan = plan
        self.headers, self.notes = [], {}
        if plan is not None:
            self.headers = ["行", "处理"] + [f"{h}（{c}）" for _k, h, c in plan.columns] + ["改动 / 问题"]
            for p in plan.problems:
                if p.sheet == plan.sheet:
                    text = f"{p.column}列：{p.message}" if p.column else p.message
                    self.notes[p.row] = f"{self.notes[p.row]}；{text}" if p.row in self.notes else text
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if self.plan is None or parent.isValid() else len(self.plan.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if self.plan is None or not index.isValid():
            return None
        row = self.plan.rows[index.row()]
        if role == Qt.ItemDataRole.BackgroundRole:
            return BRUSHES.get(row.action)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        col, keys = index.column(), self.plan.columns
        if col == 0:
            return str(row.row)
        if col == 1:
            return ACTION_LABELS[row.action]
        if col - 2 < len(keys):
            return row.cells.get(keys[col - 2][0], "")
        return self.notes.get(row.row) or "；".join(
            f"{c.field}：{c.old or '（空）'} → {c.new or '（空）'}" for c in row.changes
        )


class ExcelImportDialog(QDialog):
    """``imported`` fires with the ``ImportResult`` after a successful import."""

    imported = Signal(object)

    def __init__(
        self,
        db: Database,
        kind: str = "roster",
        *,
        branch_id: str | None = None,
        today: date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.today = today
        self.plan: ImportPlan | None = None
        self.setWindowTitle("从 Excel 导入")
        self.resize(1100, 720)

        self.kind_box = QComboBox()
        for code, text in KINDS.items():
            self.kind_box.addItem(text, code)
        self.kind_box.setCurrentIndex(list(KINDS).index(kind))
        self.branch_box = QComboBox()
        for bid, text in ops.run_read(self, db, branch_choices) or []:
            self.branch_box.addItem(text, bid)
        if branch_id is not None:
            self.branch_box.setCurrentIndex(max(0, self.branch_box.findData(branch_id)))
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("选择要导入的 .xlsx 文件")
        browse = QPushButton("选择文件…")
        browse.clicked.connect(self._browse)
        self.check_button = QPushButton("检查")
        self.check_button.setObjectName("checkButton")
        self.check_button.clicked.connect(self.check)

        top = QHBoxLayout()
        top.addWidget(QLabel("导入"))
        top.addWidget(self.kind_box)
        top.addWidget(QLabel("到支部"))
        top.addWidget(self.branch_box, 1)
        pick = QHBoxLayout()
        pick.addWidget(self.path_edit, 1)
        pick.addWidget(browse)
        pick.addWidget(self.check_button)

        self.summary = QLabel("选择文件和支部后点“检查”。检查不会写入任何数据。")
        self.summary.setObjectName("summaryLabel")
        self.summary.setWordWrap(True)
        self.preview_model = PreviewModel()
        self.preview = QTableView()
        self.preview.setModel(self.preview_model)
        self.preview.setObjectName("previewTable")
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.problems = QTableWidget(0, 5)
        self.problems.setObjectName("problemTable")
        self.problems.setHorizontalHeaderLabels(["工作表", "行", "列", "内容", "问题"])
        self.problems.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.problems.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.problems.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.problems.cellDoubleClicked.connect(self._jump_to_row)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.preview)
        split.addWidget(self.problems)
        split.setSizes([420, 200])

        self.all_or_nothing = QRadioButton("全部无误才导入")
        self.all_or_nothing.setChecked(True)
        self.valid_only = QRadioButton("只导入没有错误的行")
        group = QButtonGroup(self)
        group.addButton(self.all_or_nothing)
        group.addButton(self.valid_only)
        self.confirm_updates = QCheckBox("应用对已有记录的修改")
        self.create_groups = QCheckBox("新建表中的党小组（本支部还没有的）")
        self.create_groups.setObjectName("createGroups")
        self.create_groups.setToolTip("花名册“党小组”列里本支部还没有的名称，导入时新建为党小组")
        self.create_groups.toggled.connect(
            lambda _on: self.check() if self.path_edit.text().strip() else None
        )
        # Rows the clerk cannot see in Excel (hidden, filtered out, hidden sheet) are never imported
        # silently: the check reports them and asks; the choice here re-checks the file.
        self.hidden_box = QComboBox()
        self.hidden_box.setObjectName("hiddenRowsBox")
        self.hidden_box.addItem("隐藏/筛选掉的行：先询问", None)
        self.hidden_box.addItem("隐藏/筛选掉的行：导入", "include")
        self.hidden_box.addItem("隐藏/筛选掉的行：跳过", "exclude")
        self.hidden_box.currentIndexChanged.connect(self._recheck)
        for w in (self.all_or_nothing, self.valid_only, self.confirm_updates):
            w.toggled.connect(self._update_buttons)
        self.import_button = QPushButton("导入")
        self.import_button.setObjectName("importButton")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.do_import)
        close = QPushButton("关闭")
        close.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.all_or_nothing)
        bottom.addWidget(self.valid_only)
        bottom.addWidget(self.confirm_updates)
        bottom.addWidget(self.create_groups)
        bottom.addWidget(self.hidden_box)
        bottom.addStretch(1)
        bottom.addWidget(self.import_button)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(pick)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        layout.addLayout(bottom)
        self.kind_box.currentIndexChanged.connect(self._reset)
        self.branch_box.currentIndexChanged.connect(self._reset)
        self.path_edit.textChanged.connect(self._reset)

    # --- actions --------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return str(self.kind_box.currentData())

    def _browse(self) -> None:
        path = files.open_file(self, "选择 Excel 文件", "Excel 工作簿 (*.xlsx);;所有文件 (*)", kind="excel")
        if path:
            self.path_edit.setText(path)
            self.check()

    def _reset(self) -> None:
        self.plan = None
        self.preview_model.show(None)
        self.problems.setRowCount(0)
        self._update_buttons()

    def check(self) -> None:
        """Preview: read and check the file; nothing is written."""
        self._reset()
        path = Path(self.path_edit.text().strip())
        branch_id = self.branch_box.currentData()
        if not self.path_edit.text().strip() or not path.is_file():
            self.summary.setText("请选择一个存在的 .xlsx 文件。")
            return
        if branch_id is None:
            self.summary.setText("请选择要导入到哪个支部。")
            return
        planner = _FUNCS[self.kind][0]
        extra = {"create_groups": True} if self.kind == "roster" and self.create_groups.isChecked() else {}
        hidden = self.hidden_box.currentData()

        def work(s: Session) -> ImportPlan | ExcelFileError:
            try:
                return planner(s, branch_id, path, today=self.today, hidden_rows=hidden, **extra)
            except ExcelFileError as exc:  # shown in the dialog, not as a pop-up
                return exc

        # Large sheets take a second or more: read on a worker while a busy indicator shows.
        ops.run_read(self, self.db, work, self._show_plan, background=True, label="正在检查…")

    def _recheck(self) -> None:
        if self.path_edit.text().strip():
            self.check()

    def _show_plan(self, outcome: ImportPlan | ExcelFileError) -> None:
        if isinstance(outcome, ExcelFileError):
            self.summary.setText(f"无法导入：{outcome.message}")
            self._update_buttons()
            return
        plan = self.plan = outcome
        self.preview_model.show(plan)
        if len(plan.rows) <= 2000:  # measuring every cell of a huge preview would stall the dialog
            self.preview.resizeColumnsToContents()
        listed = [*plan.problems, *plan.notices]  # notices (cleaned characters, hidden rows) last
        self.problems.setRowCount(len(listed))
        for i, p in enumerate(listed):
            message = p.message if i < len(plan.problems) else f"提示：{p.message}"
            for j, text in enumerate((p.sheet, str(p.row or ""), p.column, p.value, message)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.problems.setItem(i, j, item)
        updates = plan.count("update")
        self.confirm_updates.setText(f"应用对已有记录的修改（{updates} 条）")
        self.confirm_updates.setEnabled(updates > 0)
        self.summary.setText(plan.summary() + "。红色为有错误的行，黄色为对已有记录的修改。")
        self._update_buttons()

    def _update_buttons(self) -> None:
        plan = self.plan
        ready = plan is not None and (plan.ok or self.valid_only.isChecked())
        self.import_button.setEnabled(bool(ready))

    def _jump_to_row(self, index: int, _column: int) -> None:
        if self.plan is None:
            return
        problem = self.plan.problems[index]
        for i, row in enumerate(self.plan.rows):
            if row.row == problem.row and problem.sheet == self.plan.sheet:
                self.preview.selectRow(i)
                self.preview.scrollTo(self.preview.model().index(i, 0))
                return

    def do_import(self) -> None:
        plan, branch_id = self.plan, self.branch_box.currentData()
        if plan is None or branch_id is None:
            return
        _planner, applier, changes = _FUNCS[self.kind]
        valid_only, confirm = self.valid_only.isChecked(), self.confirm_updates.isChecked()

        def work(s: Session) -> ImportResult:
            # An ImportRefused rolls the transaction back; ops shows its message.
            return applier(
                s, branch_id, plan, valid_only=valid_only, confirm_updates=confirm, today=self.today
            )

        ops.run_write(
            self,
            self.db,
            work,
            self._imported,
            changes=changes | ({"org"} if plan.new_groups else set()),
            background=True,
            label="正在导入…",
        )

    def _imported(self, outcome: ImportResult) -> None:
        self.summary.setText("已导入：" + outcome.summary())
        self.plan = None
        self._update_buttons()
        self.imported.emit(outcome)
