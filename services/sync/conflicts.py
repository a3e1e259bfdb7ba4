"""The 冲突 list: rows changed in two places; the default winner is applied, a person may pick the other."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Base, SyncConflict, utcnow
from services import localtime
from services.db import Database
from services.errors import NotFound
from services.sync.errors import SyncError
from services.sync.tables import LOCAL_COLUMNS, decode_row, table_by_name

STATUS = {"open": "待确认", "kept": "已确认（保留默认结果）", "swapped": "已改用另一版本"}
UNTOUCHED = frozenset({"id", "created_at", "created_by", "updated_at", "updated_by", *LOCAL_COLUMNS})


@dataclass
class ConflictView:
    id: int
    table: str
    row_id: str
    status: str
    winner_device: str
    loser_device: str
    winner: dict[str, Any]
    loser: dict[str, Any]
    detected_at: datetime

    @property
    def differences(self) -> list[tuple[str, Any, Any]]:
        keys = sorted(set(self.winner) | set(self.loser))
        return [
            (k, self.winner.get(k), self.loser.get(k))
            for k in keys
            if self.winner.get(k) != self.loser.get(k)
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "table": self.table,
            "row_id": self.row_id,
            "status": self.status,
            "status_label": STATUS.get(self.status, self.status),
            "winner_device": self.winner_device,
            "loser_device": self.loser_device,
            "differences": [{"field": k, "current": a, "other": b} for k, a, b in self.differences],
            "winner": self.winner,
            "loser": self.loser,
            "detected_at": self.detected_at.isoformat(timespec="seconds") + "Z",
            "detected_at_local": localtime.show(self.detected_at),
        }


def _view(c: SyncConflict) -> ConflictView:
    return ConflictView(
        id=c.id,
        table=c.table_name,
        row_id=c.row_id,
        status=c.status,
        winner_device=c.winner_device,
        loser_device=c.loser_device,
        winner=json.loads(c.winner_json),
        loser=json.loads(c.loser_json),
        detected_at=c.detected_at,
    )


def list_conflicts(session: Session, *, include_resolved: bool = False) -> list[ConflictView]:
    stmt = select(SyncConflict).order_by(SyncConflict.id)
    if not include_resolved:
        stmt = stmt.where(SyncConflict.status == "open")
    return [_view(c) for c in session.scalars(stmt)]


def _model(table: str) -> type[Any]:
    for mapper in Base.registry.mappers:
        if getattr(mapper.local_table, "name", None) == table:
            return mapper.class_
    raise SyncError(f"本机不认识数据表 {table}，无法处理该冲突。")


def resolve(db: Database, conflict_id: int, keep: str, *, user: str = "") -> ConflictView:
    """``keep="current"`` confirms the default result; ``keep="other"`` writes the losing version back.

    Writing the other version is an ordinary edit by ``user`` (stamped, numbered, in the audit log),
    so it is itself sent on in the next package.
    """
    if keep not in ("current", "other"):
        raise SyncError("请选择保留“current”（当前结果）或“other”（另一版本）。")
    with db.transaction(user) as s:
        c = s.get(SyncConflict, conflict_id)
        if c is None:
            raise NotFound(f"没有编号为 {conflict_id} 的同步冲突。")
        if c.status != "open":
            raise SyncError(f"冲突 {conflict_id} 已处理过（{STATUS.get(c.status, c.status)}）。")
        if keep == "other":
            table = table_by_name().get(c.table_name)
            if table is None:
                raise SyncError(f"本机不认识数据表 {c.table_name}，无法处理该冲突。")
            obj = s.get(_model(c.table_name), c.row_id)
            if obj is None:
                raise NotFound(f"冲突涉及的记录 {c.row_id} 已不存在。")
            values = decode_row(table, json.loads(c.loser_json))
            for k, v in values.items():
                if k not in UNTOUCHED:
                    setattr(obj, k, v)
            # The flush gives the row a new local change number: from now on it counts as edited
            # here, and a later package changing it again is compared against this choice.
            c.status = "swapped"
        else:
            c.status = "kept"
        c.resolved_at = utcnow()
        c.resolved_by = user
        s.flush()
        return _view(c)
