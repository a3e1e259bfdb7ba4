"""发展党员（全镇）: branches × stages, village branches with fewer than the pack's 积极分子 reserve
highlighted, in the dialog and on the command line (`dev pipeline`)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton, QTableWidget, QTableWidgetItem
from pytestqt.qtbot import QtBot

import main
from gui.ledgers_view import LedgersView
from gui.pipeline_view import SHORT, PipelineDialog
from services import development as dev
from services import idcard
from services.handbook.pack import default_pack_path, load_pack
from services.pipeline import reserve_from_pack
from tests.conftest import Builder

_seq = iter(range(1, 9999, 2))


def _people(build: Builder, branch_id: str, activists: int, applicants: int = 0) -> None:
    with build.db.transaction("t") as s:
        for i in range(activists + applicants):
            number = idcard.make("620421", date(1990, 1, 1 + i % 28), next(_seq))
            r = dev.create_applicant(s, branch_id, dev.ApplicantInput(f"申请人{i}", number, date(2024, 1, 2)))
            if i < activists:
                dev.make_activist(s, r.id, date(2024, 3, 1))


def _buttons(view: LedgersView) -> list[QPushButton]:
    items = (view.buttons.itemAt(i) for i in range(view.buttons.count()))
    return [w for item in items if item is not None and isinstance(w := item.widget(), QPushButton)]


def _cell(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    item = table.item(row, column)
    assert item is not None
    return item


@pytest.fixture
def township(build: Builder) -> Builder:
    full = build.branch("B01", "一村党支部")
    short = build.branch("B02", "二村党支部")
    organ = build.branch("B03", "镇机关党支部", domain="organ")
    _people(build, full.id, activists=10, applicants=2)
    _people(build, short.id, activists=9)
    _people(build, organ.id, activists=1)
    return build


def test_dialog_counts_by_stage_and_marks_village_short_of_activists(
    qtbot: QtBot, app: QApplication, township: Builder
) -> None:
    dialog = PipelineDialog(None, township.db, township.township_id, load_pack())
    qtbot.addWidget(dialog)
    table = dialog.table
    headers = [table.model().headerData(c, Qt.Orientation.Horizontal) for c in range(table.columnCount())]
    assert headers == ["支部", "类别", "入党申请人", "入党积极分子", "发展对象", "预备党员", "合计"]
    cells = {
        _cell(table, r, 0).text(): [_cell(table, r, c).text() for c in range(1, table.columnCount())]
        for r in range(table.rowCount())
    }
    assert cells["一村党支部"] == ["农村", "2", "10", "0", "0", "12"]
    assert cells["二村党支部"] == ["农村", "0", "9", "0", "0", "9"]
    assert cells["镇机关党支部"] == ["机关", "0", "1", "0", "0", "1"]
    assert cells["合计"][1:] == ["2", "20", "0", "0", "22"]
    # 10 is enough, 9 is not; an organ branch is not held to the village reserve.
    assert dialog.short_names() == ["二村党支部"]
    row = next(r for r in range(table.rowCount()) if _cell(table, r, 0).text() == "二村党支部")
    assert _cell(table, row, 3).background().color() == SHORT
    assert "少于 10 名" in _cell(table, row, 3).toolTip()
    assert "1 个农村党支部积极分子少于 10 名（TEAM-02" in dialog.summary.text()


def test_threshold_comes_from_the_pack(qtbot: QtBot, app: QApplication, township: Builder) -> None:
    pack = load_pack()
    rule = next(r for r in pack.rule if r.id == "TEAM-02")
    lenient = pack.model_copy(
        update={"rule": [r if r is not rule else rule.model_copy(update={"min": 9}) for r in pack.rule]}
    )
    assert reserve_from_pack(lenient) is not None
    dialog = PipelineDialog(None, township.db, None, lenient)
    qtbot.addWidget(dialog)
    assert dialog.short_names() == []
    assert "均达到 9 名以上" in dialog.summary.text()


def test_development_ledger_offers_the_township_view(
    qtbot: QtBot, app: QApplication, township: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = LedgersView(None, township.db)
    qtbot.addWidget(view)
    view.set_branches(None)
    view.select_ledger("development")
    shown: list[list[str]] = []

    def fake_exec(self: PipelineDialog) -> int:
        shown.append(self.short_names())
        return 0

    monkeypatch.setattr(PipelineDialog, "exec", fake_exec)
    next(b for b in _buttons(view) if b.text() == "全镇概况…").click()
    assert shown == [["二村党支部"]]
    view.select_ledger("fees")
    texts = [b.text() for b in _buttons(view)]
    assert texts and "全镇概况…" not in texts


def test_cli_dev_pipeline_json_and_text(
    township: Builder, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main.main(["--db", str(db_path), "dev", "pipeline", "--json", "--pack", str(default_pack_path())])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["reserve"] == {"rule": "TEAM-02", "min_activists": 10, "domains": ["rural"]}
    by_code = {b["branch"]: b for b in data["branches"]}
    assert by_code["B01"]["activist"] == 10 and by_code["B01"]["applicant"] == 2
    assert [c for c, b in by_code.items() if b["short_of_activists"]] == ["B02"]

    assert main.main(["--db", str(db_path), "dev", "pipeline", "--branch", "B02"]) == 0
    out = capsys.readouterr().out
    assert "二村党支部\t0\t9\t0\t0\t9\t← 积极分子不足" in out
    assert "一村党支部" not in out


def test_cli_dev_pipeline_unknown_branch_is_a_clear_error(
    township: Builder, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main(["--db", str(db_path), "dev", "pipeline", "--branch", "B99"]) == 1
    assert "找不到代码为 B99 的支部" in capsys.readouterr().err


def test_data_menu_opens_the_township_of_the_selected_branch(
    qtbot: QtBot, app: QApplication, township: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gui.main_window import MainWindow

    township.township("T02", "邻镇")
    township.branch("C01", "邻镇一村党支部")
    window = MainWindow(township.db)
    qtbot.addWidget(window)
    assert window.select_branch_code("B02")
    shown: list[list[str]] = []

    def fake_exec(self: PipelineDialog) -> int:
        shown.append([r.code for r in self.rows])
        return 0

    monkeypatch.setattr(PipelineDialog, "exec", fake_exec)
    action = next(a for a in window.menus["数据"].actions() if a.text() == "发展党员（全镇）…")
    action.trigger()
    assert shown == [["B01", "B02", "B03"]]  # the whole township of B02, not the neighbouring one
