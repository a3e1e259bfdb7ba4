"""回收站: deleted records of every ledger table; restore puts a record back with its attendance
and attachments (``services.recycle``)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui import ops
from services import localtime, recycle
from services.db import Database

COLUMNS = ("类别", "内容", "删除时间（本地）", "删除人")


class RecycleDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.rows: list[recycle.BinRow] = []
        self.setWindowTitle("回收站")
        self.resize(900, 520)
        self.table_box = QComboBox()
        self.table_box.setObjectName("recycleTable")
        self.table_box.addItem("全部", "")
        for name in recycle.tracked_models():
            self.table_box.addItem(recycle.table_label(name), name)
        self.table_box.currentIndexChanged.connect(self.load)
        self.grid = QTableWidget(0, len(COLUMNS))
        self.grid.setObjectName("recycleGrid")
        self.grid.setHorizontalHeaderLabels(list(COLUMNS))
        self.grid.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.grid.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.grid.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.grid.verticalHeader().setVisible(False)
        self.restore_button = QPushButton("恢复所选记录")
        self.restore_button.setObjectName("recycleRestore")
        self.restore_button.clicked.connect(self.restore_selected)
        self.status = QLabel()
        top = QHBoxLayout()
        top.addWidget(QLabel("类别"))
        top.addWidget(self.table_box)
        top.addStretch(1)
        top.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.status)
        self.load()

    def load(self) -> None:
        table = str(self.table_box.currentData() or "")
        rows = ops.run_read(self, self.db, lambda s: recycle.list_deleted(s, table, limit=1000))
        self.rows = rows or []
        self.grid.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            when = localtime.show(r.deleted_at)
            for j, v in enumerate((r.table_label, r.title, when, r.deleted_by)):
                self.grid.setItem(i, j, QTableWidgetItem(v))
        self.status.setText(f"回收站中共 {len(self.rows)} 条（删除的记录随同出席、附件一起恢复）")

    def restore_selected(self) -> None:
        picked = sorted({i.row() for i in self.grid.selectedIndexes()})
        if not picked:
            QMessageBox.information(self, "回收站", "请先选中要恢复的记录。")
            return
        messages = []
        for i in picked:
            row = self.rows[i]
            result = ops.run_write(
                self,
                self.db,
                lambda s, r=row: recycle.restore(s, r.table, r.id),  # type: ignore[misc]
                changes={row.table, "recycle"},
            )
            if result is not None:
                messages.append(f"{row.title}：{result.describe()}")
        if messages:
            self.status.setText("\n".join(messages))
        self.load()
