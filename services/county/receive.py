"""接收: import every package in a folder (a USB stick) in one go, and write each township's
acknowledgement back into the same folder.

Each package is verified and merged in its own transaction by ``services.sync.receiver`` (one bad
package never spoils the others, and a refused one writes nothing); afterwards one signed
acknowledgement per device stream that sent something here is written atomically into the folder
(``services.sync.ack.write_ack``), carrying the return channel (notices, pack updates, conflict
decisions: ``services.county.outbox``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.county.mode import county_action
from services.county.pending import note_rejected
from services.db import Database
from services.sync.ack import SUFFIX as ACK_SUFFIX
from services.sync.ack import write_ack
from services.sync.crypto import load_county_key
from services.sync.enrollment import DeviceRevoked, note_refused
from services.sync.errors import PackageRejected, SyncError
from services.sync.package import SUFFIX as PACKAGE_SUFFIX
from services.sync.receiver import ImportResult, import_package

STATUS_LABELS = {
    "imported": "已导入",
    "duplicate": "重复",
    "held": "暂存（缺包）",
    "pending": "待登记",
    "rejected": "未导入",
    "skipped": "已跳过",
}
_NAME = re.compile(r"^(?P<code>.+)_(?P<dev>[0-9a-f]{8})_(?P<lo>\d+)-(?P<hi>\d+)_")

ReceiveProgress = Callable[[int, int, str], None]  # (packages done, packages in the folder, file name)


class EmptyFolder(SyncError):
    """The folder holds no sync package."""


@dataclass
class PackageResult:
    """What became of one file of the folder (what the 接收 screen lists, one line per file).

    ``status``: imported / duplicate / held (a gap before it) / pending (device awaits 设备登记) /
    rejected (refused, nothing written; ``message`` says why) / skipped (not a package: an
    acknowledgement or another file). ``rows`` = rows inserted + updated (0 unless imported).
    ``ack_file`` = the acknowledgement written for this package's device stream (file name, in the
    same folder), "" when none. ``released`` = held packages this one let through.
    """

    file_name: str
    status: str
    message: str
    township_code: str = ""
    seq_from: int = 0
    seq_to: int = 0
    rows: int = 0
    conflicts: int = 0
    device_id: str = ""
    ack_file: str = ""
    released: list[PackageResult] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def to_json(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "status": self.status,
            "status_label": self.status_label,
            "message": self.message,
            "township": self.township_code,
            "seq_from": self.seq_from,
            "seq_to": self.seq_to,
            "rows": self.rows,
            "conflicts": self.conflicts,
            "device_id": self.device_id,
            "ack_file": self.ack_file,
            "released": [r.to_json() for r in self.released],
        }


def _from_import(r: ImportResult) -> PackageResult:
    return PackageResult(
        file_name=r.file_name,
        status=r.status,
        message=r.message,
        township_code=r.township_code,
        seq_from=r.seq_from,
        seq_to=r.seq_to,
        rows=r.rows_written,
        conflicts=r.conflicts,
        device_id=r.device_id,
        released=[_from_import(x) for x in r.released],
    )


def _order(path: Path) -> tuple[str, str, int, str]:
    """Township, device, first change number: a device's packages in order, so none waits for a gap."""
    m = _NAME.match(path.name)
    if m is None:
        return ("~", "", 0, path.name)
    return (m["code"], m["dev"], int(m["lo"]), path.name)


def scan_folder(folder: Path) -> tuple[list[Path], list[PackageResult]]:
    """The packages of ``folder`` in import order, and a ``skipped`` result for every other file.

    Raises ``EmptyFolder`` (Chinese message naming the folder and what it holds) when there is no
    package, ``SyncError`` when the folder cannot be read. Sub-folders are not searched.
    """
    folder = Path(folder)
    if folder.is_file():
        raise SyncError(
            f"{folder} 是一个文件，不是文件夹。接收时请选择存放同步包的文件夹（U 盘上的文件夹）；"
            "只导入一个包可用 `sync import 文件`。"
        )
    if not folder.is_dir():
        raise SyncError(f"找不到文件夹 {folder}（U 盘是否已插好？）。")
    try:
        entries = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    except OSError as exc:
        raise SyncError(f"无法读取文件夹 {folder}：{exc.strerror}。") from exc
    packages = sorted((p for p in entries if p.suffix.lower() == PACKAGE_SUFFIX), key=_order)
    skipped = [
        PackageResult(
            file_name=p.name,
            status="skipped",
            message=(
                f"{p.name} 是回执（县里写给乡镇的），不是同步包，已跳过。"
                if p.suffix.lower() == ACK_SUFFIX
                else f"{p.name} 不是同步包（同步包的扩展名为 {PACKAGE_SUFFIX}），已跳过。"
            ),
        )
        for p in entries
        if p.suffix.lower() != PACKAGE_SUFFIX
    ]
    if not packages:
        what = f"只有 {len(entries)} 个其他文件" if entries else "是空的"
        raise EmptyFolder(
            f"文件夹 {folder} 里没有同步包（{PACKAGE_SUFFIX} 文件），{what}。"
            "请确认选的是乡镇交来的 U 盘上存放同步包的文件夹。"
        )
    return packages, skipped


def receive_folder(
    db: Database,
    folder: Path,
    *,
    user: str = "",
    progress: ReceiveProgress | None = None,
    write_acks: bool = True,
) -> list[PackageResult]:
    """Import every ``.ltpkg`` of ``folder`` (county database only; refused for a 查阅 user) and write
    one acknowledgement per device stream back into ``folder``.

    Returns one ``PackageResult`` per file of the folder: packages first, in import order (township,
    device, first change number), then the skipped files. A package that is refused (damaged, for
    another county's key, from a revoked device, bad values, …) is ``rejected`` with the Chinese
    reason and writes nothing; the others are unaffected. ``progress(done, total, file_name)`` is
    called before each package and once at the end (``done == total``).

    Raises ``EmptyFolder`` when the folder holds no package, ``NotCounty``/``PermissionDenied``
    before anything is read when this is not a county database or the user may not write.
    """
    folder = Path(folder)
    with county_action(db, "接收同步包", "county_receive", {"folder": str(folder)}, user=user) as s:
        packages, skipped = scan_folder(folder)
        s.info["county_detail"]["packages"] = len(packages)
    results: list[PackageResult] = []
    streams: dict[str, list[PackageResult]] = {}
    try:
        key = load_county_key()  # read once for the folder, not once per package
    except SyncError:
        key = None  # each package then reports the unreadable key file itself
    for done, path in enumerate(packages):
        if progress is not None:
            progress(done, len(packages), path.name)
        try:
            imported = import_package(db, path, user=user, county_key=key)
        except SyncError as exc:
            named = _NAME.match(path.name)  # refused before its manifest was read: the name says whose
            if isinstance(exc, DeviceRevoked):  # 待补 must say so, not "已全部导入"
                note_refused(db, exc, user=user)
            elif named is not None and isinstance(exc, PackageRejected):  # genuine, refused: 待补 lists it
                note_rejected(db, named["code"], named["dev"], path.name, exc.message, user=user)
            results.append(
                PackageResult(
                    file_name=path.name,
                    status="rejected",
                    message=exc.message,
                    township_code=getattr(exc, "township_code", "") or (named["code"] if named else ""),
                )
            )
            continue
        result = _from_import(imported)
        results.append(result)
        if result.status in ("imported", "duplicate", "held"):
            streams.setdefault(result.device_id, []).append(result)
    if progress is not None:
        progress(len(packages), len(packages), "")
    if write_acks:
        for stream, for_stream in streams.items():
            try:
                ack = write_ack(db, stream, folder)
            except SyncError as exc:
                for r in for_stream:
                    r.message += f"\n写回执失败：{exc.message}"
                continue
            for r in for_stream:
                r.ack_file = ack.file_name
    with county_action(
        db,
        "接收同步包",
        "county_receive_done",
        {
            "folder": str(folder),
            "results": {k: sum(1 for r in results if r.status == k) for k in STATUS_LABELS if k != "skipped"},
            "acks": sorted({r.ack_file for r in results if r.ack_file}),
        },
        user=user,
    ):
        pass
    return results + skipped


@dataclass
class FolderReceipt:
    """What one 接收 did, for the 接收 screen: ``results`` as ``receive_folder`` returns them (one per
    file; released held packages inside each result's ``released``)."""

    folder: Path
    results: list[PackageResult] = field(default_factory=list)

    @property
    def packages(self) -> list[PackageResult]:
        """The results of packages (the skipped other files left out)."""
        return [r for r in self.results if r.status != "skipped"]

    @property
    def acks(self) -> list[Path]:
        """The acknowledgement files written into the folder."""
        return sorted({self.folder / r.ack_file for r in self.results if r.ack_file})

    @property
    def ack_errors(self) -> list[str]:
        """Why an acknowledgement could not be written (from the results' messages)."""
        return [r.message.split("写回执失败：", 1)[1] for r in self.results if "写回执失败：" in r.message]

    @property
    def counts(self) -> dict[str, int]:
        """Status → number of packages (released held packages counted under their own status)."""
        out: dict[str, int] = {}
        for r in self.packages:
            for one in (r, *r.released):
                out[one.status] = out.get(one.status, 0) + 1
        return out

    def summary(self) -> str:
        """One Chinese line: how many packages, by status, and how many acknowledgements."""
        parts = [f"{STATUS_LABELS.get(k, k)} {n} 个" for k, n in self.counts.items()]
        return f"共 {len(self.packages)} 个同步包：" + "，".join(parts) + f"；已写回执 {len(self.acks)} 份。"


def receive(
    db: Database, folder: Path, *, user: str = "", progress: ReceiveProgress | None = None
) -> FolderReceipt:
    """``receive_folder`` for a screen: the same import, its results kept as a ``FolderReceipt``. A
    查阅 user is refused before anything is read, and the attempt is logged (``access.require_clerk``)."""
    from services.county.access import require_clerk

    require_clerk(db, "接收同步包")
    return FolderReceipt(Path(folder), receive_folder(db, folder, user=user, progress=progress))


def package_files(folder: Path) -> list[Path]:
    """The packages of ``folder`` in import order (``scan_folder``'s first half)."""
    return scan_folder(folder)[0]
