"""The screens of the township window, in menu and tab order: each is its package's ``install(window)``.

Adding a screen is one import and one entry here (a county window keeps a list of its own). Importing
this module imports every screen module, which import only Qt and light services: printing, Excel
writing, keys and the like load on first use inside the screens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from gui import county, ledgers_view
from gui.admin import actions as admin_actions
from gui.excel import actions as excel_actions
from gui.handbook import view as handbook_view
from gui.meetings import view as meetings_view
from gui.org import setup as org_setup
from gui.printing import actions as print_actions
from gui.reports import view as reports_view
from gui.roster import view as roster_view
from gui.sync import dialog as sync_dialog
from gui.sync import guide as sync_guide
from gui.sync import notices as sync_notices

if TYPE_CHECKING:
    from gui.main_window import MainWindow

Install = Callable[["MainWindow"], None]
"""A screen's entry point: adds its tabs (``window.add_tab``), menu actions and dialogs, and connects to
``window.selectionChanged`` (emitted once after every screen is installed: load data then)."""

SCREENS: tuple[Install, ...] = (
    roster_view.install,
    meetings_view.install,
    admin_actions.install,
    excel_actions.install,
    ledgers_view.install,
    handbook_view.install,
    sync_dialog.install,
    sync_notices.install,
    sync_guide.install,
    print_actions.install,
    org_setup.install,
    reports_view.install,
    county.install,  # county databases only: 接收, 设备登记, 冲突, 待补, 全县总览
)
