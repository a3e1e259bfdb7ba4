"""资料归档: a scan filed under a 资料 item makes it present in the 3+7 catalog (GUI and CLI)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QTreeWidgetItem
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

import main
from gui.handbook.branch import CatalogTree
from gui.handbook.view import HandbookView
from models import Attachment, EvidenceFiling
from services import filing
from services.attachments import file_of
from services.handbook.engine import evaluate
from services.handbook.pack import default_pack_path, load_pack
from services.handbook.period import year
from tests.conftest import Builder
from tests.gui.conftest import Boxes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
THIS_YEAR = date.today().year


def _scan(tmp_path: Path, name: str = "党课记录.png", data: bytes = PNG) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _leaf(tree: CatalogTree, evidence_id: str) -> QTreeWidgetItem:
    stack = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    while stack:
        item = stack.pop()
        if item is None:
            continue
        if item.data(0, Qt.ItemDataRole.UserRole + 1) == evidence_id:  # the 资料 code of a leaf
            return item
        stack.extend(item.child(j) for j in range(item.childCount()))
    raise AssertionError(evidence_id)


def _view(qtbot: QtBot, build: Builder, branch_id: str) -> HandbookView:
    view = HandbookView(None, build.db)
    qtbot.addWidget(view)
    view.show()  # a visible view re-checks when the change bus announces the filing
    view.set_branches([branch_id])
    view.inner.setCurrentWidget(view.catalog)
    return view


def _choose(
    monkeypatch: pytest.MonkeyPatch, path: Path | None, title: str = "2026年第一季度党课记录"
) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path) if path else "", ""))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (title, True))


def test_engine_counts_filed_documents_for_the_period_years(build: Builder, tmp_path: Path) -> None:
    branch = build.branch()
    with build.db.transaction("t") as s:
        filing.file_document(
            s, branch.id, "lecture_records", THIS_YEAR, "党课扫描件", _scan(tmp_path), date.today()
        )
        filing.file_evidence(s, branch.id, "lecture_records", THIS_YEAR - 1, "去年的", None, date.today())
    with build.db.reader() as s:
        result = evaluate(s, load_pack(), year(THIS_YEAR), branch_ids=[branch.id])
    assert result.evidence_counts[(branch.id, "lecture_records")] == 0  # no 党课 meetings recorded
    assert result.filed_counts == {(branch.id, "lecture_records"): 1}  # last year's filing is not this year's
    assert result.evidence_present(branch.id, "lecture_records") == 1


def test_file_a_scan_from_the_catalog_tree_marks_the_item_present(
    qtbot: QtBot, app: QApplication, build: Builder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    branch = build.branch()
    view = _view(qtbot, build, branch.id)
    leaf = _leaf(view.catalog, "lecture_records")
    assert leaf.text(1) == "✗ 缺"
    view.catalog.setCurrentItem(leaf)
    assert view.catalog.file_action.isEnabled()
    _choose(monkeypatch, _scan(tmp_path))
    view.catalog.file_action.trigger()

    leaf = _leaf(view.catalog, "lecture_records")
    assert leaf.text(1) == "✓ 归档 1 份"
    with build.db.reader() as s:
        row = s.scalar(select(EvidenceFiling))
        assert row is not None
        assert (row.catalog_item, row.year, row.title) == (
            "lecture_records",
            THIS_YEAR,
            "2026年第一季度党课记录",
        )
        att = s.get(Attachment, row.attachment_id)
        assert att is not None and (att.owner_type, att.owner_id, att.kind) == (
            "evidence_filing",
            row.id,
            "scan",
        )
        assert file_of(s, att).read_bytes() == PNG


def test_no_file_on_a_standard_heading_and_cancel_writes_nothing(
    qtbot: QtBot, app: QApplication, build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    branch = build.branch()
    view = _view(qtbot, build, branch.id)
    heading = view.catalog.topLevelItem(0)
    assert heading is not None
    view.catalog.setCurrentItem(heading)
    assert not view.catalog.file_action.isEnabled()  # a 标准 is not a 资料 item
    view.catalog.setCurrentItem(_leaf(view.catalog, "roster"))
    _choose(monkeypatch, None)  # the clerk closes the file dialog
    view.catalog.file_action.trigger()
    with build.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(EvidenceFiling)) == 0


def test_empty_file_is_refused_with_a_message_and_nothing_written(
    qtbot: QtBot,
    app: QApplication,
    build: Builder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    boxes: Boxes,
) -> None:
    branch = build.branch()
    view = _view(qtbot, build, branch.id)
    view.catalog.setCurrentItem(_leaf(view.catalog, "lecture_records"))
    _choose(monkeypatch, _scan(tmp_path, "空.png", b""))
    view.catalog.file_action.trigger()
    assert any("文件是空的：空.png" in t for t in boxes.texts())
    with build.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(EvidenceFiling)) == 0
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0
    assert _leaf(view.catalog, "lecture_records").text(1) == "✗ 缺"


def test_cli_file_evidence_with_file_and_catalog_shows_it(
    build: Builder, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build.branch()
    pack = str(default_pack_path())
    scan = _scan(tmp_path)
    argv = ["--db", str(db_path), "file-evidence", "--branch", "B01", "--item", "lecture_records"]
    assert (
        main.main(
            [*argv, "--year", str(THIS_YEAR), "--title", "党课扫描", "--file", str(scan), "--pack", pack]
        )
        == 0
    )
    filing_id = capsys.readouterr().out.strip()
    with build.db.reader() as s:
        row = s.get(EvidenceFiling, filing_id)
        assert row is not None and row.attachment_id is not None

    assert (
        main.main(["--db", str(db_path), "handbook", "catalog", "--branch", "B01", "--json", "--pack", pack])
        == 0
    )
    tree = json.loads(capsys.readouterr().out)
    items = {e["name"]: e for st in tree for n in st["norms"] for e in n["evidence"]}
    assert (items["党课记录"]["count"], items["党课记录"]["filed"]) == (0, 1)


def test_cli_file_evidence_refuses_unknown_item_and_missing_file(
    build: Builder, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build.branch()
    base = [
        "--db",
        str(db_path),
        "file-evidence",
        "--branch",
        "B01",
        "--year",
        str(THIS_YEAR),
        "--title",
        "x",
    ]
    scan = str(_scan(tmp_path))
    assert main.main([*base, "--item", "no_such_item", "--file", scan]) == 1
    assert "资料目录中没有 no_such_item 这一项" in capsys.readouterr().err
    assert main.main([*base, "--item", "lecture_records", "--file", str(tmp_path / "missing.png")]) == 1
    assert "文件不存在" in capsys.readouterr().err
    with build.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(EvidenceFiling)) == 0
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0


def test_filed_documents_are_listed_under_their_item_and_open_on_double_click(
    qtbot: QtBot, app: QApplication, build: Builder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    branch = build.branch()
    with build.db.transaction("t") as s:
        filing.file_document(
            s, branch.id, "lecture_records", THIS_YEAR, "一季度党课", _scan(tmp_path), date.today()
        )
        filing.file_evidence(
            s, branch.id, "lecture_records", THIS_YEAR, "二季度党课（纸质）", None, date.today()
        )
    view = _view(qtbot, build, branch.id)
    leaf = _leaf(view.catalog, "lecture_records")
    assert leaf.text(1) == "✓ 归档 2 份"
    children = [leaf.child(i) for i in range(leaf.childCount())]
    assert sorted(c.text(0) for c in children if c is not None) == ["· 一季度党课", "· 二季度党课（纸质）"]
    opened: list[str] = []

    def fake_open(url: QUrl) -> bool:
        opened.append(url.toLocalFile())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", fake_open)
    scanned = next(c for c in children if c is not None and c.text(0) == "· 一季度党课")
    paper = next(c for c in children if c is not None and c.text(0) != "· 一季度党课")
    view.catalog.itemDoubleClicked.emit(paper, 0)
    assert opened == []  # a paper-only filing has no file to open
    view.catalog.itemDoubleClicked.emit(scanned, 0)
    assert len(opened) == 1 and Path(opened[0]).read_bytes() == PNG
    view.catalog.setCurrentItem(scanned)
    assert not view.catalog.file_action.isEnabled()  # file under the 资料 item, not under a document
