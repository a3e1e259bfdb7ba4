"""Idle lock: after N minutes without keyboard or mouse input the window is covered and asks for
the password again (the same login dialog; another user may sign in instead).

N comes from ``services.security_settings`` (0 = never). The cover hides every record, so a
laptop left open in the village office shows nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMainWindow, QWidget

from gui.login_dialog import LoginDialog, become
from services.db import Database

_INPUT_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleLock(QObject):
    """Application-wide event filter that restarts a timer on user input and locks on timeout."""

    def __init__(self, window: QMainWindow, db: Database, minutes: int) -> None:
        super().__init__(window)
        self.window = window
        self.db = db
        self.locked = False
        self.cover: QWidget | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.lock)
        self.set_minutes(minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_minutes(self, minutes: int) -> None:
        self.minutes = minutes
        if minutes > 0:
            self.timer.setInterval(minutes * 60_000)
            self.timer.start()
        else:
            self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.cover is not None and watched is self.window and event.type() == QEvent.Type.Resize:
            self.cover.setGeometry(self.window.rect())
        if not self.locked and self.minutes > 0 and event.type() in _INPUT_EVENTS:
            self.timer.start()
        return False

    def _cover(self) -> QWidget:
        cover = QLabel("支部台账已锁定", self.window)
        cover.setObjectName("lockCover")
        cover.setAutoFillBackground(True)
        cover.setStyleSheet("background: #f0f0f0; font-size: 24px; qproperty-alignment: AlignCenter;")
        cover.setGeometry(self.window.rect())
        cover.show()
        cover.raise_()
        return cover

    def lock(self) -> None:
        """Cover the window and ask for a password until someone signs in (or quits)."""
        if self.locked:
            return
        self.locked = True
        self.timer.stop()
        self.cover = self._cover()
        self.window.menuBar().setEnabled(False)
        QTimer.singleShot(0, self._ask)

    def _ask(self) -> None:
        username = self.db.actor.username if self.db.actor else ""
        dialog = LoginDialog(self.db, self.window, username=username, locked=True)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.actor is not None:
            become(self.db, dialog.actor)
            self.unlock()
        else:
            self.window.close()  # leaving the lock screen means quitting, never skipping it

    def unlock(self) -> None:
        if self.cover is not None:
            self.cover.deleteLater()
            self.cover = None
        self.window.menuBar().setEnabled(True)
        self.locked = False
        self.set_minutes(self.minutes)
