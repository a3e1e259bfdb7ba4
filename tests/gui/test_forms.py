"""Date and time fields accept what clerks type and name the field when they cannot."""

from __future__ import annotations

from datetime import date, time

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow
from gui.widgets.forms import DateField, TimeField
from services.db import Database
from services.errors import ValidationError
from tests.conftest import Builder
from tests.gui.conftest import Boxes, show_active


@pytest.mark.parametrize("text", ["2026-07-01", "2026.7.1", "2026/07/01", "2026年7月1日", "20260701"])
def test_date_field_accepts_common_spellings(app: QApplication, text: str) -> None:
    field = DateField("held_on", "会议日期")
    field.setText(text)
    assert field.value() == date(2026, 7, 1)


def test_date_field_errors_name_the_field(app: QApplication) -> None:
    required = DateField("joined_on", "入党日期")
    with pytest.raises(ValidationError, match="请填写入党日期") as empty:
        required.value()
    assert empty.value.field == "joined_on"
    required.setText("2026-02-30")
    with pytest.raises(ValidationError, match="无法识别"):
        required.value()
    optional = DateField("full_member_on", "转正日期", required=False)
    assert optional.value() is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9:30", time(9, 30)), ("09：30", time(9, 30)), ("0930", time(9, 30)), ("9", time(9, 0))],
)
def test_time_field(app: QApplication, text: str, expected: time) -> None:
    field = TimeField("start_time", "开始时间")
    field.setText(text)
    assert field.value() == expected


def test_time_field_rejects_nonsense(app: QApplication) -> None:
    field = TimeField("start_time", "开始时间")
    field.setText("25:00")
    with pytest.raises(ValidationError, match="开始时间“25:00”无法识别"):
        field.value()


@pytest.mark.display
def test_ctrl_f_focuses_the_roster_search_and_ctrl_n_needs_a_branch(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, boxes: Boxes
) -> None:
    build.branch(members=1)
    build.branch("B02", "二村党支部")
    window = MainWindow(db)
    qtbot.addWidget(window)
    show_active(qtbot, window)
    actions = {a.text(): a for a in window.menus["数据"].actions()}
    actions["查找"].trigger()
    assert window.tabs.currentWidget().search.hasFocus()  # type: ignore[attr-defined]
    boxes.answer = QMessageBox.StandardButton.Ok
    actions["新建记录"].trigger()  # the township is selected, not a branch
    assert boxes.shown[-1][2] == "请先在左侧选择党员所在的支部（组织树，按 Ctrl+T 可转到）。"
