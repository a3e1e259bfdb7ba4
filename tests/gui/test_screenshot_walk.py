"""The screenshot walk (bench/screenshot_walk.py) keeps producing every main screen at 1366×768."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from gui.walk import SCREEN, screenshot_walk
from services import meetings
from services.db import Database
from tests.conftest import TODAY, Builder

pytestmark = pytest.mark.display  # real-display behaviour: also run under xcb (Makefile)


def test_walk_saves_the_main_screens_and_forms_at_laptop_size(
    app: QApplication, db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch(members=4)
    with db.transaction("test") as s:
        meetings.create_meeting(s, branch.id, meetings.MeetingInput("congress", TODAY, "学习党章"), TODAY)
    files = screenshot_walk(db, tmp_path / "shots")
    names = [f.stem for f in files]
    assert any("党员名册" in n for n in names) and any("打印预览" in n for n in names)
    assert any("会议记录表单" in n for n in names) and any("3_7_目录" in n for n in names)
    main = QImage(str(files[0]))
    assert (main.width(), main.height()) == (SCREEN.width(), SCREEN.height())
    for f in files:
        image = QImage(str(f))
        assert image.width() <= SCREEN.width() and image.height() <= SCREEN.height(), f.name
