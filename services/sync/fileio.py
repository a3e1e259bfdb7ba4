"""Atomic file writes: temp file in the target folder, fsync, rename, fsync the folder."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def fsync_dir(folder: Path) -> None:
    # Directories cannot be opened on Windows; the rename is durable enough there.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_file(path: Path, mode: int = 0o644) -> Iterator[BinaryIO]:
    """Yields a binary file open for read+write; on success it is fsynced and renamed onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w+b") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    with atomic_file(path, mode) as f:
        f.write(data)


# --- export staging ---------------------------------------------------------------------------
# An export writes each table's plain rows to a staging folder before they are sealed into the
# package. The folder lives under this user's data folder (0700), never beside the database or on
# the stick, and is named with the writing process's id so a later start or export can tell a
# folder left by a killed export (its process gone) from one in use and delete it.

SPOOL_PREFIX = ".sync-export-"
UNVERIFIED = ".unverified"  # a package on the stick not yet read back: renamed when verified
STALE_SECONDS = 3600  # where a process id cannot be checked, a leftover this old is stale
_PID = re.compile(r"^\.sync-export-p(\d+)-|\.p(\d+)\.unverified$")


def spool_root() -> Path:
    """``<data>/sync/spool`` (created, 0700): where exports stage plain rows."""
    from services.paths import data_dir

    root = data_dir() / "sync" / "spool"
    root.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(root, 0o700)
    return root


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # unknown: fall back to the age
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def is_stale(path: Path) -> bool:
    """A staging folder or unverified package left behind: its process is gone (the id in its name),
    or it is older than ``STALE_SECONDS`` when that cannot be told. A name without an id is stale."""
    m = _PID.search(path.name)
    if m is None:
        return True
    pid = int(m.group(1) or m.group(2))
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return False
    return not _alive(pid) or (os.name != "posix" and age > STALE_SECONDS)


def clean_stale_exports(*folders: Path | None) -> int:
    """Delete staging folders (``.sync-export-*``) and unverified packages (``.*.unverified``) left
    by exports that were killed, in the private spool folder and in ``folders`` (the database's
    folder, where older versions staged, and the export folder). Returns how many were removed;
    errors are ignored (tried again next time)."""
    removed = 0
    for folder in {spool_root(), *(Path(f) for f in folders if f is not None)}:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith(SPOOL_PREFIX) and entry.is_dir() and is_stale(entry):
                shutil.rmtree(entry, ignore_errors=True)
                removed += not entry.exists()
            elif name.startswith(".") and name.endswith(UNVERIFIED) and entry.is_file() and is_stale(entry):
                with contextlib.suppress(OSError):
                    entry.unlink()
                    removed += 1
    return removed


def spool_prefix() -> str:
    """The name prefix of this process's staging folders (``.sync-export-p<pid>-``)."""
    return f"{SPOOL_PREFIX}p{os.getpid()}-"


def unverified_path(path: Path) -> Path:
    """The hidden name a package is written under until read back (``.<name>.p<pid>.unverified``)."""
    return path.with_name(f".{path.name}.p{os.getpid()}{UNVERIFIED}")
