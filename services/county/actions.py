"""County actions on devices and conflicts, each refused for a 查阅 account (and the refusal
audited, ``services.county.access``); the actions themselves are audited by the services they call
(``services.sync.enrollment``, ``services.sync.conflicts``: ordinary audited transactions).

After a device is approved or replaced, the packages held as 待登记 for it are imported at once
(``services.sync.receiver.release_enrolled``); their results are returned for the screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from services.county.access import require_clerk
from services.county.mode import county_writes
from services.db import Database
from services.sync import enrollment
from services.sync.conflicts import ConflictView, resolve
from services.sync.rebase import RebaseFile, write_rebase_file
from services.sync.receiver import ImportResult, release_enrolled


@dataclass
class DeviceOutcome:
    """An approve/replace: the device as it is now and the held packages imported for it."""

    device: enrollment.DeviceView
    released: list[ImportResult] = field(default_factory=list)

    @property
    def next_steps(self) -> list[str]:
        """What the county clerk must do next (Chinese lines): ``enroll_next_steps``."""
        return enroll_next_steps(self.device, self.released)


def enroll_next_steps(
    device: enrollment.DeviceView, released: list[ImportResult], *, acks_written: bool = False
) -> list[str]:
    """The lines to show after a device was approved or replaced: dropped packages exported before a
    re-base, the re-base steps for a laptop that re-created its township, and how the township gets
    its acknowledgement for the packages imported now (``acks_written``: already written)."""
    lines: list[str] = []
    if device.dropped:
        lines.append(
            f"该电脑此前交来的 {device.dropped} 个待登记的包是按它自己重建的乡镇记录导出的，无法导入，已作废"
            "（记录仍在该电脑上，对齐后导出的同步包会全部带来）。"
        )
    if device.needs_rebase:
        lines.append(
            f"乡镇 {device.township_code} 的这台电脑是重新建立乡镇的（与县里的乡镇记录不是同一条），还需对齐："
            + enrollment.rebase_steps(device.key_id, device.township_code)
        )
    imported = [r for one in released for r in (one, *one.released) if r.status == "imported"]
    if imported and not acks_written:
        lines.append(
            f"已导入 {len(imported)} 个暂存的包，回执还没有写出：请把乡镇交来的 U 盘再插上，运行 "
            "`county receive U盘文件夹`（已导入的包显示为“重复”，不会重复导入）写出回执，交乡镇用 `sync ack` 导入；"
            "（命令行登记时可加 --to U盘文件夹 直接写出回执）。"
        )
    return lines


def approve_device(
    db: Database, fingerprint: str, *, additional: bool = False, reinstate: bool = False, user: str = ""
) -> DeviceOutcome:
    """登记: enroll a pending key for its township (``additional``: as a second computer;
    ``reinstate``: a revoked key enrolled again on purpose, to take its unsent records).
    Raises ``PermissionDenied`` for 查阅, ``SyncError`` naming the reason (township already has a
    device, key revoked, no such fingerprint)."""
    require_clerk(db, "登记设备")
    view = enrollment.approve(db, fingerprint, additional=additional, reinstate=reinstate, user=user)
    return DeviceOutcome(view, release_enrolled(db, view.key_id, user=user))


def write_rebase(db: Database, fingerprint: str, folder: Path, *, user: str = "") -> RebaseFile:
    """写出对齐文件 for an enrolled laptop that re-created its township (``services.sync.rebase``).
    Raises ``PermissionDenied`` for 查阅, ``SyncError`` when the key is not enrolled, the county has
    no township of its code, or the folder cannot be written."""
    require_clerk(db, "写出对齐文件")
    return write_rebase_file(db, fingerprint, folder, user=user)


def replace_device(
    db: Database, old_fingerprint: str, new_fingerprint: str, *, user: str = ""
) -> DeviceOutcome:
    """更换: a reinstalled laptop — revoke the old key and enroll the new one for the same township."""
    require_clerk(db, "更换设备")
    view = enrollment.replace(db, old_fingerprint, new_fingerprint, user=user)
    return DeviceOutcome(view, release_enrolled(db, view.key_id, user=user))


def revoke_device(db: Database, fingerprint: str, *, user: str = "") -> enrollment.DeviceView:
    """注销: a lost or retired laptop; its packages are refused from now on, what it sent stays."""
    require_clerk(db, "注销设备")
    return enrollment.revoke(db, fingerprint, user=user)


def merge_conflict(db: Database, conflict_id: int, take_other: list[str], *, user: str = "") -> ConflictView:
    """按字段合并: the fields in ``take_other`` take the other version, every other field keeps the
    current one (``services.sync.conflicts.merge``: audited, and the decision travels back to the
    township in its next acknowledgement). Raises ``ValidationError("field", …)`` for a field that is
    not one of the conflict's differing fields; nothing is written then."""
    from services.sync.conflicts import merge

    require_clerk(db, "处理同步冲突")
    with county_writes():  # the merged row is written into the township's row on purpose
        return merge(db, conflict_id, dict.fromkeys(take_other, "other"), default="current", user=user)


def resolve_conflict(db: Database, conflict_id: int, keep: str, *, user: str = "") -> ConflictView:
    """保留当前 (``keep="current"``) or 改用另一版本 (``"other"``); audited as an ordinary edit."""
    require_clerk(db, "处理同步冲突")
    with county_writes():  # the chosen version is written into the township's row on purpose
        return resolve(db, conflict_id, keep, user=user)


def decide_conflict(
    db: Database, conflict_id: int, choices: dict[str, str], *, default: str = "current", user: str = ""
) -> ConflictView:
    """The command line's decision: ``choices`` field → ``"current"``/``"other"``, every other
    differing field takes ``default`` (``services.sync.conflicts.merge``). Refused for 查阅; raises
    ``ValidationError`` / ``SyncError`` as ``merge`` does, nothing written then."""
    from services.sync.conflicts import merge

    require_clerk(db, "处理同步冲突")
    with county_writes():  # the chosen version is written into the township's row on purpose
        return merge(db, conflict_id, choices, default=default, user=user)
