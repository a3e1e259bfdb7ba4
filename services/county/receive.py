"""接收: import every township package in a folder (a USB stick) in one go, one result per package,
and write each township's acknowledgement back into the same folder.

Built on ``services.sync.receiver.import_package`` (one transaction per package, held packages
released when their gap fills); this module only finds the packages, orders them, collects one
``ImportResult`` per file (a refused file becomes a ``rejected`` result naming why) and writes one
acknowledgement per device stream that sent something the county now holds (docs/sync-package.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.county.access import require_clerk
from services.db import Database
from services.sync.errors import SyncError
from services.sync.package import SUFFIX
from services.sync.receiver import ImportResult

# (packages done, packages in the folder, file name being read) — called between packages.
FolderProgress = Callable[[int, int, str], None]

STATUS_LABELS = {
    "imported": "已导入",
    "duplicate": "重复",
    "held": "暂存（缺包）",
    "pending": "待登记",
    "rejected": "未导入",
}
_NAME = re.compile(r"^(?P<town>.+?)_(?P<dev>[0-9a-f]{1,16})_(?P<lo>\d+)-(?P<hi>\d+)_", re.IGNORECASE)


@dataclass
class FolderReceipt:
    """What one 接收 did: ``results`` in the order imported (released held packages inside each
    result's ``released``), ``acks`` the acknowledgement files written, ``ack_errors`` why one could
    not be written."""

    folder: Path
    results: list[ImportResult] = field(default_factory=list)
    acks: list[Path] = field(default_factory=list)
    ack_errors: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Status → number of packages (released held packages counted under their own status)."""
        out: dict[str, int] = {}
        for r in self.results:
            for one in (r, *r.released):
                out[one.status] = out.get(one.status, 0) + 1
        return out

    def summary(self) -> str:
        """One Chinese line: how many packages, by status, and how many acknowledgements."""
        parts = [f"{STATUS_LABELS.get(k, k)} {n} 个" for k, n in self.counts.items()]
        return f"共 {len(self.results)} 个同步包：" + "，".join(parts) + f"；已写回执 {len(self.acks)} 份。"

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "results": [r.to_json() for r in self.results],
            "acks": [str(p) for p in self.acks],
            "ack_errors": self.ack_errors,
        }


def package_files(folder: Path) -> list[Path]:
    """The ``.ltpkg`` files directly in ``folder``, oldest change numbers of each device first.

    Raises ``SyncError`` when the folder does not exist or holds no package (acks and other files
    are not packages and are left alone)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SyncError(f"找不到文件夹：{folder}。请确认 U 盘已插好并重新选择文件夹。")
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == SUFFIX]
    if not files:
        raise SyncError(
            f"文件夹 {folder} 里没有同步包（{SUFFIX} 文件）。请确认选的是乡镇导出同步包的文件夹。"
        )

    def order(p: Path) -> tuple[str, str, int, str]:
        m = _NAME.match(p.name)
        return (m["town"], m["dev"], int(m["lo"]), p.name) if m else ("~", "", 0, p.name)

    return sorted(files, key=order)


def rejected(path: Path, message: str) -> ImportResult:
    """The result line of a file that was refused before it could be read as a package."""
    return ImportResult(path.name, "", "rejected", message, "", "", 0, 0)


def receive_folder(
    db: Database,
    folder: Path,
    *,
    user: str = "",
    progress: FolderProgress | None = None,
    write_acks: bool = True,
) -> FolderReceipt:
    """Import every package in ``folder``, then write acknowledgements into the same folder.

    Refused for a 查阅 account (``PermissionDenied``, audited). Raises ``SyncError`` for a missing
    folder or one without packages (nothing written). A package that fails is a ``rejected`` result
    and the others still go in (each is its own transaction). One acknowledgement per device stream
    with an imported, duplicate or held package; a stream whose device awaits enrolment gets none.
    """
    require_clerk(db, "接收同步包")
    from services.sync.ack import write_ack  # cryptography on first use
    from services.sync.receiver import import_package

    files = package_files(folder)
    receipt = FolderReceipt(Path(folder))
    streams: list[str] = []
    for done, path in enumerate(files):
        if progress is not None:
            progress(done, len(files), path.name)
        try:
            result = import_package(db, path, user=user)
        except SyncError as exc:
            receipt.results.append(rejected(path, exc.message))
            continue
        receipt.results.append(result)
        if result.status in ("imported", "duplicate", "held") and result.device_id not in streams:
            streams.append(result.device_id)
    if progress is not None:
        progress(len(files), len(files), "")
    if write_acks:
        for stream in streams:
            try:
                receipt.acks.append(write_ack(db, stream, Path(folder)).path)
            except SyncError as exc:
                receipt.ack_errors.append(exc.message)
    return receipt
