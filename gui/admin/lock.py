"""Idle lock: after N minutes without keyboard or mouse input the window is covered and asks for
the password again (the same login dialog; another user may sign in instead).

N comes from ``services.security_settings`` (0 = never). Every open window — the main window and any
form, preview or dialog — is covered and its title replaced, so a laptop left open in the village
office shows nothing; unsaved text stays in the forms and is there again after the password.
退出 on the lock screen quits only when no form holds unsaved changes (otherwise it explains and asks
for the password again): it never shows a form's save prompt without a password and never drops a draft.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMainWindow, QMessageBox, QWidget

from gui.admin.login import LoginDialog, become
from gui.widgets.forms import FormSupport
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
        self.cover: QWidget | None = None  # the main window's cover
        self.covers: dict[int, QWidget] = {}
        self.titles: dict[int, tuple[QWidget, str]] = {}
        self.idle = True
        self.ask_again = True  # tests turn the password loop off after one refusal
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
        if self.locked and event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            cover = self.covers.get(id(watched))
            if cover is not None and cover.parentWidget() is watched:
                cover.setGeometry(watched.rect())
        if (
            not self.locked
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.keyCombination() == QKeyCombination(Qt.KeyboardModifier.ControlModifier, Qt.Key.Key_L)
        ):
            # Ctrl+L in a modal form (where the main window's menu shortcut cannot fire) locks too.
            self.lock(idle=False)
            return True
        if not self.locked and self.minutes > 0 and event.type() in _INPUT_EVENTS:
            self.timer.start()
        return False

    def _cover(self, target: QWidget) -> QWidget:
        cover = QLabel("支部台账已锁定", target)
        cover.setObjectName("lockCover")
        cover.setAutoFillBackground(True)
        cover.setStyleSheet("background: #f0f0f0; font-size: 24px; qproperty-alignment: AlignCenter;")
        cover.setGeometry(target.rect())
        cover.show()
        cover.raise_()
        return cover

    def windows_to_cover(self) -> list[QWidget]:
        """The main window and every other open top-level window (forms, previews, dialogs)."""
        out: list[QWidget] = [self.window]
        for w in QApplication.topLevelWidgets():
            if w is self.window or not w.isVisible() or isinstance(w, LoginDialog):
                continue
            if w.windowType() in (Qt.WindowType.Popup, Qt.WindowType.ToolTip):
                continue
            out.append(w)
        return out

    def lock(self, *, idle: bool = True) -> None:
        """Cover every open window (their titles too: a form's title names the person) and ask for a
        password until someone signs in (or quits). ``idle``: locked by the timer, not by Ctrl+L."""
        if self.locked:
            return
        self.locked = True
        self.idle = idle
        self.timer.stop()
        for w in self.windows_to_cover():
            self.covers[id(w)] = self._cover(w)
            self.titles[id(w)] = (w, w.windowTitle())
            w.setWindowTitle("支部台账已锁定")
        self.cover = self.covers.get(id(self.window))
        self.window.menuBar().setEnabled(False)
        QTimer.singleShot(0, self._ask)

    def _ask(self) -> None:
        username = self.db.actor.username if self.db.actor else ""
        while self.locked:
            dialog = LoginDialog(self.db, self.window, username=username, locked=True, idle=self.idle)
            if dialog.exec() == QDialog.DialogCode.Accepted and dialog.actor is not None:
                become(self.db, dialog.actor)
                self.unlock()
                return
            drafts = self.unsaved_forms()
            if not drafts:
                self.quit()
                return
            # 退出 never reaches a form's 要保存吗？ (that would need no password) and never drops a draft.
            names = "、".join(drafts)
            QMessageBox.information(
                self.window,
                "不能退出",
                f"{names}有尚未保存的修改。为免丢失，请先输入密码解锁，保存或放弃后再退出。",
            )
            if not self.ask_again:
                return

    def unsaved_forms(self) -> list[str]:
        """Titles (as before locking) of open windows whose form has unsaved changes."""
        out: list[str] = []
        for w, title in self.titles.values():
            if shiboken6.isValid(w) and any(f.dirty for f in w.findChildren(FormSupport)):
                out.append(f"“{title}”")
        return out

    def quit(self) -> None:
        """Leaving the lock screen with nothing unsaved: close every window, then the main one."""
        for w, _title in list(self.titles.values()):
            if shiboken6.isValid(w) and w is not self.window and isinstance(w, QDialog):
                w.done(QDialog.DialogCode.Rejected)  # not reject(): nothing to ask, and no password
        self.window.close()

    def unlock(self) -> None:
        for cover in self.covers.values():
            if shiboken6.isValid(cover):
                cover.deleteLater()
        for w, title in self.titles.values():
            if shiboken6.isValid(w):
                w.setWindowTitle(title)
        self.covers.clear()
        self.titles.clear()
        self.cover = None
        self.window.menuBar().setEnabled(True)
        self.locked = False
        self.set_minutes(self.minutes)
