"""对标检查 · 支部: one branch's findings grouped by 标准, the 明白卡 of the selected one, and the 3+7 catalog."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.handbook.grid import COLOURS
from services.filing import FiledDocument
from services.handbook.engine import CheckResult
from services.handbook.findings import Finding
from services.handbook.pack import Pack

_FINDING_ROLE = Qt.ItemDataRole.UserRole
_EVIDENCE_ROLE = Qt.ItemDataRole.UserRole + 1  # 资料 code of a catalog leaf
_DOCUMENT_ROLE = Qt.ItemDataRole.UserRole + 2  # attachment id of a filed document under a leaf


def rule_title(pack: Pack, rule_id: str) -> str:
    """A rule as a clerk reads it: its title beside the code (ORG-03「按期换届」), never the bare code."""
    rule = pack.rules_by_id().get(rule_id)
    name = getattr(rule, "name", "") if rule is not None else ""
    return f"{rule_id}「{name}」" if name else rule_id


class BranchFindings(QWidget):
    """``openRequested`` / ``explainRequested`` carry the selected Finding."""

    openRequested = Signal(object)
    explainRequested = Signal(object)
    withdrawRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel()
        self.heading.setObjectName("branchHeading")
        self.heading.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("findingTree")
        self.tree.setHeaderLabels(["问题", "级别", "期间", "说明"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        for col in (1, 2, 3):
            self.tree.header().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.currentItemChanged.connect(self._selected)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        self.card = QTextBrowser()
        self.card.setObjectName("cardText")
        self.open_button = QPushButton("打开记录 / 补录")
        self.explain_button = QPushButton("附加说明…")
        self.withdraw_button = QPushButton("撤回说明")
        self.open_button.clicked.connect(lambda: self._emit(self.openRequested))
        self.explain_button.clicked.connect(lambda: self._emit(self.explainRequested))
        self.withdraw_button.clicked.connect(lambda: self._emit(self.withdrawRequested))
        buttons = QHBoxLayout()
        for b in (self.open_button, self.explain_button, self.withdraw_button):
            buttons.addWidget(b)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel("<b>明白卡</b>"))
        rl.addWidget(self.card, 1)
        rl.addLayout(buttons)
        splitter = QSplitter()
        splitter.addWidget(self.tree)
        splitter.addWidget(right)
        splitter.setSizes([640, 420])
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addWidget(splitter, 1)
        self.pack: Pack | None = None
        self._update_buttons(None)

    def show_branch(self, pack: Pack, result: CheckResult, branch_id: str | None) -> None:
        self.pack = pack
        self.tree.clear()
        self.card.clear()
        branch = next((b for b in result.branches if b.id == branch_id), None)
        if branch is None:
            self.heading.setText("请在左侧或总览表中选择一个支部。")
            self._update_buttons(None)
            return
        star = result.stars[branch.id]
        findings = result.for_branch(branch.id)
        vetoes = "；".join(
            f"未获“{k}”：{'、'.join(rule_title(pack, r) for r in v)}" for k, v in star.failed_vetoes.items()
        )
        title = f"（{star.title}）" if star.title else ""
        rating = (
            f"★{star.total}{title} · 基本星 {star.basic_stars}/{len(star.basic)} · "
            f"特色星 {star.feature_stars}（得分 {star.score}）"
            if star.rated
            else html.escape(star.label)
        )
        self.heading.setText(
            f"<b>{html.escape(branch.name)}</b> {result.period.title} · {rating}<br>{html.escape(vetoes)}"
        )
        for standard in pack.standard:
            mine = [f for f in findings if f.standard_id == standard.id]
            top = QTreeWidgetItem(self.tree, [f"{standard.name}（{len(mine)}）", "", "", ""])
            top.setExpanded(bool(mine))
            if not mine:
                top.setForeground(0, QBrush(QColor("#2e7d32")))
                top.setText(0, f"{standard.name} ✓")
            for f in mine:
                item = QTreeWidgetItem(
                    top, [f.message, f.importance_label, f.period, "已说明" if f.explained else ""]
                )
                item.setData(0, _FINDING_ROLE, f)
                item.setToolTip(0, f.message)
                rank = 1 if f.explained else f.rank
                item.setBackground(1, QBrush(QColor(COLOURS[rank])))
        self._update_buttons(None)

    def findings_shown(self) -> list[Finding]:
        out: list[Finding] = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top is None:
                continue
            for j in range(top.childCount()):
                child = top.child(j)
                if child is not None:
                    out.append(child.data(0, _FINDING_ROLE))
        return out

    def select_finding(self, key: str) -> bool:
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for j in range(top.childCount() if top else 0):
                child = top.child(j) if top else None
                if child is not None and child.data(0, _FINDING_ROLE).key == key:
                    self.tree.setCurrentItem(child)
                    return True
        return False

    def current(self) -> Finding | None:
        item = self.tree.currentItem()
        data = item.data(0, _FINDING_ROLE) if item is not None else None
        return data if isinstance(data, Finding) else None

    def _emit(self, signal: SignalInstance) -> None:
        finding = self.current()
        if finding is not None:
            signal.emit(finding)

    def _double_clicked(self, item: QTreeWidgetItem, _col: int) -> None:
        finding = item.data(0, _FINDING_ROLE)
        if isinstance(finding, Finding):
            self.openRequested.emit(finding)

    def _selected(self, *_args: object) -> None:
        finding = self.current()
        self._update_buttons(finding)
        if finding is None or self.pack is None:
            self.card.clear()
            return
        self.card.setHtml(card_html(self.pack, finding))

    def _update_buttons(self, finding: Finding | None) -> None:
        self.open_button.setEnabled(finding is not None and bool(finding.record_ids or finding.prefill))
        self.explain_button.setEnabled(finding is not None and finding.importance == "warning")
        self.withdraw_button.setEnabled(finding is not None and finding.explained)


def card_html(pack: Pack, finding: Finding) -> str:
    """The 明白卡 of the finding's 规范, with the rule's citation and any explanation."""
    standard, norm = pack.norms()[finding.norm_id]
    esc = html.escape
    steps = "".join(f"<li>{esc(s)}</li>" for s in norm.card.steps)
    parts = [
        f"<p><b>[{esc(finding.importance_label)}]</b> {esc(finding.message)}</p>",
        f"<h3>{esc(standard.name)} · {esc(norm.name)}</h3>",
        f"<p><b>做什么：</b>{esc(norm.card.what)}</p>",
        f"<p><b>怎么做：</b>{esc(norm.card.how)}</p>",
        f"<p><b>步骤：</b></p><ol>{steps}</ol>",
        f"<p><b>依据：</b>{esc(finding.source)}</p>",
    ]
    if finding.missing:
        parts.append(f"<p><b>缺少：</b>{esc(finding.missing)}</p>")
    if finding.explanation:
        parts.append(f"<p><b>说明：</b>{esc(finding.explanation)}</p>")
    return "".join(parts)


class CatalogTree(QTreeWidget):
    """The 3+7 catalog: 标准 (its ledger) → 规范 → 资料, with how many records of each 资料 the branch has
    and how many documents are filed under it (资料归档). ``fileRequested`` carries the 资料 code of the
    item on which the clerk chose 归档文件…."""

    fileRequested = Signal(str)
    documentOpenRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("catalogTree")
        self.setHeaderLabels(["目录", "台账 / 记录"])
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.file_action = QAction("归档文件…", self)
        self.file_action.setToolTip("把扫描件或照片归入所选资料目录")
        self.file_action.triggered.connect(self._file_requested)
        self.addAction(self.file_action)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.currentItemChanged.connect(
            lambda *_a: self.file_action.setEnabled(self.current_evidence() is not None)
        )
        self.file_action.setEnabled(False)
        self.itemDoubleClicked.connect(self._double_clicked)

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        attachment_id = item.data(0, _DOCUMENT_ROLE)
        if attachment_id:
            self.documentOpenRequested.emit(str(attachment_id))

    def current_evidence(self) -> str | None:
        item = self.currentItem()
        code = item.data(0, _EVIDENCE_ROLE) if item is not None else None
        return str(code) if code else None

    def _file_requested(self) -> None:
        code = self.current_evidence()
        if code is not None:
            self.fileRequested.emit(code)

    def show_catalog(
        self,
        pack: Pack,
        result: CheckResult | None,
        branch_id: str | None,
        documents: dict[str, list[FiledDocument]] | None = None,
    ) -> None:
        """``documents``: the branch's filed documents per 资料 code, listed under their item."""
        self.clear()
        branch = next((b for b in result.branches if b.id == branch_id), None) if result is not None else None
        self.setHeaderLabels(
            [f"{branch.name} 的目录" if branch is not None else "目录（请选择一个支部）", "台账 / 记录"]
        )
        evidence = pack.evidence_by_id()
        ledgers = pack.ledger_by_id()
        counts = result.evidence_counts if result is not None else {}
        filed = result.filed_counts if result is not None else {}
        for standard in pack.standard:
            top = QTreeWidgetItem(self, [standard.name, ledgers[standard.ledger].name])
            top.setExpanded(True)
            for norm in standard.norm:
                node = QTreeWidgetItem(top, [norm.name, ""])
                node.setToolTip(0, norm.card.what)
                node.setExpanded(True)
                for ev_id in norm.evidence:
                    n = counts.get((branch_id, ev_id)) if branch_id else None
                    k = filed.get((branch_id, ev_id), 0) if branch_id else 0
                    parts = ([f"{n} 条"] if n else []) + ([f"归档 {k} 份"] if k else [])
                    shown = "" if n is None else ("✓ " + " · ".join(parts) if parts else "✗ 缺")
                    leaf = QTreeWidgetItem(node, [evidence[ev_id].name, shown])
                    leaf.setData(0, _EVIDENCE_ROLE, ev_id)
                    leaf.setToolTip(0, "右键“归档文件…”：把扫描件或照片归入此项")
                    if n is not None:
                        leaf.setForeground(1, QBrush(QColor("#2e7d32" if parts else "#b3261e")))
                    for doc in (documents or {}).get(ev_id, []):
                        child = QTreeWidgetItem(leaf, [f"· {doc.title}", f"归档 {doc.filed_on.isoformat()}"])
                        if doc.attachment_id:
                            child.setData(0, _DOCUMENT_ROLE, doc.attachment_id)
                            child.setToolTip(0, f"双击打开 {doc.filename}")
                        else:
                            child.setToolTip(0, "只登记了纸质资料，没有扫描件")
