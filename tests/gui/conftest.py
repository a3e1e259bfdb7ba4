"""GUI test fixtures: the app set up like at start-up, message boxes recorded instead of shown."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from gui.app import create_app


@dataclass
class Boxes:
    """Message boxes the code under test tried to show; ``answer`` is what question() returns."""

    shown: list[tuple[str, str, str]] = field(default_factory=list)
    answer: QMessageBox.StandardButton = QMessageBox.StandardButton.Yes

    def texts(self) -> list[str]:
        return [text for _kind, _title, text in self.shown]


@pytest.fixture
def app(qapp: QApplication) -> QApplication:
    return create_app()


@pytest.fixture(autouse=True)
def boxes(monkeypatch: pytest.MonkeyPatch) -> Iterator[Boxes]:
    """A modal box offscreen would hang the test: record it and answer instead."""
    rec = Boxes()

    def recorder(kind: str):  # type: ignore[no-untyped-def]
        def show(_parent, title, text, *args, **kwargs):  # type: ignore[no-untyped-def]
            rec.shown.append((kind, str(title), str(text)))
            return rec.answer if kind == "question" else QMessageBox.StandardButton.Ok

        return staticmethod(show)

    for kind in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, recorder(kind))

    def exec_box(self: QMessageBox) -> int:
        rec.shown.append(("exec", self.windowTitle(), self.text()))
        return int(QMessageBox.StandardButton.Ok.value)

    monkeypatch.setattr(QMessageBox, "exec", exec_box)

    def unexpected_modal(self: QDialog) -> int:
        # Offscreen nobody can close a modal dialog: fail loudly instead of hanging the suite.
        raise AssertionError(f"test opened a modal dialog “{self.windowTitle()}”; monkeypatch its exec()")

    monkeypatch.setattr(QDialog, "exec", unexpected_modal)
    yield rec


def type_text(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type like a clerk: ASCII as key clicks, Chinese as input-method commits (QTest cannot click CJK keys)."""
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            event = QInputMethodEvent("", [])
            event.setCommitString(ch)
            QApplication.sendEvent(widget, event)


def show_active(qtbot: QtBot, widget: QWidget) -> None:
    """Show and activate: window shortcuts (Ctrl+S, Esc) only reach the active window."""
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=2000)
