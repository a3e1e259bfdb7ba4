"""打印 menu: a clerk previews a meeting form or a booklet, prints it and saves it as PDF."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui import ops
from gui.main_window import MainWindow
from gui.meetings import view as meetings_view
from gui.meetings.view import MeetingsView
from gui.printing import actions as print_actions
from gui.printing.actions import KEEP_RENDERED, PdfPreviewDialog
from services.db import Database
from tests.gui.conftest import Boxes
from tests.printing import pdfcheck
from tests.printing.conftest import YEAR, PrintFixture


def _window(qtbot: QtBot, db: Database) -> MainWindow:
    window = MainWindow(db, screens=[meetings_view.install, print_actions.install])
    qtbot.addWidget(window)
    assert window.extension_errors == []
    assert window.select_branch_code("B01")
    return window


def _menu_action(window: MainWindow, text: str) -> None:
    action = next(a for a in window.menus["打印"].actions() if a.text() == text)
    action.trigger()
    assert ops.wait_idle()


def _preview(window: MainWindow) -> PdfPreviewDialog:
    dialog = window.findChild(PdfPreviewDialog, "pdfPreview")
    assert dialog is not None
    return dialog


def test_preview_print_and_save_the_selected_meeting(
    app: QApplication, qtbot: QtBot, db: Database, branch_year: PrintFixture, tmp_path: Path, boxes: Boxes
) -> None:
    window = _window(qtbot, db)
    view = window.findChild(MeetingsView, "meetingsView")
    assert view is not None
    view._select_meeting(branch_year.long_meeting_id)
    _menu_action(window, "打印会议记录…")
    dialog = _preview(window)
    qtbot.waitUntil(
        lambda: dialog.page_labels[0].pixmap() is not None and not dialog.page_labels[0].pixmap().isNull()
    )
    pages = dialog.rendered.pages
    assert pages >= 3
    assert dialog.page_label.text() == f"第 1 页 / 共 {pages} 页"
    first = dialog.page_labels[0].pixmap().toImage()
    assert first.width() > 700  # A4 at 96 dpi is 794 px wide
    # the first page is not blank: the heading and the grid are drawn in dark ink
    dark = sum(
        1
        for y in range(0, first.height(), 7)
        for x in range(0, first.width(), 7)
        if first.pixelColor(x, y).value() < 100
    )
    assert dark > 200

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    printer.setFromTo(2, 3)
    assert dialog.print_to(printer) == 2
    assert len(pdfcheck.reader(out).pages) == 2

    saved = tmp_path / "保存的会议记录.pdf"
    dialog.save_to(str(saved))
    assert saved.read_bytes() == dialog.rendered.data
    assert any("已生成" in text for text in boxes.texts())
    dialog.reject()


def test_preview_the_branch_booklet_for_a_year(
    app: QApplication, qtbot: QtBot, db: Database, branch_year: PrintFixture
) -> None:
    from gui.printing.actions import preview_booklet

    window = _window(qtbot, db)
    preview_booklet(window, YEAR)
    assert ops.wait_idle()
    dialog = _preview(window)
    assert len(dialog.page_labels) == dialog.rendered.pages > 10
    dialog.set_zoom(1.5)
    dialog.render_visible()
    assert dialog.page_labels[0].pixmap().width() > 1100
    for label in dialog.page_labels:  # the clerk scrolls through the whole booklet
        dialog.scroll_area.ensureWidgetVisible(label)
        dialog.render_visible()
    assert not dialog.page_labels[-1].pixmap().isNull()
    assert dialog.page_labels[0].pixmap().isNull()  # far-away pages are dropped, memory stays small
    assert sum(not label.pixmap().isNull() for label in dialog.page_labels) <= KEEP_RENDERED + 2
    dialog.reject()


def test_print_without_a_selection_explains_what_to_do(
    app: QApplication, qtbot: QtBot, db: Database, branch_year: PrintFixture, boxes: Boxes
) -> None:
    window = MainWindow(db, screens=[meetings_view.install, print_actions.install])
    qtbot.addWidget(window)
    _menu_action(window, "打印会议记录…")
    assert "请先在“会议记录”标签页中选中要打印的会议" in boxes.texts()[-1]
    window.tree.setCurrentItem(window.tree.topLevelItem(0))  # the township, not a branch
    _menu_action(window, "打印支部年度台账…")
    assert "请先在左侧选择一个支部" in boxes.texts()[-1]
    assert window.findChild(PdfPreviewDialog) is None
