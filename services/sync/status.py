"""What the 数据同步 screen and `sync status` show: pending changes, last export and ack, receipts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from models import CountyItem, SyncConflict, SyncDevice, SyncHeld, Township
from services import localtime
from services.db import Database, current_seq
from services.sync import state


def local_text(utc_iso: str | None) -> str:
    """A stored naive-UTC ISO time as local ``YYYY-MM-DD HH:MM（本地时间）``; "—" if missing."""
    from datetime import UTC, datetime

    if not utc_iso:
        return "—"
    try:
        when = datetime.fromisoformat(str(utc_iso).rstrip("Z"))
    except ValueError:
        return str(utc_iso)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return f"{when.astimezone():%Y-%m-%d %H:%M}（本地时间）"


def sync_status(db: Database) -> dict[str, Any]:
    # Key handling loads ``cryptography``: only here, not for the status bar line (start-up).
    from services.sync.crypto import county_key_id, load_county_key, x_public_raw
    from services.sync.exporter import pending_by_table
    from services.sync.signing import unb64

    with db.reader() as s:
        towns = s.scalars(select(Township.code).where(Township.deleted.is_(False)).limit(2)).all()
        county_x = state.get(s, state.COUNTY_X25519)
        county = load_county_key()
        devices = s.scalars(select(SyncDevice).order_by(SyncDevice.township_code)).all()
        return {
            "device_id": state.get(s, state.DEVICE_ID),
            "generation": state.generation(s),
            "township": towns[0] if len(towns) == 1 else None,
            "current_seq": current_seq(s),
            "acked_seq": state.acked_seq(s),
            "pending": pending_by_table(s),
            "last_export": state.get_json(s, state.LAST_EXPORT),
            "last_ack": state.get_json(s, state.LAST_ACK),
            "county_public_key_id": county_key_id(unb64(county_x, "县级公钥")) if county_x else None,
            "county_private_key_id": county_key_id(x_public_raw(county)) if county is not None else None,
            "received_devices": [
                {
                    "device_id": d.device_id,
                    "township": d.township_code,
                    "received_through": d.high_seq,
                    "generation": d.generation,
                    "last_seen": d.last_seen.isoformat(timespec="seconds"),
                }
                for d in devices
            ],
            "held": [
                {
                    "file_name": h.file_name,
                    "township": h.township_code,
                    "missing_from": h.missing_from,
                    "missing_to": h.missing_to,
                    "reason": h.reason,
                    "error": h.error,
                }
                for h in s.scalars(select(SyncHeld).order_by(SyncHeld.held_at))
            ],
            "skipped_decisions": [
                {"title": r.title, "note": r.note}
                for r in s.scalars(
                    select(CountyItem)
                    .where(CountyItem.kind == "decision", CountyItem.status == "skipped")
                    .order_by(CountyItem.received_at)
                )
            ],
            "warnings": state.warnings(s),
            "open_conflicts": s.scalar(
                select(func.count()).select_from(SyncConflict).where(SyncConflict.status == "open")
            )
            or 0,
        }


def last_ack_text(db: Database) -> str:
    """One line for the status bar; cheap enough to refresh after every save (no row counts)."""
    with db.reader() as s:
        ack = state.get_json(s, state.LAST_ACK)
        changes = current_seq(s) - state.acked_seq(s)
        copied = "（注意：本库是复制来的数据库文件，见“数据同步”）" if state.get(s, state.COPY_NOTE) else ""
    if not ack:
        return f"同步：尚未收到县里回执（{changes} 次更改待送达）{copied}"
    day = localtime.show_iso(str(ack.get("applied_at", "")))[:10]  # stored UTC, the clerk's local day
    return f"同步：县里已确认到第 {ack.get('acked')} 号（{day}），之后 {changes} 次更改待送达{copied}"
