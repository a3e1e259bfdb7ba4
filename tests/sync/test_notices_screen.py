"""The township's screen for what the county sends back in its acknowledgement: notices read with their
attachments, and a handbook pack update installed only after the clerk confirms."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow
from gui.sync import notices
from gui.sync.notices import NoticesDialog
from services.county.outbox import publish_notice, publish_pack
from services.county.receive import receive_folder
from services.db import Database
from services.handbook.pack import PackHolder
from services.sync.ack import apply_ack
from tests.sync.test_county_desk import _ack_for, _bumped_pack, _county, _town


@pytest.fixture
def township(make_town, county: Database, usb: Path, tmp_path: Path) -> Database:  # type: ignore[no-untyped-def]
    """A township that applied an ack carrying a notice with an attachment and a pack update."""
    key_file = _county(county, tmp_path)
    t = _town(make_town, "T01", 1, county, key_file)
    doc = tmp_path / "安排.pdf"
    doc.write_bytes(b"%PDF-1.4 test")
    publish_notice(
        county,
        "关于报送年度台账的通知",
        "请于月底前报送。",
        attachments=[doc],
        due=date.today() + timedelta(days=10),
        user="county-admin",
    )
    publish_pack(county, _bumped_pack(tmp_path, "2026.2"), user="county-admin")
    t.export(usb)
    receive_folder(county, usb, user="county-clerk")
    apply_ack(t.db, _ack_for(usb, "T01"), user="clerk")
    return t.db


def test_the_status_bar_says_a_notice_and_a_pack_update_came_from_the_county(
    qtbot: QtBot, township: Database
) -> None:
    window = MainWindow(township, screens=[notices.install])
    qtbot.addWidget(window)
    label = window.findChild(QLabel, "inboxStatus")
    assert label is not None and "未读通知 1 条" in label.text() and "手册包更新" in label.text()


def test_reading_a_notice_shows_its_text_and_attachment_and_marks_it_read(
    qtbot: QtBot, township: Database
) -> None:
    dialog = NoticesDialog(township)
    qtbot.addWidget(dialog)
    titles = [
        cell.text() if (cell := dialog.table.item(r, 1)) else "" for r in range(dialog.table.rowCount())
    ]
    row = titles.index("关于报送年度台账的通知")
    dialog.table.selectRow(row)
    assert "请于月底前报送。" in dialog.text.toPlainText() and "截止日期" in dialog.text.toPlainText()
    assert dialog.attachments.count() == 1 and dialog.attachments.item(0).text() == "安排.pdf"
    assert Path(dialog.attachments.item(0).data(256)).read_bytes() == b"%PDF-1.4 test"
    status = dialog.table.item(row, 4)
    assert status is not None and status.text() == "已读"
    assert "未读通知" not in notices.inbox_summary(dialog.items[:0])  # nothing new in an empty list


def test_the_pack_update_is_installed_only_after_the_clerk_confirms(
    qtbot: QtBot, township: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = NoticesDialog(township)
    qtbot.addWidget(dialog)
    assert dialog.install_button.isEnabled()
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.No)
    dialog.install_pack()
    assert PackHolder.startup().pack.pack.version == "2026.1"  # declined: nothing installed
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    dialog.install_pack()
    assert "已安装手册包" in dialog.outcome.text() and "2026.2" in dialog.outcome.text()
    assert PackHolder.startup().pack.pack.version == "2026.2"
    assert not dialog.install_button.isEnabled()  # nothing left to install
