"""归档文件…: pick a scan or photo and file it under a 资料 item of the 3+7 catalog (资料归档).

The CLI twin is ``file-evidence --file PATH``; both go through ``services.filing.file_document``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget
from sqlalchemy.orm import Session

from gui import ops
from gui.widgets import files
from services import filing
from services.db import Database
from services.handbook.pack import Pack

FILTER = "扫描件或照片 (*.jpg *.jpeg *.png *.bmp *.gif *.webp *.tif *.tiff *.pdf);;所有文件 (*)"


def file_evidence(
    parent: QWidget, db: Database, pack: Pack, branch_id: str | None, evidence_id: str, year: int
) -> str | None:
    """Asks for the file and its name, files it; returns the new filing's id (None when cancelled)."""
    evidence = pack.evidence_by_id().get(evidence_id)
    if evidence is None:
        QMessageBox.warning(parent, "归档文件", f"手册包的资料目录中没有 {evidence_id} 这一项。")
        return None
    if branch_id is None:
        QMessageBox.information(parent, "归档文件", "请先在左侧选择资料所属的支部。")
        return None
    path = files.open_file(parent, f"归档到“{evidence.name}”（{year} 年）", FILTER, kind="evidence")
    if not path:
        return None
    title, ok = QInputDialog.getText(
        parent, "归档文件", "资料名称：", QLineEdit.EchoMode.Normal, f"{evidence.name}：{Path(path).stem}"
    )
    if not ok:
        return None
    known = filing.catalog_codes(pack)

    def work(s: Session) -> str:
        return filing.file_document(s, branch_id, evidence_id, year, title, path, date.today(), known).id

    return ops.run_write(parent, db, work, changes={"filing"})
