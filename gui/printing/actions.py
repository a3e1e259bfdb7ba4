"""打印 menu: preview and print a meeting's record form or a branch's yearly booklet.

The PDF is laid out by ``services.printing`` on a worker thread; the preview shows its pages rendered
by PDFium (pages render lazily as they scroll into view, so a 300-page booklet stays light), and
printing sends the same pages through the system printer dialog. Everything here is also on the
command line: ``print-meeting`` and ``print-archive``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QImage, QKeySequence, QPageLayout, QPageSize, QPainter, QPixmap, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from gui.widgets import files
from gui.widgets.forms import no_branch_message
from services.org import get_branch

if TYPE_CHECKING:
    from PIL import Image

    from gui.main_window import MainWindow
    from services.printing.layout import Rendered

# reportlab, pypdfium2 and PIL load when something is first previewed or printed, not at start-up.

PREVIEW_DPI = 96.0
PRINT_DPI = 300  # enough for 9 pt Chinese text; higher only makes the spool file bigger
KEEP_RENDERED = 16  # pages kept as pixmaps while scrolling


def to_qimage(image: Image.Image) -> QImage:
    """An RGB PIL image as a QImage that owns its pixels."""
    data = image.tobytes("raw", "RGB")
    return QImage(data, image.width, image.height, 3 * image.width, QImage.Format.Format_RGB888).copy()


class PdfPreviewDialog(QDialog):
    """Shows a finished PDF page by page; 打印 sends it to a printer, 另存为 writes the PDF."""

    def __init__(self, parent: QWidget | None, rendered: Rendered, title: str, filename: str) -> None:
        super().__init__(parent)
        self.setObjectName("pdfPreview")
        self.setWindowTitle(f"打印预览 — {title}")
        self.rendered = rendered
        self.filename = filename
        from services.printing.render import PdfPages

        self.pages = PdfPages(rendered.data)
        self.zoom = 1.0
        self._shown: list[int] = []  # indexes with a rendered pixmap, oldest first

        self.print_button = QPushButton("打印…")
        self.print_button.setShortcut(QKeySequence.StandardKey.Print)
        self.print_button.clicked.connect(self.print_dialog)
        self.save_button = QPushButton("另存为 PDF…")
        self.save_button.clicked.connect(self.save_dialog)
        zoom_in, zoom_out = QPushButton("放大"), QPushButton("缩小")
        zoom_in.clicked.connect(lambda: self.set_zoom(self.zoom * 1.25))
        zoom_out.clicked.connect(lambda: self.set_zoom(self.zoom / 1.25))
        self.page_label = QLabel()
        bar = QHBoxLayout()
        for w in (self.print_button, self.save_button, zoom_out, zoom_in):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.page_label)

        self.page_labels: list[QLabel] = []
        column = QWidget()
        lay = QVBoxLayout(column)
        lay.setSpacing(12)
        lay.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        for i in range(len(self.pages)):
            label = QLabel(f"第 {i + 1} 页")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet("background: white; border: 1px solid #999; color: #999;")
            lay.addWidget(label)
            self.page_labels.append(label)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(column)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setStyleSheet("QScrollArea { background: #777; }")
        self.scroll_area.verticalScrollBar().valueChanged.connect(lambda _v: self._schedule())
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.scroll_area.setObjectName("previewScroll")
        bar_v = self.scroll_area.verticalScrollBar()
        # The page area has the keyboard from the start: arrows / PgUp / PgDn / Space scroll (the
        # scroll area's own keys), Home / End and Ctrl+Home / Ctrl+End go to the first / last page.
        for keys, to_end in (("Ctrl+End", True), ("End", True), ("Ctrl+Home", False), ("Home", False)):
            QShortcut(
                QKeySequence(keys),
                self,
                lambda to_end=to_end: bar_v.setValue(bar_v.maximum() if to_end else bar_v.minimum()),
            )
        QShortcut(
            QKeySequence("Space"), self.scroll_area, lambda: bar_v.setValue(bar_v.value() + bar_v.pageStep())
        )

        outer = QVBoxLayout(self)
        outer.addLayout(bar)
        self.warning_label = QLabel(rendered.glyph_warning())
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color: #b00020;")
        self.warning_label.setVisible(bool(rendered.missing_glyphs))
        outer.addWidget(self.warning_label)
        outer.addWidget(self.scroll_area, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(30)
        self._timer.timeout.connect(self.render_visible)
        self.resize(900, 1000)
        self.set_zoom(1.0)

    # --- preview ------------------------------------------------------------------------
    def page_size(self, index: int) -> QSize:
        w, h = self.pages.size_points(index)
        scale = PREVIEW_DPI / 72.0 * self.zoom
        return QSize(round(w * scale), round(h * scale))

    def set_zoom(self, zoom: float) -> None:
        self.zoom = max(0.4, min(zoom, 3.0))
        for i, label in enumerate(self.page_labels):
            label.setFixedSize(self.page_size(i))
            label.clear()
            label.setText(f"第 {i + 1} 页")
        self._shown.clear()
        self._schedule()

    def _schedule(self) -> None:
        if not getattr(self, "_closed", False):
            self._timer.start()

    def visible_pages(self) -> list[int]:
        top = self.scroll_area.verticalScrollBar().value()
        bottom = top + self.scroll_area.viewport().height()
        return [
            i for i, lab in enumerate(self.page_labels) if lab.y() + lab.height() >= top and lab.y() <= bottom
        ]

    def render_visible(self) -> None:
        if getattr(self, "_closed", False):
            return
        visible = self.visible_pages() or [0]
        for i in visible:
            if i not in self._shown:
                image = to_qimage(self.pages.image(i, PREVIEW_DPI * self.zoom))
                self.page_labels[i].setPixmap(QPixmap.fromImage(image))
                self._shown.append(i)
        while len(self._shown) > max(KEEP_RENDERED, len(visible)):
            old = self._shown.pop(0)
            self.page_labels[old].clear()
            self.page_labels[old].setText(f"第 {old + 1} 页")
        self.page_label.setText(f"第 {visible[0] + 1} 页 / 共 {len(self.pages)} 页")

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.scroll_area.setFocus(Qt.FocusReason.OtherFocusReason)
        self._schedule()

    # --- output -------------------------------------------------------------------------
    def print_dialog(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setPageOrientation(QPageLayout.Orientation.Portrait)
        printer.setDocName(self.filename)
        printer.setFromTo(1, len(self.pages))
        dialog = QPrintDialog(printer, self)
        dialog.setOption(QPrintDialog.PrintDialogOption.PrintPageRange, True)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> int:
        """Prints the chosen page range at full size (the PDF already has its margins); returns pages."""
        printer.setFullPage(True)
        first, last = printer.fromPage() or 1, printer.toPage() or len(self.pages)
        first, last = max(1, first), min(len(self.pages), last)
        dpi = min(printer.resolution(), PRINT_DPI)
        painter = QPainter()
        if not painter.begin(printer):
            QMessageBox.warning(self, "无法打印", "打印机没有准备好，请检查打印机后重试。")
            return 0
        try:
            for number in range(first, last + 1):
                if number > first:
                    printer.newPage()
                image = to_qimage(self.pages.image(number - 1, dpi))
                target = QRectF(printer.paperRect(QPrinter.Unit.DevicePixel))
                painter.drawImage(target, image)
        finally:
            painter.end()
        return last - first + 1

    def save_dialog(self) -> None:
        path = files.save_file(self, "另存为 PDF", self.filename, "PDF 文件 (*.pdf)", kind="pdf")
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> None:
        from services.printing.booklet import save

        result = ops.run_job(self, lambda: save(self.rendered, path), background=False)
        if result is not None:
            QMessageBox.information(self, "已保存", result.describe())

    def done(self, code: int) -> None:
        self._timer.stop()  # a render still scheduled must not touch the closed document
        self._closed = True
        self.pages.close()
        super().done(code)


# --- menu actions -----------------------------------------------------------------------------


def _selected_meeting(window: MainWindow) -> tuple[str, str] | None:
    from gui.meetings.view import MeetingsView

    view = window.findChild(MeetingsView, "meetingsView")
    row = view.current_row() if view is not None else None
    if row is None:
        QMessageBox.information(window, "打印会议记录", "请先在“会议记录”标签页中选中要打印的会议。")
        return None
    return row.id, f"{row.held_on.isoformat()}-{row.type_label}记录.pdf"


def preview_meeting(window: MainWindow) -> None:
    """Lays out the selected meeting's form on a worker thread, then opens the preview."""
    picked = _selected_meeting(window)
    if picked is None:
        return
    from services.printing.booklet import build_meeting_form  # reportlab: imported on first use

    meeting_id, filename = picked
    ops.run_read(
        window,
        window.db,
        lambda s: build_meeting_form(s, meeting_id),
        lambda rendered: _open(window, rendered, "会议记录", filename),
        background=True,
        label="正在排版会议记录…",
    )


def preview_booklet(window: MainWindow, year: int | None = None) -> None:
    """Asks for the year, lays out the selected branch's booklet on a worker thread, then previews it."""
    branch_id = window.current_branch_id()
    if branch_id is None:
        QMessageBox.information(
            window, "打印年度台账", no_branch_message(window, "一个支部") + "年度台账按支部装订。"
        )
        return
    if year is None:
        this_year = date.today().year
        year, ok = QInputDialog.getInt(window, "打印年度台账", "年度：", this_year, 1921, this_year + 1)
        if not ok:
            return
    chosen = year
    from services.printing.booklet import build_branch_booklet  # reportlab: imported on first use

    def build(s: Session) -> tuple[Rendered, str]:
        return build_branch_booklet(s, branch_id, chosen), get_branch(s, branch_id).name

    def show(result: tuple[Rendered, str]) -> None:
        rendered, name = result
        _open(window, rendered, f"{name} {chosen} 年度台账", f"{name}-{chosen}年度台账.pdf")

    ops.run_read(window, window.db, build, show, background=True, label="正在排版年度台账…")


def _open(window: MainWindow, rendered: Rendered, title: str, filename: str) -> None:
    safe = "".join("_" if ch in '\\/:*?"<>|' else ch for ch in filename)
    dialog = PdfPreviewDialog(window, rendered, title, str(Path.home() / safe))
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()


def install(window: MainWindow) -> None:
    window.add_action("打印", "打印会议记录…", lambda: preview_meeting(window))
    window.add_action("打印", "打印支部年度台账…", lambda: preview_booklet(window))
