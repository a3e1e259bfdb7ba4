"""The one way screens run service calls: a unit of work, errors in one place, optional worker thread.

Modelled on Anki's ``CollectionOp`` / ``QueryOp``. A screen never opens a session itself; it hands a
function of a ``Session`` to one of these helpers::

    from gui import ops

    def save(s: Session) -> Member:                        # runs inside db.transaction(user)
        return members.create_member(s, branch_id, data)

    ops.run_write(self, db, save, on_done=self._saved, on_invalid=self.errors.show, changes={"member"})
    rows = ops.run_read(self, db, lambda s: members.roster(s, ids))    # None if it failed

API
- ``run_write(parent, db, fn, on_done=None, *, on_invalid=None, changes=(), background=False,
  label="", user=None) -> T | None``: runs ``fn(session)`` in ``db.transaction(user)`` (committed on
  success, rolled back on any error). On success calls ``on_done(result)`` and announces what the
  commit changed on ``bus().changed`` as a ``services.db.OpChanges``: a frozenset of the TABLE NAMES
  the flushes inserted/updated/deleted rows in (``"member"``, ``"fee_due"`` …; bookkeeping tables
  left out), with ``.rows`` (table → row ids) and ``.touches(*tables)``. It is derived from the
  flush, like Anki's ``OpChanges``, so a screen cannot miss a change someone forgot to tag;
  ``changes`` only adds extra tags. Slots: ``ops.bus().changed.connect(slot)`` (slots of deleted
  widgets are dropped automatically); a hidden screen should only note that it is stale and reload
  when shown (``gui.ops.LazyRefresh``).
- ``run_read(parent, db, fn, on_done=None, *, on_invalid=None, background=False, label="")``: the same
  with a read-only session (``db.reader()``), nothing committed, nothing announced.
- Errors: a ``ValidationError`` goes to ``on_invalid(error)`` when given (forms show ``error.message``
  next to the field named ``error.field``), else to a warning box; any other ``LedgerError`` shows a
  warning box with its Chinese message; any other exception shows an error box with the details — the
  app never crashes from a service call. Failures return ``None`` and do not call ``on_done``.
- ``background=True``: the function runs on a ``QThreadPool`` worker with its own fresh session while a
  modal busy ``QProgressDialog`` shows ``label``; the call returns ``None`` at once and ``on_done`` /
  the error handling run later on the GUI thread. Use it for long jobs (demo data, imports, printing).
  Without it the call is synchronous and returns the result (every single-record save and every
  roster/meeting query is fast enough to run inline).
- ``query(db, fn) -> T``: ``fn(session)`` with a read-only session, on the GUI thread, errors raised to
  the caller: for the few reads whose failure decides what happens next (start-up, sign-in, a tree
  lookup that must raise) rather than being shown.
- ``run_job(parent, fn, on_done=None, *, changes=(), background=True, label="", db=None)``: for
  service functions that manage their own transactions and take the ``Database`` (e.g.
  ``services.demo.generate``): ``fn()`` is called without a session; errors are handled as for
  ``run_write``; with ``db`` the tables its transactions changed are announced.
- ``wait_idle()``: blocks (processing events) until background operations finished — for tests and
  the screenshot command.
- ``set_user(name)`` / ``current_user()``: who is recorded as ``created_by``/``updated_by``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QElapsedTimer,
    QEvent,
    QObject,
    QRunnable,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget
from sqlalchemy.orm import Session

from services.db import Database, OpChanges
from services.errors import LedgerError, ValidationError

T = TypeVar("T")
log = logging.getLogger(__name__)

_USER_PROPERTY = "ledgerUser"
_BUS_NAME = "ledgerChangeBus"


class ChangeSignal:
    """``connect(slot)`` / ``disconnect(slot)`` / ``emit(tags)`` like a Qt signal, but safe for slots
    whose widget is gone: screens often connect lambdas that capture ``self``; when that widget's C++
    object has been deleted (window closed, test over) the slot is dropped instead of raising."""

    def __init__(self) -> None:
        self._slots: list[Callable[[frozenset[str]], object]] = []

    def connect(self, slot: Callable[[frozenset[str]], object]) -> None:
        self._slots.append(slot)

    def disconnect(self, slot: Callable[[frozenset[str]], object]) -> None:
        if slot in self._slots:
            self._slots.remove(slot)

    def emit(self, tags: frozenset[str]) -> None:
        for slot in list(self._slots):
            owner = getattr(slot, "__self__", None)
            if isinstance(owner, QObject) and not shiboken6.isValid(owner):
                self.disconnect(slot)
                continue
            try:
                slot(tags)
            except RuntimeError as exc:
                if "already deleted" not in str(exc):
                    raise
                self.disconnect(slot)


class ChangeBus(QObject):
    """Announces what a write changed: ``changed`` carries a ``frozenset[str]`` of tags."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.changed = ChangeSignal()


def bus() -> ChangeBus:
    """The application's change bus (one per QApplication, parented to it)."""
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("QApplication must exist before gui.ops.bus() is used")
    found = app.findChild(ChangeBus, _BUS_NAME)
    if found is None:
        found = ChangeBus(app)
        found.setObjectName(_BUS_NAME)
    return found


def set_user(name: str) -> None:
    app = QCoreApplication.instance()
    if app is not None:
        app.setProperty(_USER_PROPERTY, name)


def current_user() -> str:
    app = QCoreApplication.instance()
    value = app.property(_USER_PROPERTY) if app is not None else None
    return str(value) if value else "gui"


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """The one place errors become dialogs."""
    if isinstance(exc, LedgerError):
        QMessageBox.warning(parent, "无法完成操作", exc.message)
        return
    # The traceback (and the SQL error text) can carry names, phones, ID numbers: it goes to the
    # private log only; the clerk reads the cause in plain words (full disk, locked, read-only).
    from services import crashlog

    QMessageBox.critical(parent, "程序错误", f"操作没有完成，数据未作修改。\n\n{crashlog.report(exc)}")


def _handle_failure(
    parent: QWidget | None, exc: BaseException, on_invalid: Callable[[ValidationError], None] | None
) -> None:
    if isinstance(exc, ValidationError) and on_invalid is not None:
        on_invalid(exc)
    else:
        show_error(parent, exc)


def run_write(
    parent: QWidget | None,
    db: Database,
    fn: Callable[[Session], T],
    on_done: Callable[[T], None] | None = None,
    *,
    on_invalid: Callable[[ValidationError], None] | None = None,
    changes: Iterable[str] = (),
    background: bool = False,
    label: str = "",
    user: str | None = None,
) -> T | None:
    """Run ``fn`` in one transaction; see the module docstring."""
    tags = frozenset(changes)
    who = user or current_user()
    mark = db.journal.mark()

    def work() -> T:
        with db.transaction(who) as session:
            return fn(session)

    def done(result: T) -> None:
        if on_done is not None:
            on_done(result)
        announce(db.journal.since(mark), tags)

    return _run(parent, work, done, on_invalid, background, label or "正在保存…")


def run_read(
    parent: QWidget | None,
    db: Database,
    fn: Callable[[Session], T],
    on_done: Callable[[T], None] | None = None,
    *,
    on_invalid: Callable[[ValidationError], None] | None = None,
    background: bool = False,
    label: str = "",
) -> T | None:
    """Run ``fn`` with a read-only session; see the module docstring."""

    def work() -> T:
        with db.reader() as session:
            return fn(session)

    def done(result: T) -> None:
        if on_done is not None:
            on_done(result)

    return _run(parent, work, done, on_invalid, background, label or "正在读取…")


def query(db: Database, fn: Callable[[Session], T]) -> T:
    """``fn(session)`` with a read-only session (``db.reader()``); any error is raised to the caller."""
    with db.reader() as session:
        return fn(session)


def run_job(
    parent: QWidget | None,
    fn: Callable[[], T],
    on_done: Callable[[T], None] | None = None,
    *,
    on_invalid: Callable[[ValidationError], None] | None = None,
    changes: Iterable[str] = (),
    background: bool = True,
    label: str = "",
    db: Database | None = None,
) -> T | None:
    """Run a job that opens its own transactions; see the module docstring."""
    tags = frozenset(changes)
    mark = db.journal.mark() if db is not None else 0

    def done(result: T) -> None:
        if on_done is not None:
            on_done(result)
        announce(db.journal.since(mark) if db is not None else OpChanges(), tags)

    return _run(parent, fn, done, on_invalid, background, label or "正在处理…")


def touches(changed: object, *tables: str) -> bool:
    """Whether an announced change concerns ``tables`` (an ``OpChanges``, or a plain frozenset of
    tags from older callers; ``"all"`` / an unknown change concerns everything)."""
    if isinstance(changed, OpChanges):
        return changed.touches(*tables)
    return isinstance(changed, frozenset) and ("all" in changed or bool(changed & set(tables)))


# Tables that no listing or check shows: a change there refreshes nothing.
NOT_SHOWN_TABLES = frozenset({"user_account", "sync_device", "sync_received", "sync_held", "sync_conflict"})


def touches_shown_data(changed: object) -> bool:
    """Whether a change concerns anything a ledger listing or the handbook check reads."""
    if isinstance(changed, OpChanges):
        return changed.everything or "all" in changed or bool(set(changed) - NOT_SHOWN_TABLES - {"sync"})
    return isinstance(changed, frozenset) and bool(changed - {"sync"})


class LazyRefresh(QObject):
    """Runs ``refresh`` now when ``widget`` is on screen, else once when it is next shown, so a
    hidden listing costs nothing when something changes elsewhere. ``loads`` counts the runs."""

    def __init__(self, widget: QWidget, refresh: Callable[[], object]) -> None:
        super().__init__(widget)
        self.widget, self.refresh = widget, refresh
        self.stale = False
        self.loads = 0
        widget.installEventFilter(self)

    def request(self) -> None:
        # A screen not placed in any window yet (no parent) has nothing hiding it: load it now.
        if self.widget.isVisible() or self.widget.parentWidget() is None:
            self.run()
        else:
            self.stale = True

    def run(self) -> None:
        self.stale = False
        self.loads += 1
        self.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget and event.type() == QEvent.Type.Show and self.stale:
            self.run()
        return False


def announce(changed: OpChanges, tags: frozenset[str] = frozenset()) -> None:
    """Tell the screens what changed: the tables the committed transactions touched (from the
    flushes, ``services.db.OpChanges``) plus any extra ``tags``; nothing when nothing changed."""
    if tags:
        changed = changed.union_with(tags)
    if changed or changed.everything:
        bus().changed.emit(changed)


def _run(
    parent: QWidget | None,
    work: Callable[[], T],
    done: Callable[[T], None],
    on_invalid: Callable[[ValidationError], None] | None,
    background: bool,
    label: str,
) -> T | None:
    if not background:
        try:
            result = work()
        except Exception as exc:
            _handle_failure(parent, exc, on_invalid)
            return None
        done(result)
        return result
    _start_worker(parent, work, done, on_invalid, label)
    return None


# --- background work ------------------------------------------------------------------------


class _WorkerSignals(QObject):
    finished = Signal(object)
    failed = Signal(object)


class _Worker(QRunnable):
    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__()
        self.work = work
        self.signals = _WorkerSignals()
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            result = self.work()
        except BaseException as exc:
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)


_running: set[_Worker] = set()  # keeps workers (and their signal objects) alive until they report


def _start_worker(
    parent: QWidget | None,
    work: Callable[[], T],
    done: Callable[[T], None],
    on_invalid: Callable[[ValidationError], None] | None,
    label: str,
) -> None:
    worker = _Worker(work)
    progress: QProgressDialog | None = None
    app = QCoreApplication.instance()
    if app is not None and app.inherits("QApplication"):  # widgets exist only in a QApplication
        progress = QProgressDialog(label, "", 0, 0, parent)
        progress.setCancelButton(None)
        progress.setWindowTitle("请稍候")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        progress.setValue(0)

    def finish() -> None:
        _running.discard(worker)
        if progress is not None:
            progress.reset()
            progress.deleteLater()

    def on_finished(result: object) -> None:
        finish()
        done(result)  # type: ignore[arg-type]

    def on_failed(exc: object) -> None:
        finish()
        assert isinstance(exc, BaseException)
        _handle_failure(parent, exc, on_invalid)

    # Queued: the worker emits from its thread, the slots run on the GUI thread.
    worker.signals.finished.connect(on_finished, Qt.ConnectionType.QueuedConnection)
    worker.signals.failed.connect(on_failed, Qt.ConnectionType.QueuedConnection)
    _running.add(worker)
    QThreadPool.globalInstance().start(worker)


def busy() -> bool:
    return bool(_running)


def wait_idle(timeout_ms: int = 600_000) -> bool:
    """Process events until no background operation is left; False on timeout."""
    timer = QElapsedTimer()
    timer.start()
    while _running and timer.elapsed() < timeout_ms:
        QThreadPool.globalInstance().waitForDone(20)
        QCoreApplication.processEvents()
    QCoreApplication.processEvents()
    return not _running
