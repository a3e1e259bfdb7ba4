"""党费登记表: members down, months across, as on the paper form; a cell shows what was paid (or 欠 and
the amount due) and is green when paid, red when owed. Opened from the 党费 ledger (其他台账)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui import ops
from services.db import Database
from services.fee_grid import FeeCell, fee_grid
from services.fees import yuan

COLOURS = {"paid": "#dff0d8", "partial": "#fff3cd", "unpaid": "#f8d7da", "none": "#ffffff"}


def cell_text(cell: FeeCell) -> str:
    if cell.state == "paid":
        return yuan(cell.paid_fen)
    if cell.state == "partial":
        return f"{yuan(cell.paid_fen)}/{yuan(cell.due_fen)}"
    if cell.state == "unpaid":
        return f"欠 {yuan(cell.due_fen)}"
    return "—"


class FeeGridDialog(QDialog):
    def __init__(
        self,
        parent: QWidget | None,
        db: Database,
        branch_ids: list[str] | None = None,
        year: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.branch_ids = db, branch_ids
        self.setWindowTitle("党费登记表（按人按月）")
        self.resize(1100, 640)
        self.year = QSpinBox()
        self.year.setRange(1990, 2100)
        self.year.setValue(year or date.today().year)
        self.year.setPrefix("年度 ")
        self.summary = QLabel()
        headers = ["姓名", "支部", *[f"{m}月" for m in range(1, 13)], "应交合计", "实交合计"]
        self.table = QTableWidget(0, len(headers))
        self.table.setObjectName("feeGrid")
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        top = QHBoxLayout()
        top.addWidget(self.year)
        top.addStretch(1)
        top.addWidget(self.summary)
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel("绿色：已交 · 黄色：未交足 · 红色：欠交 · —：未核定"))
        bottom.addStretch(1)
        bottom.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addLayout(bottom)
        self.year.valueChanged.connect(lambda _v: self.load())
        self.load()

    def load(self) -> None:
        ids, year = self.branch_ids, self.year.value()
        rows = ops.run_read(self, self.db, lambda s: fee_grid(s, ids, year))
        if rows is None:
            return
        self.table.setRowCount(len(rows))
        owed = 0
        for i, r in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(r.name))
            self.table.setItem(i, 1, QTableWidgetItem(r.branch_name))
            for m in range(1, 13):
                cell = r.months.get(m, FeeCell(0, 0, None))
                item = QTableWidgetItem(cell_text(cell))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(QBrush(QColor(COLOURS[cell.state])))
                if cell.paid_on:
                    item.setToolTip(f"交纳日期 {cell.paid_on.isoformat()}")
                owed += max(0, cell.due_fen - cell.paid_fen)
                self.table.setItem(i, 1 + m, item)
            self.table.setItem(i, 14, QTableWidgetItem(yuan(r.due_fen)))
            self.table.setItem(i, 15, QTableWidgetItem(yuan(r.paid_fen)))
        self.summary.setText(f"{year} 年：{len(rows)} 人，欠交合计 {yuan(owed)} 元")
