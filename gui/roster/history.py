"""The member page's history: joining, conversion, transfers and flow, leaving; the 发展党员 file; dues.

Opened from the roster (经历… button). 转出 / 登记流动 / 流动返回 reuse the declared forms of
``services.ledgers.actions`` with the member fixed, so the same services and checks apply as in 其他台账.
"""

from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui import ops
from gui.ledgers_view import ActionDialog
from services.db import Database
from services.ledgers.actions import ACTIONS, Action, Target
from services.member_page import MemberPage, member_page


def _action(code: str, title: str) -> Action:
    return next(a for a in ACTIONS[code] if a.title == title)


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(22)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class MemberHistoryDialog(QDialog):
    def __init__(self, parent: QWidget | None, db: Database, member_id: str) -> None:
        super().__init__(parent)
        self.db, self.member_id = db, member_id
        self.page: MemberPage | None = None
        self.resize(680, 720)
        self.heading = QLabel()
        self.heading.setObjectName("memberHeading")
        self.history = _table(["日期", "经历"])
        self.history.setObjectName("historyTable")
        self.development = _table(["步骤", "日期"])
        self.development.setObjectName("developmentTable")
        self.development_note = QLabel()
        self.development_note.setWordWrap(True)
        self.dues = QLabel()
        self.dues.setObjectName("duesSummary")
        self.dues.setWordWrap(True)

        dev_box = QGroupBox("发展党员档案")
        dl = QVBoxLayout(dev_box)
        dl.addWidget(self.development)
        dl.addWidget(self.development_note)
        self.dev_box = dev_box
        dues_box = QGroupBox("党费")
        QVBoxLayout(dues_box).addWidget(self.dues)

        self.out_button = QPushButton("转出…")
        self.flow_button = QPushButton("登记流动…")
        self.return_button = QPushButton("流动返回…")
        self.state_button = QPushButton("去世/出党…")
        self.state_button.clicked.connect(lambda: self.run(_action("transfers", "登记去世/出党")))
        self.out_button.clicked.connect(lambda: self.run(_action("transfers", "转出党员")))
        self.flow_button.clicked.connect(lambda: self.run(_action("flow", "登记外出流动")))
        self.return_button.clicked.connect(lambda: self.run(_action("flow", "登记返回")))
        actions = QHBoxLayout()
        for b in (self.out_button, self.flow_button, self.return_button, self.state_button):
            actions.addWidget(b)
        actions.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addWidget(QLabel("<b>经历</b>"))
        lay.addWidget(self.history, 2)
        lay.addWidget(dev_box, 2)
        lay.addWidget(dues_box)
        lay.addLayout(actions)
        lay.addWidget(close)
        self.load()

    def load(self) -> None:
        page = ops.run_read(self, self.db, lambda s: member_page(s, self.member_id))
        if page is None:
            return
        self.page = page
        self.setWindowTitle(f"{page.name} · 经历")
        flowing = "，流动在外" if page.is_flowing else ""
        self.heading.setText(
            f"<b>{html.escape(page.name)}</b>　{html.escape(page.branch_name)}　{page.state}{flowing}"
        )
        self.history.setRowCount(len(page.history))
        for i, (day, text) in enumerate(page.history):
            self.history.setItem(i, 0, QTableWidgetItem(day.isoformat()))
            self.history.setItem(i, 1, QTableWidgetItem(text))
        self.development.setRowCount(len(page.development))
        for i, (step, when) in enumerate(page.development):
            self.development.setItem(i, 0, QTableWidgetItem(step))
            self.development.setItem(i, 1, QTableWidgetItem(when.isoformat() if when else "—"))
        self.dev_box.setTitle(
            "发展党员档案" if page.development else "发展党员档案（无：入党早于本系统记录）"
        )
        self.development_note.setText(page.development_note)
        self.dues.setText(page.dues.text() if page.dues else "")
        active = page.active
        self.out_button.setEnabled(active)
        self.state_button.setEnabled(active)
        self.flow_button.setEnabled(active and not page.is_flowing)
        self.return_button.setEnabled(page.is_flowing)

    def dialog_for(self, action: Action) -> ActionDialog | None:
        if self.page is None:
            return None
        target = Target(self.page.branch_id, None)
        return ActionDialog(self, self.db, action, target, [(self.page.member_id, self.page.name)])

    def run(self, action: Action) -> None:
        dialog = self.dialog_for(action)
        if dialog is not None and dialog.exec():
            self.load()
