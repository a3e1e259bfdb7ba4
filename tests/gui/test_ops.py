"""gui.ops: errors end up in one dialog (never a crash), writes are all-or-nothing, workers report back."""

from __future__ import annotations

import threading

import pytest
import shiboken6
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gui import ops
from gui.app import first_run
from gui.main_window import MainWindow
from gui.roster import view as roster_view
from models import Township
from services import org
from services.db import Database
from services.errors import ValidationError
from tests.gui.conftest import Boxes


def townships(db: Database) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(Township)) or 0)


def test_validation_error_goes_to_the_form_and_nothing_is_written(app: QApplication, db: Database) -> None:
    seen: list[ValidationError] = []

    def write(s: Session) -> None:
        org.create_township(s, "T01", "城关镇")
        org.create_township(s, "T01", "重复镇")  # raises after the first insert was flushed

    assert ops.run_write(None, db, write, on_invalid=seen.append) is None
    assert seen[0].field == "code" and "已存在" in seen[0].message
    assert townships(db) == 0


def test_unexpected_exception_shows_an_error_dialog_instead_of_crashing(
    app: QApplication, db: Database, boxes: Boxes
) -> None:
    def broken(_s: Session) -> int:
        return 1 // 0

    done: list[int] = []
    assert ops.run_read(None, db, broken, done.append) is None
    assert done == []
    kind, _title, text = boxes.shown[0]
    assert kind == "critical" and "程序内部出错" in text  # plain words; details in the private log
    assert "ZeroDivisionError" not in text
    from services import crashlog

    assert "ZeroDivisionError" in crashlog.log_path().read_text(encoding="utf-8")


def test_ledger_error_without_form_is_a_warning(app: QApplication, db: Database, boxes: Boxes) -> None:
    ops.run_write(None, db, lambda s: org.create_township(s, "", "无代码镇"))
    assert boxes.shown == [("warning", "无法完成操作", "乡镇代码不能为空。")]


def test_background_write_runs_on_a_worker_and_announces_changes(
    app: QApplication, qtbot: QtBot, db: Database
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    threads: list[str] = []
    results: list[str] = []
    announced: list[frozenset[str]] = []
    ops.bus().changed.connect(announced.append)

    def write(s: Session) -> str:
        threads.append(threading.current_thread().name)
        return org.create_township(s, "T09", "后台镇").name

    assert ops.run_write(parent, db, write, results.append, changes={"township"}, background=True) is None
    assert ops.wait_idle(10_000)
    ops.bus().changed.disconnect(announced.append)
    assert results == ["后台镇"]
    assert threads and threads[0] != threading.main_thread().name
    assert frozenset({"township"}) in announced
    assert townships(db) == 1


def test_change_bus_drops_slots_of_deleted_widgets(app: QApplication) -> None:
    widget = QWidget()
    calls: list[frozenset[str]] = []
    ops.bus().changed.connect(lambda tags: (widget.windowTitle(), calls.append(tags)))
    shiboken6.delete(widget)
    ops.bus().changed.emit(frozenset({"member"}))  # must not raise
    assert calls == []


def test_first_run_fills_an_empty_database_with_the_demo(
    app: QApplication, qtbot: QtBot, db: Database
) -> None:
    window = MainWindow(db, screens=[roster_view.install])
    qtbot.addWidget(window)
    first_run(window, demo_if_empty=True)
    assert ops.wait_idle(120_000)
    assert townships(db) >= 1
    assert window.tree.topLevelItemCount() >= 1  # the tree reloaded on the "all" change
    assert window.tabs.widget(0).model.rowCount() > 0  # type: ignore[attr-defined]


def test_first_run_without_demo_offers_the_new_township_dialog(
    app: QApplication, qtbot: QtBot, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gui.org import dialogs as org_dialogs

    opened: list[org_dialogs.TownshipDialog] = []

    def fake_exec(dialog: org_dialogs.TownshipDialog) -> int:
        opened.append(dialog)
        dialog.code.setText("T01")
        dialog.name.setText("城关镇")
        dialog.save()
        return 1

    from gui.org import first_start

    steps: list[first_start.FirstStartDialog] = []
    monkeypatch.setattr(org_dialogs.TownshipDialog, "exec", fake_exec)
    monkeypatch.setattr(first_start.FirstStartDialog, "exec", lambda d: steps.append(d) or 0)
    window = MainWindow(db, screens=[])
    qtbot.addWidget(window)
    first_run(window, demo_if_empty=False)
    assert opened and "欢迎使用" in opened[0].intro.text()
    assert len(steps) == 1 and steps[0].township_id == opened[0].result_id  # then: branches, roster, …
    assert townships(db) == 1
    assert window.tree.topLevelItem(0).text(0) == "城关镇"  # type: ignore[union-attr]
