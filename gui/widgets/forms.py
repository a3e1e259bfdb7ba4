"""Building blocks for data-entry dialogs: lenient date fields, inline errors, unsaved-changes prompt, and
the one save path (``submit``) with the base of the small record dialogs (``FormDialog``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, time
from typing import TypeVar

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from services.dates import parse_date
from services.db import Database
from services.errors import ErrorCollector, ValidationError, ValidationErrors

T = TypeVar("T")
ERROR_STYLE = "color: #b3261e;"
INVALID_STYLE = "border: 1px solid #b3261e;"


class DateField(QLineEdit):
    """A date typed the way clerks type it (2026-07-01, 2026.7.1, 20260701, 2026年7月1日)."""

    def __init__(self, field: str, label: str, *, required: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        self.field = field
        self.label = label
        self.required = required
        self.setPlaceholderText("例如 2026-07-01" + ("" if required else "（可空）"))
        self.setMaxLength(20)

    def set_date(self, value: date | None) -> None:
        self.setText(value.isoformat() if value else "")

    def value(self) -> date | None:
        """The date, or None when empty and optional; raises ValidationError naming this field."""
        text = self.text().strip()
        if not text:
            if self.required:
                raise ValidationError(self.field, f"请填写{self.label}。")
            return None
        parsed = parse_date(text)
        if parsed is None:
            raise ValidationError(self.field, f"{self.label}“{text}”无法识别，请按 2026-07-01 的格式填写。")
        return parsed


class TimeField(QLineEdit):
    """An optional time of day: 9:30, 09:30, 0930."""

    def __init__(self, field: str, label: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.field = field
        self.label = label
        self.setPlaceholderText("例如 09:30（可空）")
        self.setMaxLength(8)

    def set_time(self, value: time | None) -> None:
        self.setText(value.strftime("%H:%M") if value else "")

    def value(self) -> time | None:
        text = self.text().strip().replace("：", ":")
        if not text:
            return None
        if ":" in text:
            hh, _, mm = text.partition(":")
        elif len(text) <= 2:  # 9 → 09:00
            hh, mm = text, "0"
        else:  # 0930 / 930
            hh, mm = text[:-2], text[-2:]
        try:
            return time(int(hh), int(mm))
        except ValueError:
            raise ValidationError(
                self.field, f"{self.label}“{text}”无法识别，请按 09:30 的格式填写。"
            ) from None


class FormSupport(QObject):
    """Inline error labels under fields, a general error line, and change tracking for one form.

    ``row(form, label, field, widget)`` adds a form row whose widget has an error label beneath it;
    ``show(error)`` puts a ``ValidationError`` next to its field (or on the general line) and focuses it.
    """

    dirtyChanged = Signal(bool)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.widgets: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self.general = QLabel()
        self.general.setStyleSheet(ERROR_STYLE)
        self.general.setWordWrap(True)
        self.general.hide()
        self._dirty = False
        self._loading = False
        parent.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Show:
            QTimer.singleShot(0, self.focus_first)
        return self._enter_filter(watched, event)

    def focus_first(self) -> None:
        """When the form opened with the keyboard on a button (or nowhere), put it in the first
        enabled field instead, so typing is not lost."""
        parent = self.parent()
        if not isinstance(parent, QWidget) or not parent.isVisible():
            return
        focus = QApplication.focusWidget()
        if focus is not None and focus.window() is parent and not isinstance(focus, QPushButton):
            return
        for widget in self.widgets.values():
            if (
                widget.isEnabled()
                and widget.isVisibleTo(parent)
                and widget.focusPolicy() != Qt.FocusPolicy.NoFocus
            ):
                widget.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    def _enter_filter(self, watched: QObject, event: QEvent) -> bool:
        """Enter must not press Save (QDialogButtonBox makes it the default button when shown): in a
        field it moves on like Tab (the line edits do that), only Ctrl+S or a click saves."""
        if (
            watched is self.parent()
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not isinstance(QApplication.focusWidget(), QPushButton)
        ):
            return True
        return super().eventFilter(watched, event)

    # --- layout ---------------------------------------------------------------------------
    def row(self, form: QFormLayout, label: str, field: str, widget: QWidget) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(widget)
        err = QLabel()
        err.setObjectName(f"error_{field}")
        err.setStyleSheet(ERROR_STYLE)
        err.setWordWrap(True)
        err.hide()
        lay.addWidget(err)
        form.addRow(label, box)
        self.register(field, widget, err)
        return box

    def register(self, field: str, widget: QWidget, error_label: QLabel | None = None) -> None:
        self.widgets[field] = widget
        if error_label is not None:
            self.labels[field] = error_label
        self.track(widget)

    def track(self, widget: QWidget) -> None:
        """Any edit of ``widget`` marks the form dirty."""
        if isinstance(widget, QLineEdit):
            widget.textEdited.connect(self.mark_dirty)
            # Enter moves on like Tab (clerks type column after column); saving is Ctrl+S or the button.
            widget.returnPressed.connect(widget.focusNextChild)
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(self.mark_dirty)
        elif isinstance(widget, QCheckBox):
            widget.toggled.connect(self.mark_dirty)
        elif isinstance(widget, QPlainTextEdit | QTextEdit):
            widget.textChanged.connect(self.mark_dirty)

    # --- errors ---------------------------------------------------------------------------
    def clear(self) -> None:
        for field, lab in self.labels.items():
            lab.hide()
            lab.clear()
            self.widgets[field].setStyleSheet("")
        self.general.hide()
        self.general.clear()

    def show(self, error: ValidationError) -> None:
        """Put ``error`` next to its field — every error of a ``ValidationErrors`` at once — and focus
        the first bad field in form order."""
        self.show_all(error.errors if isinstance(error, ValidationErrors) else [error])

    def show_all(self, errors: list[ValidationError]) -> None:
        self.clear()
        by_field: dict[str, list[str]] = {}
        general: list[str] = []
        for err in errors:
            if err.field in self.labels and err.field in self.widgets:
                by_field.setdefault(err.field, []).append(err.message)
            else:
                general.append(err.message)
        shown_labels: set[int] = set()
        for field, messages in by_field.items():
            lab = self.labels[field]
            if id(lab) in shown_labels:  # two fields sharing one label (开始/结束时间)
                lab.setText(lab.text() + "\n" + "\n".join(messages))
            else:
                lab.setText("\n".join(messages))
            shown_labels.add(id(lab))
            lab.show()
            self.widgets[field].setStyleSheet(INVALID_STYLE)
        if general:
            self.general.setText("\n".join(general))
            self.general.show()
        bad = {e.field for e in errors}
        first = next((w for f, w in self.widgets.items() if f in bad), None)  # widgets are in form order
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def messages(self) -> dict[str, str]:
        """Field → error text currently shown (for tests and screen readers)."""
        return {f: lab.text() for f, lab in self.labels.items() if not lab.isHidden()}

    def message_for(self, field: str) -> str:
        lab = self.labels.get(field)
        return lab.text() if lab is not None and not lab.isHidden() else ""

    # --- unsaved changes ------------------------------------------------------------------
    def loading(self, on: bool) -> None:
        """While loading values into the widgets, edits do not count as changes."""
        self._loading = on

    def mark_dirty(self, *_args: object) -> None:
        if self._loading or self._dirty:
            return
        self._dirty = True
        self.dirtyChanged.emit(True)

    def set_clean(self) -> None:
        self._dirty = False
        self.dirtyChanged.emit(False)

    @property
    def dirty(self) -> bool:
        return self._dirty


def merge_errors(
    found: ErrorCollector, service_errors: list[ValidationError], keep: frozenset[str] = frozenset()
) -> list[ValidationError]:
    """The form's own parse errors plus the service's errors for the other fields (a field that
    could not be parsed was checked with a stand-in value, so the service's word on it is dropped,
    except for fields in ``keep`` whose stand-in leaves the service's other remarks valid)."""
    flagged = found.fields() - keep
    return found.errors + [e for e in service_errors if e.field not in flagged]


def no_branch_message(window: object, what: str) -> str:
    """Why a per-branch record cannot be started: no branch exists yet (say how to make one), or
    the tree selection is a township / several branches (say which one to pick)."""
    names = getattr(window, "branch_names", None)
    if callable(names) and not names():
        return "还没有任何支部。请先建立支部：菜单“文件 → 新建支部…”（没有乡镇时先“新建乡镇…”）。"
    return f"请先在左侧选择{what}（组织树，按 Ctrl+T 可转到）。"


def confirm_discard(parent: QWidget, what: str = "此记录") -> QMessageBox.StandardButton:
    """Save / Discard / Cancel for a dirty form."""
    return QMessageBox.question(
        parent,
        "尚未保存",
        f"{what}有修改尚未保存。要保存吗？",
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Save,
    )


def may_close(parent: QWidget, support: FormSupport, what: str, save: Callable[[], object]) -> bool:
    """For a form's ``reject()``: True when it may close — nothing unsaved, or the clerk discards it.
    Choosing 保存 runs ``save`` (which closes the form itself when the record is valid)."""
    if not support.dirty:
        return True
    answer = confirm_discard(parent, what)
    if answer == QMessageBox.StandardButton.Save:
        save()
        return False
    return answer == QMessageBox.StandardButton.Discard


def submit(
    parent: QWidget,
    support: FormSupport,
    db: Database,
    write: Callable[[Session], T],
    *,
    changes: Iterable[str] = (),
    found: ErrorCollector | None = None,
    check: Callable[[Session], list[ValidationError]] | None = None,
    keep: frozenset[str] = frozenset(),
    on_done: Callable[[T], None] | None = None,
    background: bool = False,
    label: str = "",
) -> T | None:
    """The one save path of a form: collect → validate → one write through ``gui.ops`` → errors at
    their field. ``found`` holds the form's own parse errors; when there are any nothing is written,
    and ``check`` (the service's validation of the other fields, with stand-ins for the bad ones)
    adds its word so every error shows at once (``merge_errors``, ``keep``). Otherwise ``write`` runs
    in one transaction; its ``ValidationError`` lands next to its field. Returns ``write``'s result
    after the commit (the form is then clean), or None when nothing was saved. With ``background``
    the write runs on a worker behind a busy dialog (``label``) and None is returned at once: the
    form learns of the commit through ``on_done`` (called after it, the form already clean)."""
    support.clear()
    if found is not None and found.errors:
        more = ops.run_read(parent, db, check) if check is not None else []
        support.show_all(merge_errors(found, more or [], keep))
        return None

    def committed(result: T) -> None:
        support.set_clean()
        if on_done is not None:
            on_done(result)

    return ops.run_write(
        parent,
        db,
        write,
        committed,
        on_invalid=support.show,
        changes=changes,
        background=background,
        label=label,
    )


class FormDialog(QDialog):
    """The base of the small record dialogs: an intro line, fields with inline errors under them
    (``self.support.row(self.form, …)``), 保存 (Ctrl+S) / 取消, and ``submit`` that saves and closes."""

    def __init__(self, parent: QWidget | None, title: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.support = FormSupport(self)
        self.form = QFormLayout()
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("保存 (Ctrl+S)")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.body = QVBoxLayout(self)
        self.body.addWidget(self.intro)
        self.body.addLayout(self.form)
        self.body.addWidget(self.support.general)
        self.body.addWidget(self.buttons)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        self.result_id: str | None = None

    def say(self, text: str) -> None:
        self.intro.setText(text)
        self.intro.show()

    def save(self) -> None:
        """Gather the fields and call ``submit``."""
        raise NotImplementedError

    @staticmethod
    def dates(found: ErrorCollector, *fields: DateField) -> list[date | None]:
        """Values of date fields; a bad one is None and its error goes to ``found``."""
        out: list[date | None] = []
        for field in fields:
            value = None
            with found.check():
                value = field.value()
            out.append(value)
        return out

    def submit(
        self,
        db: Database,
        write: Callable[[Session], T],
        *,
        changes: Iterable[str] = (),
        found: ErrorCollector | None = None,
        check: Callable[[Session], list[ValidationError]] | None = None,
    ) -> T | None:
        """``submit`` for this dialog; after the commit the dialog closes, and a ``str`` result (the
        record's id) is kept in ``result_id``."""
        result = submit(self, self.support, db, write, changes=changes, found=found, check=check)
        if result is not None:
            if isinstance(result, str):
                self.result_id = result
            self.accept()
        return result
