"""对标检查 · 乡镇总览: branches × months, each cell coloured by its worst finding, stars per branch."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from services.handbook.engine import CheckResult
from services.handbook.findings import Finding
from services.handbook.period import Period, containing

# Worst finding → colour. Explained warnings show like a hint: attended to, not hidden.
COLOURS = {3: "#f4b4ae", 2: "#fbd99b", 1: "#fff3c4", 0: "#cdebc9"}
NOT_JUDGED = "#eeeeee"
WORDS = {3: "错误", 2: "警告", 1: "提示", 0: "达标"}
_BRANCH_ROLE = Qt.ItemDataRole.UserRole


def cell_of(finding: Finding, year: int) -> int:
    """Column of a finding: its month (1–12); a quarter's finding shows in the quarter's last month;
    a year's finding or a point-in-time one in the 全年 column (13)."""
    label = finding.period
    if len(label) == 7 and label[4] == "-":
        return int(label[5:])
    if "Q" in label:
        return int(label[-1]) * 3
    return 13


class OverviewGrid(QTableWidget):
    """``branchActivated`` carries the branch id of a double-clicked row (open its findings);
    ``branchSelected`` the branch of the row a single click or the arrow keys made current."""

    branchActivated = Signal(str)
    branchSelected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("handbookGrid")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().setVisible(False)
        self.cellDoubleClicked.connect(self._activated)
        self.currentCellChanged.connect(lambda row, _c, _pr, _pc: self._selected(row))
        self.worst: dict[tuple[str, int], int] = {}

    def show_result(self, result: CheckResult) -> None:
        self.blockSignals(True)  # filling the table is not the clerk choosing a branch
        try:
            self._fill(result)
        finally:
            self.blockSignals(False)

    def select_branch(self, branch_id: str | None) -> None:
        """Make ``branch_id``'s row current (without announcing it)."""
        self.blockSignals(True)
        try:
            for row in range(self.rowCount()):
                if self.branch_at(row) == branch_id:
                    self.selectRow(row)
                    break
        finally:
            self.blockSignals(False)

    def _selected(self, row: int) -> None:
        branch_id = self.branch_at(row) if row >= 0 else None
        if branch_id:
            self.branchSelected.emit(branch_id)

    def _fill(self, result: CheckResult) -> None:
        year = result.period.start.year
        headers = ["支部", "星级", *[f"{m}月" for m in range(1, 13)], "全年", "完整率", "及时率"]
        self.clear()
        self.setColumnCount(len(headers))
        self.setHorizontalHeaderLabels(headers)
        self.setRowCount(len(result.branches))
        self.worst = {}
        tips: dict[tuple[str, int], list[str]] = {}
        for f in result.findings:
            col = cell_of(f, year)
            rank = 1 if f.explained else f.rank
            key = (f.branch_id, col)
            self.worst[key] = max(self.worst.get(key, 0), rank)
            mark = "（已说明）" if f.explained else ""
            tips.setdefault(key, []).append(f"[{f.importance_label}] {f.message}{mark}")
        months = {m: containing(date(year, m, 1), "month") for m in range(1, 13)}
        for row, b in enumerate(result.branches):
            name = QTableWidgetItem(b.name)
            name.setData(_BRANCH_ROLE, b.id)
            name.setToolTip(f"代码 {b.code}")
            self.setItem(row, 0, name)
            star = result.stars[b.id]
            stars = QTableWidgetItem(star.label)
            stars.setToolTip(
                "基本星："
                + "、".join(n for n, ok in star.basic.items() if ok)
                + f"\n特色星 {star.feature_stars}（得分 {star.score}）"
            )
            self.setItem(row, 1, stars)
            for col in range(1, 14):
                judged = col == 13 or _judged(months[col], result.period, result.as_of)
                worst = self.worst.get((b.id, col))
                if worst is None and not judged:
                    item = QTableWidgetItem("")
                    item.setBackground(QBrush(QColor(NOT_JUDGED)))
                    item.setToolTip("尚未到检查时间")
                else:
                    rank = worst or 0
                    item = QTableWidgetItem(WORDS[rank] if rank else "")
                    item.setBackground(QBrush(QColor(COLOURS[rank])))
                    item.setToolTip("\n".join(tips.get((b.id, col), ["无问题"])))
                item.setData(_BRANCH_ROLE, b.id)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.setItem(row, col + 1, item)
            comp = [c for c in result.completeness if c.branch_id == b.id]
            expected = sum(c.expected for c in comp)
            present = sum(c.present for c in comp)
            self.setItem(row, 15, QTableWidgetItem(f"{present}/{expected}" if expected else "—"))
            t = next((t for t in result.timeliness if t.branch_id == b.id), None)
            self.setItem(row, 16, QTableWidgetItem(f"{t.on_time}/{t.total}" if t and t.total else "—"))
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def branch_at(self, row: int) -> str | None:
        item = self.item(row, 0)
        return str(item.data(_BRANCH_ROLE)) if item is not None else None

    def _activated(self, row: int, _col: int) -> None:
        branch_id = self.branch_at(row)
        if branch_id:
            self.branchActivated.emit(branch_id)


def _judged(month: Period, period: Period, as_of: date) -> bool:
    return period.start <= month.start and month.end <= period.end and month.end < as_of
