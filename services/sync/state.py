"""Sync facts kept in ``db_meta`` on this database: device id, township, acknowledged range, keys."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DbMeta, Township
from services.sync.errors import SyncError

DEVICE_ID = "sync.device_id"
ACKED_SEQ = "sync.acked_seq"
LAST_EXPORT = "sync.last_export"
LAST_ACK = "sync.last_ack"
COUNTY_X25519 = "sync.county_x25519"
COUNTY_ED25519 = "sync.county_ed25519"


def get(session: Session, key: str, default: str = "") -> str:
    row = session.get(DbMeta, key)
    return row.value if row is not None else default


def put(session: Session, key: str, value: str) -> None:
    row = session.get(DbMeta, key)
    if row is None:
        session.add(DbMeta(key=key, value=value))
    else:
        row.value = value
    session.flush()


def get_json(session: Session, key: str) -> dict[str, Any] | None:
    text = get(session, key)
    if not text:
        return None
    data = json.loads(text)
    return data if isinstance(data, dict) else None


def put_json(session: Session, key: str, value: dict[str, Any]) -> None:
    put(session, key, json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))


def device_id(session: Session, *, create: bool = True) -> str:
    """This database's sync identity: sequence numbers are per database, so the id is too."""
    value = get(session, DEVICE_ID)
    if not value and create:
        value = uuid.uuid4().hex
        put(session, DEVICE_ID, value)
    return value


def acked_seq(session: Session) -> int:
    return int(get(session, ACKED_SEQ, "0") or 0)


def township(session: Session) -> Township:
    """The township this database exports for: a township laptop holds exactly one."""
    towns = list(session.scalars(select(Township).where(Township.deleted.is_(False)).limit(2)))
    if not towns:
        raise SyncError("本库还没有乡镇，无法导出同步包。请先建立乡镇和支部。")
    if len(towns) > 1:
        raise SyncError("本库有多个乡镇（像是县级汇总库）。同步包只能从单个乡镇的台账库导出。")
    return towns[0]
