"""The main window: township → branch tree on the left, tabs on the right, menus, status bar.

Screens plug in as functions (``gui.screens.SCREENS`` by default): each ``install(window)`` adds its
tabs (``window.add_tab``), menu actions (``window.menus["打印"]`` …) and dialogs, and connects to
``selectionChanged``, which the window emits once after every screen is installed (load data then,
not in ``install``). A tab widget may
implement ``new_record()`` (Ctrl+N), ``focus_search()`` (Ctrl+F) and ``refresh()``
(F5); the window routes those shortcuts to the current tab.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from gui import ops
from gui.widgets import fit
from models.enums import BranchKind, label
from services import org
from services.db import Database
from services.errors import NotFound
from services.version import APP_VERSION

if TYPE_CHECKING:
    from gui.screens import Install

log = logging.getLogger(__name__)

MENU_TITLES = ("文件", "数据", "打印", "工具", "帮助")
# Alt+letter opens each menu (keys as in Windows programs: 文件(F), 编辑/数据(D), 打印(P), 工具(T), 帮助(H)).
MENU_KEYS = {"文件": "F", "数据": "D", "打印": "P", "工具": "T", "帮助": "H"}
TREE_MIN_WIDTH = 210  # the tree never shrinks below this: branch names stay readable at 1024×700
STATE_KEY = "mainWindow"
_ID_ROLE = Qt.ItemDataRole.UserRole
_KIND_ROLE = Qt.ItemDataRole.UserRole + 1
_CODE_ROLE = Qt.ItemDataRole.UserRole + 2


class MainWindow(QMainWindow):
    """``selectionChanged`` fires with ``current_branch_ids()`` whenever the tree selection changes."""

    selectionChanged = Signal(object)

    def __init__(self, db: Database, *, screens: Sequence[Install] | None = None) -> None:
        """``screens``: the ``install`` functions to plug in, in order; None = every township screen
        (``gui.screens.SCREENS``), [] = the bare window."""
        super().__init__()
        self.db = db
        self.setWindowTitle(f"支部台账 {APP_VERSION}")
        self.setObjectName("mainWindow")
        self.resize(fit.room(self).boundedTo(QSize(1280, 800)))
        self._view_status: dict[int, str] = {}
        self._emitted_ids: list[str] | bool | None = False  # False: nothing emitted yet
        self.extension_errors: list[str] = []

        self.tree = QTreeWidget()
        self.tree.setObjectName("orgTree")
        self.tree.setHeaderLabels(["组织", "党员"])
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        self.tree.itemSelectionChanged.connect(self._on_tree_selection)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.currentChanged.connect(self._on_tab_changed)

        self.tree.setMinimumWidth(TREE_MIN_WIDTH)
        self.tabs.setMinimumWidth(480)
        splitter = self.splitter = QSplitter()
        splitter.setObjectName("mainSplitter")
        splitter.addWidget(self.tree)
        splitter.addWidget(self.tabs)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 1000])
        self.setCentralWidget(splitter)

        self.counts_label = QLabel()
        self.view_label = QLabel()
        self.statusBar().addWidget(self.view_label, 1)
        self.statusBar().addPermanentWidget(self.counts_label)

        self.menus: dict[str, QMenu] = {}
        for title in MENU_TITLES:
            menu = self.menuBar().addMenu(f"{title}(&{MENU_KEYS[title]})")
            menu.setObjectName(f"menu_{title}")
            self.menus[title] = menu
        self._build_actions()
        self.reload_tree()
        ops.bus().changed.connect(self._on_changed)
        if screens is None:
            from gui.screens import SCREENS

            screens = SCREENS
        self._install_screens(screens)
        self._restored = fit.restore_state(self, STATE_KEY)
        self._restore_selection()

    # --- remembered state -----------------------------------------------------------------
    def _restore_selection(self) -> None:
        store = fit.settings()
        code = str(store.value(f"{STATE_KEY}/branch", "") or "")
        if code:
            self.select_branch_code(code)
        tab = str(store.value(f"{STATE_KEY}/tab", "") or "")
        if tab:
            self.select_tab_title(tab)

    def save_window_state(self) -> None:
        """Size, maximised state, splitter, selected tree node (by code) and tab, for the next start."""
        fit.save_state(self, STATE_KEY)
        store = fit.settings()
        item = self._selected_item()
        store.setValue(f"{STATE_KEY}/branch", str(item.data(0, _CODE_ROLE) or "") if item is not None else "")
        store.setValue(f"{STATE_KEY}/tab", self.tabs.tabText(self.tabs.currentIndex()).replace("&", ""))
        store.sync()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.property("restoreMaximized"):
            self.setProperty("restoreMaximized", None)
            self.showMaximized()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_window_state()
        super().closeEvent(event)

    def select_tab_title(self, title: str) -> bool:
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i).replace("&", "") == title:
                self.tabs.setCurrentIndex(i)
                return True
        return False

    # --- public API for screens -----------------------------------------------------------
    def add_tab(self, widget: QWidget, title: str) -> int:
        return self.tabs.addTab(widget, title)

    def select_tab(self, name_or_index: str | int) -> bool:
        """Select a tab by title or 0-based index (the screenshot command's --tab)."""
        if isinstance(name_or_index, int) or str(name_or_index).isdigit():
            index = int(name_or_index)
            if 0 <= index < self.tabs.count():
                self.tabs.setCurrentIndex(index)
                return True
            return False
        return self.select_tab_title(str(name_or_index))

    def add_action(
        self,
        menu: str,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
    ) -> QAction:
        """Convenience for screens: an action in one of ``self.menus``."""
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        self.menus[menu].addAction(action)
        return action

    def current_branch_ids(self) -> list[str] | None:
        """Branch ids of the selected tree node and everything below it; None = nothing selected."""
        item = self._selected_item()
        if item is None:
            return None
        out: list[str] = []
        stack = [item]
        while stack:
            node = stack.pop()
            if node.data(0, _KIND_ROLE) != "township":
                out.append(str(node.data(0, _ID_ROLE)))
            stack.extend(_children(node))
        return out

    def current_branch_id(self) -> str | None:
        """The one selected branch (not a township), for screens that record per branch."""
        item = self._selected_item()
        if item is None or item.data(0, _KIND_ROLE) == "township":
            return None
        return str(item.data(0, _ID_ROLE))

    def current_township_id(self) -> str | None:
        item = self._selected_item()
        while item is not None and item.data(0, _KIND_ROLE) != "township":
            item = item.parent()
        return str(item.data(0, _ID_ROLE)) if item is not None else None

    def current_node_kind(self) -> str:
        """ "township" or a BranchKind code of the selected node; "" when nothing is selected."""
        item = self._selected_item()
        return str(item.data(0, _KIND_ROLE)) if item is not None else ""

    def current_node_name(self) -> str:
        item = self._selected_item()
        return item.text(0) if item is not None else ""

    def branch_names(self) -> dict[str, str]:
        """Branch id → name for every branch in the tree."""
        return {
            str(item.data(0, _ID_ROLE)): item.text(0)
            for item in self._all_items()
            if item.data(0, _KIND_ROLE) != "township"
        }

    def select_branch_code(self, code: str) -> bool:
        """Select the branch ``code`` (``B101`` or ``T01/B101``, resolved by ``org.branch_by_code``) in the
        tree; False when there is no such branch. Raises ValidationError for a code several townships use."""
        try:
            branch_id = ops.query(self.db, lambda s: org.branch_by_code(s, code).id)
        except NotFound:
            return False
        for item in self._all_items():
            if item.data(0, _KIND_ROLE) != "township" and item.data(0, _ID_ROLE) == branch_id:
                self.tree.setCurrentItem(item)
                return True
        return False

    def set_view_status(self, widget: QWidget, text: str) -> None:
        """A tab's own status line (row counts …), shown while that tab is current. ``widget`` may be the
        tab's page or a widget inside it (a view built into its page later)."""
        parent = widget.parentWidget()
        while self.tabs.indexOf(widget) < 0 and parent is not None:
            widget, parent = parent, parent.parentWidget()
        index = self.tabs.indexOf(widget)
        self._view_status[id(widget)] = text
        if index == self.tabs.currentIndex():
            self.view_label.setText(text)

    def reload_tree(self) -> None:
        selected = self._selected_item()
        keep = str(selected.data(0, _ID_ROLE)) if selected is not None else None
        nodes = ops.run_read(self, self.db, org.organization_tree)
        if nodes is None:
            return
        self.tree.blockSignals(True)
        self.tree.clear()
        branches = members = 0
        restore: QTreeWidgetItem | None = None

        def add(parent: QTreeWidget | QTreeWidgetItem, node: org.TreeNode) -> QTreeWidgetItem:
            nonlocal branches, restore
            item = QTreeWidgetItem(parent, [node.name, str(node.member_count)])
            item.setData(0, _ID_ROLE, node.id)
            item.setData(0, _KIND_ROLE, node.kind)
            item.setData(0, _CODE_ROLE, node.code)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if node.kind != "township":
                branches += 1
                # The full name too: a long one is elided in a narrow tree.
                item.setToolTip(
                    0, f"{node.name}\n{label(BranchKind(node.kind)) if node.kind else ''} · 代码 {node.code}"
                )
            if node.id == keep:
                restore = item
            below = sum(int(add(item, child).text(1)) for child in node.children)
            # A 党委/党总支 shows its own members plus its branches'; a township's count already sums them.
            item.setText(1, str(node.member_count if node.kind == "township" else node.member_count + below))
            return item

        for township in nodes:
            add(self.tree, township).setExpanded(True)
            members += township.member_count
        self.tree.blockSignals(False)
        self.counts_label.setText(f"乡镇 {len(nodes)} 个 · 支部 {branches} 个 · 在册党员 {members} 人")
        if restore is not None:
            self.tree.setCurrentItem(restore)
        elif (first := self.tree.topLevelItem(0)) is not None:
            self.tree.setCurrentItem(first)
        else:
            self._on_tree_selection()

    # --- internals ------------------------------------------------------------------------
    def _selected_item(self) -> QTreeWidgetItem | None:
        items = self.tree.selectedItems()
        return items[0] if items else None

    def _all_items(self) -> list[QTreeWidgetItem]:
        out: list[QTreeWidgetItem] = []
        stack = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        while stack:
            item = stack.pop()
            if item is not None:
                out.append(item)
                stack.extend(_children(item))
        return out

    def _on_tree_selection(self) -> None:
        ids = self.current_branch_ids()
        if ids == self._emitted_ids:  # a tree reload that restored the same selection: nothing new
            return
        self._emitted_ids = ids
        self.selectionChanged.emit(ids)

    def _on_tab_changed(self, index: int) -> None:
        widget = self.tabs.widget(index)
        self.view_label.setText(self._view_status.get(id(widget), "") if widget is not None else "")

    def _on_changed(self, tags: object) -> None:
        if ops.touches(tags, "member", "branch", "township", "org"):  # names and member counts
            self.reload_tree()

    def _route(self, method: str) -> None:
        widget = self.tabs.currentWidget()
        fn = getattr(widget, method, None)
        if callable(fn):
            fn()

    def _build_actions(self) -> None:
        # 新建乡镇/支部 and the other organisation entries come first, from gui/org (its install).
        self.menus["文件"].addSeparator()
        self.add_action("文件", "退出", self.close, QKeySequence.StandardKey.Quit)
        self.add_action("数据", "新建记录", lambda: self._route("new_record"), "Ctrl+N")
        self.add_action("数据", "查找", lambda: self._route("focus_search"), "Ctrl+F")
        self.add_action("数据", "刷新", self._refresh_all, "F5")
        self.menus["数据"].addSeparator()
        self.add_action("数据", "转到组织树", self.focus_tree, "Ctrl+T")
        self.add_action("数据", "下一个标签页", lambda: self.step_tab(1), "Ctrl+PgDown")
        self.add_action("数据", "上一个标签页", lambda: self.step_tab(-1), "Ctrl+PgUp")
        # Ctrl+Tab as in browsers and Office; as window shortcuts so no child widget swallows them.
        for keys, step in (("Ctrl+Tab", 1), ("Ctrl+Shift+Tab", -1), ("Ctrl+Shift+Backtab", -1)):
            QShortcut(QKeySequence(keys), self, lambda step=step: self.step_tab(step))
        self.add_action("帮助", "关于支部台账", self.show_about)

    def focus_tree(self) -> None:
        """Ctrl+T: put the keyboard in the organisation tree (arrows then choose a branch)."""
        self.tree.setFocus(Qt.FocusReason.ShortcutFocusReason)
        first = self.tree.topLevelItem(0)
        if self.tree.currentItem() is None and first is not None:
            self.tree.setCurrentItem(first)

    def step_tab(self, step: int) -> None:
        """Next (+1) or previous (-1) tab, wrapping around; focus goes into the new tab."""
        count = self.tabs.count()
        if count:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % count)
            widget = self.tabs.currentWidget()
            if widget is not None:
                widget.setFocus(Qt.FocusReason.TabFocusReason)

    def _refresh_all(self) -> None:
        self.reload_tree()
        self._route("refresh")

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "关于支部台账",
            f"<h3>支部台账 {APP_VERSION}</h3>"
            "<p>党支部标准化台账（离线版）：党员名册、三会一课与主题党日记录、对标检查、档案打印。</p>"
            f"<p>数据库：{self.db.path or self.db.url}</p>"
            "<p>字体：文泉驿微米黑（Apache-2.0 / GPLv3）。</p>",
        )

    def _install_screens(self, screens: Sequence[Install]) -> None:
        for install in screens:
            try:
                install(self)
            except Exception as exc:  # one broken screen must not keep the app from starting
                log.exception("screen %s failed", install.__module__)
                self.extension_errors.append(f"{install.__module__}: {exc}")
        if self.extension_errors:
            self.statusBar().showMessage("部分功能未能加载：" + "；".join(self.extension_errors), 15000)
        self._on_tab_changed(self.tabs.currentIndex())
        self._emitted_ids = False  # screens are in now: tell them the selection once
        self._on_tree_selection()


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    return [c for c in (item.child(i) for i in range(item.childCount())) if c is not None]
