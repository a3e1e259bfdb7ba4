"""Import from Excel: choose a file and a branch, preview every row and problem, then import.

Nothing is written until the clerk presses 导入; by default only a file without problems is imported,
or — when chosen — only its valid rows. Updates to existing members are applied only when confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableView,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from gui.widgets import files
from gui.widgets.forms import FormDialog, submit
from gui.widgets.table_model import Column, RowTableModel
from services import org
from services.db import Database
from services.errors import ErrorCollector, ValidationError
from services.excel.errors import ExcelFileError, Problem
from services.excel.meeting_import import apply_meeting_import, plan_meeting_import
from services.excel.plan import ACTION_LABELS, IMPORT_KINDS, ImportPlan, ImportResult, RowPlan
from services.excel.roster_import import apply_roster_import, plan_roster_import

KINDS = IMPORT_KINDS
ERROR_BRUSH = QBrush(QColor("#f8d7da"))
UPDATE_BRUSH = QBrush(QColor("#fff3cd"))
CREATE_BRUSH = QBrush(QColor("#e2f0d9"))
_Planner = Callable[..., ImportPlan]
_Applier = Callable[..., ImportResult]
BRUSHES = {"error": ERROR_BRUSH, "update": UPDATE_BRUSH, "create": CREATE_BRUSH}
_FUNCS: dict[str, tuple[_Planner, _Applier, set[str]]] = {
    "roster": (plan_roster_import, apply_roster_import, {"member"}),
    "meetings": (plan_meeting_import, apply_meeting_import, {"meeting"}),
}


def branch_choices(s: Session) -> list[tuple[str, str]]:
    """(id, "name（code）") of every branch, in tree order: the import's target picker."""
    return [(b.id, f"{b.name}（{b.code}）") for b in org.list_branches(s)]


def _action_rank(row: RowPlan) -> int:
    return list(ACTION_LABELS).index(row.action) if row.action in ACTION_LABELS else len(ACTION_LABELS)


def _cell_text(key: str) -> Callable[[RowPlan], str]:
    return lambda row: row.cells.get(key, "")


def _cell_order(key: str) -> Callable[[RowPlan], object]:
    """A column's text in order, empty cells last, ties by row number."""
    return lambda row: (row.cells.get(key, "") or "\uffff", row.row)


class PreviewModel(RowTableModel[RowPlan]):
    """The plan's rows as the clerk typed them, coloured by what the import would do, on the listing
    base: every row of the plan is in memory, so a header click orders all of them (row number, what
    happens, a column's text) and the view lays them out a batch at a time."""

    def __init__(self) -> None:
        super().__init__([], (-1, Qt.SortOrder.AscendingOrder))
        self.plan: ImportPlan | None = None
        self.notes: dict[int, str] = {}

    @property
    def headers(self) -> list[str]:
        return [c.title for c in self.columns]

    def record_id(self, row: RowPlan) -> str:
        return str(row.row)  # the Excel row number: one plan row each

    def show(self, plan: ImportPlan | None) -> None:
        self.plan, self.notes = plan, {}
        columns: list[Column[RowPlan]] = []
        keys: dict[str, Callable[[RowPlan], object]] = {}
        if plan is not None:
            for p in plan.problems:
                if p.sheet == plan.sheet:
                    text = f"{p.column}列：{p.message}" if p.column else p.message
                    self.notes[p.row] = f"{self.notes[p.row]}；{text}" if p.row in self.notes else text
            columns = [
                Column("行", lambda r: str(r.row), "row", right=True),
                Column("处理", lambda r: ACTION_LABELS[r.action], "action"),
            ]
            keys = {"row": lambda r: r.row, "action": lambda r: (_action_rank(r), r.row)}
            for key, header, letter in plan.columns:
                columns.append(Column(f"{header}（{letter}）", _cell_text(key), f"cell:{key}"))
                keys[f"cell:{key}"] = _cell_order(key)
            columns.append(Column("改动 / 问题", self._note, "note", tooltip=self._note))
            keys["note"] = lambda r: (self._note(r) or "\uffff", r.row)
        self.columns = columns
        self.set_rows(plan.rows if plan is not None else [], keys)

    def _note(self, row: RowPlan) -> str:
        return self.notes.get(row.row) or "；".join(
            f"{c.field}：{c.old or '（空）'} → {c.new or '（空）'}" for c in row.changes
        )

    def extra_data(self, row: RowPlan, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.BackgroundRole:
            return BRUSHES.get(row.action)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.columns[column].text(row)
        return None


@dataclass(frozen=True)
class ProblemRow:
    """One line of the problem list: a problem (``notice`` False) or a notice of the check."""

    id: str
    problem: Problem
    notice: bool

    @property
    def message(self) -> str:
        return f"提示：{self.problem.message}" if self.notice else self.problem.message


PROBLEM_COLUMNS: list[Column[ProblemRow]] = [
    Column("工作表", lambda r: r.problem.sheet, tooltip=lambda r: r.problem.sheet),
    Column("行", lambda r: str(r.problem.row or ""), right=True),
    Column("列", lambda r: r.problem.column),
    Column("内容", lambda r: r.problem.value, tooltip=lambda r: r.problem.value),
    Column("问题", lambda r: r.message, tooltip=lambda r: r.message),
]


class ProblemModel(RowTableModel[ProblemRow]):
    """The check's problems, then its notices, in the order the check found them."""

    def __init__(self) -> None:
        super().__init__(PROBLEM_COLUMNS, (-1, Qt.SortOrder.AscendingOrder))

    def show(self, plan: ImportPlan | None) -> None:
        if plan is None:
            self.set_rows([])
            return
        listed = [(p, False) for p in plan.problems] + [(p, True) for p in plan.notices]
        self.set_rows([ProblemRow(str(i), p, notice) for i, (p, notice) in enumerate(listed)])

    def text(self, row: int, column: int) -> str:
        """What the clerk reads in one cell (for tests and screen readers)."""
        return str(self.index(row, column).data() or "")


class ExcelImportDialog(FormDialog):
    """Choose a file and a branch (inline errors at each, both at once), 检查 previews every row and
    problem without writing, 导入 writes in one transaction on a worker. ``imported`` fires with the
    ``ImportResult`` after the commit; "已导入" shows only then."""

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
        super().__init__(parent, "从 Excel 导入")
        self.db = db
        self.today = today
        self.plan: ImportPlan | None = None
        self.resize(1100, 720)

        self.kind_box = QComboBox()
        for code, text in KINDS.items():
            self.kind_box.addItem(text, code)
        self.kind_box.setCurrentIndex(list(KINDS).index(kind))
        self.branch_box = QComboBox()
        self.branch_box.addItem("（请选择支部）", None)
        for bid, text in ops.run_read(self, db, branch_choices) or []:
            self.branch_box.addItem(text, bid)
        self.branch_box.setCurrentIndex(1 if self.branch_box.count() > 1 else 0)
        if branch_id is not None:
            self.branch_box.setCurrentIndex(max(1, self.branch_box.findData(branch_id)))
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("选择要导入的 .xlsx 文件")
        browse = QPushButton("选择文件…")
        browse.clicked.connect(self._browse)
        self.check_button = QPushButton("检查")
        self.check_button.setObjectName("checkButton")
        self.check_button.clicked.connect(self.check)

        # The two things the clerk fills in, each with its error label beneath (FormSupport).
        target = QWidget()
        top = QHBoxLayout(target)
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.kind_box)
        top.addWidget(QLabel("到支部"))
        top.addWidget(self.branch_box, 1)
        pick = QWidget()
        pick_row = QHBoxLayout(pick)
        pick_row.setContentsMargins(0, 0, 0, 0)
        pick_row.addWidget(self.path_edit, 1)
        pick_row.addWidget(browse)
        pick_row.addWidget(self.check_button)
        self.support.row(self.form, "导入", "branch", target)
        self.support.register("branch", self.branch_box, self.support.labels["branch"])
        self.support.row(self.form, "文件", "path", pick)
        self.support.register("path", self.path_edit, self.support.labels["path"])

        self.summary = QLabel("选择文件和支部后点“检查”。检查不会写入任何数据。")
        self.summary.setObjectName("summaryLabel")
        self.summary.setWordWrap(True)
        self.preview_model = PreviewModel()
        self.preview = QTableView()
        self.preview.setModel(self.preview_model)
        self.preview.setObjectName("previewTable")
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.preview.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.preview.setSortingEnabled(True)
        self.preview.verticalHeader().setVisible(False)  # the 行 column gives the Excel row number
        self.problem_model = ProblemModel()
        self.problems = QTableView()
        self.problems.setModel(self.problem_model)
        self.problems.setObjectName("problemTable")
        self.problems.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.problems.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.problems.verticalHeader().setVisible(False)
        self.problems.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.problems.doubleClicked.connect(lambda index: self._jump_to_row(index.row(), index.column()))
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
        # The form base's 保存 is this dialog's 导入; 取消 closes.
        self.import_button = self.save_button
        self.import_button.setText("导入")
        self.import_button.setObjectName("importButton")
        self.import_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("关闭")
        options = QHBoxLayout()
        options.addWidget(self.all_or_nothing)
        options.addWidget(self.valid_only)
        options.addWidget(self.confirm_updates)
        options.addWidget(self.create_groups)
        options.addWidget(self.hidden_box)
        options.addStretch(1)

        at = self.body.indexOf(self.support.general)  # below the fields, above 导入/关闭
        self.body.insertWidget(at, self.summary)
        self.body.insertWidget(at + 1, split, 1)
        self.body.insertLayout(at + 2, options)
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
        self.problem_model.show(None)
        self.confirm_updates.setText("应用对已有记录的修改")  # the count belongs to the plan shown
        self._update_buttons()

    def _target(self, found: ErrorCollector) -> tuple[Path | None, str | None]:
        """The file and the branch, each bad one reported to ``found`` at its field."""
        text = self.path_edit.text().strip()
        path = Path(text) if text else None
        with found.check():
            if path is None or not path.is_file():
                raise ValidationError(
                    "path", "请选择一个存在的 .xlsx 文件。" if text else "请选择要导入的文件。"
                )
        branch_id = self.branch_box.currentData()
        with found.check():
            if branch_id is None:
                raise ValidationError("branch", "请选择要导入到哪个支部。")
        return path, branch_id

    def check(self) -> None:
        """Preview: read and check the file; nothing is written. A missing file and a missing branch
        are both shown at their fields."""
        self._reset()
        self.support.clear()
        found = ErrorCollector()
        path, branch_id = self._target(found)
        if found.errors or path is None:
            self.support.show_all(found.errors)
            self.summary.setText("请先改正标红的项目。")
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
            self.support.show(ValidationError("path", outcome.message))
            self._update_buttons()
            return
        plan = self.plan = outcome
        self.preview.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.preview_model.show(plan)
        if len(plan.rows) <= 2000:  # measuring every cell of a huge preview would stall the dialog
            self.preview.resizeColumnsToContents()
        self.problem_model.show(plan)
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
        if self.plan is None or not 0 <= index < len(self.problem_model.rows):
            return
        problem = self.problem_model.rows[index].problem
        if problem.sheet != self.plan.sheet or not problem.row:
            return
        at = self.preview_model.index_of(str(problem.row))
        if at.isValid():
            self.preview.selectRow(at.row())
            self.preview.scrollTo(at)

    def save(self) -> None:
        """导入 (the form base's save): ``forms.submit`` on a worker; the plan must still fit the file
        and the branch (both checked at their fields). Ctrl+S does nothing while 导入 is greyed out."""
        if self.import_button.isEnabled():
            self.do_import()

    def do_import(self) -> None:
        found = ErrorCollector()
        _path, branch_id = self._target(found)
        plan = self.plan
        if plan is None and not found.errors:
            return
        _planner, applier, changes = _FUNCS[self.kind]
        valid_only, confirm = self.valid_only.isChecked(), self.confirm_updates.isChecked()

        def work(s: Session) -> ImportResult:
            # An ImportRefused rolls the transaction back; ops shows its message.
            assert plan is not None and branch_id is not None
            return applier(
                s, branch_id, plan, valid_only=valid_only, confirm_updates=confirm, today=self.today
            )

        submit(
            self,
            self.support,
            self.db,
            work,
            found=found,
            changes=changes | ({"org"} if plan is not None and plan.new_groups else set()),
            on_done=self._imported,
            background=True,
            label="正在导入…",
        )

    def _imported(self, outcome: ImportResult) -> None:
        self.summary.setText("已导入：" + outcome.summary())
        self.plan = None
        self._update_buttons()
        self.imported.emit(outcome)
