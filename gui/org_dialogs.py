"""Dialogs for the organisation: new township (also the first-run dialog), new branch, demo data."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from gui.forms import DateField, FormSupport
from models.enums import LABELS, BranchDomain, BranchKind
from services import org
from services.db import Database
from services.errors import ValidationError

if TYPE_CHECKING:
    from gui.main_window import MainWindow


def demo_generator() -> Callable[..., Any] | None:
    """``services.demo.generate`` when that module is present (it is written separately)."""
    try:
        module = importlib.import_module("services.demo")
    except ImportError:
        return None
    fn = getattr(module, "generate", None)
    return fn if callable(fn) else None


def demo_available() -> bool:
    """Whether the demo module is shipped; found without importing it (the menu is built at start-up)."""
    try:
        return importlib.util.find_spec("services.demo") is not None
    except (ImportError, ValueError):
        return False


def run_demo(parent: QWidget | None, db: Database, on_done: Callable[[object], None] | None = None) -> None:
    """Generate the small demo township in the background (``services.demo.generate``)."""
    generate = demo_generator()
    if generate is None:
        QMessageBox.information(parent, "演示数据", "此版本未包含演示数据生成器。")
        return
    ops.run_job(
        parent,
        lambda: generate(db, scale="small", user=ops.current_user()),
        on_done,
        changes={"all"},
        label="正在生成演示数据，请稍候…",
    )


def load_demo(window: MainWindow) -> None:
    answer = QMessageBox.question(
        window, "载入演示数据", "将在当前数据库中生成一个演示乡镇（虚构的支部、党员和会议）。继续吗？"
    )
    if answer == QMessageBox.StandardButton.Yes:
        run_demo(window, window.db)


class _Dialog(QDialog):
    """A small form dialog: fields with inline errors, OK/Cancel, Ctrl+S saves."""

    def __init__(self, parent: QWidget | None, title: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.support = FormSupport(self)
        self.form = QFormLayout()
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.intro)
        lay.addLayout(self.form)
        lay.addWidget(self.support.general)
        lay.addWidget(self.buttons)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        self.result_id: str | None = None

    def save(self) -> None:
        raise NotImplementedError


class TownshipDialog(_Dialog):
    def __init__(self, parent: QWidget | None, db: Database, *, first_run: bool = False) -> None:
        super().__init__(parent, "新建乡镇")
        self.db = db
        if first_run:
            self.intro.setText(
                "欢迎使用支部台账。数据库中还没有乡镇，请先建立本乡镇（代码可用行政区划代码）。"
            )
            self.intro.show()
        self.code = QLineEdit()
        self.name = QLineEdit()
        self.county = QLineEdit()
        self.support.row(self.form, "乡镇代码", "code", self.code)
        self.support.row(self.form, "乡镇名称", "name", self.name)
        self.support.row(self.form, "所属县（区）", "county", self.county)

    def save(self) -> None:
        self.support.clear()
        code, name, county = self.code.text(), self.name.text(), self.county.text()
        township = ops.run_write(
            self,
            self.db,
            lambda s: org.create_township(s, code, name, county),
            on_invalid=self.support.show,
            changes={"township"},
        )
        if township is not None:
            self.result_id = township.id
            self.accept()


class BranchDialog(_Dialog):
    def __init__(self, parent: QWidget | None, db: Database, township_id: str, parent_branch_id: str | None):
        super().__init__(parent, "新建支部")
        self.db = db
        self.township_id = township_id
        self.parent_branch_id = parent_branch_id
        self.code = QLineEdit()
        self.name = QLineEdit()
        self.kind = QComboBox()
        for kind in BranchKind:
            self.kind.addItem(LABELS["BranchKind"][kind], str(kind))
        self.kind.setCurrentIndex(self.kind.findData(str(BranchKind.BRANCH)))
        self.domain = QComboBox()
        for domain in BranchDomain:
            self.domain.addItem(LABELS["BranchDomain"][domain], str(domain))
        self.founded = DateField("founded_on", "成立日期", required=False)
        self.term_start = DateField("term_start", "本届任期开始", required=False)
        self.term_end = DateField("term_end", "本届任期届满", required=False)
        self.support.row(self.form, "支部代码", "code", self.code)
        self.support.row(self.form, "名称", "name", self.name)
        self.support.row(self.form, "组织类别", "kind", self.kind)
        self.support.row(self.form, "领域", "domain", self.domain)
        self.support.row(self.form, "成立日期", "founded_on", self.founded)
        self.support.row(self.form, "本届任期开始", "term_start", self.term_start)
        self.support.row(self.form, "本届任期届满", "term_end", self.term_end)

    def save(self) -> None:
        self.support.clear()
        try:
            founded, start, end = self.founded.value(), self.term_start.value(), self.term_end.value()
        except ValidationError as exc:
            self.support.show(exc)
            return
        code, name = self.code.text(), self.name.text()
        kind, domain = str(self.kind.currentData()), str(self.domain.currentData())

        def create(s: Session) -> str:
            return org.create_branch(
                s,
                self.township_id,
                code,
                name,
                kind=kind,
                domain=domain,
                founded_on=founded,
                parent_id=self.parent_branch_id,
                term_start=start,
                term_end=end,
            ).id

        branch_id = ops.run_write(self, self.db, create, on_invalid=self.support.show, changes={"branch"})
        if branch_id is not None:
            self.result_id = branch_id
            self.accept()


def new_township(window: MainWindow) -> None:
    TownshipDialog(window, window.db).exec()


def new_branch(window: MainWindow) -> None:
    township_id = window.current_township_id()
    if township_id is None:
        QMessageBox.information(window, "新建支部", "请先新建乡镇，或在左侧选中一个乡镇。")
        return
    # New branches nest under a selected 党委/党总支; a selected 党支部 gets a sibling.
    kind = window.current_node_kind()
    parent = window.current_branch_id() if kind in (BranchKind.COMMITTEE, BranchKind.GENERAL) else None
    dialog = BranchDialog(window, window.db, township_id, parent)
    if parent:
        dialog.setWindowTitle(f"新建支部（上级：{window.current_node_name()}）")
    dialog.exec()
