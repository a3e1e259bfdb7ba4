"""A database filled by the demo says so in the title bar, and never exports to a county key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow
from gui.org import setup as org_setup
from gui.org.setup import DEMO_TITLE
from services import demo
from services.db import Database
from services.sync import keys
from services.sync.errors import SyncError
from services.sync.exporter import export_package

TODAY = date(2026, 11, 24)


def test_demo_database_is_marked_in_the_title_and_refused_by_sync_export_to_a_county_key(
    app: QApplication, qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    window = MainWindow(db, screens=[org_setup.install])
    qtbot.addWidget(window)
    assert DEMO_TITLE not in window.windowTitle()  # an empty, real database
    demo.generate(db, "small", seed=2, years=1, today=TODAY)
    window2 = MainWindow(db, screens=[org_setup.install])
    qtbot.addWidget(window2)
    assert window2.windowTitle().endswith(DEMO_TITLE)

    usb = tmp_path / "usb"
    usb.mkdir()
    keys.county_generate(tmp_path / "county.json")
    keys.county_set(db, tmp_path / "county.json")
    with pytest.raises(SyncError, match="演示数据库"):
        export_package(db, usb, key=Ed25519PrivateKey.generate(), user="clerk")
    assert list(usb.iterdir()) == []
