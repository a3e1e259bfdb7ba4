"""Windows that fit a clerk's laptop (1366×768, down to 1024×700) and remember how they were left.

- ``install(app)``: an application-wide event filter that, when any top-level window (main window,
  form, dialog, preview — also ones added later) is shown, shrinks it to the screen's *available*
  geometry (minus a title-bar allowance) and moves it fully on screen. Code may keep its generous
  ``resize(1100, 720)``: on a small screen the window simply comes up smaller.
- ``available_geometry(widget)``: the rectangle a window may use (the screen without task bars).
- ``settings()``: the ``QSettings`` for window state, an INI file in the user-data folder
  (``services.paths.data_dir()``), so state survives restarts and moves with a portable install.
- ``save_state(window, key)`` / ``restore_state(window, key)``: size, position and maximised state of
  one window, and the positions of the splitters inside it.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QPoint, QRect, QSettings, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow, QSplitter, QWidget

from services.paths import data_dir

# The window manager adds a title bar and borders outside ``geometry()``; before the window is
# mapped their size is unknown, so this much is kept free (typical Windows 10 / GNOME sizes).
FRAME_ALLOWANCE = QSize(16, 40)
SETTINGS_FILE = "window-state.ini"


def available_geometry(widget: QWidget | None = None) -> QRect:
    """The usable rectangle (pixels, screen coordinates) of the screen ``widget`` is on."""
    screen = widget.screen() if widget is not None else None
    if screen is None:
        screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1366, 728)


def room(widget: QWidget | None = None) -> QSize:
    """The largest client size (``geometry()``) a window may have: available area minus the frame."""
    area = available_geometry(widget)
    return QSize(
        max(200, area.width() - FRAME_ALLOWANCE.width()), max(200, area.height() - FRAME_ALLOWANCE.height())
    )


def fit_window(widget: QWidget) -> None:
    """Shrink ``widget`` to the available area if it is larger and move it fully onto the screen.

    A window whose layout cannot shrink that far stays at its minimum size; the fit test
    (tests/gui/test_fit.py) finds those."""
    if (
        widget.isMaximized()
        or widget.isFullScreen()
        or widget.testAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    ):
        return  # a screenshot rendered off screen keeps the size it asked for
    limit = room(widget)
    size = widget.size()
    wanted = QSize(min(size.width(), limit.width()), min(size.height(), limit.height()))
    wanted = wanted.expandedTo(widget.minimumSize())
    if wanted != size:
        widget.resize(wanted)
    usable = client_area(widget)
    geo = widget.geometry()
    x, y = geo.x(), geo.y()
    owner = widget.parentWidget()
    if isinstance(widget, QDialog) and owner is not None and not widget.property("fitMoved"):
        # The first time, centre a dialog on its parent's window (then clamp it onto the screen).
        centre = owner.window().geometry().center()
        x, y = centre.x() - geo.width() // 2, centre.y() - geo.height() // 2
        widget.setProperty("fitMoved", True)
    x = max(usable.left(), min(x, usable.right() + 1 - geo.width()))
    y = max(usable.top(), min(y, usable.bottom() + 1 - geo.height()))
    if QPoint(x, y) != geo.topLeft():
        widget.move(QPoint(x, y) - (geo.topLeft() - widget.pos()))  # move() places the frame


def client_area(widget: QWidget | None = None) -> QRect:
    """Where a window's client area (``geometry()``) may lie: the available area less the frame."""
    area = available_geometry(widget)
    side = FRAME_ALLOWANCE.width() // 2
    top = FRAME_ALLOWANCE.height() - side
    return area.adjusted(side, top, -side, -side)


class WindowFitter(QObject):
    """Application event filter: every top-level QDialog / QMainWindow is fitted when it is shown."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Show
            and isinstance(watched, QDialog | QMainWindow)
            and watched.isWindow()
        ):
            fit_window(watched)
        return False


def install(app: QApplication) -> WindowFitter:
    """Install the fitter once per application (idempotent); returns it."""
    found = app.findChild(WindowFitter, "windowFitter")
    if found is None:
        found = WindowFitter(app)
        found.setObjectName("windowFitter")
        app.installEventFilter(found)
    return found


def settings() -> QSettings:
    """Window state as an INI file in the user-data folder (not the registry / ~/.config)."""
    return QSettings(str(data_dir() / SETTINGS_FILE), QSettings.Format.IniFormat)


def _splitters(window: QWidget) -> list[QSplitter]:
    return sorted((s for s in window.findChildren(QSplitter) if s.objectName()), key=lambda s: s.objectName())


def save_state(window: QWidget, key: str) -> None:
    """Remember size, position, maximised state and named splitters of ``window`` under ``key``."""
    store = settings()
    store.beginGroup(key)
    store.setValue("geometry", window.saveGeometry())
    store.setValue("maximized", window.isMaximized())
    for splitter in _splitters(window):
        store.setValue(f"splitter/{splitter.objectName()}", splitter.saveState())
    store.endGroup()
    store.sync()


def restore_state(window: QWidget, key: str) -> bool:
    """Put ``window`` back as ``save_state`` left it, fitted to today's screen; False when nothing
    was saved yet."""
    store = settings()
    store.beginGroup(key)
    try:
        geometry = store.value("geometry")
        if not isinstance(geometry, QByteArray) or geometry.isEmpty():
            return False
        window.restoreGeometry(geometry)
        for splitter in _splitters(window):
            state = store.value(f"splitter/{splitter.objectName()}")
            if isinstance(state, QByteArray) and not state.isEmpty():
                splitter.restoreState(state)
        if str(store.value("maximized", "false")).lower() == "true":
            window.setProperty("restoreMaximized", True)
        return True
    finally:
        store.endGroup()
