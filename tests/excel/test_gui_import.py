"""The import dialog and the Excel menu actions, driven like a clerk would (offscreen)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot
from python_calamine import CalamineWorkbook

from gui import ops
from gui.app import create_app
from gui.excel import actions as excel_actions
from gui.excel.import_dialog import ERROR_BRUSH, UPDATE_BRUSH, ExcelImportDialog
from gui.main_window import MainWindow
from services import members
from services.db import Database
from tests.conftest import TODAY, Builder
from tests.excel.conftest import ROSTER_HEADER, person

Book = Callable[..., Path]


@pytest.fixture
def app(qapp: QApplication) -> QApplication:
    return create_app()


@pytest.fixture(autouse=True)
def boxes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A modal box offscreen would hang the test: record its text instead."""
    shown: list[str] = []

    def record(_parent, _title, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        shown.append(str(text))
        return QMessageBox.StandardButton.Ok

    for kind in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(record))
    yield shown


def roster_count(db: Database) -> int:
    with db.reader() as s:
        return len(members.roster(s))


def cell(model: QAbstractItemModel, row: int, column: int) -> str:
    return str(model.index(row, column).data())


def open_dialog(qtbot: QtBot, db: Database, branch_id: str, path: Path) -> ExcelImportDialog:
    dialog = ExcelImportDialog(db, "roster", branch_id=branch_id, today=TODAY)
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(path))
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    ops.wait_idle()  # the check runs on a worker thread
    return dialog


def test_preview_highlights_error_rows_and_imports_only_valid_rows_when_chosen(
    app: QApplication, qtbot: QtBot, db: Database, branch_id: str, book: Book, boxes: list[str]
) -> None:
    path = book([ROSTER_HEADER, ["张三", person(11), "2005-07-01"], ["李四", "6.21027E+17", "2005-07-01"]])
    dialog = open_dialog(qtbot, db, branch_id, path)
    model = dialog.preview_model
    assert model.rowCount() == 2
    assert cell(model, 0, 1) == "新增"
    assert cell(model, 1, 1) == "有错误"
    assert model.index(1, 0).data(Qt.ItemDataRole.BackgroundRole) == ERROR_BRUSH
    assert "B列" in cell(model, 1, model.columnCount() - 1)
    assert dialog.problem_model.rowCount() == 1
    assert [dialog.problem_model.text(0, c) for c in range(3)] == ["花名册", "3", "B"]
    assert "文本" in dialog.problem_model.text(0, 4)
    assert not dialog.import_button.isEnabled()  # all-or-nothing by default
    dialog.problems.doubleClicked.emit(dialog.problem_model.index(0, 0))
    assert dialog.preview.selectionModel().selectedRows()[0].row() == 1
    dialog.valid_only.setChecked(True)
    assert dialog.import_button.isEnabled()
    with qtbot.waitSignal(dialog.imported) as signal:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert signal.args[0].created == 1 and signal.args[0].skipped_errors == 1
    assert roster_count(db) == 1
    assert "已导入" in dialog.summary.text()
    assert boxes == []


def test_unusable_file_is_explained_in_the_dialog(
    app: QApplication, qtbot: QtBot, db: Database, branch_id: str, tmp_path: Path, boxes: list[str]
) -> None:
    path = tmp_path / "名册.xlsx"
    path.write_text("姓名,身份证号\n张三,1\n", encoding="utf-8")
    dialog = open_dialog(qtbot, db, branch_id, path)
    assert "CSV" in dialog.summary.text()
    assert not dialog.import_button.isEnabled()
    assert boxes == []


def test_updates_are_yellow_and_applied_only_when_confirmed(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, branch_id: str, book: Book
) -> None:
    existing = build.member(branch_id, "张三")
    path = book(
        [
            ["姓名", "公民身份号码", "入党日期", "联系电话"],
            ["张三", existing.id_number, "2005-07-01", "13900001111"],
        ]
    )
    dialog = open_dialog(qtbot, db, branch_id, path)
    model = dialog.preview_model
    assert cell(model, 0, 1) == "更新"
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) == UPDATE_BRUSH
    assert "联系电话：（空） → 13900001111" in cell(model, 0, model.columnCount() - 1)
    assert dialog.confirm_updates.isEnabled()
    dialog.confirm_updates.setChecked(True)
    with qtbot.waitSignal(dialog.imported):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    with db.reader() as s:
        assert members.get_member(s, existing.id).phone == "13900001111"


def test_menu_actions_export_and_save_templates(
    app: QApplication,
    qtbot: QtBot,
    db: Database,
    build: Builder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build.branch("B01", members=3)
    window = MainWindow(db, screens=[excel_actions.install])
    qtbot.addWidget(window)
    assert window.extension_errors == []
    file_texts = [a.text() for a in window.menus["文件"].actions()]
    assert "从 Excel 导入党员花名册…" in file_texts and "从 Excel 导入会议记录…" in file_texts
    export_menu = next(a.menu() for a in window.menus["数据"].actions() if a.text() == "导出到 Excel")
    export_menu.aboutToShow.emit()  # the clerk opens the menu: its entries are filled then
    export_menu.aboutToShow.emit()  # opening it again adds nothing twice
    exports = {a.text(): a for a in export_menu.actions()}
    assert len(exports) == len(export_menu.actions())
    assert {"党员花名册…", "会议记录…", "出席情况…", "支部委员会…", "党小组…", "党组织…"} <= set(exports)

    target = tmp_path / "导出.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: ("全部年度", True)))
    exports["党员花名册…"].trigger()
    ops.wait_idle()
    rows = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
    assert len(rows) == 4 and rows[0][0] == "姓名"

    template_menu = next(a.menu() for a in window.menus["文件"].actions() if a.text() == "Excel 导入模板")
    template = tmp_path / "模板.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(template), "")))
    template_menu.actions()[0].trigger()
    assert CalamineWorkbook.from_path(str(template)).sheet_names[0] == "党员花名册"


def test_the_file_menu_import_entries_open_the_import_dialog_for_their_kind(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    """The dialog loads on first use (not at start-up), yet each 文件 menu entry opens it."""
    build.branch("B01", members=1)
    window = MainWindow(db, screens=[excel_actions.install])
    qtbot.addWidget(window)
    entries = {a.text(): a for a in window.menus["文件"].actions()}
    for text, kind in (("从 Excel 导入党员花名册…", "roster"), ("从 Excel 导入会议记录…", "meetings")):
        entries[text].trigger()
        dialogs = [d for d in window.findChildren(ExcelImportDialog) if d.isVisible()]
        assert [d.kind for d in dialogs] == [kind]
        dialogs[0].close()
