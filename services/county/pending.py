"""待补: per township, the last package received, the packages held and what each waits for, and
the exact instruction to give the township clerk (docs/sync-package.md, held packages).

Times are stored naive UTC and returned as local text (``services.localtime.show``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import SyncHeld, SyncReceived, Township
from services import localtime


@dataclass(frozen=True)
class HeldPackage:
    package_id: str
    file_name: str
    reason: str  # gap / enroll
    seq_from: int
    seq_to: int
    missing_from: int
    missing_to: int
    held_at: str  # local time text
    error: str  # why the last release failed ("" when it did not)
    instruction: str  # what to tell the township clerk, in Chinese

    @property
    def gap(self) -> str:
        """The missing change numbers in words ("" for a package waiting for enrolment)."""
        return f"第 {self.missing_from}–{self.missing_to} 号" if self.reason == "gap" else ""


@dataclass
class TownshipPending:
    code: str
    name: str
    last_file: str = ""  # the last package imported ("" when none)
    last_at: str = ""  # when, local time
    packages: int = 0  # packages imported in all
    held: list[HeldPackage] = field(default_factory=list)


def instruction(code: str, reason: str, missing_from: int, missing_to: int, error: str = "") -> str:
    """What the county clerk tells township ``code`` (or does) for one held package."""
    if reason == "enroll":
        return (
            "签发该包的电脑尚未登记：请电话核对乡镇电脑“数据同步”里显示的设备指纹，"
            "一致后在“设备登记”中登记（重装的电脑选“更换”），该包随即自动导入。"
        )
    text = (
        f"请乡镇 {code} 的管理员在“数据同步”中重新导出包含第 {missing_from}–{missing_to} 号更改的包"
        "（或勾选“全量导出”），送来后本包会自动导入。"
    )
    if error:
        text += f"上次尝试导入失败：{error}"
    return text


def pending_by_township(session: Session) -> list[TownshipPending]:
    """Every township the county knows (its own rows, or one that only sent held packages), by code."""
    out: dict[str, TownshipPending] = {}
    for t in session.scalars(select(Township).where(Township.deleted.is_(False)).order_by(Township.code)):
        out[t.code] = TownshipPending(t.code, t.name)
    last = (
        select(
            SyncReceived.township_code,
            func.max(SyncReceived.received_at).label("at"),
            func.count().label("n"),
        )
        .group_by(SyncReceived.township_code)
        .subquery()
    )
    rows = session.execute(
        select(last.c.township_code, last.c.at, last.c.n, SyncReceived.file_name).join(
            SyncReceived,
            (SyncReceived.township_code == last.c.township_code) & (SyncReceived.received_at == last.c.at),
        )
    ).all()
    for code, at, n, file_name in rows:
        entry = out.setdefault(code, TownshipPending(code, ""))
        entry.last_file, entry.last_at, entry.packages = file_name, localtime.show(at), int(n)
    for h in session.scalars(select(SyncHeld).order_by(SyncHeld.township_code, SyncHeld.seq_from)):
        entry = out.setdefault(h.township_code, TownshipPending(h.township_code, ""))
        entry.held.append(
            HeldPackage(
                h.package_id,
                h.file_name,
                h.reason,
                h.seq_from,
                h.seq_to,
                h.missing_from,
                h.missing_to,
                localtime.show(h.held_at),
                h.error,
                instruction(h.township_code, h.reason, h.missing_from, h.missing_to, h.error),
            )
        )
    return sorted(out.values(), key=lambda t: t.code)
