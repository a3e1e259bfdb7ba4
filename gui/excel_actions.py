"""Excel menu actions: import dialogs and templates (文件), exports of every registered table (数据)."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu
from sqlalchemy.orm import Session

from gui import ops
from gui.excel_import_dialog import KINDS, ExcelImportDialog

if TYPE_CHECKING:
    from gui.main_window import MainWindow
    from services.excel.export import ExportReport, ExportSpec

# openpyxl and the export registry (which reads the handbook pack) load on first use: the export menu
# is filled when it is first opened, templates and exports import their writers when run.

ALL_YEARS = "全部年度"


def install(window: MainWindow) -> None:
    file_menu = window.menus["文件"]
    file_menu.addSeparator()
    for kind, text in KINDS.items():
        window.add_action("文件", f"从 Excel 导入{text}…", partial(open_import, window, kind))
    templates = file_menu.addMenu("Excel 导入模板")
    for kind, text in KINDS.items():
        templates.addAction(f"{text}模板…").triggered.connect(
            lambda _c=False, k=kind: save_template(window, k)
        )
    exports = window.menus["数据"].addMenu("导出到 Excel")
    exports.setObjectName("exportMenu")
    exports.aboutToShow.connect(lambda: fill_export_menu(window, exports))


def fill_export_menu(window: MainWindow, menu: QMenu) -> None:
    """One action per registered export, added the first time the menu opens."""
    if menu.actions():
        return
    from services.excel.export import registry

    for spec in sorted(registry().values(), key=lambda s: s.name):
        menu.addAction(f"{spec.label}…").triggered.connect(lambda _c=False, sp=spec: export_table(window, sp))


def _selected_branch(window: MainWindow) -> str | None:
    ids = window.current_branch_ids()
    return ids[0] if ids else None


def open_import(window: MainWindow, kind: str) -> ExcelImportDialog:
    dialog = ExcelImportDialog(window.db, kind, branch_id=_selected_branch(window), parent=window)
    dialog.open()
    return dialog


def save_template(window: MainWindow, kind: str) -> Path | None:
    name = f"{KINDS[kind]}导入模板.xlsx"
    path, _ = QFileDialog.getSaveFileName(window, "保存导入模板", name, "Excel 工作簿 (*.xlsx)")
    if not path:
        return None
    target = Path(path)

    from services.excel.templates import write_template

    def work() -> Path:
        return write_template(kind, target)

    def done(saved: Path) -> None:
        window.statusBar().showMessage(f"模板已保存：{saved}", 10_000)

    return ops.run_job(window, work, done, background=False)


def export_table(window: MainWindow, spec: ExportSpec) -> None:
    year: int | None = None
    if spec.uses_year:
        this = date.today().year
        choices = [ALL_YEARS] + [str(y) for y in range(this, this - 10, -1)]
        picked, ok = QInputDialog.getItem(window, f"导出{spec.label}", "年度：", choices, 1, False)
        if not ok:
            return
        year = None if picked == ALL_YEARS else int(picked)
    name = f"{spec.label}{year or ''}.xlsx"
    path, _ = QFileDialog.getSaveFileName(window, f"导出{spec.label}", name, "Excel 工作簿 (*.xlsx)")
    if not path:
        return
    branch_ids = window.current_branch_ids()
    target = Path(path)
    from services.excel.export import export_xlsx

    def work(s: Session) -> ExportReport:
        return export_xlsx(s, spec.name, target, branch_ids=branch_ids, year=year)

    def done(report: ExportReport) -> None:
        window.statusBar().showMessage(f"已导出 {report.rows} 行到 {report.path}", 10_000)

    ops.run_read(window, window.db, work, done, background=True, label=f"正在导出{spec.label}…")
