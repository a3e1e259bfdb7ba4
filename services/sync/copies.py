"""County side: one township database sending as two (a copied database file in use in two places).

A database file found to be a copy starts its own device id (``state.check_generation``); a copy
that went unnoticed keeps the device id and sends a generation of its own. Either way the county
receives two live streams where there was one. Both are imported — each holds records typed only
there — but the county says so, names both, and audits it (``sync_second_database``), so a person
asks the township to keep working in one file.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import SyncDevice, SyncReceived
from services import audit
from services.sync.package import OpenedPackage


def _lineage_of(s: Session, stream: str) -> list[list[Any]]:
    raw = s.scalars(
        select(SyncReceived.lineage)
        .where(SyncReceived.device_id == stream)
        .order_by(SyncReceived.received_at.desc())
        .limit(1)
    ).first()
    data = json.loads(raw) if raw else []
    return data if isinstance(data, list) else []


def second_database(s: Session, opened: OpenedPackage) -> str:
    """For the first package of a new stream: the sentence warning that it is a second live copy of
    a database the county already receives, or ``""``.

    Two cases: (1) the same device id in a generation that is neither an ancestor nor a descendant of
    one already received (two copies of one file, each re-based on its own); (2) another device id
    signed by the same laptop key whose lineage shares a generation with this one (a copy the laptop
    noticed: the same computer holds two database files). A restore (the new generation descends
    from the old) and a second laptop (its own key, enrolled with ``--additional``) are not warned.
    """
    m = opened.manifest
    if not m.generation:
        return ""
    mine = {str(g)[:16] for g, _f in m.lineage}  # a stream id names 16 hex of its generation
    found: list[tuple[str, str]] = []
    for dev in s.scalars(
        select(SyncDevice).where(SyncDevice.township_id == m.township_id, SyncDevice.device_id != m.stream)
    ):
        dev_id, _, gen = dev.device_id.partition(".")
        if not gen:
            continue
        theirs = {str(g)[:16] for g, _f in _lineage_of(s, dev.device_id)} or {gen}
        if dev_id == m.device_id:
            if gen in mine or m.generation[:16] in theirs:
                continue  # a restore or re-base of the same file: one history
            found.append((dev_id, "同一设备号的另一份数据库"))
        elif dev.public_key == m.device_public_key and mine & theirs:
            found.append((dev_id, "同一台电脑上的另一个数据库文件"))
    if not found:
        return ""
    others = "、".join(f"设备 {d[:8]}（{why}）" for d, why in found[:5])
    audit.record_event(
        s,
        "sync_second_database",
        {
            "township": m.township_code,
            "device": m.device_id,
            "generation": m.generation,
            "others": [d for d, _w in found],
            "file": opened.file_name,
        },
    )
    return (
        f"乡镇 {m.township_code} 的设备 {m.device_id[:8]} 发来的包与已在接收的 {others} 出自同一个数据库文件："
        "像是数据库被复制后在两处同时使用。两边的记录都已导入，但乡镇电脑上各自只有自己录入的部分。"
        "请与乡镇核对，只保留一个文件继续录入。"
    )
