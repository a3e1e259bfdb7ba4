"""The 冲突 list: rows changed in two places; the default winner is applied, a person may pick the other."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Base, SyncConflict, utcnow
from services import localtime
from services.db import Database
from services.errors import NotFound
from services.rowviews import view_json, view_of
from services.sync.errors import SyncError
from services.sync.tables import LOCAL_COLUMNS, comparable, decode_row, encode_row, table_by_name

STATUS = {
    "open": "待确认",
    "kept": "已确认（保留默认结果）",
    "swapped": "已改用另一版本",
    "merged": "已逐字段合并",
}
UNTOUCHED = frozenset({"id", "created_at", "created_by", "updated_at", "updated_by", *LOCAL_COLUMNS})


def versions_conflict(
    table: str,
    row_id: str,
    package_id: str,
    incoming: tuple[dict[str, Any], str, int],
    held: tuple[dict[str, Any], str],
) -> tuple[SyncConflict, bool]:
    """One row changed in two histories: the later ``updated_at`` wins (the stream id breaks a tie),
    both versions kept for a person. ``incoming``: the package's comparable row, its stream and the
    change number given here; ``held``: the county's comparable row and the stream that wrote it.
    Returns the conflict to add and whether the incoming version wins (then it is applied)."""
    ours, stream, dev_seq = incoming
    theirs, other = held
    incoming_wins = (ours["updated_at"], stream) > (theirs["updated_at"], other)
    winner, loser = (ours, theirs) if incoming_wins else (theirs, ours)
    conflict = SyncConflict(
        table_name=table,
        row_id=row_id,
        package_id=package_id,
        winner_device=stream if incoming_wins else other,
        loser_device=other if incoming_wins else stream,
        winner_json=json.dumps(winner, ensure_ascii=False, sort_keys=True),
        loser_json=json.dumps(loser, ensure_ascii=False, sort_keys=True),
        loser_seq=0 if incoming_wins else dev_seq,
    )
    return conflict, incoming_wins


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

    def changed_by(self) -> tuple[tuple[str, str], tuple[str, str]]:
        """Who last changed each version and when (local time): ((current), (other)) as (user, time)."""

        def who(v: dict[str, Any]) -> tuple[str, str]:
            at = v.get("updated_at")
            when = localtime.show(datetime.fromisoformat(at)) if isinstance(at, str) and at else ""
            return str(v.get("updated_by") or ""), when

        return who(self.winner), who(self.loser)

    def to_json(self) -> dict[str, Any]:
        return view_json(
            self,
            labels={"status": STATUS},
            local=("detected_at",),
            utc=("detected_at",),
            differences=[{"field": k, "current": a, "other": b} for k, a, b in self.differences],
        )


def _view(c: SyncConflict) -> ConflictView:
    return view_of(
        ConflictView,
        c,
        attrs={"table": "table_name", "winner": "winner_json", "loser": "loser_json"},
        decode=("winner", "loser"),
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

    The same as :func:`merge` with every differing field taken from one side.
    """
    if keep not in ("current", "other"):
        raise SyncError("请选择保留“current”（当前结果）或“other”（另一版本）。")
    return merge(db, conflict_id, {}, default=keep, user=user)


def choosable_fields(view: ConflictView) -> list[str]:
    """The fields of a conflict a person may choose between (they differ; bookkeeping columns excluded)."""
    return [k for k, _a, _b in view.differences if k not in UNTOUCHED]


def merge(
    db: Database,
    conflict_id: int,
    choices: Mapping[str, str],
    *,
    default: str = "current",
    user: str = "",
) -> ConflictView:
    """Resolve a conflict field by field: ``choices`` maps a differing field to ``"current"`` (the
    version applied now, the winner) or ``"other"`` (the kept losing version); fields not named take
    ``default``. All ``current`` = confirm (status ``kept``), all ``other`` = ``swapped``, a mix =
    ``merged``.

    Writing is an ordinary edit by ``user`` (stamped, numbered, audited) plus one audit event
    ``sync_conflict_resolved`` with the choices. On a county database the decision — the row as it
    now stands — is queued for the township whose package caused the conflict and travels in its next
    acknowledgement (``services.county.outbox``), where ``sync ack`` applies it, so both sides agree.
    Raises ``NotFound`` (no such conflict or row), ``SyncError`` (already resolved),
    ``ValidationError("field", …)`` for a field that is not a differing field or a choice that is
    neither ``current`` nor ``other``; nothing is written then. Refused for a 查阅 user.
    """
    from services import audit
    from services.errors import ValidationError
    from services.roles import require_role

    if default not in ("current", "other"):
        raise ValidationError("keep", "请选择保留“current”（当前结果）或“other”（另一版本）。")
    with db.transaction(user) as s:
        require_role(s, "admin", "editor", what="处理同步冲突")
        c = s.get(SyncConflict, conflict_id)
        if c is None:
            raise NotFound(f"没有编号为 {conflict_id} 的同步冲突。")
        if c.status != "open":
            raise SyncError(f"冲突 {conflict_id} 已处理过（{STATUS.get(c.status, c.status)}）。")
        view = _view(c)
        fields = choosable_fields(view)
        for k, v in choices.items():
            if k not in fields:
                raise ValidationError(
                    k,
                    f"字段 {k} 在冲突 {conflict_id} 的两个版本中没有不同，可选的字段：{'、'.join(fields) or '无'}。",
                )
            if v not in ("current", "other"):
                raise ValidationError(
                    k, f"字段 {k} 请选择“current”（当前结果）或“other”（另一版本），不能是“{v}”。"
                )
        picked = {k: choices.get(k, default) for k in fields}
        table = table_by_name().get(c.table_name)
        if table is None:
            raise SyncError(f"本机不认识数据表 {c.table_name}，无法处理该冲突。")
        take = {k: view.loser.get(k) for k, side in picked.items() if side == "other"}
        obj = s.get(_model(c.table_name), c.row_id)
        if obj is None:
            raise NotFound(f"冲突涉及的记录 {c.row_id} 已不存在。")
        if take:
            for k, v in decode_row(table, take).items():
                setattr(obj, k, v)
            # The flush gives the row a new local change number: from now on it counts as edited
            # here, and a later package changing it again is compared against this choice.
            s.flush()
        sides = set(picked.values())
        c.status = "swapped" if sides == {"other"} else "merged" if len(sides) > 1 else "kept"
        c.resolved_at = utcnow()
        c.resolved_by = user or str(s.info.get("user", ""))
        audit.record_event(
            s,
            "sync_conflict_resolved",
            {"conflict": c.id, "table": c.table_name, "status": c.status, "choices": picked},
            table=c.table_name,
            row_id=c.row_id,
        )
        _queue_decision(s, c, view, picked)
        s.flush()
        return _view(c)


def _queue_decision(s: Session, c: SyncConflict, view: ConflictView, picked: dict[str, str]) -> None:
    """On a county database: send the resolved row to the township whose package caused the conflict."""
    from models import SyncReceived
    from services.county import mode, outbox

    if not mode.is_county(s):
        return
    received = s.get(SyncReceived, c.package_id)
    if received is None:
        return
    table = table_by_name()[c.table_name]
    row = s.execute(select(table).where(table.c.id == c.row_id)).mappings().first()
    if row is None:
        return
    final = comparable(encode_row(table, row))
    township_version = view.winner if c.winner_device == received.device_id else view.loser
    outbox.record_decision(
        s,
        received.township_code,
        {
            "conflict_id": c.id,
            "table": c.table_name,
            "row_id": c.row_id,
            "values": final,
            "base_updated_at": township_version.get("updated_at"),
            "choices": picked,
            "status": c.status,
        },
    )


def send_back_lost(s: Session, township_code: str, lost: list[SyncConflict]) -> None:
    """County side, inside the import's transaction: queue the county's full version of each row a
    re-based township no longer has (``lost``: the conflicts the receiver just listed for them).

    The township's next ``sync ack`` inserts each row it lacks (audited ``county_record_restored``),
    so a restore of an older backup never silently drops a record the county already had; the
    conflict stays open for a person, whose decision travels the same way.
    """
    from services.county import outbox

    s.flush()  # the conflicts' ids
    for c in lost:
        outbox.record_decision(
            s,
            township_code,
            {
                "conflict_id": c.id,
                "table": c.table_name,
                "row_id": c.row_id,
                "values": json.loads(c.winner_json),
                "base_updated_at": None,
                "choices": {},
                "status": "restore",
            },
        )


def duplicate_people(s: Session, township_id: str, seq_from: int, seq_to: int) -> str:
    """County side, after a package wrote change numbers ``seq_from``–``seq_to``: live members of
    the township that now share an ID number (身份证号) with another live member, at least one of
    them written by this package — typically the same person entered again on a restored or new
    laptop. Returns a sentence naming each number and its members ("" when none) and audits
    ``sync_duplicate_id_number``; nothing is merged or dropped (a person decides which record stays).
    An ID number identifies one person (GB 11643), so one person's two live records would be counted
    twice in every table.
    """
    from sqlalchemy import func

    from models import Member
    from services import audit

    if seq_to < seq_from or seq_to <= 0:
        return ""
    twice_here = list(
        s.scalars(  # one grouped read over the township's (id_number) index
            select(Member.id_number)
            .where(
                Member.township_id == township_id,
                Member.deleted.is_(False),
                func.length(Member.id_number) > 0,
            )
            .group_by(Member.id_number)
            .having(func.count() > 1)
        )
    )
    groups: dict[str, list[tuple[str, str]]] = {}
    touched: set[str] = set()
    for at in range(0, len(twice_here), 500):
        for mid, name, number, seq in s.execute(
            select(Member.id, Member.name, Member.id_number, Member.row_seq)
            .where(
                Member.township_id == township_id,
                Member.deleted.is_(False),
                Member.id_number.in_(twice_here[at : at + 500]),
            )
            .order_by(Member.id_number, Member.name, Member.id)
        ):
            groups.setdefault(number, []).append((mid, name))
            if seq_from <= seq <= seq_to:
                touched.add(number)
    twice = {n: people for n, people in groups.items() if n in touched}
    if not twice:
        return ""
    for number, people in twice.items():
        audit.record_event(
            s,
            "sync_duplicate_id_number",
            {"id_number": number, "members": [mid for mid, _name in people]},
            table="member",
            row_id=people[0][0],
        )
    shown = "；".join(
        f"身份证号 {n}：" + "、".join(f"{name}（{mid[:8]}）" for mid, name in people)
        for n, people in list(twice.items())[:10]
    )
    more = f"等 {len(twice)} 组" if len(twice) > 10 else ""
    return (
        f"注意：乡镇有 {len(twice)} 个身份证号同时属于两条以上在册记录（{shown}{more}），"
        "像是同一人被重复登记（如恢复备份后重新录入）。请与乡镇核对，在乡镇电脑上删除多余的记录后再同步。"
    )


class CopiedHistory:
    """County side, for one package: which of its rows are versions the county already has from the
    database the sender was copied from — so no conflict (``stale``).

    ``lineage``: the package's ``[[generation, fork_seq or None], …]`` (newest first); ``device_id``:
    the sending device. An ancestor generation's *owner* is the device id of the county's stream for
    it (``<device id>.<16 hex of generation>``) and its ``high`` the change numbers received from it.
    Read lazily, once per package (one query), only when a row would otherwise be a conflict.
    """

    def __init__(self, s: Session, lineage: list[list[Any]], device_id: str) -> None:
        self.s, self.lineage, self.device_id = s, lineage, device_id
        self._owners: dict[str, tuple[str, int]] | None = None

    def owners(self) -> dict[str, tuple[str, int]]:
        if self._owners is None:
            from models import SyncDevice

            wanted = {str(g)[:16] for g, fork in self.lineage if fork is not None}
            self._owners = {}
            if wanted:
                from sqlalchemy import or_

                streams = or_(*[SyncDevice.device_id.endswith(f".{g}") for g in sorted(wanted)])
                for dev in self.s.scalars(select(SyncDevice).where(streams)):
                    dev_id, _, gen = dev.device_id.partition(".")
                    if gen in wanted:
                        owner, high = self._owners.get(gen, (dev_id, 0))
                        self._owners[gen] = (owner, max(high, int(dev.high_seq)))
        return self._owners

    def stale(self, dev_seq: int, county_version: tuple[str, str, int] | None) -> bool:
        """True when the row (change number ``dev_seq`` on the sender) is an older version of the
        history the county goes on with, and another database keeps that history.

        The row belongs to an ancestor generation (its number is at or below that generation's
        fork point) whose stream the county received from *another* device id through at least that
        number: the county has had this version, or a successor of it, from the original database,
        and whatever it holds now (the original's later edit, a decision at the county, another
        laptop's edit) came after. This is a copied database file re-basing: its full package repeats
        rows it never changed since the copy. Never for the sender's own device id (a restore that
        lost later edits: a conflict, and the county's version goes back to the township), nor when
        the county's version is itself one of this ancestor's later numbers written by the sender.
        """
        for gen, fork in reversed(self.lineage):  # the oldest generation whose fork point covers it
            if fork is None or dev_seq <= int(fork):
                if fork is None:
                    return False
                owner, high = self.owners().get(str(gen)[:16], ("", 0))
                if not owner or owner == self.device_id or high < dev_seq:
                    return False
                return not (county_version is not None and county_version[0] == self.device_id)
        return False
