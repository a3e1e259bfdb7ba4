"""A 党小组's 成立日期 at entry: `group add --founded`, `group founded`, the GUI field (today by default),
bad dates refused naming the field, and older databases backfilled on upgrade."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alembic import command
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

import main
from gui.org.setup import GroupDialog
from models import PartyGroup
from services import groups, meetings
from services.db import Database, alembic_config, migrate, open_database
from tests.conftest import TODAY, Builder
from tests.gui.conftest import show_active, type_text


def _cli(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_group_add_takes_founded_and_refuses_a_bad_date_naming_it(
    db: Database, build: Builder, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build.branch("B01", members=3)
    db.close()
    code, _out, err = _cli(
        db_path, capsys, "group", "add", "--branch", "B01", "--name", "一组", "--founded", "去年"
    )
    assert code == 1 and "无法识别的日期：去年" in err
    code, _out, err = _cli(
        db_path, capsys, "group", "add", "--branch", "B01", "--name", "一组", "--founded", "2099-01-01"
    )
    assert code == 1 and "党小组成立日期不能晚于今天" in err
    assert (
        _cli(db_path, capsys, "group", "add", "--branch", "B01", "--name", "一组", "--founded", "2024-03-01")[
            0
        ]
        == 0
    )
    assert (
        _cli(
            db_path, capsys, "group", "founded", "--branch", "B01", "--group", "一组", "--date", "2024-02-01"
        )[0]
        == 0
    )
    code, out, _err = _cli(db_path, capsys, "group", "list", "--branch", "B01")
    assert code == 0 and "2024-02-01 成立" in out


def test_group_dialog_starts_with_no_founding_date_and_shows_a_bad_date_at_the_field(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=3)
    dialog = GroupDialog(None, db, branch.id)
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    assert dialog.founded.text() == ""  # not "today": a group entered today has often met for years
    type_text(qtbot, dialog.name, "第一党小组")
    dialog.founded.clear()
    type_text(qtbot, dialog.founded, "三月")
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.support.message_for("founded_on") == "成立日期“三月”无法识别，请按 2026-07-01 的格式填写。"
    dialog.founded.clear()
    type_text(qtbot, dialog.founded, "2025-03-01")
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    with db.reader() as s:
        saved = s.scalars(select(PartyGroup)).all()
        assert [(g.name, g.founded_on) for g in saved] == [("第一党小组", date(2025, 3, 1))]


def test_upgrading_backfills_the_founding_day_from_the_first_group_meeting_or_creation(
    db: Database, build: Builder, db_path: Path
) -> None:
    branch = build.branch(members=3)
    with db.transaction("t") as s:
        met = groups.create_group(s, branch.id, "一组", founded_on=date(2026, 3, 1), today=TODAY).id
        idle = groups.create_group(s, branch.id, "二组", founded_on=date(2026, 9, 1), today=TODAY).id
        data = meetings.MeetingInput("group", date(2026, 3, 2), "学习", party_group_id=met, attendance=[])
        meetings.create_meeting(s, branch.id, data, today=TODAY)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # batch mode recreates tables (as migrate does)
        command.downgrade(alembic_config(conn), "i15_sync_trust")
    migrate(db.engine)
    db.close()
    again = open_database(db_path)
    try:
        with again.reader() as s:
            first, second = s.get(PartyGroup, met), s.get(PartyGroup, idle)
            assert first is not None and first.founded_on == date(2026, 3, 2)
            assert second is not None and second.founded_on == date.today()  # created today, never met
    finally:
        again.close()


def test_group_saved_without_a_founding_date_takes_back_filled_group_meetings(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=3)
    dialog = GroupDialog(None, db, branch.id)
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    type_text(qtbot, dialog.name, "第一党小组")
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    with db.transaction("t") as s:
        [group] = s.scalars(select(PartyGroup)).all()
        assert group.founded_on is None  # 未登记
        data = meetings.MeetingInput(
            "group", date(2023, 5, 4), "学习", party_group_id=group.id, attendance=[]
        )
        meetings.create_meeting(s, branch.id, data, today=TODAY)
