"""全县总览 tab: star distribution per township, the townships × branches × months grid coloured by
the worst finding (the handbook engine over the received data), drill-down to a branch, Excel and PDF."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui import ops
from gui.widgets import files
from gui.widgets.tables import fill, make_table, row_data
from services.county.overview import (
    CELL_WORDS,
    GRID_HEADERS,
    NOT_JUDGED,
    BranchDetail,
    CountyOverview,
    branch_detail,
    county_overview,
    grid_rows,
    render_overview_pdf,
    star_headers,
    star_rows,
    write_overview_pdf,
    write_overview_xlsx,
)

if TYPE_CHECKING:
    from gui.main_window import MainWindow
    from services.handbook.pack import Pack
    from services.printing.layout import Rendered

COLOURS = {3: "#f4b4ae", 2: "#fbd99b", 1: "#fff3c4", 0: "#cdebc9", NOT_JUDGED: "#eeeeee"}
FIRST_MONTH_COLUMN = 4  # 乡镇, 支部代码, 支部, 星级, then 1月…


class CountyOverviewTab(QWidget):
    def __init__(self, window: MainWindow, pack: Pack | None = None) -> None:
        super().__init__()
        self.window_ = window
        self.db = window.db
        self._pack = pack
        self.overview: CountyOverview | None = None
        self.preview_dialog: QDialog | None = None  # the last print preview opened
        self.year = QSpinBox()
        self.year.setObjectName("overviewYear")
        self.year.setRange(2000, date.today().year)  # a year not begun has no records to rate
        self.year.setValue(date.today().year)
        self.year.setPrefix("年度 ")
        self.run_button = QPushButton("计算(&G)")
        self.run_button.clicked.connect(self.refresh)
        self.xlsx_button = QPushButton("导出 Excel(&X)…")
        self.xlsx_button.clicked.connect(self._export_xlsx)
        self.print_button = QPushButton("打印预览(&P)…")
        self.print_button.clicked.connect(self.preview)
        self.pdf_button = QPushButton("保存 PDF…")
        self.pdf_button.clicked.connect(self._export_pdf)
        self.drill_button = QPushButton("查看支部(&D)…")
        self.drill_button.clicked.connect(self.open_selected)
        self.info = QLabel(
            "选择年度后点“计算”。双击支部查看它的问题、台账完整情况，或在组织树中打开它的台账。"
        )
        self.info.setWordWrap(True)
        self.stars = make_table(["乡镇"], "countyStars")
        self.grid = make_table(GRID_HEADERS, "countyGrid")
        self.grid.cellDoubleClicked.connect(lambda _r, _c: self.open_selected())
        top = QHBoxLayout()
        for w in (
            self.year,
            self.run_button,
            self.drill_button,
            self.print_button,
            self.xlsx_button,
            self.pdf_button,
        ):
            top.addWidget(w)
        top.addStretch(1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setObjectName("countyOverviewSplitter")
        split.addWidget(self.stars)
        split.addWidget(self.grid)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(split, 1)
        self.setFocusProxy(self.year)
        self._set_enabled(False)

    def pack(self) -> Pack:
        if self._pack is None:
            from services.handbook.pack import PackHolder

            self._pack = PackHolder.startup().pack
        return self._pack

    def _set_enabled(self, ready: bool) -> None:
        for b in (self.xlsx_button, self.pdf_button, self.print_button, self.drill_button):
            b.setEnabled(ready)

    def refresh(self) -> None:
        """Compute the overview of the chosen year (in the background) and show it."""
        year = self.year.value()
        pack = self.pack()
        self.run_button.setEnabled(False)
        self.info.setText("正在计算全县总览…")

        def done(ov: CountyOverview) -> None:
            self.run_button.setEnabled(True)
            self.show_overview(ov)

        if (
            ops.run_read(
                self,
                self.db,
                lambda s: county_overview(s, pack, year),
                done,
                background=True,
                label="正在计算全县总览…",
            )
            is None
            and not ops.busy()
        ):
            self.run_button.setEnabled(True)

    def show_overview(self, ov: CountyOverview) -> None:
        self.overview = ov
        fill(self.stars, [[str(c) for c in row] for row in star_rows(ov)], [t.code for t in ov.townships])
        self.stars.setColumnCount(len(star_headers(ov)))
        self.stars.setHorizontalHeaderLabels(star_headers(ov))
        fill(self.stars, [[str(c) for c in row] for row in star_rows(ov)], [t.code for t in ov.townships])
        fill(self.grid, [[str(c) for c in row] for row in grid_rows(ov)], [ln.branch_id for ln in ov.lines])
        for row, ln in enumerate(ov.lines):
            for i, cell in enumerate(ln.cells):
                item = self.grid.item(row, FIRST_MONTH_COLUMN + i)
                if item is not None:
                    item.setBackground(QBrush(QColor(COLOURS[cell])))
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    item.setToolTip(CELL_WORDS[cell] or "尚未到检查时间")
        self.info.setText(
            f"{ov.year} 年（截至 {ov.as_of:%Y-%m-%d}，手册包 {ov.pack_name} {ov.pack_version}）："
            f"乡镇 {len(ov.townships)} 个，支部 {len(ov.lines)} 个，用时 {ov.seconds:.1f} 秒。"
        )
        self.window_.set_view_status(self, f"全县总览 {ov.year} 年：支部 {len(ov.lines)} 个")
        self._set_enabled(True)

    def cell_colour(self, row: int, month: int) -> str:
        """The colour name of a month cell (1–12, 13 = 全年) — what the clerk sees."""
        item = self.grid.item(row, FIRST_MONTH_COLUMN + month - 1)
        return item.background().color().name() if item is not None else ""

    def open_selected(self) -> BranchDialog | None:
        if self.overview is None:
            return None
        branch_id = row_data(self.grid)
        if branch_id is None:
            self.info.setText("请先在总览中选中一个支部。")
            return None
        detail = ops.run_job(self, lambda: branch_detail(self.overview, str(branch_id)), background=False)  # type: ignore[arg-type]
        if detail is None:
            return None
        dialog = BranchDialog(self.window_, detail)
        dialog.open()
        return dialog

    def _export_xlsx(self) -> None:
        ov = self.overview
        if ov is None:
            return
        name = files.save_file(
            self, "导出全县总览", f"全县总览-{ov.year}.xlsx", "Excel 文件 (*.xlsx)", kind="export"
        )
        if name:
            self.export_xlsx(Path(name))

    def export_xlsx(self, path: Path) -> None:
        """Write the Excel file on a worker (a city's grid is thousands of rows), then say so."""
        ov = self.overview
        if ov is None:
            return

        def done(rows: int) -> None:
            self.info.setText(f"已导出并读回校验：{path}（{rows} 行）。")

        ops.run_job(self, lambda: write_overview_xlsx(ov, path), done, label="正在导出全县总览…")

    def preview(self) -> None:
        """Lay out the printable overview on a worker, then open it in the app's PDF preview (print or
        save from there); the dialog is kept in ``preview_dialog``."""
        ov = self.overview
        if ov is None:
            return
        from gui.printing.actions import PdfPreviewDialog

        def show(rendered: Rendered) -> None:
            dialog = PdfPreviewDialog(
                self.window_,
                rendered,
                f"{ov.year}年全县总览",
                str(files.start_dir("print") / f"全县总览-{ov.year}.pdf"),
            )
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()
            self.preview_dialog = dialog

        ops.run_job(self, lambda: render_overview_pdf(ov), show, label="正在排版全县总览…")

    def _export_pdf(self) -> None:
        ov = self.overview
        if ov is None:
            return
        name = files.save_file(
            self, "打印全县总览", f"全县总览-{ov.year}.pdf", "PDF 文件 (*.pdf)", kind="print"
        )
        if name:
            self.export_pdf(Path(name))

    def export_pdf(self, path: Path) -> None:
        """Lay out and write the PDF on a worker, then say where it is."""
        ov = self.overview
        if ov is None:
            return

        def done(written: Path) -> None:
            self.info.setText(f"已生成 PDF：{written}，可用 PDF 阅读器打印。")

        ops.run_job(self, lambda: write_overview_pdf(ov, path), done, label="正在生成全县总览 PDF…")


class BranchDialog(QDialog):
    """Drill-down of one branch (read-only): rating, findings of the year, ledgers' completeness;
    “在组织树中打开” selects the branch in the main window, whose tabs show its ledgers."""

    def __init__(self, window: MainWindow, detail: BranchDetail | None = None) -> None:
        super().__init__(window)
        self.window_ = window
        self.detail = detail
        self.setWindowTitle("支部详情")
        self.resize(900, 600)
        self.findings = make_table(["级别", "规则", "期间", "问题", "说明"], "branchFindings")
        self.catalog = make_table(["台账", "应有", "已有"], "branchCatalog")
        head = QLabel("没有选中支部。")
        head.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addWidget(QLabel("本年度发现的问题："))
        layout.addWidget(self.findings, 2)
        layout.addWidget(QLabel("台账完整情况（目录）："))
        layout.addWidget(self.catalog, 1)
        layout.addWidget(buttons)
        if detail is None:
            return
        ln = detail.line
        self.setWindowTitle(f"{ln.township_name} · {ln.branch_name}")
        head.setText(
            f"{ln.township_name}（{ln.township_code}） {ln.branch_name}（{ln.branch_code}）  {ln.rating.label}  "
            f"错误 {ln.errors} 条，未说明的警告 {ln.warnings} 条"
        )
        fill(
            self.findings,
            [
                [f.importance_label, f"{f.rule_id} {f.rule_name}", f.period, f.message, f.explanation or ""]
                for f in detail.findings
            ],
        )
        fill(self.catalog, [[c.ledger_name, str(c.expected), str(c.present)] for c in detail.completeness])
        open_button = QPushButton("在组织树中打开（查看台账）(&T)")
        open_button.clicked.connect(self.open_in_tree)
        buttons.addButton(open_button, QDialogButtonBox.ButtonRole.ActionRole)

    def open_in_tree(self) -> bool:
        if self.detail is None:
            return False
        ln = self.detail.line
        found = self.window_.select_branch_code(f"{ln.township_code}/{ln.branch_code}")
        if found:
            self.accept()
        return found
