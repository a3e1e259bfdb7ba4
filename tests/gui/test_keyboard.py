"""Everything a clerk does daily can be reached from the keyboard."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow
from gui.meetings.form import MeetingForm
from gui.meetings.view import MeetingsView
from gui.org import dialogs as org_dialogs
from gui.org.dialogs import BranchDialog, TownshipDialog
from gui.printing.actions import PdfPreviewDialog
from gui.roster.view import RosterView
from services import meetings
from services.db import Database
from services.printing import booklet
from tests.conftest import TODAY, Builder
from tests.gui.conftest import show_active, type_text

pytestmark = pytest.mark.display  # real-display behaviour: also run under xcb (Makefile)


@pytest.fixture
def window(app: QApplication, qtbot: QtBot, db: Database, build: Builder) -> MainWindow:
    build.branch("B01", "一村党支部", members=3)
    build.branch("B02", "二村党支部", members=2)
    win = MainWindow(db)
    qtbot.addWidget(win)
    show_active(qtbot, win)
    return win


def tab_index(window: MainWindow, cls: type) -> int:
    return next(i for i in range(window.tabs.count()) if isinstance(window.tabs.widget(i), cls))


def test_every_menu_has_an_alt_accelerator(window: MainWindow, qtbot: QtBot) -> None:
    keys = {}
    for title, menu in window.menus.items():
        mnemonic = QKeySequence.mnemonic(menu.title())
        assert not mnemonic.isEmpty(), title
        keys[title] = mnemonic.toString()
    assert keys["文件"] == "Alt+F" and len(set(keys.values())) == len(keys)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is window.menus["文件"], timeout=2000)
    window.menus["文件"].close()


@pytest.mark.parametrize(
    ("key", "modifiers"),
    [
        (Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier),
    ],
)
def test_ctrl_tab_and_ctrl_pgdn_switch_tabs(
    window: MainWindow, qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier
) -> None:
    window.tabs.setCurrentIndex(0)
    window.tabs.currentWidget().setFocus()
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifiers)
    assert window.tabs.currentIndex() == 1
    window.tabs.setCurrentIndex(window.tabs.count() - 1)
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifiers)
    assert window.tabs.currentIndex() == 0  # wraps around


def test_ctrl_pgup_goes_back_and_ctrl_t_reaches_the_org_tree(window: MainWindow, qtbot: QtBot) -> None:
    window.tabs.setCurrentIndex(1)
    qtbot.keyClick(window.tabs.currentWidget(), Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.tree.hasFocus()
    qtbot.keyClick(window.tree, Qt.Key.Key_Down)  # arrows then choose a branch
    assert window.current_node_name() == "一村党支部"


@pytest.mark.parametrize("which", ["township", "branch"])
def test_small_dialogs_open_with_the_keyboard_in_the_first_field(
    window: MainWindow, qtbot: QtBot, which: str
) -> None:
    if which == "township":
        dialog: TownshipDialog | BranchDialog = TownshipDialog(window, window.db)
        first: QLineEdit = dialog.code
    else:
        township = window.current_township_id()
        assert township is not None
        dialog = BranchDialog(window, window.db, township, None)
        first = dialog.support.widgets["code"]  # type: ignore[assignment]
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    qtbot.waitUntil(first.hasFocus, timeout=2000)
    qtbot.keyClicks(first, "T9")
    assert first.text() == "T9"  # typing is not lost on the 保存 button


def test_roster_search_down_and_enter_reach_the_results(window: MainWindow, qtbot: QtBot) -> None:
    window.select_tab_title("党员名册")
    view = window.tabs.currentWidget()
    assert isinstance(view, RosterView)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.search.hasFocus()
    qtbot.keyClicks(view.search, "B0101")
    qtbot.keyClick(view.search, Qt.Key.Key_Down)
    assert view.table.hasFocus()
    row = view.current_row()
    assert row is not None and row.name == "党员B0101"
    view.search.setFocus()
    view.table.clearSelection()
    view.table.setCurrentIndex(view.model.index(-1, 0))
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    assert view.table.hasFocus() and view.current_row() is not None


def test_ctrl_f_on_meetings_searches_and_saving_a_meeting_returns_to_the_list(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.select_branch_code("B01")
    window.select_tab_title("会议记录")
    view = window.tabs.currentWidget()
    assert isinstance(view, MeetingsView)
    view.today = TODAY
    branch_id = window.current_branch_id()
    assert branch_id is not None
    for topic in ("学习党章", "讨论发展党员"):
        with window.db.transaction("test") as s:
            meetings.create_meeting(
                s, branch_id, meetings.MeetingInput("congress", date(TODAY.year, 3, 1), topic), TODAY
            )
    view.refresh()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.search.hasFocus()
    type_text(qtbot, view.search, "发展")
    shown = [r for r in range(view.model.rowCount()) if not view.table.isRowHidden(r)]
    assert [view.model.rows[r].topics for r in shown] == ["讨论发展党员"]
    qtbot.keyClick(view.search, Qt.Key.Key_Down)
    assert view.table.hasFocus() and view.current_row().topics == "讨论发展党员"  # type: ignore[union-attr]
    view.search.clear()

    def fill_and_save(form: MeetingForm) -> int:
        form.show()
        type_text(qtbot, form.topics, "主题党日")
        form.attendance.mark_all_present()
        assert form.save()
        return 1

    monkeypatch.setattr(MeetingForm, "exec", fill_and_save)
    view.new_record()
    assert view.table.hasFocus()
    assert view.current_row() is not None and view.current_row().topics == "主题党日"  # type: ignore[union-attr]


def test_print_preview_scrolls_with_the_keyboard_at_once(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    branch = build.branch(members=3)
    with db.transaction("test") as s:
        meeting_id = meetings.create_meeting(
            s, branch.id, meetings.MeetingInput("congress", TODAY, "学习"), TODAY
        ).id
    with db.reader() as s:
        rendered = booklet.build_meeting_form(s, meeting_id)
    dialog = PdfPreviewDialog(None, rendered, "会议记录", "会议记录.pdf")
    qtbot.addWidget(dialog)
    dialog.resize(700, 500)
    show_active(qtbot, dialog)
    dialog.set_zoom(2.0)
    QApplication.processEvents()
    assert dialog.scroll_area.hasFocus()  # no Tabs needed before the keys scroll
    bar = dialog.scroll_area.verticalScrollBar()
    assert bar.maximum() > 0
    qtbot.keyClick(dialog.scroll_area, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert bar.value() == bar.maximum()
    qtbot.keyClick(dialog.scroll_area, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert bar.value() == 0
    qtbot.keyClick(dialog.scroll_area, Qt.Key.Key_PageDown)
    assert bar.value() > 0


def test_new_branch_without_a_township_says_what_to_do_first(
    app: QApplication, qtbot: QtBot, db: Database, boxes: object
) -> None:
    win = MainWindow(db)
    qtbot.addWidget(win)
    org_dialogs.new_branch(win)
    assert "新建乡镇" in boxes.shown[-1][2]  # type: ignore[attr-defined]


def test_new_member_with_no_branch_at_all_says_to_create_one_first(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, boxes: object
) -> None:
    build.township()
    win = MainWindow(db)
    qtbot.addWidget(win)
    win.select_tab_title("党员名册")
    view = win.tabs.currentWidget()
    assert isinstance(view, RosterView)
    view.new_record()
    text = boxes.shown[-1][2]  # type: ignore[attr-defined]
    assert "还没有任何支部" in text and "新建支部" in text
