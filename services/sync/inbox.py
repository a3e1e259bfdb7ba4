"""The return channel, township side: notices, handbook pack updates and conflict decisions that
arrive inside a verified acknowledgement (``services.sync.ack.apply_ack``).

The acknowledgement's signature was checked against the county key this township pinned before
anything here runs. Items are kept once (by the county's id) in ``county_item``. A conflict decision
is applied at once (``sync ack``); a notice waits to be read (``notice list/show``); a pack update
waits until the clerk confirms (``handbook install-update --yes``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from models import CountyItem, utcnow
from services import audit
from services.db import Database, allocate_seq
from services.errors import NotFound
from services.paths import data_dir
from services.rowviews import view_json, view_of
from services.sync.errors import AckInvalid, SyncError
from services.sync.tables import (
    LOCAL_COLUMNS,
    comparable,
    decode_row,
    encode_row,
    synced_tables,
    table_by_name,
)

KINDS = ("notice", "pack", "decision")
STATUS_LABELS = {
    "new": "未读",
    "read": "已读",
    "installed": "已安装",
    "applied": "已采用",
    "skipped": "未采用",
    "refused": "已拒绝",
}
MAX_ITEMS = 500


@dataclass
class ItemView:
    """One received item. ``kind``: notice / pack / decision; times UTC (``*_local`` in JSON)."""

    id: str
    kind: str
    title: str
    status: str
    issued_at: datetime
    received_at: datetime
    payload: dict[str, Any]
    note: str = ""

    @property
    def due(self) -> date | None:
        d = self.payload.get("due")
        return date.fromisoformat(d) if isinstance(d, str) and d else None

    def to_json(self) -> dict[str, Any]:
        body = {k: v for k, v in self.payload.items() if k not in ("toml", "attachments", "values")}
        if self.kind == "notice":
            body["attachments"] = [
                {"name": a["name"], "size": a["size"]} for a in self.payload.get("attachments", [])
            ]
        return view_json(
            self, labels={"status": STATUS_LABELS}, local=("issued_at", "received_at"), payload=body
        )


def _view(r: CountyItem) -> ItemView:
    return view_of(ItemView, r, decode=("payload",))


def _check_item(item: Any, ack_name: str) -> dict[str, Any]:
    bad = AckInvalid(
        f"回执 {ack_name} 中县里发来的内容格式不对，文件已损坏或来自不兼容的版本，未做任何更改。"
    )
    if not isinstance(item, dict) or item.get("kind") not in KINDS:
        raise bad
    if not isinstance(item.get("id"), str) or not 0 < len(item["id"]) <= 36:
        raise bad
    if not isinstance(item.get("payload"), dict) or not isinstance(item.get("title"), str):
        raise bad
    try:
        datetime.fromisoformat(str(item.get("issued_at", "")).rstrip("Z"))
    except ValueError as exc:
        raise bad from exc
    p = item["payload"]
    if item["kind"] == "notice":
        for a in p.get("attachments", []):
            if not isinstance(a, dict) or not all(
                isinstance(a.get(k), str) for k in ("name", "sha256", "data")
            ):
                raise bad
            try:
                data = base64.b64decode(a["data"], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise bad from exc
            if hashlib.sha256(data).hexdigest() != a["sha256"] or "/" in a["name"] or "\\" in a["name"]:
                raise bad
    elif item["kind"] == "pack":
        if not all(isinstance(p.get(k), str) for k in ("pack_id", "version", "toml", "sha256")):
            raise bad
        if hashlib.sha256(p["toml"].encode("utf-8")).hexdigest() != p["sha256"]:
            raise bad
    elif not isinstance(p.get("values"), dict) or not isinstance(p.get("table"), str):
        raise bad
    return item


def validate_items(items: Any, ack_name: str) -> list[dict[str, Any]]:
    """The ``county_items`` of an acknowledgement, checked for shape and hashes (``AckInvalid`` else)."""
    if items is None:
        return []
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise AckInvalid(f"回执 {ack_name} 中县里发来的内容格式不对，文件已损坏，未做任何更改。")
    return [_check_item(i, ack_name) for i in items]


def receive_items(
    s: Session, items: list[dict[str, Any]], ack_name: str, notes: list[str] | None = None
) -> dict[str, int]:
    """Store the items not seen before; apply conflict decisions at once. Inside ``apply_ack``'s
    transaction. Returns counts ``{"notice": n, "pack": n, "decision": n, "applied": n,
    "restored": n, "skipped": n}`` (``restored``: rows this township lacked, inserted; a decision the
    row already agrees with counts in none of the last three).

    ``notes`` (if given) receives a sentence for each member put back who shares an ID number with a
    live member here. Decisions run parents first (the synced tables' foreign-key order); one that waits for a parent
    record the same acknowledgement restores is tried again after the others."""
    counts = {"notice": 0, "pack": 0, "decision": 0, "applied": 0, "restored": 0, "skipped": 0}
    decisions: list[tuple[CountyItem, dict[str, Any]]] = []
    notes = notes if notes is not None else []
    for item in items:
        if s.get(CountyItem, item["id"]) is not None:
            continue
        row = CountyItem(
            id=item["id"],
            kind=item["kind"],
            title=item["title"][:200],
            payload=json.dumps(item["payload"], ensure_ascii=False, sort_keys=True),
            issued_at=datetime.fromisoformat(item["issued_at"].rstrip("Z")).replace(tzinfo=None),
            received_at=utcnow(),
            ack_file=ack_name[:255],
        )
        s.add(row)
        counts[item["kind"]] += 1
        if item["kind"] == "decision":
            decisions.append((row, item["payload"]))
    rank = {t.name: i for i, t in enumerate(synced_tables())}
    decisions.sort(key=lambda d: rank.get(str(d[1].get("table")), len(rank)))
    while decisions:
        waiting = []
        for row, payload in decisions:
            row.status, row.note = _apply_decision(s, payload)
            if row.note.startswith(NO_PARENT):
                waiting.append((row, payload))
            elif row.note.startswith(RESTORED_NOTE):
                counts["restored"] += 1
                if SAME_ID in row.note:
                    counts["same_id"] = counts.get("same_id", 0) + 1
                    notes.append(row.note[row.note.index(SAME_ID) :])
            elif row.note != AGREES:
                counts["applied" if row.status == "applied" else "skipped"] += 1
        if len(waiting) == len(decisions):
            counts["skipped"] += len(waiting)
            break
        decisions = waiting
    s.flush()
    return counts


AGREES = "本机的记录与县里的决定一致。"
NO_PARENT = "本机没有这条记录，也没有它所属的"


def _apply_decision(s: Session, p: dict[str, Any]) -> tuple[str, str]:
    """Make this township's row what the county decided, unless it was edited here since."""
    table = table_by_name().get(p["table"])
    if table is None:
        return "skipped", f"本机不认识数据表 {p['table']}，请升级软件。"
    row = s.execute(select(table).where(table.c.id == p.get("row_id"))).mappings().first()
    if row is None:
        return _restore_missing(s, table, p)
    current = comparable(encode_row(table, row))
    wanted = dict(p["values"])
    if current == wanted:
        return "applied", AGREES
    if current.get("updated_at") != p.get("base_updated_at"):
        return "skipped", (
            "县里处理冲突后，本机又修改过这条记录，未覆盖本机的修改；下次同步时县里会再次核对。"
        )
    values = {k: v for k, v in decode_row(table, wanted).items() if k != "id"}
    values["row_seq"] = allocate_seq(s, 1)  # sent on in the next package: the county finds it identical
    s.execute(update(table).where(table.c.id == p["row_id"]).values(**values))
    audit.record_event(
        s,
        "county_decision_applied",
        {"conflict": p.get("conflict_id"), "choices": p.get("choices")},
        table=p["table"],
        row_id=str(p["row_id"]),
    )
    return "applied", f"已按县里的决定更新（冲突 #{p.get('conflict_id')}）。"


RESTORED_NOTE = "已补回本机缺少的记录"


def _restore_missing(s: Session, table: Any, p: dict[str, Any]) -> tuple[str, str]:
    """The county kept a row this township does not have (lost in a restore of a backup, or never
    received here): insert the county's full version, audited, so both sides hold the same row.

    A decision that deletes the row needs nothing here. Refused (``skipped``, with the reason in the
    note) when the row names another township or a parent record this database does not have; the
    clerk sees the note in the ``sync ack`` message and ``sync status``.
    """
    wanted = dict(p["values"])
    if wanted.get("deleted") is True:
        return "applied", "本机没有这条记录，县里的决定是删除它，无需更改。"
    if set(wanted) != {c.name for c in table.columns} - LOCAL_COLUMNS or wanted.get("id") != p.get("row_id"):
        return "skipped", "本机没有这条记录，县里发来的版本不完整，未能补回；请联系县里核对。"
    from models import Township

    towns = set(s.scalars(select(Township.id)))
    owner = wanted.get("township_id", wanted.get("id") if table.name == "township" else None)
    if owner is not None and owner not in towns:
        return "skipped", "县里发来的记录不属于本乡镇，未采用。"
    values = decode_row(table, wanted)
    for fk in table.foreign_keys:
        ref = values.get(fk.parent.name)
        if ref is None or ref == values.get("id"):
            continue
        there = s.execute(select(fk.column).where(fk.column == ref)).first()
        if there is None:
            return "skipped", (
                f"{NO_PARENT} {fk.column.table.name} 记录 {ref}，未能补回；"
                "请先导入县里补回上级记录的回执，或联系县里核对。"
            )
    values["row_seq"] = allocate_seq(s, 1)  # sent on in the next package: the county finds it identical
    s.execute(insert(table).values(**values))
    audit.record_event(
        s,
        "county_record_restored",
        {"conflict": p.get("conflict_id"), "status": p.get("status")},
        table=table.name,
        row_id=str(p["row_id"]),
    )
    note = f"{RESTORED_NOTE}：县里保留的版本已写回本机（冲突 #{p.get('conflict_id')}）。"
    return "applied", note + _same_person(s, table.name, values)


SAME_ID = "注意：补回的"


def _same_person(s: Session, table: str, values: dict[str, Any]) -> str:
    """For a member put back: the live members here with the same ID number (the person typed again
    after the restore), as a sentence starting with ``SAME_ID``; "" when none."""
    from models import Member

    if table != "member" or values.get("deleted") or not values.get("id_number"):
        return ""
    others = s.execute(
        select(Member.name, Member.id).where(
            Member.township_id == values.get("township_id"),
            Member.id_number == values["id_number"],
            Member.id != values.get("id"),
            Member.deleted.is_(False),
        )
    ).all()
    if not others:
        return ""
    names = "、".join(f"{name}（{mid[:8]}）" for name, mid in others)
    return (
        f"{SAME_ID} {values.get('name', '')}（{str(values.get('id', ''))[:8]}）与本机的 {names}身份证号相同"
        f"（{values['id_number']}），像是同一人登记了两次：请在党员列表中核对，删除多余的记录。"
    )


# --- notices -----------------------------------------------------------------------------------


def list_items(session: Session, kind: str | None = None) -> list[ItemView]:
    """Received items, newest first (read-only)."""
    stmt = select(CountyItem).order_by(CountyItem.issued_at.desc())
    if kind:
        stmt = stmt.where(CountyItem.kind == kind)
    return [_view(r) for r in session.scalars(stmt)]


def notice_dir() -> Path:
    return data_dir() / "sync" / "notices"


def open_notice(db: Database, notice_id: str, *, user: str = "") -> tuple[ItemView, list[Path]]:
    """A notice by id (or a unique prefix), marked read (not for a 查阅 user); its attachments are written (once) to
    ``<data>/sync/notices/<id>/`` and their paths returned. Raises ``NotFound``."""
    with db.transaction(user) as s:
        rows = s.scalars(
            select(CountyItem).where(CountyItem.kind == "notice", CountyItem.id.startswith(notice_id.strip()))
        ).all()
        if len(rows) != 1:
            raise NotFound(
                f"没有编号为 {notice_id} 的通知。"
                if not rows
                else f"编号 {notice_id} 对应多个通知，请多写几位。"
            )
        row = rows[0]
        if row.status == "new" and s.info.get("role") != "viewer":  # a 查阅 user reads without marking
            row.status = "read"
        view = _view(row)
    from services.sync.fileio import write_atomic

    paths = []
    for a in view.payload.get("attachments", []):
        target = notice_dir() / view.id / a["name"]
        if not target.exists():
            write_atomic(target, base64.b64decode(a["data"]))
        paths.append(target)
    return view, paths


# --- pack updates -------------------------------------------------------------------------------


@dataclass
class InstallResult:
    """A pack update installed. ``previous`` is the pack file in use before (kept on disk);
    ``findings_before``/``findings_after``: findings of this year's check under each pack."""

    item_id: str
    name: str
    version: str
    path: Path
    previous: str
    findings_before: int
    findings_after: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.item_id,
            "name": self.name,
            "version": self.version,
            "path": str(self.path),
            "previous": self.previous,
            "findings_before": self.findings_before,
            "findings_after": self.findings_after,
        }


def pending_pack(session: Session) -> ItemView | None:
    """The newest pack update received and not yet installed or refused (None when there is none)."""
    from services.county.outbox import version_key

    waiting = [v for v in list_items(session, "pack") if v.status == "new"]
    if not waiting:
        return None
    return max(waiting, key=lambda v: version_key(str(v.payload.get("version", ""))))


def packs_dir() -> Path:
    return data_dir() / "handbook" / "packs"


def install_pack_update(db: Database, *, user: str = "", as_of: date | None = None) -> InstallResult:
    """Install the newest pending pack update (the clerk has confirmed). Administrators only.

    The pack is validated again by this program (``parse_pack``: a pack this version cannot read asks
    to upgrade) and must be newer than the installed pack of the same id (``version_key``); otherwise
    the item is marked ``refused`` with the reason and ``SyncError`` is raised — the pack in use
    stays. The file is written to ``<data>/handbook/packs/<id>-<version>.toml``, chosen for this
    computer (``PackHolder.remember``; the previous pack file is kept), findings of the year of
    ``as_of`` (default today) are recomputed under both packs, and the change is audited.
    """
    from services import machine_settings
    from services.county.outbox import version_key
    from services.handbook.errors import PackError
    from services.handbook.pack import PackHolder, chosen_pack_path, default_pack_path, parse_pack
    from services.handbook.period import year
    from services.handbook.service import run_check
    from services.sync.fileio import write_atomic

    machine_settings.require_admin(db, "安装县里下发的手册包")
    with db.reader() as s:
        item = pending_pack(s)
    if item is None:
        raise SyncError("没有待安装的手册包更新（县里下发的手册包随回执送达，导入回执后才会出现）。")
    p = item.payload
    holder = PackHolder.startup()
    installed = holder.pack.pack
    reason = ""
    try:
        pack = parse_pack(p["toml"], f"{p.get('name', '')} {p['version']}")
    except PackError as exc:
        pack = None
        reason = f"县里下发的手册包 {p.get('name', '')} {p['version']} 未通过本机校验：{exc.message}（可能需要先升级本机软件）"
    if (
        pack is not None
        and pack.pack.id == installed.id
        and version_key(pack.pack.version) <= version_key(installed.version)
    ):
        reason = (
            f"县里下发的手册包 {pack.pack.name} {pack.pack.version} 不比本机正在使用的版本 {installed.version} 新，"
            "未安装（本机继续使用现在的手册包）。"
        )
    if reason:
        with db.transaction(user) as s:
            row = s.get(CountyItem, item.id)
            assert row is not None
            row.status, row.note = "refused", reason
            audit.record_event(s, "handbook_pack_update_refused", {"item": item.id, "reason": reason})
        raise SyncError(reason)
    assert pack is not None
    target = packs_dir() / f"{pack.pack.id}-{pack.pack.version}.toml".replace("/", "_")
    as_of = as_of or date.today()
    period = year(as_of.year)
    with db.reader() as s:
        before = len(run_check(s, holder.pack, period, as_of=as_of).findings)
        after = len(run_check(s, pack, period, as_of=as_of).findings)
    previous = str(chosen_pack_path() or default_pack_path())
    write_atomic(target, p["toml"].encode("utf-8"))
    new_holder = PackHolder(pack, target)
    with db.transaction(user) as s:
        row = s.get(CountyItem, item.id)
        assert row is not None
        row.status, row.note = (
            "installed",
            f"已安装，原手册包 {installed.name} {installed.version}（{previous}）保留。",
        )
        audit.record_event(
            s,
            "handbook_pack_changed",
            {
                "pack": f"{pack.pack.name} {pack.pack.version}",
                "path": str(target),
                "previous": previous,
                "from_county": item.id,
            },
        )
    new_holder.remember()  # after the commit: the choice and its audit entry agree
    return InstallResult(
        item_id=item.id,
        name=pack.pack.name,
        version=pack.pack.version,
        path=target,
        previous=previous,
        findings_before=before,
        findings_after=after,
    )
