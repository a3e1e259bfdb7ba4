"""发展党员（全镇）: the pipeline by branch and stage, village branches short of 积极分子 highlighted.

Opened from 数据 → 发展党员（全镇）… and from the 发展党员 ledger in 其他台账; the CLI twin is
``dev pipeline``. The threshold comes from the handbook pack's reserve rule (TEAM-02).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from models.enums import LABELS
from services import org
from services.db import Database
from services.handbook.pack import Pack
from services.pipeline import STAGES, PipelineRow, Reserve, pipeline_table, reserve_from_pack, stage_titles

SHORT = QColor("#fde2e1")  # same pale red as the check grid's warnings


class PipelineDialog(QDialog):
    def __init__(
        self, parent: QWidget | None, db: Database, township_id: str | None, pack: Pack | None = None
    ) -> None:
        super().__init__(parent)
        self.db, self.township_id = db, township_id
        self.reserve: Reserve | None = reserve_from_pack(pack)
        self.rows: list[PipelineRow] = []
        self.setWindowTitle("发展党员（全镇）")
        self.resize(760, 520)
        headers = ["支部", "类别", *stage_titles(), "合计"]
        self.table = QTableWidget(0, len(headers))
        self.table.setObjectName("pipelineTable")
        self.table.setHorizontalHeaderLabels(headers)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel()
        self.summary.setObjectName("pipelineSummary")
        self.summary.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.summary)
        lay.addWidget(close)
        self.load()

    def load(self) -> None:
        township, reserve = self.township_id, self.reserve

        def read(s: Session) -> list[PipelineRow]:
            ids = org.descendant_branch_ids(s, township) if township else None
            return pipeline_table(s, ids, reserve)

        rows = ops.run_read(self, self.db, read)
        if rows is None:
            return
        self.rows = rows
        self.table.setRowCount(len(rows) + 1)
        totals = [0] * len(STAGES)
        for i, row in enumerate(rows):
            counts = [row.counts.get(s.value, 0) for s in STAGES]
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
            self._fill(i, row.name, LABELS["BranchDomain"].get(row.domain, row.domain), counts)
            if row.short and reserve is not None:
                tip = f"积极分子 {counts[1]} 名，少于 {reserve.minimum} 名（{reserve.rule_id}），建议加强培养储备。"
                for c in range(self.table.columnCount()):
                    cell = self.table.item(i, c)
                    if cell is not None:
                        cell.setBackground(QBrush(SHORT))
                        cell.setToolTip(tip)
        self._fill(len(rows), "合计", "", totals)
        bold = self.table.font()
        bold.setBold(True)
        for c in range(self.table.columnCount()):
            cell = self.table.item(len(rows), c)
            if cell is not None:
                cell.setFont(bold)
        short = [r.name for r in rows if r.short]
        if reserve is None:
            self.summary.setText("手册包未规定积极分子储备数。")
        elif short:
            where = "农村党支部" if reserve.domains == ("rural",) else "党支部"
            self.summary.setText(
                f"{len(short)} 个{where}积极分子少于 {reserve.minimum} 名（{reserve.rule_id}，已标红）："
                + "、".join(short)
            )
        else:
            self.summary.setText(f"各支部积极分子均达到 {reserve.minimum} 名以上。")

    def _fill(self, row: int, name: str, kind: str, counts: list[int]) -> None:
        self.table.setItem(row, 0, QTableWidgetItem(name))
        self.table.setItem(row, 1, QTableWidgetItem(kind))
        for j, n in enumerate([*counts, sum(counts)]):
            cell = QTableWidgetItem(str(n))
            cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, 2 + j, cell)

    def short_names(self) -> list[str]:
        return [r.name for r in self.rows if r.short]


def open_pipeline(parent: QWidget, db: Database, township_id: str | None) -> None:
    from services.handbook.pack import PackHolder

    PipelineDialog(parent, db, township_id, PackHolder.startup().pack).exec()
