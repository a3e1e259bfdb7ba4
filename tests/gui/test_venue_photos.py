"""八有 photos: 其他台账 → 阵地建设 → 添加照片 on the selected check; VEN-02 with require_photo sees it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from gui.ledgers_view import ImageField, LedgersView
from models import Attachment
from models.enums import VenueItem
from services import venue
from services.attachments import file_of
from services.handbook.engine import evaluate
from services.handbook.pack import VenueRule, load_pack
from services.handbook.period import year
from services.ledgers.actions import ACTIONS, Action
from tests.conftest import Builder
from tests.gui.conftest import Boxes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CHECKED = date(2026, 3, 1)


def _add_photo() -> Action:
    return next(a for a in ACTIONS["venue"] if a.title == "添加照片")


@pytest.fixture
def checked(build: Builder) -> tuple[Builder, str]:
    """A village branch whose eight items were all checked and met on 2026-03-01."""
    branch = build.branch()
    with build.db.transaction("t") as s:
        for item in VenueItem:
            venue.record_check(s, branch.id, item.value, CHECKED, True)
    return build, branch.id


def _view(qtbot: QtBot, build: Builder, branch_id: str) -> LedgersView:
    view = LedgersView(None, build.db)
    qtbot.addWidget(view)
    view.set_branches([branch_id])
    view.all_years.setChecked(True)
    view.select_ledger("venue")
    return view


def _photo_column(view: LedgersView) -> int:
    assert view.model.listing is not None
    return [c.key for c in view.model.listing.columns].index("photos")


def test_add_photo_to_the_selected_check_shows_in_the_listing_and_status(
    qtbot: QtBot,
    app: QApplication,
    checked: tuple[Builder, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build, branch_id = checked
    photo = tmp_path / "党员活动室.png"
    photo.write_bytes(PNG)
    view = _view(qtbot, build, branch_id)
    assert view.model.rowCount() == 8
    view.table.selectRow(0)
    row_id = view.selected_row_id()
    dialog = view.dialog_for(_add_photo())
    assert dialog is not None
    qtbot.addWidget(dialog)
    field = dialog.widgets["path"]
    assert isinstance(field, ImageField)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(photo), ""))
    field.browse()
    assert field.path.text() == str(photo)
    dialog.save()
    assert dialog.result() == dialog.DialogCode.Accepted

    view.refresh()
    row = next(i for i in range(view.model.rowCount()) if view.model.row_id(i) == row_id)
    assert view.model.data(view.model.index(row, _photo_column(view))) == "1"
    with build.db.reader() as s:
        att = s.scalar(select(Attachment))
        assert att is not None and (att.owner_type, att.owner_id, att.kind) == (
            "venue_check",
            row_id,
            "photo",
        )
        assert file_of(s, att).read_bytes() == PNG
        status = {v.check_id: v.has_photo for v in venue.venue_status(s, branch_id)}
    assert status[row_id] is True
    assert sum(status.values()) == 1


def test_not_a_picture_is_refused_at_the_field_and_nothing_written(
    qtbot: QtBot, app: QApplication, checked: tuple[Builder, str], tmp_path: Path
) -> None:
    build, branch_id = checked
    text = tmp_path / "说明.txt"
    text.write_text("不是照片", encoding="utf-8")
    view = _view(qtbot, build, branch_id)
    view.table.selectRow(0)
    dialog = view.dialog_for(_add_photo())
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.save()
    assert "请选择照片文件" in dialog.support.message_for("path")
    field = dialog.widgets["path"]
    assert isinstance(field, ImageField)
    field.path.setText(str(text))
    dialog.save()
    assert "不是可识别的图片" in dialog.support.message_for("path")
    assert dialog.result() != dialog.DialogCode.Accepted
    with build.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0


def test_add_photo_needs_a_selected_check(
    qtbot: QtBot, app: QApplication, checked: tuple[Builder, str], boxes: Boxes
) -> None:
    build, branch_id = checked
    view = _view(qtbot, build, branch_id)
    view.table.clearSelection()
    assert view.dialog_for(_add_photo()) is None
    assert "请先在表格中选择要操作的记录" in boxes.texts()[-1]


def test_ven02_requiring_photos_is_met_once_every_item_has_one(
    qtbot: QtBot, app: QApplication, checked: tuple[Builder, str], tmp_path: Path
) -> None:
    build, branch_id = checked
    pack = load_pack()
    strict = pack.model_copy(
        update={
            "rule": [
                r.model_copy(update={"require_photo": True}) if isinstance(r, VenueRule) else r
                for r in pack.rule
            ]
        }
    )
    with build.db.reader() as s:
        findings = [
            f
            for f in evaluate(s, strict, year(2026), as_of=date(2026, 12, 31)).findings
            if f.rule_id == "VEN-02"
        ]
    assert len(findings) == 1 and "照片" in findings[0].message

    photo = tmp_path / "p.png"
    photo.write_bytes(PNG)
    view = _view(qtbot, build, branch_id)
    for row in range(view.model.rowCount()):
        view.table.selectRow(row)
        dialog = view.dialog_for(_add_photo())
        assert dialog is not None
        qtbot.addWidget(dialog)
        field = dialog.widgets["path"]
        assert isinstance(field, ImageField)
        field.path.setText(str(photo))
        dialog.save()
        assert dialog.result() == dialog.DialogCode.Accepted
    with build.db.reader() as s:
        result = evaluate(s, strict, year(2026), as_of=date(2026, 12, 31))
    assert [f for f in result.findings if f.rule_id == "VEN-02"] == []
