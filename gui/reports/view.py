"""数据 → 乡镇报表: 政治生日名单, 一月一分析, 一季一调度 and 党内统计年报 for the selected branch (or the township),
shown as text and saved as Excel or PDF — the same reports as ``report birthdays|month|quarter|stats``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from gui.widgets import files
from services.errors import ValidationError
from services.org import get_branch, get_township

if TYPE_CHECKING:
    from gui.main_window import MainWindow

KINDS = [
    ("birthdays", "政治生日名单"),
    ("month", "一月一分析"),
    ("quarter", "一季一调度"),
    ("stats", "党内统计年报"),
]


def _defaults(today: date) -> dict[str, str]:
    last_month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    nxt = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    return {
        "birthdays": f"{nxt.year}-{nxt.month:02d}",
        "month": f"{last_month.year}-{last_month.month:02d}",
        "quarter": f"{today.year}Q{(today.month - 1) // 3 + 1}",
        "stats": str(today.year - 1),
    }


def _chosen_pack() -> Any:
    """The handbook pack chosen on this computer (工具 → 载入手册包), as the 对标检查 tab uses."""
    from services.handbook.pack import PackHolder

    return PackHolder.startup().pack


def build_report(kind: str, period: str, branch_code: str | None) -> Callable[[Session], Any]:
    """The report function for ``kind``; raises ValidationError("period") for a bad period."""

    def run(session: Session) -> Any:
        if kind == "birthdays":
            from services.reports import birthdays

            b_report = birthdays.birthdays(session, period, branch_code)
            return b_report, birthdays.document(b_report)
        if kind == "month":
            from services.reports import monthly

            m_report = monthly.month_report(session, period, branch_code, pack=_chosen_pack())
            return m_report, monthly.document(m_report)
        if kind == "quarter":
            from services.reports import quarterly

            q_report = quarterly.quarter_report(session, period, branch_code, pack=_chosen_pack())
            return q_report, quarterly.document(q_report)
        from services.reports import statistics

        text = period.strip().removesuffix("年")
        if not text.isdigit():
            raise ValidationError("period", f"无法识别的年度“{period}”（请写 2025）。")
        s_report = statistics.statistics(session, int(text), branch_code, handbook=_chosen_pack())
        return s_report, statistics.document(s_report)

    def checked(session: Session) -> Any:
        try:
            return run(session)
        except ValidationError as exc:  # every report's period field is shown as 期间 here
            message = (
                exc.message.split("：", 1)[1] if exc.message.startswith(f"{exc.field}：") else exc.message
            )
            raise ValidationError("period", message) from None

    return checked


class ReportsDialog(QDialog):
    """Choose a report and its period, see it, save it as Excel or PDF."""

    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setWindowTitle("乡镇报表")
        self.window_ = window
        self.document: Any = None
        self.defaults = _defaults(date.today())
        self.kind = QComboBox()
        for code, label in KINDS:
            self.kind.addItem(label, code)
        self.period = QLineEdit(self.defaults["birthdays"])
        self.period.setPlaceholderText("月份 2026-11 / 年度 2025")
        self.period_error = QLabel()
        self.period_error.setStyleSheet("color: #b00020;")
        self.period_error.setWordWrap(True)
        self.scope_label = QLabel()
        self.kind.currentIndexChanged.connect(self._kind_changed)
        form = QFormLayout()
        form.addRow("报表(&R)：", self.kind)
        form.addRow("期间(&P)：", self.period)
        form.addRow("", self.period_error)
        form.addRow("范围：", self.scope_label)
        self.make_button = QPushButton("生成(&G)")
        self.make_button.setDefault(True)
        self.make_button.clicked.connect(self.make)
        self.xlsx_button = QPushButton("另存为 Excel…")
        self.pdf_button = QPushButton("另存为 PDF…")
        self.xlsx_button.clicked.connect(lambda: self.save(".xlsx"))
        self.pdf_button.clicked.connect(lambda: self.save(".pdf"))
        for b in (self.xlsx_button, self.pdf_button):
            b.setEnabled(False)
        bar = QHBoxLayout()
        for b in (self.make_button, self.xlsx_button, self.pdf_button):
            bar.addWidget(b)
        bar.addStretch(1)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        # 全文 (the text) and one table per section; a click on a counted cell lists what it counts
        self.tabs = QTabWidget()
        self.tabs.addTab(self.text, "全文")
        self.tables: list[QTableWidget] = []
        self.charts: QScrollArea | None = None
        self.drill_title = QLabel("点击表格中的数字，查看计入该数的党员或会议。")
        self.drill_title.setWordWrap(True)
        self.drill = QListWidget()
        side = QWidget()
        side_lay = QVBoxLayout(side)
        side_lay.setContentsMargins(0, 0, 0, 0)
        side_lay.addWidget(self.drill_title)
        side_lay.addWidget(self.drill, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tabs)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(bar)
        lay.addWidget(split, 1)
        self.resize(900, 600)
        self.branch_code = self._branch_code()
        self.scope_label.setText(self.branch_code or "全部乡镇（在左侧选中支部可只看该支部）")

    def _branch_code(self) -> str | None:
        branch_id = self.window_.current_branch_id()
        if branch_id is None:
            return None

        def code(s: Session) -> str:  # township-qualified: codes repeat across a county's townships
            branch = get_branch(s, branch_id)
            return f"{get_township(s, branch.township_id).code}/{branch.code}"

        return ops.run_read(self, self.window_.db, code)

    def _kind_changed(self) -> None:
        self.period.setText(self.defaults[str(self.kind.currentData())])
        self.period_error.clear()

    def make(self) -> None:
        self.period_error.clear()
        fn = build_report(str(self.kind.currentData()), self.period.text(), self.branch_code)
        ops.run_read(self, self.window_.db, fn, self._show, on_invalid=self._invalid)

    def _invalid(self, error: ValidationError) -> None:
        self.period_error.setText(error.message)
        self.period.setFocus()

    def _show(self, result: tuple[Any, Any]) -> None:
        report, self.document = result
        self.text.setPlainText("\n".join(report.lines()))
        while self.tabs.count() > 1:
            self.tabs.removeTab(1)
        self.tables = []
        for index, section in enumerate(self.document.sections):
            table = self._table(section)
            table.cellClicked.connect(lambda r, c, i=index: self.show_cell(i, r, c))
            table.currentCellChanged.connect(lambda r, c, _r, _c, i=index: self.show_cell(i, r, c))
            self.tables.append(table)
            self.tabs.addTab(table, section.title)
        self.charts = self._charts(self.document.charts)
        if self.document.charts:
            self.tabs.addTab(self.charts, "图表")
        self.drill.clear()
        self.drill_title.setText("点击表格中的数字，查看计入该数的党员或会议。")
        for b in (self.xlsx_button, self.pdf_button):
            b.setEnabled(True)

    @staticmethod
    def _charts(charts: list[Any]) -> QScrollArea:
        """The document's charts, drawn from the same drawings as the PDF's (SVG, the app's CJK font)."""
        from PySide6.QtSvgWidgets import QSvgWidget

        from services.reports.charts import svg

        page = QWidget()
        lay = QVBoxLayout(page)
        for chart in charts:
            view = QSvgWidget()
            view.load(svg(chart))
            view.setObjectName("chart")
            view.setToolTip(chart.title)
            size = view.renderer().defaultSize()
            view.setFixedSize(size * 1.4)
            lay.addWidget(view)
        lay.addStretch(1)
        area = QScrollArea()
        area.setWidget(page)
        area.setWidgetResizable(True)
        return area

    @staticmethod
    def _table(section: Any) -> QTableWidget:
        table = QTableWidget(len(section.rows), len(section.columns))
        table.setHorizontalHeaderLabels([str(c) for c in section.columns])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        for r, row in enumerate(section.rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem("" if value is None else str(value))
                if (r, c) in section.items:
                    item.setToolTip("点击查看明细")
                    item.setForeground(Qt.GlobalColor.darkBlue)
                table.setItem(r, c, item)
        table.resizeColumnsToContents()
        return table

    def show_cell(self, section_index: int, row: int, column: int) -> list[str]:
        """List what the cell (row, column) of section ``section_index`` counts; returns the list shown."""
        self.drill.clear()
        if self.document is None or not 0 <= section_index < len(self.document.sections):
            return []
        section = self.document.sections[section_index]
        if not (0 <= row < len(section.rows) and 0 <= column < len(section.columns)):
            return []
        found = section.items.get((row, column))
        where = f"{section.title} · {section.rows[row][0]} × {section.columns[column]}"
        if found is None:
            self.drill_title.setText(f"{where}：这一格不是计数，没有明细。")
            return []
        self.drill_title.setText(f"{where}：共 {len(found)} 项")
        self.drill.addItems(found)
        return list(found)

    def save(self, suffix: str) -> None:
        from services.reports import output

        if self.document is None:
            return
        doc = self.document
        kind = "Excel 文件 (*.xlsx)" if suffix == ".xlsx" else "PDF 文件 (*.pdf)"
        path = files.save_file(self, "保存报表", files.safe_name(doc.title) + suffix, kind, "reports")
        if not path:
            return
        writer = output.write_xlsx if suffix == ".xlsx" else output.write_pdf
        ops.run_job(self, lambda: writer(doc, Path(path)), lambda _n: self._saved(path), background=False)

    def _saved(self, path: str) -> None:
        self.window_.statusBar().showMessage(f"已保存 {path}", 8000)


def install(window: MainWindow) -> None:
    window.add_action(
        "数据",
        "乡镇报表（政治生日、一月一分析、一季一调度、统计年报）…",
        lambda: ReportsDialog(window).exec(),
    )
