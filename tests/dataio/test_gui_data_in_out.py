"""The import dialog asks about rows the clerk cannot see; audit and recycle screens show local time."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QTableWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import update

from gui import ops
from gui.app import create_app
from gui.excel.import_dialog import ExcelImportDialog
from models import Member
from services import members
from services.db import Database
from tests.conftest import TODAY, Builder
from tests.dataio.test_hidden_rows import _township_list


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


def test_import_dialog_lists_hidden_rows_and_imports_only_what_was_chosen(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch("B01", "一村党支部")
    dialog = ExcelImportDialog(db, "roster", branch_id=branch.id, today=TODAY)
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(_township_list(tmp_path / "t.xlsx")))
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    ops.wait_idle()
    listed = [dialog.problem_model.text(r, 4) for r in range(dialog.problem_model.rowCount())]
    assert any("被隐藏或被筛选掉" in t for t in listed)
    assert not dialog.import_button.isEnabled()
    dialog.hidden_box.setCurrentIndex(dialog.hidden_box.findData("exclude"))  # re-checks the file
    ops.wait_idle()
    listed = [dialog.problem_model.text(r, 4) for r in range(dialog.problem_model.rowCount())]
    assert listed and all(t.startswith("提示：") for t in listed)
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    ops.wait_idle()
    with db.reader() as s:
        assert [r.name for r in members.roster(s)] == ["张三"]


@pytest.fixture
def beijing() -> Iterator[None]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


def _grid_texts(grid: QTableWidget) -> str:
    out = [grid.horizontalHeaderItem(c).text() for c in range(grid.columnCount())]
    out += [
        grid.item(r, c).text()
        for r in range(grid.rowCount())
        for c in range(grid.columnCount())
        if grid.item(r, c)
    ]
    return " ".join(out)


def test_recycle_and_audit_screens_show_local_time(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, beijing: None
) -> None:
    from gui.admin.audit import AuditDialog
    from gui.admin.recycle import RecycleDialog
    from models import AuditEntry

    branch = build.branch("B01")
    member_id = build.member(branch.id, "张三").id
    with db.transaction("t") as s:
        members.delete_member(s, member_id)
        s.execute(
            update(Member).where(Member.id == member_id).values(deleted_at=datetime(2026, 11, 23, 23, 30))
        )
    with db.engine.begin() as conn:  # the log's own rows, stamped at a known UTC moment
        conn.execute(update(AuditEntry).values(at=datetime(2026, 11, 23, 23, 30)))
    bin_dialog = RecycleDialog(db)
    qtbot.addWidget(bin_dialog)
    shown = _grid_texts(bin_dialog.grid)
    assert "2026-11-24 07:30" in shown and "删除时间（本地）" in shown
    log = AuditDialog(db)
    qtbot.addWidget(log)
    ops.wait_idle()
    grids = log.findChildren(QTableWidget)
    shown = " ".join(_grid_texts(g) for g in grids)
    assert "2026-11-24 07:30:00" in shown and "时间（本地）" in shown
