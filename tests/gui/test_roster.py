"""The roster tab: pinyin sort and instant search."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from gui.roster.member_form import MemberForm
from gui.roster.model import NAME_COLUMN
from gui.roster.view import RosterView
from models import Member
from services import members
from services.db import Database
from tests.conftest import TODAY, Builder
from tests.gui.conftest import Boxes, type_text


def names(view: RosterView) -> list[str]:
    model = view.model
    return [model.index(r, NAME_COLUMN).data() for r in range(model.rowCount())]


def add(build: Builder, branch_id: str, name: str, phone: str = "") -> str:
    data = members.MemberInput(
        name=name, id_number=build.id_number(), joined_on=date(2005, 7, 1), phone=phone
    )
    with build.db.transaction("test") as s:
        return members.create_member(s, branch_id, data, today=TODAY).id_number


def test_names_sort_by_pinyin_and_search_filters(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch()
    for name in ("张三", "白云", "阿大", "欧阳明", "李四"):
        add(build, branch.id, name, phone="13912345678" if name == "李四" else "")
    id_of_white = add(build, branch.id, "白雪")
    view = RosterView(None, db)
    qtbot.addWidget(view)
    view.set_branches([branch.id])
    assert names(view) == ["阿大", "白雪", "白云", "李四", "欧阳明", "张三"]

    view.table.sortByColumn(NAME_COLUMN, Qt.SortOrder.DescendingOrder)
    assert names(view)[0] == "张三"

    qtbot.keyClicks(view.search, "zs")  # pinyin initials
    assert len(names(view)) == 6  # debounced: nothing filtered while typing
    qtbot.waitUntil(lambda: names(view) == ["张三"], timeout=2000)
    view.search.clear()
    qtbot.waitUntil(lambda: len(names(view)) == 6, timeout=2000)
    type_text(qtbot, view.search, "白")
    qtbot.waitUntil(lambda: sorted(names(view)) == ["白云", "白雪"], timeout=2000)
    view.search.clear()
    qtbot.keyClicks(view.search, id_of_white[-6:])
    qtbot.waitUntil(lambda: names(view) == ["白雪"], timeout=2000)
    view.search.clear()
    qtbot.keyClicks(view.search, "1391234")
    qtbot.waitUntil(lambda: names(view) == ["李四"], timeout=2000)
    view.search.setText("100%")  # a literal %, not a wildcard
    view.apply_search()
    assert names(view) == []
    view.search.clear()
    qtbot.waitUntil(lambda: len(names(view)) == 6, timeout=2000)


def test_delete_key_soft_deletes_after_confirmation(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, boxes: Boxes
) -> None:
    branch = build.branch()
    add(build, branch.id, "张三")
    add(build, branch.id, "李四")
    view = RosterView(None, db)
    qtbot.addWidget(view)
    view.set_branches([branch.id])
    view.table.setCurrentIndex(view.model.index(0, NAME_COLUMN))  # 李四 (pinyin: li < zhang)

    boxes.answer = QMessageBox.StandardButton.No
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    assert names(view) == ["李四", "张三"]

    boxes.answer = QMessageBox.StandardButton.Yes
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    assert "确定删除党员“李四”" in boxes.shown[-1][2]
    assert names(view) == ["张三"]  # refreshed through the change bus
    with db.reader() as s:
        gone = s.scalars(select(Member).where(Member.name == "李四")).one()
        assert gone.deleted


def test_enter_opens_the_member_form_and_saving_refreshes_the_row(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    branch = build.branch()
    add(build, branch.id, "张三")
    view = RosterView(None, db)
    qtbot.addWidget(view)
    view.set_branches([branch.id])

    def edit_and_save(form: MemberForm) -> int:
        assert form.name.text() == "张三" and not form.support.dirty
        form.phone.setText("0934-1234567")
        assert form.save()
        return 1

    monkeypatch.setattr(MemberForm, "exec", edit_and_save)
    view.table.setCurrentIndex(view.model.index(0, NAME_COLUMN))
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert view.model.rows[0].phone == "0934-1234567"
