"""County screens: 接收 (a folder of packages), 设备登记, 冲突 (side by side), 待补 (held packages).

Thin: every read and write goes through ``gui.ops`` to ``services.county`` / ``services.sync``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui import ops
from gui.widgets import files
from gui.widgets.tables import DATA_ROLE as _DATA
from gui.widgets.tables import fill, make_table, row_data, row_data_at
from services import localtime
from services.audit_labels import actor_label
from services.county import actions, conflict_text
from services.county.pending import pending_by_township
from services.county.receive import STATUS_LABELS, FolderReceipt, PackageResult, receive
from services.errors import LedgerError
from services.ledgers.schema import TABLE_LABELS
from services.sync import enrollment
from services.sync.conflicts import STATUS as CONFLICT_STATUS
from services.sync.conflicts import ConflictView, choosable_fields, list_conflicts
from services.sync.rebase import RebaseFile
from services.sync.wording import numbers

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gui.main_window import MainWindow

DIFFERS = "#fbd99b"  # a field whose two versions differ
STATUS_COLOURS = {"imported": "#cdebc9", "duplicate": "#eeeeee", "held": "#fff3c4", "pending": "#fff3c4"}
REJECTED = "#f4b4ae"


def local_of_iso(text: str) -> str:
    """A stored naive-UTC ISO time (a service's view) shown in local time."""
    return localtime.show(datetime.fromisoformat(text)) if text else ""


class _Relay(QObject):
    progress = Signal(int, int, str)


# --- 接收 ------------------------------------------------------------------------------------------


class ReceiveTab(QWidget):
    """Choose a folder (a USB stick), import every package in it, one result line per package;
    acknowledgements are written back into the same folder."""

    received = Signal(object)  # FolderReceipt

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        self.db = window.db
        self.relay = _Relay(self)
        self.relay.progress.connect(self._on_progress)
        self.folder_edit = QLineEdit()
        self.folder_edit.setObjectName("receiveFolder")
        self.folder_edit.setPlaceholderText("插入乡镇送来的 U 盘，选择存放同步包的文件夹")
        browse = QPushButton("选择文件夹(&B)…")
        browse.clicked.connect(self._browse)
        self.receive_button = QPushButton("全部接收(&R)")
        self.receive_button.setObjectName("receiveButton")
        self.receive_button.clicked.connect(lambda: self.receive(self.folder_edit.text().strip()))
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.summary = QLabel("每个同步包单独导入；导入后回执写回同一文件夹，交给各乡镇带回。")
        self.summary.setWordWrap(True)
        self.results = make_table(["同步包", "乡镇", "结果", "导入条数", "说明"], "receiveResults")
        row = QHBoxLayout()
        row.addWidget(QLabel("文件夹："))
        row.addWidget(self.folder_edit, 1)
        row.addWidget(browse)
        row.addWidget(self.receive_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.results, 1)
        self.setFocusProxy(self.folder_edit)

    def refresh(self) -> None:  # F5: nothing to reload here
        return

    def _browse(self) -> None:
        folder = files.choose_folder(self, "选择存放同步包的文件夹（U 盘）", kind="sync")
        if folder:
            self.folder_edit.setText(folder)

    def _on_progress(self, done: int, total: int, name: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done}/{total}  {name}" if name else f"{done}/{total}")

    def receive(self, folder: str) -> None:
        """Import every package of ``folder`` in the background; the table fills when it is done."""
        if not folder:
            self.summary.setText("请先选择存放同步包的文件夹（U 盘）。")
            return
        self.receive_button.setEnabled(False)
        self.summary.setText("正在接收…")
        self.results.setRowCount(0)
        emit = self.relay.progress.emit
        db = self.db

        def work() -> FolderReceipt | LedgerError:
            try:
                return receive(db, Path(folder), user=ops.current_user(), progress=emit)
            except LedgerError as exc:  # said in the tab, next to the folder
                return exc

        def done(out: FolderReceipt | LedgerError) -> None:
            self.receive_button.setEnabled(True)
            if isinstance(out, LedgerError):
                self.summary.setText(out.message)
                return
            self.show_receipt(out)
            self.window_.reload_tree()
            self.received.emit(out)

        ops.run_job(self, work, done, background=True, label="正在接收同步包…", db=db)

    def show_receipt(self, receipt: FolderReceipt) -> None:
        self.receive_button.setEnabled(True)
        lines: list[PackageResult] = []
        for r in receipt.packages:
            lines.append(r)
            lines.extend(r.released)
        fill(
            self.results,
            [
                [
                    r.file_name,
                    r.township_code,
                    STATUS_LABELS.get(r.status, r.status),
                    str(r.rows) if r.status == "imported" else "",
                    r.message,
                ]
                for r in lines
            ],
            [r.status for r in lines],
        )
        for row, r in enumerate(lines):
            item = self.results.item(row, 2)
            if item is not None:
                item.setBackground(QBrush(QColor(STATUS_COLOURS.get(r.status, REJECTED))))
        text = receipt.summary()
        if receipt.acks:
            text += f"\n回执已写入 {receipt.folder}，请把 U 盘交还乡镇。"
        if receipt.ack_errors:
            text += "\n未能写出的回执：" + "；".join(receipt.ack_errors)
        self.summary.setText(text)
        self.progress.setValue(self.progress.maximum())

    def result_statuses(self) -> list[str]:
        """Stable status codes of the result rows, top to bottom."""
        return [str(row_data_at(self.results, r)) for r in range(self.results.rowCount())]


# --- 设备登记 ----------------------------------------------------------------------------------------


class DevicesTab(QWidget):
    """Devices that sent packages or were registered: fingerprint (computed from the key), township,
    first package time, status; 登记 / 登记为第二台电脑 / 更换旧电脑 / 注销."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        self.db = window.db
        self.hint = QLabel(
            "登记前请电话核对：乡镇电脑“数据同步”里显示的设备指纹必须与这里一致。待登记设备的包已暂存，登记后自动导入。"
        )
        self.hint.setWordWrap(True)
        self.table = make_table(
            [
                "密钥指纹",
                "乡镇",
                "状态",
                "首次提交（本地）",
                "待导入的包",
                "设备号",
                "处理人",
                "处理时间（本地）",
            ],
            "deviceTable",
        )
        self.approve_button = QPushButton("登记(&A)")
        self.second_button = QPushButton("登记为第二台电脑")
        self.replace_button = QPushButton("更换旧电脑(&E)…")
        self.revoke_button = QPushButton("注销(&V)…")
        self.reinstate_button = QPushButton("恢复登记…")
        self.rebase_button = QPushButton("写出对齐文件…")
        self.reinstate_button.clicked.connect(self.reinstate)
        self.rebase_button.clicked.connect(self.write_rebase)
        self.approve_button.clicked.connect(lambda: self.approve())
        self.second_button.clicked.connect(lambda: self.approve(additional=True))
        self.replace_button.clicked.connect(self.replace)
        self.revoke_button.clicked.connect(self.revoke)
        self.result = QLabel()
        self.result.setWordWrap(True)
        buttons = QHBoxLayout()
        for b in (
            self.approve_button,
            self.second_button,
            self.replace_button,
            self.revoke_button,
            self.reinstate_button,
            self.rebase_button,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        self.setFocusProxy(self.table)
        self.views: list[enrollment.DeviceView] = []
        self._lazy = ops.LazyRefresh(self, self.refresh)
        ops.bus().changed.connect(self._on_changed)
        self.refresh()

    def _on_changed(self, changed: object) -> None:
        if ops.touches(changed, "sync_enrollment", "sync_held", "sync_device"):
            self._lazy.request()

    def refresh(self) -> None:
        views = ops.run_job(self, lambda: enrollment.list_devices(self.db), background=False)
        if views is None:
            return
        self.views = views
        fill(
            self.table,
            [
                [
                    v.key_id,
                    v.township_code,
                    enrollment.STATUS.get(v.status, v.status) + ("（待对齐）" if v.needs_rebase else ""),
                    local_of_iso(v.requested_at),
                    str(v.held) if v.held else "",
                    v.device_id[:8],
                    actor_label(v.decided_by) if v.decided_at else "",
                    local_of_iso(v.decided_at),
                ]
                for v in views
            ],
            [v.key_id for v in views],
        )
        for row, v in enumerate(views):
            if v.status == "pending":
                for col in range(self.table.columnCount()):
                    item = self.table.item(row, col)
                    if item is not None:
                        item.setBackground(QBrush(QColor("#fff3c4")))

    def select_fingerprint(self, fingerprint: str) -> bool:
        for row in range(self.table.rowCount()):
            if row_data_at(self.table, row) == fingerprint:
                self.table.selectRow(row)
                return True
        return False

    def _selected(self) -> enrollment.DeviceView | None:
        fp = row_data(self.table)
        view = next((v for v in self.views if v.key_id == fp), None)
        if view is None:
            self.result.setText("请先在表中选中一台设备。")
        return view

    def _done(self, outcome: actions.DeviceOutcome, what: str) -> None:
        lines = [f"{what}：设备 {outcome.device.key_id}（乡镇 {outcome.device.township_code}）。"]
        for r in outcome.released:
            lines.append(f"[{STATUS_LABELS.get(r.status, r.status)}] {r.message}")
        lines.extend(outcome.next_steps)
        self.result.setText("\n".join(lines))
        self.refresh()
        self.window_.reload_tree()

    def approve(self, *, additional: bool = False) -> None:
        view = self._selected()
        if view is None:
            return
        ops.run_job(
            self,
            lambda: actions.approve_device(
                self.db, view.key_id, additional=additional, user=ops.current_user()
            ),
            lambda out: self._done(out, "已登记为第二台电脑" if additional else "已登记"),
            background=False,
            db=self.db,
        )

    def replace(self) -> None:
        view = self._selected()
        if view is None:
            return
        old = [
            v
            for v in self.views
            if v.township_code == view.township_code and v.status == "enrolled" and v is not view
        ]
        if not old:
            self.result.setText(f"乡镇 {view.township_code} 没有已登记的旧电脑可以更换，请直接“登记”。")
            return
        choices = [f"{v.key_id}（设备号 {v.device_id[:8]}）" for v in old]
        if len(old) == 1:
            sure = QMessageBox.question(
                self,
                "更换旧电脑",
                f"注销乡镇 {view.township_code} 的旧电脑 {old[0].key_id}，登记新电脑 {view.key_id}？\n"
                "旧电脑此后送来的包一律拒收。",
            )
            if sure != QMessageBox.StandardButton.Yes:
                return
            chosen = old[0]
        else:
            text, ok = QInputDialog.getItem(self, "更换旧电脑", "要注销的旧电脑：", choices, 0, False)
            if not ok:
                return
            chosen = old[choices.index(text)]
        ops.run_job(
            self,
            lambda: actions.replace_device(self.db, chosen.key_id, view.key_id, user=ops.current_user()),
            lambda out: self._done(out, f"已注销旧电脑 {chosen.key_id} 并登记新电脑"),
            background=False,
            db=self.db,
        )

    def reinstate(self) -> None:
        """恢复登记: a revoked laptop found again whose unsent records the county decides to take."""
        view = self._selected()
        if view is None:
            return
        if view.status != "revoked":
            self.result.setText(f"设备 {view.key_id} 没有注销，不需要恢复登记。")
            return
        sure = QMessageBox.question(
            self,
            "恢复登记",
            f"恢复登记乡镇 {view.township_code} 已注销的设备 {view.key_id}？\n"
            "只在核实该电脑已找回、它上面未送达的记录要收下时才这样做。恢复后请重新接收它交来的 U 盘；"
            "收下后如不再使用，请再次注销。",
        )
        if sure != QMessageBox.StandardButton.Yes:
            return
        ops.run_job(
            self,
            lambda: actions.approve_device(self.db, view.key_id, reinstate=True, user=ops.current_user()),
            lambda out: self._done(out, "已恢复登记（请重新接收它交来的 U 盘）"),
            background=False,
            db=self.db,
        )

    def write_rebase(self, folder: str | None = None) -> None:
        """写出对齐文件 for the selected laptop (reinstalled without a backup, township re-created)."""
        view = self._selected()
        if view is None:
            return
        if folder is None:
            folder = files.choose_folder(self, "对齐文件写到哪个文件夹（U 盘）", kind="sync")
            if not folder:
                return

        def done(out: RebaseFile) -> None:
            self.result.setText(
                f"已写出对齐文件：{out.path}（给乡镇 {out.township_code} 的电脑 {out.key_id}）。"
                f"请在乡镇电脑上运行 `sync rebase {out.path.name}`，然后导出同步包交给县里。"
            )
            self.refresh()

        ops.run_job(
            self,
            lambda: actions.write_rebase(self.db, view.key_id, Path(folder), user=ops.current_user()),
            done,
            background=False,
            db=self.db,
        )

    def revoke(self) -> None:
        view = self._selected()
        if view is None:
            return
        sure = QMessageBox.question(
            self,
            "注销设备",
            f"注销乡镇 {view.township_code} 的设备 {view.key_id}？\n此后它送来的包一律拒收，已收到的数据保留；"
            "它暂存的待登记的包将被删除。",
        )
        if sure != QMessageBox.StandardButton.Yes:
            return

        def done(v: enrollment.DeviceView) -> None:
            dropped = f"它暂存的 {v.discarded} 个待登记的包已删除。" if v.discarded else ""
            self.result.setText(
                f"已注销设备 {v.key_id}（乡镇 {v.township_code}），此后它的包一律拒收。{dropped}"
            )
            self.refresh()

        ops.run_job(
            self,
            lambda: actions.revoke_device(self.db, view.key_id, user=ops.current_user()),
            done,
            background=False,
            db=self.db,
        )


# --- 冲突 ----------------------------------------------------------------------------------------


class ConflictsTab(QWidget):
    """The conflict queue; the selected conflict's two versions side by side, differing fields
    highlighted, with who changed each version when; keep the current result or the other version, or
    merge field by field (tick 用另一版本 on the fields to take from the other version)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        self.db = window.db
        self.queue = make_table(["编号", "数据", "记录", "状态", "发现时间（本地）"], "conflictQueue")
        self.queue.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.queue.horizontalHeader().setStretchLastSection(True)
        self.queue.currentCellChanged.connect(lambda *_a: self._show_selected())
        self.sides = make_table(["字段", "当前版本", "另一版本"], "conflictSides")
        self.sides.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.heading = QLabel("选中左边的一条冲突查看两个版本。")
        self.heading.setWordWrap(True)
        # Which version is which (device, generation, time): here in full, the column titles stay short.
        self.versions = QLabel()
        self.versions.setObjectName("conflictVersions")
        self.versions.setWordWrap(True)
        self.warning = QLabel()
        self.warning.setObjectName("conflictWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #a00;")
        self.keep_button = QPushButton("保留当前版本(&K)")
        self.other_button = QPushButton("改用另一版本(&O)")
        self.merge_button = QPushButton("按勾选的字段合并(&M)")
        self.merge_button.setToolTip("勾选的字段用另一版本，其余字段保留当前版本")
        self.keep_button.clicked.connect(lambda: self.resolve("current"))
        self.other_button.clicked.connect(lambda: self.resolve("other"))
        self.merge_button.clicked.connect(self.merge_checked)
        self.result = QLabel()
        self.result.setWordWrap(True)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.heading)
        rl.addWidget(self.versions)
        rl.addWidget(self.sides, 1)
        rl.addWidget(self.warning)
        buttons = QHBoxLayout()
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.other_button)
        buttons.addWidget(self.merge_button)
        buttons.addStretch(1)
        rl.addLayout(buttons)
        rl.addWidget(self.result)
        split = QSplitter()
        split.setObjectName("conflictSplitter")
        split.addWidget(self.queue)
        split.addWidget(right)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.setFocusProxy(self.queue)
        self.views: list[ConflictView] = []
        self._lazy = ops.LazyRefresh(self, self.refresh)
        ops.bus().changed.connect(self._on_changed)
        self.refresh()

    def _on_changed(self, changed: object) -> None:
        if ops.touches(changed, "sync_conflict"):
            self._lazy.request()

    def refresh(self) -> None:
        def read(s: Session) -> tuple[list[ConflictView], dict[int, ConflictText]]:
            found = list_conflicts(s, include_resolved=True)
            return found, {v.id: ConflictText.of(s, v) for v in found}

        got = ops.run_read(self, self.db, read)
        if got is None:
            return
        views, self.texts = got
        views.sort(key=lambda v: (v.status != "open", v.id))
        self.views = views
        fill(
            self.queue,
            [
                [
                    f"#{v.id}",
                    TABLE_LABELS.get(v.table, v.table),
                    self.texts[v.id].name,
                    CONFLICT_STATUS.get(v.status, v.status),
                    localtime.show(v.detected_at),
                ]
                for v in views
            ],
            [v.id for v in views],
        )
        open_count = sum(1 for v in views if v.status == "open")
        self.window_.set_view_status(self, f"待确认冲突 {open_count} 条，共 {len(views)} 条")
        if views:
            self.queue.selectRow(0)
        self._show_selected()

    def current(self) -> ConflictView | None:
        cid = row_data(self.queue)
        return next((v for v in self.views if v.id == cid), None)

    def differing_fields(self) -> list[str]:
        """Field names of the rows highlighted as different (what the clerk sees marked)."""
        out = []
        for row in range(self.sides.rowCount()):
            item = self.sides.item(row, 0)
            if item is not None and item.background().color() == QColor(DIFFERS):
                out.append(str(item.data(_DATA)))
        return out

    def _show_selected(self) -> None:
        v = self.current()
        is_open = v is not None and v.status == "open"
        self.keep_button.setEnabled(is_open)
        self.other_button.setEnabled(is_open)
        self.merge_button.setEnabled(is_open)
        if v is None:
            self.sides.setRowCount(0)
            self.versions.setText("")
            self.warning.setText("")
            self.heading.setText("没有同步冲突。" if not self.views else "选中左边的一条冲突查看两个版本。")
            return
        text = self.texts[v.id]
        self.heading.setText(
            f"冲突 #{v.id}：{TABLE_LABELS.get(v.table, v.table)}“{text.name}”（{CONFLICT_STATUS.get(v.status, v.status)}）。"
            + conflict_text.GUIDE
        )
        self.versions.setText(f"{text.current_title}\n{text.other_title}")
        self.warning.setText(text.warning if is_open else "")
        self.sides.setHorizontalHeaderLabels(["字段", "当前版本", "另一版本"])
        for col, tip in ((1, text.current_title), (2, text.other_title)):
            header = self.sides.horizontalHeaderItem(col)
            if header is not None:
                header.setToolTip(tip)
        lines = text.lines
        fill(
            self.sides,
            [[line.label, line.current, line.other] for line in lines],
            [line.key for line in lines],
        )
        choosable = set(choosable_fields(v)) if is_open else set()
        for row, line in enumerate(lines):
            if line.differs:
                for col in range(3):
                    item = self.sides.item(row, col)
                    if item is not None:
                        item.setBackground(QBrush(QColor(DIFFERS)))
            other = self.sides.item(row, 2)
            if line.key in choosable and other is not None:  # tick: take this field from the other version
                other.setFlags(other.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                other.setCheckState(Qt.CheckState.Unchecked)
                other.setToolTip("勾选：合并时这一字段用另一版本")

    def checked_fields(self) -> list[str]:
        """Fields ticked to take the other version."""
        out = []
        for row in range(self.sides.rowCount()):
            item, name = self.sides.item(row, 2), self.sides.item(row, 0)
            checkable = item is not None and item.data(Qt.ItemDataRole.CheckStateRole) is not None
            if (
                checkable
                and item is not None
                and name is not None
                and item.checkState() == Qt.CheckState.Checked
            ):
                out.append(str(name.data(_DATA)))
        return out

    def merge_checked(self) -> None:
        v = self.current()
        if v is None:
            self.result.setText("请先选中一条冲突。")
            return
        fields = self.checked_fields()
        if not fields:
            self.result.setText("请先在“另一版本”一栏勾选要采用的字段；全部保留当前版本请按“保留当前版本”。")
            return

        if not self._confirm_side_effect(v, fields):
            return
        self._decide(lambda: actions.merge_conflict(self.db, v.id, fields, user=ops.current_user()))

    def resolve(self, keep: str) -> None:
        v = self.current()
        if v is None:
            self.result.setText("请先选中一条冲突。")
            return
        if keep == "other" and not self._confirm_side_effect(v, None):
            return
        self._decide(lambda: actions.resolve_conflict(self.db, v.id, keep, user=ops.current_user()))

    def _confirm_side_effect(self, v: ConflictView, fields: list[str] | None) -> bool:
        """Ask before taking the other version deletes or restores the record (``fields`` None: all)."""
        warning = ops.run_read(self, self.db, lambda s: conflict_text.choice_warning(s, v, fields))
        if not warning:
            return True
        sure = QMessageBox.question(
            self,
            "改用另一版本",
            f"{warning}\n确定要这样处理吗？",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return sure == QMessageBox.StandardButton.Yes

    def _decide(self, job: Callable[[], ConflictView]) -> None:
        """Run one conflict decision (its own audited transaction), then say what became of it."""

        def done(view: ConflictView) -> None:
            self.result.setText(f"冲突 #{view.id} {CONFLICT_STATUS.get(view.status, view.status)}。")
            self.refresh()

        ops.run_job(self, job, done, background=False, db=self.db)


@dataclass(frozen=True)
class ConflictText:
    """What the 冲突 tab shows of one conflict, read in the same session as the list
    (``services.county.conflict_text``: Chinese labels, decoded values, versions told apart)."""

    name: str
    current_title: str
    other_title: str
    lines: list[conflict_text.FieldLine]
    warning: str

    @classmethod
    def of(cls, s: Session, v: ConflictView) -> ConflictText:
        current, other = conflict_text.version_titles(s, v)
        return cls(
            conflict_text.record_name(s, v),
            current,
            other,
            conflict_text.field_lines(s, v),
            conflict_text.choice_warning(s, v),
        )


# --- 待补 ----------------------------------------------------------------------------------------


class PendingTab(QWidget):
    """Per township: the last package received, packages held and the gap each waits for, and what
    to tell the township clerk."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        self.db = window.db
        self.table = make_table(
            ["乡镇", "最近收到的包", "收到时间（本地）", "暂存的包", "缺少的更改", "应告知乡镇 / 应办理"],
            "pendingTable",
        )
        # The instruction is a sentence or two: wrapped in its cell, whole in the tooltip, and the
        # selected row's instruction in full (selectable, to read out or copy) below the table.
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.currentCellChanged.connect(lambda *_a: self._show_detail())
        self.summary = QLabel()
        self.detail = QLabel()
        self.detail.setObjectName("pendingDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        self.setFocusProxy(self.table)
        self._lazy = ops.LazyRefresh(self, self.refresh)
        ops.bus().changed.connect(self._on_changed)
        self.refresh()

    def _on_changed(self, changed: object) -> None:
        if ops.touches(changed, "sync_held", "sync_received", "sync_enrollment"):
            self._lazy.request()

    def refresh(self) -> None:
        towns = ops.run_read(self, self.db, pending_by_township)
        if towns is None:
            return
        rows: list[list[str]] = []
        data: list[str] = []
        held = 0
        for t in towns:
            name = f"{t.name}（{t.code}）" if t.name else t.code
            last = t.last_file or "尚未收到"
            when = localtime.show(t.last_received_at) if t.last_received_at else ""
            if not t.held:
                rows.append([name, last, when, "无", "", t.instruction or "无需补交"])
                data.append(t.code)
            for h in t.held:
                held += 1
                waits = (
                    numbers(h.missing_from, h.missing_to) if h.reason == "gap" else f"待登记设备 {h.key_id}"
                )
                rows.append([name, last, when, h.file_name, waits, t.instruction])
                data.append(t.code)
        fill(self.table, rows, data)
        last_col = self.table.columnCount() - 1
        for r, row in enumerate(rows):
            item = self.table.item(r, last_col)
            if item is not None:
                item.setToolTip(row[last_col])
        self.table.resizeRowsToContents()
        if rows:
            self.table.selectRow(0)
        self._show_detail()
        self.summary.setText(
            f"乡镇 {len(towns)} 个，暂存待补的包 {held} 个。"
            if held
            else f"乡镇 {len(towns)} 个，没有暂存的包。"
        )

    def _show_detail(self) -> None:
        """The selected township's instruction in full below the table."""
        row = self.table.currentRow()
        item = self.table.item(row, self.table.columnCount() - 1) if row >= 0 else None
        town = self.table.item(row, 0) if row >= 0 else None
        if item is None or town is None:
            self.detail.setText("")
            return
        self.detail.setText(f"{town.text()}：{item.text()}")
