"""县里的通知和手册包: what the county sent back inside its acknowledgements (the return channel).

The clerk reads the county's notices (opening one marks it read and writes its attachments to
``<data>/sync/notices/<id>/``) and installs a handbook pack update after confirming; both are
``services.sync.inbox`` operations run through ``gui.ops``. The county's signature was checked when the
acknowledgement was applied (``sync ack``); nothing here trusts an unsigned item.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui import ops
from gui.widgets.tables import fill, make_table, row_data
from services import localtime
from services.db import Database
from services.sync.inbox import (
    STATUS_LABELS,
    InstallResult,
    ItemView,
    install_pack_update,
    list_items,
    open_notice,
    pending_pack,
)

if TYPE_CHECKING:
    from gui.main_window import MainWindow

KIND_LABELS = {"notice": "通知", "pack": "手册包更新"}


def inbox_summary(items: list[ItemView]) -> str:
    """One status-bar line: unread notices and a pack update waiting ("" when nothing is new)."""
    unread = sum(1 for v in items if v.kind == "notice" and v.status == "new")
    packs = sum(1 for v in items if v.kind == "pack" and v.status == "new")
    parts = [f"未读通知 {unread} 条"] if unread else []
    parts += ["有手册包更新待安装"] if packs else []
    return "县里：" + "，".join(parts) if parts else ""


class NoticesDialog(QDialog):
    """The county's notices and pack updates, newest first; the selected one's text and attachments."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setWindowTitle("县里的通知和手册包")
        self.table = make_table(["类型", "标题", "下发时间（本地）", "截止日期", "状态"], "inboxTable")
        self.table.currentCellChanged.connect(lambda *_a: self._show_selected())
        self.text = QPlainTextEdit()
        self.text.setObjectName("noticeText")
        self.text.setReadOnly(True)
        self.attachments = QListWidget()
        self.attachments.setObjectName("noticeAttachments")
        self.attachments.itemActivated.connect(self._open_attachment)
        self.install_button = QPushButton("安装手册包更新(&I)…")
        self.install_button.clicked.connect(self.install_pack)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.text, 2)
        rl.addWidget(QLabel("附件（双击或回车打开）："))
        rl.addWidget(self.attachments, 1)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(right)
        split.setChildrenCollapsible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.install_button)
        row.addStretch(1)
        row.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.outcome)
        layout.addLayout(row)
        self.items: list[ItemView] = []
        self.resize(900, 520)
        self.refresh()

    def refresh(self) -> None:
        got = ops.run_read(self, self.db, lambda s: (list_items(s), pending_pack(s)))
        if got is None:
            return
        items, waiting = got
        self.items = [v for v in items if v.kind in KIND_LABELS]
        fill(
            self.table,
            [
                [
                    KIND_LABELS[v.kind],
                    v.title,
                    localtime.show(v.issued_at),
                    v.due.isoformat() if v.due else "",
                    STATUS_LABELS.get(v.status, v.status),
                ]
                for v in self.items
            ],
            [v.id for v in self.items],
        )
        self.install_button.setEnabled(waiting is not None)
        self.install_button.setToolTip(
            f"{waiting.title}：安装后本机的对标检查按新手册包进行（原来的手册包保留）"
            if waiting
            else "没有待安装的手册包更新"
        )
        if not self.items:
            self.text.setPlainText(
                "还没有收到县里的通知。导入县里的回执（数据同步 → 导入回执）后，通知会出现在这里。"
            )
        elif self.table.currentRow() < 0:
            self.table.selectRow(0)

    def current(self) -> ItemView | None:
        item_id = row_data(self.table)
        return next((v for v in self.items if v.id == item_id), None)

    def _show_selected(self) -> None:
        v = self.current()
        self.attachments.clear()
        if v is None:
            return
        if v.kind == "pack":
            version = v.payload.get("version", "")
            self.text.setPlainText(
                f"{v.title}\n手册包版本：{version}\n状态：{STATUS_LABELS.get(v.status, v.status)}"
                + (f"\n说明：{v.note}" if v.note else "")
                + "\n\n按“安装手册包更新”安装；较旧或无法读取的手册包不会安装。"
            )
            return
        opened = ops.run_job(
            self, lambda: open_notice(self.db, v.id, user=ops.current_user()), background=False
        )
        if opened is None:
            return
        view, paths = opened
        due = f"\n截止日期：{view.due.isoformat()}" if view.due else ""
        self.text.setPlainText(
            f"{view.title}\n下发时间：{localtime.show(view.issued_at)}{due}\n\n{view.payload.get('text', '')}"
        )
        for path in paths:
            entry = QListWidgetItem(path.name)
            entry.setData(Qt.ItemDataRole.UserRole, str(path))
            self.attachments.addItem(entry)
        row = self.table.currentRow()
        status = self.table.item(row, 4)
        if status is not None and view.status != v.status:
            status.setText(STATUS_LABELS.get(view.status, view.status))

    def _open_attachment(self, entry: QListWidgetItem) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(entry.data(Qt.ItemDataRole.UserRole))))

    def install_pack(self) -> None:
        waiting = ops.run_read(self, self.db, pending_pack)
        if waiting is None:
            self.outcome.setText("没有待安装的手册包更新。")
            return
        answer = QMessageBox.question(
            self,
            "安装手册包更新",
            f"安装县里下发的“{waiting.title}”？\n安装后对标检查按新手册包进行；原来的手册包保留在本机。",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return

        def done(result: InstallResult) -> None:
            self.outcome.setText(
                f"已安装手册包 {result.name} {result.version}。本年度检查结果：原手册包 {result.findings_before} 条，"
                f"新手册包 {result.findings_after} 条。"
            )
            self.refresh()

        ops.run_job(
            self,
            lambda: install_pack_update(self.db, user=ops.current_user()),
            done,
            background=False,
            db=self.db,
            changes={"handbook"},
        )


def install(window: MainWindow) -> None:
    """数据 → 县里的通知和手册包…, and a status-bar line when something new came with an ack; on a
    township's ledger only (the county issues notices from its own screens, it receives none)."""
    from services.county.mode import is_county

    if ops.run_read(window, window.db, is_county):
        return
    label = QLabel()
    label.setObjectName("inboxStatus")
    window.statusBar().addPermanentWidget(label)

    def update_label(*_args: object) -> None:
        items = ops.run_read(window, window.db, list_items)
        if items is not None:
            label.setText(inbox_summary(items))

    def open_dialog() -> NoticesDialog:
        dialog = NoticesDialog(window.db, window)
        dialog.finished.connect(update_label)
        dialog.open()
        return dialog

    window.add_action("数据", "县里的通知和手册包…", open_dialog)
    ops.bus().changed.connect(update_label)
    window.open_notices = open_dialog  # type: ignore[attr-defined]
    update_label()
