"""帮助 → 同步操作说明: the clerks' sync guide (``docs/同步操作说明.md``) shown in a window, on a
township's and on a county's database alike (both sides' procedures are in it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from gui.main_window import MainWindow

GUIDE_NAME = "同步操作说明.md"


def guide_path() -> Path:
    """The guide from source (``docs/``) or inside a PyInstaller bundle (``<bundle>/docs/``)."""
    base = getattr(sys, "_MEIPASS", None)
    root = Path(base) if base else Path(__file__).resolve().parents[2]
    return root / "docs" / GUIDE_NAME


class GuideDialog(QDialog):
    """The guide rendered from its Markdown; links to other files are not followed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("同步操作说明")
        self.resize(820, 640)
        self.view = QTextBrowser()
        self.view.setOpenLinks(False)
        path = guide_path()
        try:
            self.view.setMarkdown(path.read_text(encoding="utf-8"))
        except OSError:
            self.view.setPlainText(
                f"找不到同步操作说明（{path}）。请重新安装程序，或查看安装目录下的 docs 文件夹。"
            )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)


def install(window: MainWindow) -> None:
    """帮助 → 同步操作说明…"""

    def open_guide() -> GuideDialog:
        dialog = GuideDialog(window)
        dialog.open()
        return dialog

    window.add_action("帮助", "同步操作说明…", open_guide)
    window.open_sync_guide = open_guide  # type: ignore[attr-defined]
