"""Files land where a clerk looks for them: dialogs open in the folder last used (else 文档), names
say which branch and year, exports list members in pinyin order like the screen, and the 导出到
Excel menu is grouped."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog
from pytestqt.qtbot import QtBot
from python_calamine import CalamineWorkbook

from gui import ops
from gui.excel import actions as excel_actions
from gui.excel.actions import export_sections, fill_export_menu
from gui.main_window import MainWindow
from gui.widgets import files
from services.db import Database
from services.excel.export import export_xlsx, registry
from tests.conftest import Builder


def test_dialogs_open_in_documents_then_in_the_folder_last_used(
    app: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    picked = tmp_path / "U盘" / "名册.xlsx"
    picked.parent.mkdir()

    def fake(_parent: object, _title: str, start: str, _filter: str) -> tuple[str, str]:
        seen.append(start)
        return str(picked), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake))
    assert files.open_file(None, "选择 Excel 文件", "Excel (*.xlsx)", kind="excel") == str(picked)
    assert Path(seen[0]) == files.documents_dir()
    assert Path(seen[0]) != Path.cwd() or Path.cwd() == files.documents_dir()  # not the program's folder
    files.open_file(None, "选择 Excel 文件", "Excel (*.xlsx)", kind="excel")
    assert Path(seen[1]) == picked.parent
    files.open_file(None, "载入手册包", "(*.toml)", kind="pack")  # any dialog falls back to the last folder
    assert Path(seen[2]) == picked.parent


def test_suggested_names_carry_branch_and_year() -> None:
    assert files.suggested_name("党员花名册", "马坪村党支部", 2026) == "马坪村党支部_党员花名册_2026.xlsx"
    assert files.suggested_name("会议记录", "a/b: c", None, ".pdf") == "a_b_c_会议记录.pdf"


def test_export_default_name_and_pinyin_order(
    app: QApplication,
    qtbot: QtBot,
    db: Database,
    build: Builder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    branch = build.branch("B01", "马坪村党支部")
    for name in ("赵敏", "安娜", "陈红", "曹操"):
        build.member(branch.id, name)
    window = MainWindow(db, screens=[excel_actions.install])
    qtbot.addWidget(window)
    window.select_branch_code("B01")
    suggested: list[str] = []
    target = tmp_path / "out.xlsx"

    def fake_save(_parent: object, _title: str, start: str, _filter: str) -> tuple[str, str]:
        suggested.append(Path(start).name)
        return str(target), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_save))
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: ("2026", True)))
    export_menu = next(a.menu() for a in window.menus["数据"].actions() if a.text() == "导出到 Excel")
    fill_export_menu(window, export_menu)  # the menu is filled the first time it opens
    actions = {a.text(): a for a in export_menu.actions()}
    actions["会议记录…"].trigger()
    ops.wait_idle()
    assert suggested[-1] == "马坪村党支部_会议记录_2026.xlsx"

    with db.reader() as s:
        export_xlsx(s, "members", target, branch_ids=[branch.id])
    rows = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
    assert [r[0] for r in rows[1:]] == ["安娜", "曹操", "陈红", "赵敏"]  # pinyin, as the roster screen


def test_export_menu_is_grouped_and_lists_every_export_once(
    app: QApplication, qtbot: QtBot, db: Database
) -> None:
    specs = registry()
    sections = export_sections(specs)  # type: ignore[arg-type]
    listed = [n for _title, names in sections for n in names]
    assert sorted(listed) == sorted(specs) and len(listed) == len(set(listed))
    assert sections[0] == ("党员与组织", ["members", "branches", "party-groups", "committee"])
    window = MainWindow(db, screens=[excel_actions.install])
    qtbot.addWidget(window)
    export_menu = next(a.menu() for a in window.menus["数据"].actions() if a.text() == "导出到 Excel")
    fill_export_menu(window, export_menu)  # the menu is filled the first time it opens
    titles = [a.text() for a in export_menu.actions() if a.isSeparator() and a.text()]
    assert titles[:2] == ["党员与组织", "组织生活"]
