"""数据同步 dialog (township side): this laptop's key fingerprint (the county reads it back when it
enrols the laptop), the county key file (loaded with the same service as ``sync key county-set``;
replacing a different pinned key asks first, showing both fingerprints), pending changes by table,
export to a USB folder with progress, import the county's acknowledgement; the last acknowledgement is
shown in the main window's status bar. Not installed on a county database (its 接收 tab receives)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui import ops
from services.db import Database
from services.ledgers.schema import table_label
from services.sync.status import last_ack_text, sync_status
from services.sync.wording import numbers

if TYPE_CHECKING:
    from gui.main_window import MainWindow
    from services.sync.ack import AckResult
    from services.sync.exporter import ExportResult


UNENCRYPTED_WARNING = (
    "注意：这个包没有加密（本机还没有导入县级公钥文件），县里会拒收。"
    "请先点“导入县级公钥文件…”，选择县里给的公钥文件（如 county-key.json），再重新导出。"
)


class _Relay(QObject):
    """Carries progress from the worker thread to the dialog (queued across threads)."""

    progress = Signal(int, int, str)


class SyncDialog(QDialog):
    exported = Signal(object)  # ExportResult
    acknowledged = Signal(object)  # AckResult

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setWindowTitle("数据同步")
        self.resize(560, 520)
        self.relay = _Relay(self)
        self.relay.progress.connect(self._on_progress)

        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.key_label = QLabel()
        self.key_label.setObjectName("deviceFingerprint")
        self.key_label.setWordWrap(True)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.county_key_button = QPushButton("导入县级公钥文件(&K)…")
        self.county_key_button.setToolTip(
            "县里建库时写出的公钥文件（如 county-key.json）；导入后导出的包都加密"
        )
        self.county_key_button.clicked.connect(self._browse_county_key)
        self.pending_table = QTableWidget(0, 2)
        self.pending_table.setHorizontalHeaderLabels(["数据表", "待同步条数"])
        self.pending_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.pending_table.verticalHeader().setVisible(False)
        self.pending_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("选择 U 盘上的文件夹")
        self.browse_button = QPushButton("选择文件夹…")
        self.browse_button.clicked.connect(self._browse)
        self.full_check = QCheckBox("全量导出（包含全部数据，首次同步或县里要求时使用）")
        self.full_check.toggled.connect(lambda _on: self._update_export_button())
        self._pending_total = 0
        self.export_button = QPushButton("导出同步包")
        self.export_button.clicked.connect(lambda: self.export_to(self.folder_edit.text().strip()))
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(self.result_label.textInteractionFlags())
        self.ack_button = QPushButton("导入县里的回执…")
        self.ack_button.clicked.connect(self._browse_ack)
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)

        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.ack_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_label, 1)
        key_row.addWidget(self.county_key_button)
        layout = QVBoxLayout(self)
        layout.addLayout(key_row)
        layout.addWidget(self.status_label)
        layout.addWidget(QLabel("自上次回执以来的更改："))
        layout.addWidget(self.pending_table, 1)
        layout.addLayout(folder_row)
        layout.addWidget(self.full_check)
        layout.addWidget(self.progress)
        layout.addWidget(self.result_label)
        layout.addLayout(buttons)
        self.refresh()

    # --- state --------------------------------------------------------------------------------
    def refresh(self) -> None:
        st = ops.run_job(self, lambda: sync_status(self.db), background=False)
        if st is None:
            return
        self._show_status(st)
        self._show_fingerprint()

    def _show_fingerprint(self) -> None:
        from services.sync.keys import device_info  # cryptography: on first use

        info = ops.run_job(self, device_info, background=False)
        if info is None:
            return
        self.fingerprint = str(info["key_id"])
        self.key_label.setText(
            f"本机设备指纹：<b>{self.fingerprint}</b>（县里登记本机时会请您读出这串字符，核对一致后才登记）"
        )

    def _show_status(self, st: dict[str, Any]) -> None:
        pending: dict[str, int] = st["pending"]
        self.pending_table.setRowCount(len(pending))
        for row, (table, count) in enumerate(pending.items()):
            self.pending_table.setItem(row, 0, QTableWidgetItem(table_label(table)))
            item = QTableWidgetItem(str(count))
            item.setData(Qt.ItemDataRole.UserRole, table)  # the stable table name
            self.pending_table.setItem(row, 1, item)
        last_export, last_ack = st["last_export"], st["last_ack"]
        lines = [
            f"乡镇：{st['township'] or '—'}　待同步：{sum(pending.values())} 条",
            f"上次导出：{last_export['file_name'] if last_export else '无'}",
            "上次回执："
            + (f"县里已确认到第 {last_ack['acked']} 号（{last_ack['file_name']}）" if last_ack else "无"),
            "加密："
            + (
                f"已配置县级公钥（指纹 {st['county_public_key_id']}），导出的包会加密"
                if st["county_public_key_id"]
                else "未配置县级公钥：导出的包不加密，县里会拒收。请先点“导入县级公钥文件…”，"
                "选择县里给的公钥文件（如 county-key.json）"
            ),
        ]
        self.county_key_id = st["county_public_key_id"] or ""
        lines += [f"注意：{w}" for w in st["warnings"]]  # a copied database file
        lines += [f"注意：县里的决定未采用（{d['title']}）：{d['note']}" for d in st["skipped_decisions"]]
        self.status_label.setText("\n".join(lines))
        self._pending_total = sum(pending.values())
        self._update_export_button()

    def _update_export_button(self) -> None:
        self.export_button.setEnabled(self._pending_total > 0 or self.full_check.isChecked())

    def pending(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in range(self.pending_table.rowCount()):
            item = self.pending_table.item(row, 1)
            if item is not None:
                out[str(item.data(Qt.ItemDataRole.UserRole))] = int(item.text())
        return out

    # --- export -------------------------------------------------------------------------------
    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "选择保存同步包的文件夹（U 盘）", self.folder_edit.text()
        )
        if folder:
            self.folder_edit.setText(folder)

    def _on_progress(self, done: int, total: int, what: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{what}  %p%")

    def export_to(self, folder: str) -> None:
        if not folder:
            self.result_label.setText("请先选择保存同步包的文件夹（U 盘）。")
            return
        from services.sync.filekind import not_a_folder

        problem = not_a_folder(Path(folder))
        if problem:
            self.result_label.setText(problem)
            return
        full = self.full_check.isChecked()
        self.export_button.setEnabled(False)
        self.result_label.setText("正在导出…")
        emit = self.relay.progress.emit

        def work() -> ExportResult | str:
            from services.sync.errors import NothingToSync
            from services.sync.exporter import export_package  # cryptography: on first use

            try:
                return export_package(
                    self.db, Path(folder), full=full, user=ops.current_user(), progress=emit
                )
            except NothingToSync as exc:  # everything has reached the county: a notice, not an error
                return exc.message

        def done(result: ExportResult | str) -> None:
            if isinstance(result, str):
                self.result_label.setText(result)
                self.export_button.setEnabled(True)
                return
            self.result_label.setText(
                f"已导出并读回校验：{result.file_name}\n"
                f"{numbers(result.seq_from, result.seq_to)}更改，{result.total_rows} 条记录，"
                f"{result.attachments} 个附件，{'已加密' if result.encrypted else '未加密'}。"
                "请把 U 盘交给县里，导入回执后这些更改才算送达。"
                + ("" if result.encrypted else "\n" + UNENCRYPTED_WARNING)
            )
            self.progress.setValue(self.progress.maximum())
            self.refresh()
            self.exported.emit(result)

        if ops.run_job(self, work, done, background=True, label="正在导出同步包…") is None:
            self.export_button.setEnabled(True)

    # --- county key ---------------------------------------------------------------------------
    def _browse_county_key(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "选择县里给的县级公钥文件", self.folder_edit.text(), "县级公钥文件 (*.json);;所有文件 (*)"
        )
        if path:
            self.load_county_key(path)

    def load_county_key(self, path: str) -> dict[str, Any] | None:
        """Configure the county key file at ``path`` (``services.sync.keys.county_set``, as
        ``sync key county-set``). A file of another kind is named; when a different county key is
        already configured, both fingerprints are shown and nothing changes unless the clerk agrees."""
        from services.sync.errors import SyncError
        from services.sync.filekind import county_key_fingerprints
        from services.sync.keys import county_set

        try:
            new = county_key_fingerprints(Path(path))
        except SyncError as exc:
            self.result_label.setText(exc.message)
            QMessageBox.warning(self, "导入县级公钥文件", exc.message)
            return None
        old = getattr(self, "county_key_id", "")
        replace = False
        if old and old != new["key_id"]:
            sure = QMessageBox.question(
                self,
                "更换县级公钥",
                f"本机已配置的县级公钥指纹是 {old}，这个文件的指纹是 {new['key_id']}，两者不同。\n"
                "换成新的公钥后，导出的包只有新公钥所属的县级接收库能导入，原来的县里会拒收；"
                "只有县里明确通知更换时才应这样做。\n确定要更换吗？",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if sure != QMessageBox.StandardButton.Yes:
                self.result_label.setText(f"未更换：仍使用县级公钥 {old}。")
                return None
            replace = True  # the clerk compared both fingerprints and agreed (sync key county-set --replace)

        def done(info: dict[str, Any]) -> None:
            self.result_label.setText(
                f"已配置县级公钥（指纹 {info['key_id']}），此后导出的同步包都会加密。请与县里核对这个指纹。"
            )
            self.refresh()

        return ops.run_job(
            self,
            lambda: county_set(self.db, Path(path), user=ops.current_user(), replace=replace),
            done,
            background=False,
            db=self.db,
        )

    # --- acknowledgement ----------------------------------------------------------------------
    def _browse_ack(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "选择县里出具的回执", self.folder_edit.text(), "同步回执 (*.ltack);;所有文件 (*)"
        )
        if path:
            self.import_ack(path)

    def import_ack(self, path: str) -> AckResult | None:
        from services.sync.ack import apply_ack  # cryptography: on first use
        from services.sync.filekind import wrong_file

        wrong = wrong_file(Path(path), "ack")
        if wrong:
            self.result_label.setText(wrong)
            QMessageBox.warning(self, "导入回执", wrong)
            return None

        def done(result: AckResult) -> None:
            self.result_label.setText(result.message)
            self.refresh()
            self.acknowledged.emit(result)

        return ops.run_job(
            self,
            lambda: apply_ack(self.db, Path(path), user=ops.current_user()),
            done,
            background=False,
            changes={"sync"},
        )


def install(window: MainWindow) -> None:
    """The 数据 → 数据同步… entry and the status-bar line, on a township's ledger only: a county
    database receives packages in its 接收 tab and has no changes of its own to send."""
    from services.county.mode import is_county

    if ops.run_read(window, window.db, is_county):
        return
    label = QLabel()
    window.statusBar().addPermanentWidget(label)

    def update_label(*_args: object) -> None:
        text = ops.run_job(window, lambda: last_ack_text(window.db), background=False)
        if text is not None:
            label.setText(text)

    def open_dialog() -> SyncDialog:
        dialog = SyncDialog(window.db, window)
        dialog.exported.connect(update_label)
        dialog.acknowledged.connect(update_label)
        dialog.open()
        return dialog

    window.add_action("数据", "数据同步…", open_dialog)
    ops.bus().changed.connect(update_label)
    window.sync_status_label = label  # type: ignore[attr-defined]
    window.open_sync_dialog = open_dialog  # type: ignore[attr-defined]
    update_label()
