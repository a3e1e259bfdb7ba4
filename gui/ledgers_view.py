"""The 其他台账 tab: every declared listing (发展党员, 党费, 经费, 培训, 决策, 公开, 八有, 整改…) as a table
for the selected branch and year, with the actions of ``services.ledgers.actions`` as buttons and forms:
each field's widget comes from its column kind, and its text is read by the kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from gui.widgets import files
from gui.widgets.forms import DateField, FormDialog, may_close, no_branch_message, submit
from gui.widgets.table_model import Column as ViewColumn
from gui.widgets.table_model import RowTableModel
from services.db import Database
from services.errors import ErrorCollector
from services.ledgers.actions import ACTIONS, Action, Field, Target
from services.ledgers.catalog import LISTINGS, Column, Listing
from services.members import members_on

if TYPE_CHECKING:
    from gui.main_window import MainWindow


SORTED_AS_STORED = ("date", "month", "money", "int", "hours", "count", "bool")
RIGHT_ALIGNED = ("money", "int", "hours", "count")


def _shown(listing: Listing, key: str) -> Callable[[dict[str, Any]], str]:
    """The text of column ``key`` (its kind's display)."""
    return lambda row: listing.display(row, key)


def _sort_key(listing: Listing, column: Column) -> Callable[[dict[str, Any]], Any]:
    """How a header click orders a ledger column: dates, months, amounts and counts by their stored
    value; names, labels and other text by the pinyin of what the clerk reads (``services.collation``,
    imported on the first such click); empty cells last."""
    key = column.key
    if column.kind.name in SORTED_AS_STORED:
        return lambda row: row.get(key)

    def by_pinyin(row: dict[str, Any]) -> object:
        from services.collation import pinyin_key  # pypinyin: on the first click, not at start

        text = listing.display(row, key)
        return pinyin_key(text) if text else None

    return by_pinyin


class ListingModel(RowTableModel[dict[str, Any]]):
    """A ledger's rows on the listing base: the loader's order until a header is clicked, then the
    column's kind's order over every loaded row (a ledger's loader reads the whole scope and year),
    handed to the view ``BATCH`` rows at a time."""

    def __init__(self) -> None:
        super().__init__([], (-1, Qt.SortOrder.AscendingOrder))
        self.listing: Listing | None = None

    def set_data(self, listing: Listing, rows: list[dict[str, Any]]) -> None:
        """Show ``rows`` of ``listing``; a different ledger starts in its loader's order."""
        if listing is not self.listing:
            self._sort = (-1, Qt.SortOrder.AscendingOrder)
        self.listing = listing
        self.columns = [
            ViewColumn(c.title, _shown(listing, c.key), c.key, right=c.kind.name in RIGHT_ALIGNED)
            for c in listing.columns
        ]
        self.set_rows(rows, {c.key: _sort_key(listing, c) for c in listing.columns})


class ImageField(QWidget):
    """A picture file: the path, and 浏览… to choose it (JPG, PNG, GIF, BMP, WebP)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.path = QLineEdit()
        self.path.setMinimumWidth(360)  # room for a full path and the message under it
        browse = QPushButton("浏览…")
        browse.clicked.connect(self.browse)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.path, 1)
        lay.addWidget(browse)

    def browse(self) -> None:
        path = files.open_file(
            self, "选择照片", "图片 (*.jpg *.jpeg *.png *.gif *.bmp *.webp);;所有文件 (*)", kind="photo"
        )
        if path:
            self.path.setText(path)


@dataclass(frozen=True)
class _Done:
    """What an action returned, wrapped: a service that returns None has still saved."""

    value: object


class ActionDialog(FormDialog):
    """The form of one declared action (``services.ledgers.actions``) on the form base: a widget per
    field from its kind, every bad field shown at its field at once (the kinds' parse errors, or the
    service's ``ValidationError``), nothing written then; 已保存 only after the commit."""

    def __init__(
        self, parent: QWidget, db: Database, action: Action, target: Target, members: list[tuple[str, str]]
    ) -> None:
        super().__init__(parent, action.title)
        self.setMinimumWidth(440)  # room for a message under a field without wrapping every word
        self.db, self.action, self.target = db, action, target
        self.widgets: dict[str, QWidget] = {}
        for f in action.fields:
            widget = self._widget(f, members)
            self.widgets[f.key] = widget
            self.support.row(self.form, f.label + ("" if f.required else "（可空）"), f.key, widget)
        self.result_value: object = None

    def _widget(self, f: Field, members: list[tuple[str, str]]) -> QWidget:
        kind = f.kind.name
        if kind == "date":
            w = DateField(f.key, f.label, required=f.required)
            w.set_date(f.default if isinstance(f.default, date) else (date.today() if f.required else None))
            return w
        if kind in ("choice", "member"):
            combo = QComboBox()
            combo.setEditable(kind == "member")  # type a name to jump to it in long rosters
            if kind == "choice" and not f.required:
                combo.addItem("（无）", None)
            for code, text in f.choices if kind == "choice" else members:
                combo.addItem(text, code)
            return combo
        if kind == "bool":
            return QCheckBox()
        if kind == "int":
            spin = QSpinBox()
            spin.setRange(0, 100_000)
            return spin
        if kind == "multiline":
            edit = QPlainTextEdit()
            edit.setFixedHeight(80)
            return edit
        if kind == "image":
            return ImageField(self)
        line = QLineEdit()
        if f.default is not None:
            line.setText(str(f.default))
        if kind == "month":
            line.setText(date.today().strftime("%Y-%m"))
        return line

    def values(self) -> dict[str, Any]:
        """Reads every field; raises the problems of ALL bad fields together (``ValidationErrors``
        when several), so the form marks each of them in one save."""
        found = ErrorCollector()
        out = self._collect(found)
        found.raise_if_any()
        return out

    def _collect(self, found: ErrorCollector) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.action.fields:
            with found.check():
                out[f.key] = self._value(f)
        return out

    def _value(self, f: Field) -> Any:
        w = self.widgets[f.key]
        value: Any = None
        if isinstance(w, DateField):
            value = w.value()
        elif isinstance(w, QComboBox):
            value = f.parse(w.currentData())
        elif isinstance(w, QCheckBox):
            value = w.isChecked()
        elif isinstance(w, QSpinBox):
            value = w.value()
        elif isinstance(w, QPlainTextEdit):
            value = f.parse(w.toPlainText())
        elif isinstance(w, ImageField):
            value = f.parse(w.path.text())
        elif isinstance(w, QLineEdit):
            value = f.parse(w.text())  # the kind reads money, hours (学时 → minutes), months
        return value

    def reject(self) -> None:
        if may_close(self, self.support, self.action.title, self.save):
            super().reject()

    def save(self) -> None:
        """``forms.submit``: the fields' parse errors all at once and nothing written, else the action
        in one transaction (its ``ValidationError`` at its field); closes after the commit."""
        found = ErrorCollector()
        values = self._collect(found)
        action, target = self.action, self.target

        def work(s: Session) -> _Done:
            return _Done(action.run(s, target, values))

        done = submit(self, self.support, self.db, work, changes=action.changes | {"ledger"}, found=found)
        if done is None:
            return
        self.result_value = done.value
        warning = getattr(done.value, "warning", "")  # e.g. 优秀 beyond one third: saved, but say so
        if isinstance(warning, str) and warning:
            QMessageBox.warning(self, action.title, f"已保存。{warning}")
        self.accept()


class LedgersView(QWidget):
    def __init__(self, window: MainWindow | None, db: Database) -> None:
        super().__init__()
        self.window_, self.db = window, db
        self.branch_ids: list[str] | None = None
        self._shown = False  # nothing is loaded until the window says which branches are in view

        self.ledgers = QListWidget()
        self.ledgers.setObjectName("ledgerList")
        for code, listing in LISTINGS.items():
            self.ledgers.addItem(listing.title)
            self.ledgers.item(self.ledgers.count() - 1).setData(Qt.ItemDataRole.UserRole, code)
        self.year = QSpinBox()
        self.year.setRange(1949, 2100)
        self.year.setValue(date.today().year)
        self.year.setPrefix("年度 ")
        self.all_years = QCheckBox("全部年度")
        self.count = QLabel()
        self.model = ListingModel()
        self.table = QTableView()
        self.table.setObjectName("ledgerTable")
        self.table.setModel(self.model)
        # A header click sorts (over every row of the ledger, not the fetched ones); until then the
        # loader's order (by date, month …), so no column is marked at first.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.buttons = QHBoxLayout()

        top = QHBoxLayout()
        top.addWidget(self.year)
        top.addWidget(self.all_years)
        top.addStretch(1)
        top.addWidget(self.count)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addLayout(top)
        rl.addWidget(self.table, 1)
        rl.addLayout(self.buttons)
        split = QSplitter()
        split.addWidget(self.ledgers)
        split.addWidget(right)
        split.setSizes([160, 900])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(split)

        self.ledgers.currentRowChanged.connect(lambda _r: self._ledger_changed())
        self.year.valueChanged.connect(lambda _v: self.refresh())
        self.all_years.toggled.connect(lambda _on: self.refresh())
        # A save elsewhere reloads this listing only when it is on screen (else when next shown).
        self.lazy = ops.LazyRefresh(self, self.refresh)
        ops.bus().changed.connect(self._on_changed)
        self.ledgers.setCurrentRow(0)

    @property
    def code(self) -> str:
        item = self.ledgers.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else next(iter(LISTINGS))

    def set_branches(self, branch_ids: list[str] | None) -> None:
        self.branch_ids = branch_ids
        self._shown = True
        self.lazy.request()

    def _on_changed(self, tags: object) -> None:
        if ops.touches_shown_data(tags):
            self.lazy.request()

    def select_ledger(self, code: str) -> None:
        for i in range(self.ledgers.count()):
            if self.ledgers.item(i).data(Qt.ItemDataRole.UserRole) == code:
                self.ledgers.setCurrentRow(i)
                return
        raise KeyError(code)

    def _ledger_changed(self) -> None:
        while self.buttons.count():
            item = self.buttons.takeAt(0)
            if item is not None and (w := item.widget()) is not None:
                w.hide()  # deleteLater waits for the event loop; hide now so no stale button shows
                w.deleteLater()
        for action in ACTIONS.get(self.code, ()):
            button = QPushButton(action.title)
            button.clicked.connect(lambda _c=False, a=action: self.run_action(a))
            self.buttons.addWidget(button)
        if self.code == "fees":
            grid = QPushButton("按人按月表…")
            grid.setToolTip("党员 × 月份的党费登记表，如同纸质台账")
            grid.clicked.connect(self.open_fee_grid)
            self.buttons.addWidget(grid)
        if self.code == "development":
            township = QPushButton("全镇概况…")
            township.setToolTip("各支部申请人、积极分子、发展对象、预备党员人数")
            township.clicked.connect(self.open_pipeline)
            self.buttons.addWidget(township)
        self.buttons.addStretch(1)
        self.refresh()

    def open_fee_grid(self) -> None:
        from gui.fee_grid_view import FeeGridDialog

        year = None if self.all_years.isChecked() else self.year.value()
        FeeGridDialog(self, self.db, self.branch_ids, year).exec()

    def refresh(self) -> None:
        if not self._shown:
            return
        listing = LISTINGS[self.code]
        ids, year = self.branch_ids, None if self.all_years.isChecked() else self.year.value()
        self.year.setEnabled(not self.all_years.isChecked())
        rows = ops.run_read(self, self.db, lambda s: listing.load(s, ids, year))
        if rows is not None:
            changed = self.model.listing is not listing
            if changed:
                self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            self.model.set_data(listing, rows)
            self.count.setText(f"共 {len(rows)} 条")
            if changed:
                width = self.fontMetrics().horizontalAdvance("汉")
                for i, column in enumerate(listing.columns):
                    self.table.setColumnWidth(i, max(60, column.width * width))

    def branch_id(self) -> str | None:
        if self.window_ is not None:
            return self.window_.current_branch_id()
        return self.branch_ids[0] if self.branch_ids and len(self.branch_ids) == 1 else None

    def selected_row_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_id(rows[0].row()) if rows else None

    def dialog_for(self, action: Action) -> ActionDialog | None:
        """The form for ``action`` on the current branch/row, or None (with a message) when it can't apply."""
        target = Target(self.branch_id(), self.selected_row_id())
        if action.needs_branch and target.branch_id is None and not action.needs_row:
            QMessageBox.information(self, action.title, no_branch_message(self.window(), "一个支部"))
            return None
        if action.needs_row and target.row_id is None:
            QMessageBox.information(self, action.title, "请先在表格中选择要操作的记录。")
            return None
        branch = target.branch_id
        members: list[tuple[str, str]] = []
        if branch is not None and any(f.kind.name == "member" for f in action.fields):
            people = ops.run_read(
                self, self.db, lambda s: [(m.id, m.name) for m in members_on(s, branch, date.today())]
            )
            members = people or []
        return ActionDialog(self, self.db, action, target, members)

    def open_pipeline(self) -> None:
        from gui.pipeline_view import open_pipeline

        open_pipeline(self, self.db, self.window_.current_township_id() if self.window_ is not None else None)

    def run_action(self, action: Action) -> None:
        dialog = self.dialog_for(action)
        if dialog is not None and dialog.exec():
            self.refresh()


def install(window: MainWindow) -> None:
    view = LedgersView(window, window.db)
    view.setObjectName("ledgersView")
    window.add_tab(view, "其他台账")
    window.add_action("数据", "发展党员（全镇）…", view.open_pipeline)
    window.selectionChanged.connect(view.set_branches)  # emitted once after start-up, then per click
