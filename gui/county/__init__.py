"""County mode of the main window: when the open database is a county database
(``services.county.mode.is_county``), the township tabs stay as views over every township and the
county screens are added: 接收, 设备登记, 冲突, 待补, 全县总览. Entries that create township records
(新建乡镇/新建支部/新建记录) are disabled and any edit of a township record is refused
(``services.county.mode.protect_township_records``): township records come from their packages.

Every action goes through ``gui.ops`` to a service in ``services/county`` that refuses a 查阅 account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gui import ops
from services.county.mode import is_county, protect_township_records

if TYPE_CHECKING:
    from gui.main_window import MainWindow

TOWNSHIP_ONLY_ACTIONS = ("新建乡镇…", "新建支部…", "新建记录")


def install(window: MainWindow) -> None:
    """Add the county screens when ``window.db`` is a county database; otherwise do nothing."""
    county = ops.run_read(window, window.db, is_county)
    window.county_mode = bool(county)  # type: ignore[attr-defined]
    if not county:
        return
    from gui.county.overview_tab import CountyOverviewTab
    from gui.county.screens import ConflictsTab, DevicesTab, PendingTab, ReceiveTab

    protect_township_records(window.db)  # the township tabs are views here
    window.setWindowTitle(f"{window.windowTitle()} · 县级接收")
    for menu in window.menus.values():
        for action in menu.actions():
            if action.text() in TOWNSHIP_ONLY_ACTIONS:
                action.setEnabled(False)
                action.setToolTip("县级数据库中的乡镇数据来自同步包，不在这里新建。")
    tabs = {
        "接收": ReceiveTab(window),
        "设备登记": DevicesTab(window),
        "冲突": ConflictsTab(window),
        "待补": PendingTab(window),
        "全县总览": CountyOverviewTab(window),
    }
    for title, tab in tabs.items():
        window.add_tab(tab, title)
    window.county_tabs = tabs  # type: ignore[attr-defined]
    window.select_tab_title("接收")
