"""The 对标检查 tab: check the selected branches against the handbook pack for a period.

Three views of one check result: the township overview grid, one branch's findings with their 明白卡,
and the 3+7 catalog. A finding opens its record, or a new-record form pre-filled from the rule when
something is missing; a warning can carry an explanation (说明). The pack can be replaced from the
工具 menu; a bad pack is refused with its problems and the last good one stays in use.

The check engine and the pack (pydantic) load when the tab is first opened, not at start-up: ``install``
adds a placeholder page and builds the view on first use.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from gui.widgets import files
from services.db import Database
from services.handbook.period import Period, month, quarter, year

if TYPE_CHECKING:
    from gui.main_window import MainWindow
    from services.handbook.engine import CheckResult
    from services.handbook.findings import Finding, Prefill
    from services.handbook.pack import PackHolder


class HandbookView(QWidget):
    """``prefillRequested`` carries the Prefill of a missing record; ``formOpened`` the form shown."""

    prefillRequested = Signal(object)
    formOpened = Signal(object)

    def __init__(
        self,
        window: MainWindow | None,
        db: Database,
        *,
        holder: PackHolder | None = None,
        today: date | None = None,
    ) -> None:
        from gui.handbook.branch import BranchFindings, CatalogTree
        from gui.handbook.grid import OverviewGrid
        from services.handbook.pack import PackHolder

        super().__init__(window)
        self.window_ = window
        self.db = db
        self.holder = holder or PackHolder.default()
        self.today = today
        self.branch_ids: list[str] | None = None
        self.branch_id: str | None = None
        self.result: CheckResult | None = None
        self.form: QDialog | None = None
        self._stale = True

        current = (today or date.today()).year
        self.year = QSpinBox()
        self.year.setRange(1990, 2100)
        self.year.setValue(current)
        self.scope = QComboBox()
        self.scope.setObjectName("periodScope")
        self.scope.addItem("全年", "year")
        for q in range(1, 5):
            self.scope.addItem(f"第{q}季度", f"Q{q}")
        for m in range(1, 13):
            self.scope.addItem(f"{m}月", f"M{m}")
        self.check_button = QPushButton("检查")
        self.check_button.clicked.connect(self.refresh)
        self.pack_label = QLabel()
        self.pack_label.setObjectName("packLabel")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("年度"))
        bar.addWidget(self.year)
        bar.addWidget(self.scope)
        bar.addWidget(self.check_button)
        bar.addStretch(1)
        bar.addWidget(self.pack_label)

        self.grid = OverviewGrid()
        self.branch_view = BranchFindings()
        self.catalog = CatalogTree()
        self.inner = QTabWidget()
        self.inner.addTab(self.grid, "乡镇总览")
        self.inner.addTab(self.branch_view, "支部问题")
        self.inner.addTab(self.catalog, "3+7 目录")
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.inner, 1)

        self.grid.branchActivated.connect(self.show_branch)
        self.grid.branchSelected.connect(self.select_branch)
        self.branch_view.openRequested.connect(self.open_finding)
        self.branch_view.explainRequested.connect(lambda f: self.explain(f))
        self.branch_view.withdrawRequested.connect(self.withdraw)
        self.catalog.fileRequested.connect(self.file_evidence)
        self.catalog.documentOpenRequested.connect(self.open_document)
        self._show_pack()
        ops.bus().changed.connect(self._on_changed)

    # --- state ------------------------------------------------------------------------------
    def period(self) -> Period:
        y, code = self.year.value(), str(self.scope.currentData())
        if code.startswith("Q"):
            return quarter(y, int(code[1:]))
        if code.startswith("M"):
            return month(y, int(code[1:]))
        return year(y)

    def set_period(self, period: Period) -> None:
        self.year.setValue(period.start.year)
        code = {
            "year": "year",
            "quarter": f"Q{(period.start.month - 1) // 3 + 1}",
            "month": f"M{period.start.month}",
        }
        self.scope.setCurrentIndex(self.scope.findData(code[period.unit]))

    def set_branches(self, branch_ids: list[str] | None) -> None:
        """Follows the main window's tree: the grid shows that subtree; one branch opens in 支部问题."""
        self.branch_ids = branch_ids
        if self.window_ is not None:
            self.branch_id = self.window_.current_branch_id()
        elif branch_ids is not None and len(branch_ids) == 1:
            self.branch_id = branch_ids[0]
        self._refresh_when_seen()

    def _refresh_when_seen(self) -> None:
        """A check reads the whole township: run it now if the tab is on screen, else when it is shown."""
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _on_changed(self, tags: object) -> None:
        # The check reads nearly every table (fees, funds, training, transfers … as well as meetings
        # and members): any change of shown data, from any screen or a recycle-bin restore, counts.
        if ops.touches_shown_data(tags):
            self._refresh_when_seen()

    def refresh(self) -> None:
        from services.handbook.engine import evaluate

        self._stale = False
        pack, period, ids, as_of = self.holder.pack, self.period(), self.branch_ids, self.today
        result = ops.run_read(self, self.db, lambda s: evaluate(s, pack, period, branch_ids=ids, as_of=as_of))
        if result is None:
            return
        self.result = result
        self.grid.show_result(result)
        if self.branch_id is None and len(result.branches) == 1:
            self.branch_id = result.branches[0].id
        self._show_branch_views()
        errors = sum(1 for f in result.findings if f.importance == "error")
        warnings = sum(1 for f in result.findings if f.importance == "warning")
        status = f"{period.title}：{len(result.branches)} 个党组织，错误 {errors} 条，警告 {warnings} 条"
        if self.window_ is not None:
            self.window_.set_view_status(self, status)

    def select_branch(self, branch_id: str) -> None:
        """A single click (or arrow key) in 乡镇总览: that branch's 支部问题 and 3+7 目录, staying here."""
        self.branch_id = branch_id
        self._show_branch_views()

    def show_branch(self, branch_id: str) -> None:
        self.branch_id = branch_id
        self._show_branch_views()
        self.inner.setCurrentWidget(self.branch_view)

    def _show_branch_views(self) -> None:
        if self.result is None:
            return
        self.branch_view.show_branch(self.holder.pack, self.result, self.branch_id)
        from services.filing import filed_documents

        documents = None
        branch_id, period = self.branch_id, self.result.period
        if branch_id is not None:
            documents = ops.run_read(
                self, self.db, lambda s: filed_documents(s, branch_id, period.start.year, period.end.year)
            )
        self.catalog.show_catalog(self.holder.pack, self.result, self.branch_id, documents)
        self.grid.select_branch(self.branch_id)
        # The 3+7 目录 tab names the branch it shows (it is per branch, the overview is not).
        name = next((b.name for b in self.result.branches if b.id == self.branch_id), "")
        self.inner.setTabText(self.inner.indexOf(self.catalog), f"3+7 目录 · {name}" if name else "3+7 目录")

    def _show_pack(self) -> None:
        p = self.holder.pack.pack
        self.pack_label.setText(f"手册包：{p.name} {p.version}")
        tip = str(self.holder.path or "")
        if self.holder.last_error is not None:
            tip += "\n" + self.holder.last_error.message
        self.pack_label.setToolTip(tip)

    # --- actions ----------------------------------------------------------------------------
    def open_document(self, attachment_id: str) -> None:
        """Double-click on a filed document: open the stored scan with the system's viewer."""
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        from services.attachments import file_of, get_attachment

        path = ops.run_read(self, self.db, lambda s: file_of(s, get_attachment(s, attachment_id)))
        if path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def file_evidence(self, evidence_id: str) -> str | None:
        """归档文件… on a catalog item: file a scan under it for the branch and year in view."""
        from gui.handbook.evidence_filing import file_evidence

        # The tree refreshes through the change bus ("filing"), like after any other write.
        return file_evidence(self, self.db, self.holder.pack, self.branch_id, evidence_id, self.year.value())

    def load_pack(self, path: str | Path | None = None) -> bool:
        """Replace the pack; a bad file is refused with its problems and the current pack stays.
        Administrators only (it changes everyone's results on this computer); logged."""
        from services import machine_settings
        from services.errors import PermissionDenied

        try:
            machine_settings.require_admin(self.db, "更换本机使用的手册包")
        except PermissionDenied as exc:
            QMessageBox.warning(self, "需要管理员", exc.message)
            return False
        if path is None:
            chosen = files.open_file(self, "载入手册包", "手册包 (*.toml)", kind="pack")
            if not chosen:
                return False
            path = chosen
        if not self.holder.reload(path):
            error = self.holder.last_error
            QMessageBox.warning(
                self,
                "手册包有问题",
                f"{error.message if error else ''}\n\n继续使用：{self.holder.pack.pack.name} {self.holder.pack.pack.version}",
            )
            return False
        self.holder.remember()
        machine_settings.record_change(
            self.db,
            "handbook_pack_changed",
            {"pack": f"{self.holder.pack.pack.name} {self.holder.pack.pack.version}", "path": str(path)},
        )
        self._show_pack()
        self.refresh()
        return True

    def open_finding(self, finding: Finding) -> None:
        """The record behind a finding, or a new record pre-filled from the rule when something is missing."""
        if finding.record_ids and finding.record_kind == "meeting":
            from gui.meetings.form import MeetingForm

            self._show_form(
                MeetingForm(self, self.db, finding.branch_id, finding.record_ids[0], today=self.today)
            )
        elif finding.record_ids and finding.record_kind == "member":
            from gui.roster.member_form import MemberForm

            self._show_form(MemberForm(self, self.db, finding.branch_id, finding.record_ids[0]))
        elif finding.prefill is not None:
            self.prefillRequested.emit(finding.prefill)
            self._show_form(self.prefilled_form(finding.prefill))
        else:
            QMessageBox.information(self, "对标检查", f"{finding.message}\n\n请按明白卡整改。")

    def prefilled_form(self, prefill: Prefill) -> QDialog:
        from gui.meetings.form import MeetingForm

        if prefill.record in ("committee", "election"):
            from gui.org.setup import CommitteeDialog, ElectionDialog

            if prefill.record == "election":
                return ElectionDialog(self, self.db, prefill.branch_id, today=self.today)
            return CommitteeDialog(self, self.db, prefill.branch_id)

        form = MeetingForm(self, self.db, prefill.branch_id, today=self.today)
        if prefill.held_on is not None:
            form.held_on.set_date(prefill.held_on)
        if prefill.party_group_id:
            form.party_group.setCurrentIndex(max(0, form.party_group.findData(prefill.party_group_id)))
        # Setting the type last refills the expected attendees for this type, date and group.
        form.type.setCurrentIndex(max(0, form.type.findData(prefill.meeting_type)))
        form.setWindowTitle(form.windowTitle() + "（按对标检查补录）")
        return form

    def _show_form(self, form: QDialog) -> None:
        self.form = form
        form.finished.connect(lambda _code: self.refresh())
        self.formOpened.emit(form)
        form.open()

    def explain(self, finding: Finding, text: str | None = None) -> bool:
        if finding.importance != "warning":
            QMessageBox.information(self, "附加说明", "只有“警告”级别的问题可以附加说明；“错误”须整改。")
            return False
        if text is None:
            text, ok = QInputDialog.getMultiLineText(
                self, "附加说明", f"{finding.message}\n\n说明原因：", finding.explanation or ""
            )
            if not ok:
                return False

        from services.handbook import explanations

        def write(s: Session) -> bool:
            explanations.attach(s, finding, text or "")
            return True

        if ops.run_write(self, self.db, write, changes={"explanation"}) is None:
            return False
        self.refresh()
        self.branch_view.select_finding(finding.key)
        return True

    def withdraw(self, finding: Finding) -> None:
        from services.handbook import explanations

        ops.run_write(self, self.db, lambda s: explanations.withdraw(s, finding), changes={"explanation"})
        self.refresh()


class HandbookPage(QWidget):
    """The tab's page: holds the view once built (first time the tab is opened or the pack menu used)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.setObjectName("handbookPage")
        self.window_ = window
        self.view: HandbookView | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    def built(self) -> HandbookView:
        if self.view is None:
            from services.handbook.pack import PackHolder

            window = self.window_
            holder = PackHolder.startup()
            view = HandbookView(window, window.db, holder=holder)
            view.setObjectName("handbookView")
            if holder.last_error is not None:
                # The pack chosen earlier is no longer usable: say so, and check with the default meanwhile.
                window.statusBar().showMessage(f"{holder.last_error.message}（暂用默认手册包）", 30000)
            layout = self.layout()
            assert layout is not None
            layout.addWidget(view)
            self.view = view
            window.selectionChanged.connect(view.set_branches)
            view.set_branches(window.current_branch_ids())
        return self.view

    def showEvent(self, event: QShowEvent) -> None:
        self.built()
        super().showEvent(event)

    def refresh(self) -> None:  # F5 on this tab
        if self.view is not None:
            self.view.refresh()


def install(window: MainWindow) -> None:
    page = HandbookPage(window)
    window.add_tab(page, "对标检查")
    if window.tabs.currentWidget() is page:  # the only tab (or the first): nothing to wait for
        page.built()
    window.tabs.currentChanged.connect(
        lambda _i: page.built() if window.tabs.currentWidget() is page else None
    )
    window.add_action("工具", "载入手册包…", lambda: page.built().load_pack())
    window.add_action("工具", "重新载入手册包", lambda: page.built().load_pack(page.built().holder.path))
