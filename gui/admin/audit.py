"""操作日志 viewer: filters by user, table, record, action and dates; filtering and paging in SQL."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from models.enums import AuditAction, label
from services import audit, audit_labels, localtime
from services.db import Database

PAGE = 100
COLUMNS = ("序号", "时间（本地）", "操作人", "操作", "数据表", "记录", "内容（原值 → 新值）")


class AuditDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.offset = 0
        self.total = 0
        self.setWindowTitle("操作日志")
        self.resize(1100, 640)

        self.user = QComboBox()
        self.user.setObjectName("auditUser")
        self.table_box = QComboBox()
        self.table_box.setObjectName("auditTable")
        self.action = QComboBox()
        self.action.addItem("全部操作", "")
        for code in AuditAction:
            self.action.addItem(label(code), code.value)
        self.record = QLineEdit()
        self.record.setObjectName("auditRecord")
        self.record.setPlaceholderText("记录 ID")
        self.use_dates = QCheckBox("日期")
        self.since = QDateEdit(QDate.currentDate().addMonths(-1))
        self.until = QDateEdit(QDate.currentDate())
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        search = QPushButton("查询")
        search.clicked.connect(self.first_page)
        verify = QPushButton("校验日志完整性")
        verify.setObjectName("auditVerify")
        verify.clicked.connect(self.verify)

        filters = QHBoxLayout()
        widgets: list[QWidget] = [QLabel("操作人"), self.user, QLabel("数据表"), self.table_box, self.action]
        widgets += [self.record, self.use_dates, self.since, QLabel("至"), self.until, search]
        for w in widgets:
            filters.addWidget(w)
        filters.addStretch(1)
        filters.addWidget(verify)

        self.grid = QTableWidget(0, len(COLUMNS))
        self.grid.setObjectName("auditGrid")
        self.grid.setHorizontalHeaderLabels(list(COLUMNS))
        self.grid.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.grid.horizontalHeader().setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.grid.verticalHeader().setVisible(False)

        self.page_label = QLabel()
        self.page_label.setObjectName("auditPage")
        self.prev = QPushButton("上一页")
        self.next = QPushButton("下一页")
        self.prev.clicked.connect(lambda: self.turn(-1))
        self.next.clicked.connect(lambda: self.turn(1))
        pager = QHBoxLayout()
        pager.addWidget(self.page_label, 1)
        pager.addWidget(self.prev)
        pager.addWidget(self.next)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.grid, 1)
        layout.addLayout(pager)
        self._fill_choices()
        self.first_page()

    def _fill_choices(self) -> None:
        found = ops.run_read(self, self.db, audit.distinct_values)
        users, tables = found if found else ([], [])
        self.user.addItem("全部", "")
        for u in users:
            self.user.addItem(u or "（未记录）", u)
        self.table_box.addItem("全部", "")
        for t in tables:
            self.table_box.addItem(audit_labels.table_name_label(t), t)

    def current_filter(self) -> audit.AuditFilter:
        def day(edit: QDateEdit) -> date:
            d = edit.date()
            return date(d.year(), d.month(), d.day())

        return audit.AuditFilter(
            user=str(self.user.currentData() or ""),
            table=str(self.table_box.currentData() or ""),
            row_id=self.record.text().strip(),
            action=str(self.action.currentData() or ""),
            since=day(self.since) if self.use_dates.isChecked() else None,
            until=day(self.until) if self.use_dates.isChecked() else None,
        )

    def first_page(self) -> None:
        self.offset = 0
        self.load()

    def turn(self, step: int) -> None:
        self.offset = max(0, self.offset + step * PAGE)
        self.load()

    def load(self) -> None:
        flt = self.current_filter()

        def read(s: Session) -> tuple[list[audit.AuditRow], int, list[audit_labels.ReadableEntry]]:
            entries = audit.list_entries(s, flt, PAGE, self.offset)
            return entries, audit.count_entries(s, flt), audit_labels.readable(s, entries)

        found = ops.run_read(self, self.db, read)
        if found is None:
            return
        rows, self.total, words = found
        self.grid.setRowCount(len(rows))
        for i, (r, w) in enumerate(zip(rows, words, strict=True)):
            # Chinese table and field names, the record's name instead of its id, no "→ None".
            values = (
                str(r.id),
                localtime.show(r.at, seconds=True),
                r.user,
                label(AuditAction(r.action)),
                w.table,
                w.record,
                w.text,
            )
            for j, v in enumerate(values):
                self.grid.setItem(i, j, QTableWidgetItem(v))
        self.grid.resizeColumnsToContents()
        shown = f"第 {self.offset + 1}–{self.offset + len(rows)} 条" if rows else "没有符合条件的记录"
        self.page_label.setText(f"共 {self.total} 条，{shown}")
        self.prev.setEnabled(self.offset > 0)
        self.next.setEnabled(self.offset + len(rows) < self.total)

    def verify(self) -> None:
        result = ops.run_read(self, self.db, audit.verify)
        if result is None:
            return
        if result.ok:
            QMessageBox.information(self, "操作日志校验", result.message)
        else:
            QMessageBox.warning(
                self, "操作日志校验", result.message + "\n\n日志在该处被改动过，请联系管理员。"
            )
