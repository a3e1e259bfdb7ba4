"""The first-start path for a township with no data: 新建乡镇 → branches (typed, or from an xlsx sheet)
→ roster import per branch → committee and party groups. Every step can be skipped; each is also in
the menus (文件 → 新建支部 / 支部委员会 / 党小组, 文件 → 从 Excel 导入) for later."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from gui.org.dialogs import BranchDialog, TownshipDialog
from gui.org.setup import CommitteeDialog, PartyGroupsDialog
from models.enums import BranchDomain, label
from services import org
from services.db import Database
from services.excel.branch_import import import_branches

STEPS = (
    "第一步：新建乡镇（已完成）",
    "第二步：建立党组织 —— 逐个新建，或从 Excel 表导入（代码、名称、类别、领域、成立日期、上级代码）",
    "第三步：为每个支部导入党员花名册（Excel）",
    "第四步：为每个支部登记支部委员会（书记、委员）和党小组",
)


class FirstStartDialog(QDialog):
    """Steps 2–4 for the township just created; the branch list shows each branch's progress."""

    def __init__(self, parent: QWidget | None, db: Database, township_id: str) -> None:
        super().__init__(parent)
        self.db, self.township_id = db, township_id
        self.setWindowTitle("开始设置本乡镇")
        self.resize(760, 520)
        intro = QLabel(
            "按顺序完成下面几步；每一步都可以跳过，以后从“文件”菜单随时继续。"
            "不需要演示数据：这里建立的就是本乡镇的真实台账。"
        )
        intro.setWordWrap(True)
        self.branches = QListWidget()
        self.branches.setObjectName("firstStartBranches")
        self.message = QLabel()
        self.message.setObjectName("firstStartMessage")
        self.message.setWordWrap(True)
        self.new_branch = QPushButton("新建党组织…")
        self.import_branches = QPushButton("从 Excel 导入党组织…")
        self.import_roster = QPushButton("导入所选支部的花名册…")
        self.committee = QPushButton("所选支部的支部委员会…")
        self.groups = QPushButton("所选支部的党小组…")
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        for text in STEPS:
            lay.addWidget(QLabel(text))
        lay.addWidget(self.branches, 1)
        row1 = QHBoxLayout()
        row1.addWidget(self.new_branch)
        row1.addWidget(self.import_branches)
        row2 = QHBoxLayout()
        row2.addWidget(self.import_roster)
        row2.addWidget(self.committee)
        row2.addWidget(self.groups)
        lay.addLayout(row1)
        lay.addLayout(row2)
        lay.addWidget(self.message)
        done = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        done.button(QDialogButtonBox.StandardButton.Close).setText("完成（以后可从菜单继续）")
        done.rejected.connect(self.reject)
        lay.addWidget(done)
        self.new_branch.clicked.connect(self.add_branch)
        self.import_branches.clicked.connect(self.choose_branch_file)
        self.import_roster.clicked.connect(self.roster)
        self.committee.clicked.connect(lambda: self._per_branch(CommitteeDialog))
        self.groups.clicked.connect(lambda: self._per_branch(PartyGroupsDialog))
        self.reload()

    def reload(self) -> None:
        township_id = self.township_id

        def read(s: Session) -> list[tuple[str, str, str, int]]:
            return [(b.id, b.name, b.domain, b.member_count) for b in org.list_branches(s, township_id)]

        rows = ops.run_read(self, self.db, read) or []
        keep = self.current_branch()
        self.branches.clear()
        for bid, name, domain, members in rows:
            item = QListWidgetItem(f"{name}（{label(BranchDomain(domain))}）　党员 {members} 人")
            item.setData(Qt.ItemDataRole.UserRole, bid)
            self.branches.addItem(item)
            if bid == keep:
                self.branches.setCurrentItem(item)
        if self.branches.currentRow() < 0 and self.branches.count():
            self.branches.setCurrentRow(0)

    def current_branch(self) -> str | None:
        item = self.branches.currentItem() if hasattr(self, "branches") else None
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def add_branch(self) -> None:
        if BranchDialog(self, self.db, self.township_id, None).exec():
            self.reload()

    def choose_branch_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "选择党组织表", "", "Excel 工作簿 (*.xlsx)")
        if path:
            self.load_branch_file(Path(path))

    def load_branch_file(self, path: Path) -> None:
        township_id = self.township_id
        ids = ops.run_write(
            self,
            self.db,
            lambda s: import_branches(s, township_id, path),
            on_invalid=lambda e: self.message.setText(e.message),
            changes={"branch"},
        )
        if ids is not None:
            self.message.setText(f"已导入 {len(ids)} 个党组织。")
            self.reload()

    def roster(self) -> None:
        from gui.excel.import_dialog import ExcelImportDialog

        branch_id = self.current_branch()
        if branch_id is None:
            self.message.setText("请先建立党组织。")
            return
        dialog = ExcelImportDialog(self.db, "roster", branch_id=branch_id, parent=self)
        dialog.exec()
        self.reload()

    def _per_branch(self, dialog_class: type) -> None:
        branch_id = self.current_branch()
        if branch_id is None:
            self.message.setText("请先建立党组织。")
            return
        dialog_class(self, self.db, branch_id).exec()
        self.reload()


def first_start(parent: QWidget | None, db: Database) -> str | None:
    """The whole path: the township dialog, then the remaining steps. Returns the township id, or
    None when the clerk closed the first dialog (文件 → 新建乡镇 stays available)."""
    dialog = TownshipDialog(parent, db, first_run=True)
    if not dialog.exec() or dialog.result_id is None:
        return None
    FirstStartDialog(parent, db, dialog.result_id).exec()
    return dialog.result_id
