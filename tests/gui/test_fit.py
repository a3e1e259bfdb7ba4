"""Every window and dialog of the app fits a clerk's laptop: 1366×768 (728 px usable under a task bar)
with all buttons on screen, and 1024×700 with the organisation names still readable.

The dialogs are found in the code (every ``QDialog`` / ``QMainWindow`` subclass in a ``gui`` module),
not listed here, so a dialog added later is checked too; they are built from their constructor's
parameter names with data made through the services on an empty database.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QMainWindow, QWidget
from pytestqt.qtbot import QtBot

import gui
from gui.main_window import TREE_MIN_WIDTH, MainWindow
from gui.widgets import fit
from services import committee, meetings
from services.db import Database
from services.printing import booklet
from tests.conftest import TODAY, Builder

pytestmark = pytest.mark.display  # real-display behaviour: also run under xcb (Makefile)

SCREENS = {"1366x768": QRect(0, 0, 1366, 728), "1024x700": QRect(0, 0, 1024, 700)}


def window_classes() -> list[type[QWidget]]:
    """All concrete dialog and main-window classes defined in the ``gui`` package."""
    for info in pkgutil.walk_packages(gui.__path__, "gui."):
        importlib.import_module(info.name)
    found: dict[str, type[QWidget]] = {}
    stack: list[type[QWidget]] = [QDialog, QMainWindow]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("gui.") and not sub.__name__.startswith("_"):
                found[f"{sub.__module__}.{sub.__qualname__}"] = sub
    return [found[k] for k in sorted(found)]


@dataclass
class World:
    db: Database
    window: MainWindow
    township_id: str
    branch_id: str
    member_id: str
    meeting_id: str


@pytest.fixture
def world(app: QApplication, qtbot: QtBot, db: Database, build: Builder) -> World:
    branch = build.branch(members=6, probationary=1)
    build.branch("B09", "青塬果业有限公司党支部", members=1)
    member = build.member(branch.id, "王小明")
    data = meetings.MeetingInput(type="congress", held_on=date(2026, 11, 2), topics="学习党章")
    with db.transaction("test") as s:
        meeting_id = meetings.create_meeting(s, branch.id, data, TODAY).id
    window = MainWindow(db)
    qtbot.addWidget(window)
    return World(db, window, build.township_id, branch.id, member.id, meeting_id)


def _value_for(name: str, param: inspect.Parameter, w: World) -> Any:
    """A value for a constructor parameter, chosen by its name; unknown optional ones keep defaults."""
    known: dict[str, Callable[[], Any]] = {
        "parent": lambda: w.window,
        "window": lambda: w.window,
        "db": lambda: w.db,
        "branch_id": lambda: w.branch_id,
        "township_id": lambda: w.township_id,
        "member_id": lambda: w.member_id,
        "meeting_id": lambda: w.meeting_id,
        "today": lambda: TODAY,
        "title": lambda: "测试标题",
        "filename": lambda: "测试.pdf",
        "members": lambda: [(w.member_id, "王小明")],
        "name": lambda: "青塬村党支部",
        "seat": lambda: committee.SeatRow(
            "seat-1", w.member_id, "王小明", "secretary", "书记", date(2024, 1, 1), None, "选举", None
        ),
    }
    if name == "rendered":
        with w.db.reader() as s:
            return booklet.build_meeting_form(s, w.meeting_id)
    if name in known:
        return known[name]()
    if param.default is not inspect.Parameter.empty:
        return param.default
    if "None" in str(param.annotation):
        return None
    raise AssertionError(f"fit test: no value for required parameter “{name}”; add it to _value_for")


def instances(cls: type[QWidget], w: World) -> Iterator[QWidget]:
    """One instance of ``cls`` per variant (ActionDialog: one per ledger action)."""
    if cls.__name__ == "MainWindow":
        yield w.window
        return
    if cls.__name__ == "ActionDialog":
        from services.ledgers.actions import ACTIONS, Target

        for actions in ACTIONS.values():
            for action in actions:
                yield cls(w.window, w.db, action, Target(w.branch_id, None), [(w.member_id, "王小明")])  # type: ignore[call-arg]
        return
    sig = inspect.signature(cls.__init__)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for name, param in list(sig.parameters.items())[1:]:
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        value = _value_for(name, param, w)
        if param.kind == inspect.Parameter.KEYWORD_ONLY:
            kwargs[name] = value
        else:
            args.append(value)
    yield cls(*args, **kwargs)


def problems(widget: QWidget, area: QRect) -> list[str]:
    """What does not fit: the window outside the usable area, or a visible button cut off."""
    out: list[str] = []
    geo = widget.geometry()
    if not fit.client_area(widget).contains(geo):  # the available area less title bar and borders
        out.append(
            f"窗口 {geo.width()}×{geo.height()}+{geo.x()}+{geo.y()} 超出可用区域 {area.width()}×{area.height()}"
        )
    inside = widget.rect()
    for button in widget.findChildren(QAbstractButton):
        if not button.isVisibleTo(widget) or button.window() is not widget:
            continue
        if button.width() < 8 or button.height() < 8:
            continue  # decorations (tool buttons folded into a header)
        top_left = button.mapTo(widget, QPoint(0, 0))
        rect = QRect(top_left, button.size())
        if not inside.contains(rect):
            out.append(f"按钮“{button.text()}”不在窗口内 {rect}")
        elif button.text() and button.width() < button.minimumSizeHint().width() - 2:
            out.append(f"按钮“{button.text()}”被压窄，文字显示不全")
    return out


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_every_window_and_dialog_fits_the_screen_with_buttons_visible(
    world: World, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, screen: str
) -> None:
    area = SCREENS[screen]
    monkeypatch.setattr(fit, "available_geometry", lambda _w=None: QRect(area))
    classes = window_classes()
    names = {c.__name__ for c in classes}
    # The enumeration really finds the app's windows (guards against an empty, vacuous loop).
    assert {"MainWindow", "MeetingForm", "MemberForm", "PdfPreviewDialog", "LoginDialog"} <= names
    failures: list[str] = []
    checked = 0
    for cls in classes:
        for widget in instances(cls, world):
            if widget is not world.window:
                qtbot.addWidget(widget)
            widget.show()
            QApplication.processEvents()
            failures += [f"{cls.__name__}（{widget.windowTitle()}）：{p}" for p in problems(widget, area)]
            checked += 1
            if widget is not world.window:
                widget.close()  # done(): a preview closes its PDF
    assert checked >= len(classes)
    assert not failures, "\n".join(failures)


def test_main_window_keeps_the_branch_names_readable_at_1024x700(
    world: World, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fit, "available_geometry", lambda _w=None: QRect(0, 0, 1024, 700))
    window = world.window
    window.resize(1280, 800)
    window.show()
    QApplication.processEvents()
    assert window.width() <= 1024 and window.height() <= 700
    window.splitter.setSizes([10, 2000])  # dragging the splitter all the way left stops at the minimum
    QApplication.processEvents()
    assert window.tree.width() >= TREE_MIN_WIDTH
    township = window.tree.topLevelItem(0)
    assert township is not None
    items = [township.child(i) for i in range(township.childCount())]
    long_name = next(i for i in items if i is not None and i.text(0) == "青塬果业有限公司党支部")
    needed = window.tree.fontMetrics().horizontalAdvance(long_name.text(0)) + 2 * window.tree.indentation()
    assert window.tree.columnWidth(0) >= needed  # an 11-character name is not cut off
    assert window.tabs.width() >= 480


def test_window_size_splitter_branch_and_tab_are_remembered_across_restarts(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fit, "available_geometry", lambda _w=None: QRect(0, 0, 1366, 728))
    build.branch("B01", "一村党支部", members=2)
    build.branch("B02", "二村党支部", members=2)
    first = MainWindow(db)
    qtbot.addWidget(first)
    first.show()
    first.resize(780, 560)  # within the offscreen screen: restoreGeometry clamps to the real one
    first.splitter.setSizes([230, 550])
    assert first.select_branch_code("B02")
    first.tabs.setCurrentIndex(2)
    tab_title = first.tabs.tabText(2)
    QApplication.processEvents()
    tree_width = first.tree.width()
    first.close()  # closing writes the state

    assert (fit.settings().fileName()).startswith(str(fit.data_dir()))  # the user-data folder, not ~/.config
    second = MainWindow(db)
    qtbot.addWidget(second)
    second.show()
    QApplication.processEvents()
    assert (second.width(), second.height()) == (780, 560)
    assert abs(second.tree.width() - tree_width) <= 2
    assert second.current_node_name() == "二村党支部"
    assert second.tabs.tabText(second.tabs.currentIndex()) == tab_title


def test_a_maximised_main_window_opens_maximised_again(
    app: QApplication, qtbot: QtBot, db: Database, build: Builder
) -> None:
    build.branch(members=1)
    first = MainWindow(db)
    qtbot.addWidget(first)
    first.showMaximized()
    QApplication.processEvents()
    first.close()
    second = MainWindow(db)
    qtbot.addWidget(second)
    second.show()
    QApplication.processEvents()
    assert second.isMaximized()
