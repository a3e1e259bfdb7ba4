"""The 操作日志 anchor carried in sync packages, and the county's check of it (kept apart from the
rest of sync so the exporter/receiver touch it in one line each).

Township side: every package's manifest carries ``audit_anchor`` = ``{"last": [n, hash],
"earlier": [[id, hash], …]}`` — the chain's last entry now, and the hash the chain has NOW at the
ids that earlier exports carried as their "last" (remembered in db_meta, newest 20).
County side: the last anchor received from each device is kept in db_meta; the next package must
still contain that entry with the same hash. A shorter chain (entries deleted) or a different
hash (rewritten, even with every hash recomputed) is reported in the import message and in the
county's own log. This proves the township's log was not cut or rewritten *before* the entry the
county last saw; it says nothing about entries written after the last package left the township.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEntry
from services import audit
from services.sync import state

EXPORTED_KEY = "sync.audit_exported"  # township: ids sent as "last" in earlier packages
RECEIVED_PREFIX = "sync.anchor."  # county: + change stream (device.generation) -> [n, hash]; key <= 64
KEEP_EXPORTED = 20


def _exported(session: Session) -> list[int]:
    try:
        ids = json.loads(state.get(session, EXPORTED_KEY) or "[]")
    except ValueError:
        return []
    return [int(i) for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def for_manifest(session: Session) -> dict[str, Any]:
    """What the exporter puts into the manifest (read-only)."""
    number, digest = audit.anchor(session)
    earlier = []
    for i in _exported(session):
        if 0 < i < number:
            found = session.scalar(select(AuditEntry.hash).where(AuditEntry.id == i))
            earlier.append([i, found or ""])
    return {"last": [number, digest], "earlier": earlier}


def remember_export(session: Session, anchor: dict[str, Any] | None) -> None:
    """After a package was written: its "last" id is carried as "earlier" by the next packages."""
    if not anchor:
        return
    number = int(anchor["last"][0])
    ids = [i for i in _exported(session) if i != number] + [number]
    state.put(session, EXPORTED_KEY, json.dumps(ids[-KEEP_EXPORTED:]))


def valid(data: Any) -> dict[str, Any] | None:
    """The manifest field, shape-checked (None when absent or malformed: packages of older versions)."""
    if not isinstance(data, dict):
        return None
    last = data.get("last")
    earlier = data.get("earlier", [])
    pair_ok = lambda p: (  # noqa: E731
        isinstance(p, list) and len(p) == 2 and isinstance(p[0], int) and isinstance(p[1], str)
    )
    if not pair_ok(last) or not isinstance(earlier, list) or not all(pair_ok(p) for p in earlier):
        return None
    return {"last": last, "earlier": earlier}


def check_received(session: Session, device_id: str, data: dict[str, Any] | None) -> str:
    """County: compare with the previous anchor of this device, keep the new one. Returns a warning
    in plain Chinese ("" when consistent or nothing to compare). Records a mismatch in the log."""
    key = RECEIVED_PREFIX + device_id
    previous = None
    try:
        previous = json.loads(state.get(session, key) or "null")
    except ValueError:
        previous = None
    if data is None:
        return (
            "同步包没有携带操作日志锚点（旧版本程序导出），无法核对乡镇的操作日志是否被截短或改写。"
            if previous
            else ""
        )
    warning = ""
    if isinstance(previous, list) and len(previous) == 2 and int(previous[0]) > 0:
        n0, h0 = int(previous[0]), str(previous[1])
        seen = {int(i): str(h) for i, h in [*data["earlier"], data["last"]]}
        n = int(data["last"][0])
        if n < n0:
            warning = f"乡镇操作日志比上次同步时短（上次 {n0} 条，现在 {n} 条）：日志被截短。"
        elif n0 not in seen:
            warning = f"同步包未携带上次同步时的日志锚点（第 {n0} 条），无法核对乡镇操作日志。"
        elif seen[n0] != h0:
            warning = f"乡镇操作日志第 {n0} 条与上次同步时不同：日志被改写过。"
        if warning:
            audit.record_event(
                session, "sync_audit_anchor_mismatch", {"device": device_id, "message": warning}
            )
    if not warning or int(data["last"][0]) >= int((previous or [0])[0]):
        state.put(session, key, json.dumps(data["last"]))
    return warning


COUNTY_SAW_KEY = "sync.county_audit_anchor"  # township: the anchor the county's signed ack confirmed


def for_ack(session: Session, device_id: str) -> list[Any] | None:
    """County: the last anchor received from ``device_id``, for its signed acknowledgement."""
    try:
        value = json.loads(state.get(session, RECEIVED_PREFIX + device_id) or "null")
    except ValueError:
        return None
    return value if isinstance(value, list) and len(value) == 2 else None


def remember_ack(session: Session, value: Any) -> None:
    """Township: keep the anchor the county confirmed (checked by ``audit verify``)."""
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and isinstance(value[1], str)
    ):
        state.put(session, COUNTY_SAW_KEY, json.dumps(value))


def county_confirmed(session: Session) -> tuple[int, str] | None:
    """The anchor from the last applied acknowledgement, if any."""
    try:
        value = json.loads(state.get(session, COUNTY_SAW_KEY) or "null")
    except ValueError:
        return None
    if isinstance(value, list) and len(value) == 2:
        return int(value[0]), str(value[1])
    return None
