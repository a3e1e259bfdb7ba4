"""The Excel import dialog on the shared bases, as a clerk sees it: a missing file and a missing branch
are both marked at their fields in one 检查; a header click orders every previewed row (not the rows the
view has fetched); a refused import writes nothing and never says 已导入."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from gui import ops
from gui.app import create_app
from gui.excel.import_dialog import ExcelImportDialog
from gui.widgets.table_model import RowTableModel
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
    shown: list[str] = []

    def record(_parent, _title, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        shown.append(str(text))
        return QMessageBox.StandardButton.Ok

    for kind in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(record))
    yield shown


def _roster(db: Database) -> list[str]:
    with db.reader() as s:
        return [r.name for r in members.roster(s)]


def _click_header(qtbot: QtBot, dialog: ExcelImportDialog, column: int) -> None:
    header = dialog.preview.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def test_a_missing_file_and_a_missing_branch_are_both_shown_at_their_fields(
    app: QApplication, qtbot: QtBot, db: Database, branch_id: str, tmp_path: Path
) -> None:
    dialog = ExcelImportDialog(db, "roster", today=TODAY)
    qtbot.addWidget(dialog)
    dialog.branch_box.setCurrentIndex(0)  # （请选择支部）
    dialog.path_edit.setText(str(tmp_path / "没有这个文件.xlsx"))
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    shown = dialog.support.messages()
    assert shown == {"path": "请选择一个存在的 .xlsx 文件。", "branch": "请选择要导入到哪个支部。"}
    assert not dialog.import_button.isEnabled() and dialog.preview_model.rowCount() == 0
    dialog.branch_box.setCurrentIndex(dialog.branch_box.findData(branch_id))
    dialog.path_edit.clear()
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    assert dialog.support.messages() == {"path": "请选择要导入的文件。"}


def test_a_header_click_orders_every_previewed_row_errors_first(
    app: QApplication,
    qtbot: QtBot,
    db: Database,
    branch_id: str,
    book: Book,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(RowTableModel, "BATCH", 4)
    rows = [ROSTER_HEADER] + [[f"党员{i:02d}", person(2 * i + 11), "2005-07-01"] for i in range(40)]
    rows.append(["坏行", "6.21027E+17", "2005-07-01"])  # the last row of the sheet has an error
    dialog = ExcelImportDialog(db, "roster", branch_id=branch_id, today=TODAY)
    qtbot.addWidget(dialog)
    dialog.resize(1200, 700)
    dialog.show()
    dialog.path_edit.setText(str(book(rows)))
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    ops.wait_idle()
    model = dialog.preview_model
    assert model.total == 41 and model.rowCount() < 41  # laid out a batch at a time as it scrolls
    assert [model.index(r, 0).data() for r in range(4)] == ["2", "3", "4", "5"]  # sheet order

    _click_header(qtbot, dialog, 1)  # 处理
    actions = {model.index(0, 1).data()}
    _click_header(qtbot, dialog, 1)
    actions.add(model.index(0, 1).data())
    assert "有错误" in actions  # the one bad row, found though it was never fetched
    dialog.problems.doubleClicked.emit(dialog.problem_model.index(0, 0))  # jumps to it in any order
    selected = dialog.preview.selectionModel().selectedRows()
    assert selected and model.index(selected[0].row(), 0).data() == "42"


def test_a_refused_import_writes_nothing_and_does_not_say_imported(
    app: QApplication,
    qtbot: QtBot,
    db: Database,
    build: Builder,
    branch_id: str,
    book: Book,
    boxes: list[str],
) -> None:
    path = book([ROSTER_HEADER, ["张三", person(11), "2005-07-01"], ["李四", person(13), "2005-07-01"]])
    dialog = ExcelImportDialog(db, "roster", branch_id=branch_id, today=TODAY)
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(path))
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    ops.wait_idle()
    assert dialog.import_button.isEnabled()
    other = build.branch("B02", "二村党支部")
    data = members.MemberInput(name="李四", id_number=person(13), joined_on=TODAY.replace(year=2001))
    with db.transaction("other clerk") as s:  # meanwhile 李四 is entered in another branch
        members.create_member(s, other.id, data, today=TODAY)

    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    ops.wait_idle()
    assert "已导入" not in dialog.summary.text()
    assert any("身份证号" in b and "已登记" in b for b in boxes), boxes
    assert _roster(db) == ["李四"]  # 张三 was not written either: one transaction
