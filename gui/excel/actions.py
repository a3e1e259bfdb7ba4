"""Excel menu actions: import dialogs and templates (文件), exports of every registered table (数据)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog, QMenu
from sqlalchemy.orm import Session

from gui import ops
from gui.widgets import files
from services.excel.plan import IMPORT_KINDS as KINDS

if TYPE_CHECKING:
    from gui.excel.import_dialog import ExcelImportDialog
    from gui.main_window import MainWindow
    from services.excel.export import ExportReport, ExportSpec

# openpyxl and the export registry (which reads the handbook pack) load on first use: the export menu
# is filled when it is first opened, templates and exports import their writers when run; the import
# dialog (python-calamine, the import checkers) when an import is first opened.

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
    """The registered exports in sections (``export_sections``), added the first time the menu opens
    (the export registry imports openpyxl: not at start-up)."""
    if menu.actions():
        return
    from services.excel.export import registry

    specs = registry()
    for section, names in export_sections(specs):
        menu.addSection(section)
        for name in names:
            spec = specs[name]
            menu.addAction(f"{spec.label}…").triggered.connect(
                lambda _c=False, sp=spec: export_table(window, sp)
            )


# The 导出到 Excel menu in the order a clerk looks for things: the roster and organisation first, then
# the meetings, the "3+7" ledgers as bound, then each single ledger. Exports not named here (added
# later) go to 其他 in their own order, so nothing declared is ever left out of the menu.
EXPORT_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("党员与组织", ("members", "branches", "party-groups", "committee")),
    ("组织生活", ("meetings", "attendance")),
    (
        "“3+7”台账（整本）",
        (
            "ledger-org-setup",
            "ledger-team",
            "ledger-org-life",
            "ledger-education",
            "ledger-system",
            "ledger-venue",
            "ledger-support",
        ),
    ),
    ("单项台账", ()),  # every declared ledger, in its declared order (services.ledgers.catalog)
)


def export_sections(specs: Mapping[str, object]) -> list[tuple[str, list[str]]]:
    """(section title, export names) in menu order; every name in ``specs`` appears exactly once."""
    from services.ledgers.catalog import LISTINGS

    out: list[tuple[str, list[str]]] = []
    placed: set[str] = set()
    for title, declared in EXPORT_SECTIONS:
        names = declared or tuple(LISTINGS)
        present = [n for n in names if n in specs]
        placed.update(present)
        if present:
            out.append((title, present))
    rest = [n for n in specs if n not in placed]
    if rest:
        out.append(("其他", rest))
    return out


def _selected_branch(window: MainWindow) -> str | None:
    ids = window.current_branch_ids()
    return ids[0] if ids else None


def open_import(window: MainWindow, kind: str) -> ExcelImportDialog:
    from gui.excel.import_dialog import ExcelImportDialog

    dialog = ExcelImportDialog(window.db, kind, branch_id=_selected_branch(window), parent=window)
    dialog.open()
    return dialog


def save_template(window: MainWindow, kind: str) -> Path | None:
    name = files.suggested_name(f"{KINDS[kind]}导入模板")
    path = files.save_file(window, "保存导入模板", name, "Excel 工作簿 (*.xlsx)", kind="excel")
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
    # 马坪村党支部_党员花名册_2026.xlsx: which branch (or township) and year the file holds.
    name = files.suggested_name(spec.label, window.current_node_name(), year or date.today().year)
    path = files.save_file(window, f"导出{spec.label}", name, "Excel 工作簿 (*.xlsx)", kind="excel")
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
