"""File dialogs the way a clerk expects: they open in the folder last used (else the user's 文档
folder, never the program's folder), and suggested names say which branch and year a file is for.

``open_file`` / ``open_files`` / ``save_file`` / ``choose_folder`` wrap ``QFileDialog``; the last
folder is kept per purpose (``kind``) in the window-state settings (``gui.widgets.fit.settings()``).
``suggested_name(what, scope, year)`` builds names like ``马坪村党支部_党员花名册_2026.xlsx``.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from gui.widgets import fit

_KEY = "files/last_dir/{kind}"
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def documents_dir() -> Path:
    """The user's documents folder (文档 / Documents), or the home folder when there is none."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    path = Path(found) if found else Path.home()
    return path if path.is_dir() else Path.home()


def start_dir(kind: str = "default") -> Path:
    """Where a file dialog for ``kind`` opens: the folder last used for it, else for any file,
    else the documents folder."""
    store = fit.settings()
    for key in (_KEY.format(kind=kind), _KEY.format(kind="default")):
        value = store.value(key)
        if value and Path(str(value)).is_dir():
            return Path(str(value))
    return documents_dir()


def remember(path: str | Path, kind: str = "default") -> None:
    """Note the folder of ``path`` (or ``path`` itself when it is a folder) for the next dialog."""
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    store = fit.settings()
    store.setValue(_KEY.format(kind=kind), str(folder))
    store.setValue(_KEY.format(kind="default"), str(folder))
    store.sync()


def safe_name(text: str) -> str:
    """``text`` usable as a file name on Windows and Linux (no / \\ : * ? " < > | or spaces)."""
    return _UNSAFE.sub("_", text).strip("._") or "未命名"


def suggested_name(what: str, scope: str = "", year: int | str | None = None, suffix: str = ".xlsx") -> str:
    """``马坪村党支部_党员花名册_2026.xlsx``: the branch or township, the content, the year."""
    parts = [p for p in (scope, what, str(year) if year else "") if p]
    return safe_name("_".join(parts)) + suffix


def open_file(parent: QWidget | None, title: str, filters: str, kind: str = "default") -> str:
    """One file to read; "" when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, title, str(start_dir(kind)), filters)
    if path:
        remember(path, kind)
    return path


def open_files(parent: QWidget | None, title: str, filters: str, kind: str = "default") -> list[str]:
    """Several files to read; [] when cancelled."""
    paths, _ = QFileDialog.getOpenFileNames(parent, title, str(start_dir(kind)), filters)
    if paths:
        remember(paths[0], kind)
    return list(paths)


def save_file(parent: QWidget | None, title: str, name: str, filters: str, kind: str = "default") -> str:
    """Where to write; ``name`` is suggested in the remembered folder; "" when cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, title, str(start_dir(kind) / name), filters)
    if path:
        remember(path, kind)
    return path


def choose_folder(parent: QWidget | None, title: str, kind: str = "default") -> str:
    """A folder; "" when cancelled."""
    path = QFileDialog.getExistingDirectory(parent, title, str(start_dir(kind)))
    if path:
        remember(path, kind)
    return path
