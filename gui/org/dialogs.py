"""Dialogs for the organisation: new township (also the first-run dialog), new branch, demo data."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QMessageBox,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from gui.widgets.forms import DateField, FormDialog
from models.enums import LABELS, BranchDomain, BranchKind
from services import org
from services.db import Database
from services.errors import ErrorCollector

if TYPE_CHECKING:
    from gui.main_window import MainWindow


def demo_generator() -> Callable[..., Any] | None:
    """``services.demo.generate`` when that package is shipped (a build may leave it out)."""
    try:
        from services.demo import generate
    except ImportError:
        return None
    return generate


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


class TownshipDialog(FormDialog):
    """New township, or (``township_id``) edit its code, name and county."""

    def __init__(
        self,
        parent: QWidget | None,
        db: Database,
        *,
        first_run: bool = False,
        township_id: str | None = None,
    ) -> None:
        super().__init__(parent, "修改乡镇" if township_id else "新建乡镇")
        self.db = db
        self.township_id = township_id
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
        self.code.setObjectName("townshipCode")
        self.name.setObjectName("townshipName")
        if township_id:
            t = ops.run_read(
                self, db, lambda s: (lambda x: (x.code, x.name, x.county))(org.get_township(s, township_id))
            )
            if t is not None:
                self.code.setText(t[0])
                self.name.setText(t[1])
                self.county.setText(t[2])

    def save(self) -> None:
        code, name, county = self.code.text(), self.name.text(), self.county.text()
        township_id = self.township_id

        def write(s: Session) -> str:
            if township_id:
                return org.update_township(s, township_id, code=code, name=name, county=county).id
            return org.create_township(s, code, name, county).id

        self.submit(self.db, write, changes={"township"})


class BranchDialog(FormDialog):
    """New branch under a township (and a 党委/党总支), or (``branch_id``) edit one: code, name, kind,
    domain, parent, founding date. The term is set in 支部委员会 (登记本届任期 / 换届选举)."""

    def __init__(
        self,
        parent: QWidget | None,
        db: Database,
        township_id: str,
        parent_branch_id: str | None,
        *,
        branch_id: str | None = None,
    ):
        super().__init__(parent, "修改党组织" if branch_id else "新建支部")
        self.db = db
        self.township_id = township_id
        self.parent_branch_id = parent_branch_id
        self.branch_id = branch_id
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
        self.parent_choice = QComboBox()
        self.parent_choice.setObjectName("branchParent")
        self.code.setObjectName("branchCode")
        self.name.setObjectName("branchName")
        self.kind.setObjectName("branchKind")
        self.domain.setObjectName("branchDomain")
        self.founded.setObjectName("branchFounded")
        if branch_id:
            self.support.row(self.form, "上级党组织", "parent_id", self.parent_choice)
            self._load(branch_id)
        else:
            self.support.row(self.form, "本届任期开始", "term_start", self.term_start)
            self.support.row(self.form, "本届任期届满", "term_end", self.term_end)

    def _load(self, branch_id: str) -> None:
        def read(s: Session) -> tuple[dict[str, Any], list[tuple[str, str]]]:
            b = org.get_branch(s, branch_id)
            values = {
                k: getattr(b, k)
                for k in ("township_id", "code", "name", "kind", "domain", "founded_on", "parent_id")
            }
            parents = org.parent_choices(s, branch_id)
            return values, parents

        got = ops.run_read(self, self.db, read)
        if got is None:
            return
        b, parents = got
        self.township_id = b["township_id"]
        self.code.setText(b["code"])
        self.name.setText(b["name"])
        self.kind.setCurrentIndex(max(0, self.kind.findData(b["kind"])))
        self.domain.setCurrentIndex(max(0, self.domain.findData(b["domain"])))
        self.founded.set_date(b["founded_on"])
        self.parent_choice.addItem("（直属乡镇党委）", None)
        for pid, pname in parents:
            self.parent_choice.addItem(pname, pid)
        self.parent_choice.setCurrentIndex(max(0, self.parent_choice.findData(b["parent_id"])))

    def save(self) -> None:
        found = ErrorCollector()
        founded, start, end = self.dates(found, self.founded, self.term_start, self.term_end)
        code, name = self.code.text(), self.name.text()
        kind, domain = str(self.kind.currentData()), str(self.domain.currentData())
        branch_id, parent_id = self.branch_id, self.parent_choice.currentData()

        def create(s: Session) -> str:
            if branch_id:
                return org.update_branch(
                    s,
                    branch_id,
                    code=code,
                    name=name,
                    kind=kind,
                    domain=domain,
                    parent_id=parent_id,
                    founded_on=founded,
                ).id
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

        self.submit(self.db, create, changes={"branch"}, found=found)


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
