"""Screenshot walk: the main screens and forms as a clerk sees them on a 1366×768 laptop, saved as PNGs
for review (``bench/screenshot_walk.py``; ``tests/gui/test_screenshot_walk.py`` keeps it working).

Each window is laid out at the size the app gives it on that screen (the main window maximised
under a 40 px task bar: 1366×728; forms and previews fitted by ``gui.widgets.fit``) and grabbed offscreen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QRect, Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from gui import ops
from gui.handbook.view import HandbookPage, HandbookView
from gui.ledgers_view import LedgersView
from gui.main_window import MainWindow
from gui.widgets import fit
from services import meetings, members
from services.db import Database
from services.errors import LedgerError
from services.meetings import MeetingFilter

SCREEN = QRect(0, 0, 1366, 728)  # 1366×768 less a 40 px task bar


def _grab(widget: QWidget, out: Path) -> Path:
    ops.wait_idle()
    QCoreApplication.processEvents()
    image = widget.grab().toImage()
    if image.isNull() or image.width() < 100:
        raise LedgerError(f"截图为空：{out.name}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out)):
        raise LedgerError(f"无法写入截图文件：{out}")
    return out


def _safe(name: str) -> str:
    return re.sub(r"[^\w\u4e00-\u9fff-]+", "_", name).strip("_")


def _show(widget: QWidget) -> None:
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    limit = QRect(SCREEN)
    original = fit.available_geometry
    fit.available_geometry = lambda _w=None: QRect(limit)  # type: ignore[assignment]
    try:
        widget.show()
        widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, False)  # let the fitter size it
        fit.fit_window(widget)
        widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    finally:
        fit.available_geometry = original
    QCoreApplication.processEvents()


def screenshot_walk(db: Database, out_dir: Path, branch_code: str | None = None) -> list[Path]:
    """Save the main screens and forms of ``db`` as PNGs in ``out_dir``; returns the files.

    ``branch_code``: the branch to show (default: the first branch in the tree)."""
    saved: list[Path] = []
    window = MainWindow(db)
    try:
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        window.resize(SCREEN.size())
        window.show()
        if branch_code is not None:
            window.select_branch_code(branch_code)
        else:
            township = window.tree.topLevelItem(0)
            first = township.child(0) if township is not None else None
            if first is not None:
                window.tree.setCurrentItem(first)
        n = 0

        def shot(widget: QWidget, name: str) -> None:
            nonlocal n
            n += 1
            saved.append(_grab(widget, out_dir / f"{n:02d}_{_safe(name)}.png"))

        for i in range(window.tabs.count()):
            window.tabs.setCurrentIndex(i)
            page = window.tabs.widget(i)
            title = window.tabs.tabText(i).replace("&", "")
            if isinstance(page, HandbookPage):
                page = page.built()
            if isinstance(page, HandbookView):
                for j in range(page.inner.count()):
                    page.inner.setCurrentIndex(j)
                    shot(window, f"{title}_{page.inner.tabText(j)}")
                continue
            if isinstance(page, LedgersView):
                page.select_ledger("fees")
            shot(window, title)

        member_id = meeting_id = None
        branch_id = window.current_branch_id()
        if branch_id is not None:
            first_member = ops.query(db, lambda s: members.roster(s, [branch_id])[:1])
            last_meeting = ops.query(db, lambda s: meetings.list_meetings(s, MeetingFilter([branch_id]))[:1])
            member_id = first_member[0].id if first_member else None
            meeting_id = last_meeting[0].id if last_meeting else None
        dialogs: list[tuple[str, Callable[[], QDialog]]] = []
        if branch_id is not None:
            from gui.roster.member_form import MemberForm

            dialogs.append(("修改党员", lambda: MemberForm(window, db, branch_id, member_id)))
        if branch_id is not None:
            from gui.meetings.form import MeetingForm

            dialogs.append(("会议记录表单", lambda: MeetingForm(window, db, branch_id, meeting_id)))
        if meeting_id is not None:
            from gui.printing.actions import PdfPreviewDialog
            from services.printing import booklet

            def preview() -> QDialog:
                rendered = ops.query(db, lambda s: booklet.build_meeting_form(s, meeting_id))
                return PdfPreviewDialog(window, rendered, "会议记录", "会议记录.pdf")

            dialogs.append(("打印预览", preview))
        if branch_id is not None:
            from gui.excel.import_dialog import ExcelImportDialog
            from gui.ledgers_view import ActionDialog
            from services.ledgers.actions import ACTIONS, Target

            funds = ACTIONS["funds"][0]
            dialogs.append(
                (
                    "其他台账_" + funds.title,
                    lambda: ActionDialog(window, db, funds, Target(branch_id, None), []),
                )
            )
            dialogs.append(
                ("从Excel导入", lambda: ExcelImportDialog(db, "roster", branch_id=branch_id, parent=window))
            )
        from gui.admin.audit import AuditDialog
        from gui.admin.recycle import RecycleDialog

        dialogs += [
            ("操作日志", lambda: AuditDialog(db, window)),
            ("回收站", lambda: RecycleDialog(db, window)),
        ]
        for name, make in dialogs:
            dialog = make()
            _show(dialog)
            shot(dialog, name)
            support = getattr(dialog, "support", None)
            if support is not None:
                support.set_clean()
            dialog.done(0)
            dialog.deleteLater()
    finally:
        window.close()
        window.deleteLater()
        QApplication.processEvents()
    return saved
