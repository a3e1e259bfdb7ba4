"""Owner-only files: the database, its backups and attachments hold personal information (PIPL).

On POSIX files get mode 0600 and folders 0700; on Windows the user-data folder is already private
to the account, and ``chmod`` only toggles read-only, so these calls do nothing there.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
POSIX = os.name == "posix"


def restrict_umask() -> None:
    """Everything this process creates from now on is owner-only (called once at start)."""
    if POSIX:
        os.umask(0o077)


def secure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if POSIX:
        with contextlib.suppress(PermissionError):
            path.chmod(DIR_MODE)
    return path


def secure_file(path: Path) -> Path:
    if POSIX and path.exists():
        with contextlib.suppress(PermissionError):
            path.chmod(FILE_MODE)
    return path


def create_private(path: Path) -> Path:
    """An empty owner-only file (SQLite accepts an empty file as an empty database). The folder is
    created if missing but never chmod-ed: it may be one the clerk chose (a USB stick)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.close(fd)
    return secure_file(path)


def secure_database(path: Path | None) -> None:
    """The database file and its WAL/shared-memory companions; the folder is not touched
    (a clerk may keep the database on a shared drive), only files."""
    if path is None:
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        secure_file(path.with_name(path.name + suffix))
