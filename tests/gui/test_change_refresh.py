"""Screens refresh from what a save really changed (tables and rows from the flush), not from
hand-written tags: the 对标检查 tab follows a fee payment made in 其他台账, and a hidden listing is not
reloaded by a save elsewhere (it reloads when it is shown)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from gui import ops
from gui.handbook.view import HandbookPage, HandbookView
from gui.ledgers_view import LedgersView
from gui.main_window import MainWindow
from gui.meetings.view import MeetingsView
from gui.roster.member_form import MemberForm
from models.enums import FeeCategory
from services import fees, members
from services.db import Database
from services.handbook.period import month
from services.ledgers.actions import ACTIONS
from tests.conftest import Builder
from tests.gui.conftest import show_active, type_text

PERIOD = month(2026, 10)


def tab(window: MainWindow, cls: type) -> object:
    """The tab's screen; the 对标检查 page builds its view on first use."""
    pages = [window.tabs.widget(i) for i in range(window.tabs.count())]
    views = [p.built() if isinstance(p, HandbookPage) else p for p in pages]
    return next(w for w in views if isinstance(w, cls))


def test_the_flush_says_which_tables_and_rows_a_save_changed(db: Database, build: Builder) -> None:
    branch = build.branch(members=1)
    with db.reader() as s:
        member = members.roster(s, [branch.id])[0]
    mark = db.journal.mark()
    with db.transaction("test") as s:
        due = fees.set_due(s, member.id, "2026-10", FeeCategory.FARMER)
    changed = db.journal.since(mark)
    assert "fee_due" in changed and changed.rows["fee_due"] == {due.id}
    assert not changed & {"audit_log", "change_counter"}  # bookkeeping is not a change screens show
    assert not changed.touches("meeting") and changed.touches("fee_due")

    mark = db.journal.mark()
    with pytest.raises(RuntimeError), db.transaction("test") as s:
        fees.set_due(s, member.id, "2026-09", FeeCategory.FARMER)
        raise RuntimeError("rolled back")
    assert not db.journal.since(mark)  # nothing committed, nothing announced


@pytest.fixture
def window(app: QApplication, qtbot: QtBot, db: Database, build: Builder) -> MainWindow:
    branch = build.branch("B01", "一村党支部", members=2)
    with db.transaction("test") as s:
        for m in members.roster(s, [branch.id]):
            fees.set_due(s, m.id, "2026-10", FeeCategory.FARMER)
    win = MainWindow(db)
    qtbot.addWidget(win)
    show_active(qtbot, win)
    assert win.select_branch_code("B01")
    return win


def sup01(view: HandbookView) -> list[str]:
    assert view.result is not None
    return [f.message for f in view.result.findings if f.rule_id == "SUP-01"]


@pytest.mark.display
def test_handbook_check_follows_a_fee_payment_saved_in_other_ledgers(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    handbook = tab(window, HandbookView)
    assert isinstance(handbook, HandbookView)
    window.tabs.setCurrentWidget(handbook.parentWidget())  # its tab page
    handbook.set_period(PERIOD)
    handbook.refresh()
    assert sup01(handbook), "a month without any fee paid is a finding"

    ledgers = tab(window, LedgersView)
    assert isinstance(ledgers, LedgersView)
    window.tabs.setCurrentWidget(ledgers)
    ledgers.all_years.setChecked(True)
    ledgers.select_ledger("fees")
    assert ledgers.model.rowCount() == 2
    ledgers.table.selectRow(0)
    pay = next(a for a in ACTIONS["fees"] if a.title == "登记交纳")
    dialog = ledgers.dialog_for(pay)
    assert dialog is not None
    qtbot.addWidget(dialog)
    amount, paid_on = dialog.widgets["paid_fen"], dialog.widgets["paid_on"]
    assert isinstance(amount, QLineEdit) and isinstance(paid_on, QLineEdit)
    amount.setText("0.2")
    paid_on.setText("2026-10-15")
    dialog.save()
    assert dialog.result_value is not None

    window.tabs.setCurrentWidget(handbook.parentWidget())  # the check re-ran for the change, no F5 needed
    QApplication.processEvents()
    assert not sup01(handbook)


@pytest.mark.display
def test_a_save_elsewhere_does_not_reload_a_hidden_listing(
    window: MainWindow, qtbot: QtBot, db: Database, build: Builder
) -> None:
    ledgers = tab(window, LedgersView)
    assert isinstance(ledgers, LedgersView)
    window.tabs.setCurrentWidget(ledgers)
    ledgers.select_ledger("fees")
    meetings_view = tab(window, MeetingsView)
    assert isinstance(meetings_view, MeetingsView)
    window.tabs.setCurrentWidget(meetings_view)  # the ledgers tab is hidden now
    loads = ledgers.lazy.loads

    branch_id = window.current_branch_id()
    assert branch_id is not None
    form = MemberForm(window, db, branch_id)
    qtbot.addWidget(form)
    type_text(qtbot, form.name, "新党员")
    form.id_number.setText(build.id_number())
    form.joined_on.setText("2010-07-01")
    assert form.save()
    assert ledgers.lazy.loads == loads and ledgers.lazy.stale  # not reloaded while hidden

    window.tabs.setCurrentWidget(ledgers)
    assert ledgers.lazy.loads == loads + 1 and not ledgers.lazy.stale  # reloaded once, when shown


@pytest.mark.display
def test_a_change_that_no_screen_shows_reloads_nothing(window: MainWindow) -> None:
    ledgers = tab(window, LedgersView)
    assert isinstance(ledgers, LedgersView)
    window.tabs.setCurrentWidget(ledgers)
    loads = ledgers.lazy.loads
    ops.announce(ops.OpChanges({"user_account"}))
    assert ledgers.lazy.loads == loads
    ops.announce(ops.OpChanges({"fee_due"}))
    assert ledgers.lazy.loads == loads + 1


def test_a_long_listing_is_handed_to_the_view_in_batches(app: QApplication) -> None:
    from gui.ledgers_view import ListingModel
    from services.ledgers.catalog import LISTINGS

    model = ListingModel()
    rows = [{"id": str(i), "month": "2026-01", "name": f"党员{i}"} for i in range(ListingModel.BATCH * 2 + 5)]
    model.set_data(LISTINGS["fees"], rows)
    assert model.rowCount() == ListingModel.BATCH and model.canFetchMore()
    model.fetchMore()
    model.fetchMore()
    assert model.rowCount() == len(rows) and not model.canFetchMore()
    assert model.row_id(len(rows) - 1) == str(len(rows) - 1)
