"""A sync conflict as a county clerk reads it (``county sync conflicts show`` and the 冲突 tab).

Nothing is listed per table here: a field's Chinese name comes from the declarations — the title of
the ledger column that shows it (``services.ledgers.catalog``), else the header of the Excel import
layout that fills it (``services.excel.layouts``: 花名册, 会议记录), else the audit log's name for it
(``services.audit_labels.field_label``), else, for a reference, what the referenced table's records
are called (``services.ledgers.schema.table_label``). Codes are shown by their labels (the column's
enum, ``coded``), booleans as 是/否, references by the name of the row they point to, stored UTC times
in local time (labelled). Bookkeeping columns — the row's id, derived columns
(``services.collation.DERIVED``), creation stamps and the change number — are not shown; who changed
each version and when is in the version's title.

Each version is named by the device (its fingerprint when the county knows it), its data generation
(a restore or a copy of the database file starts a new one: 第 N 代, counted in the order the county
first saw them) and the time of its last change, so two versions from the same laptop are told apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Base, SyncDevice, SyncEnrollment
from services import localtime
from services.audit_labels import HIDDEN_FIELDS, REFERENCE_FIELDS, actor_label, record_label, value_text
from services.audit_labels import field_label as audit_field_label
from services.collation import DERIVED
from services.ledgers.schema import table_label
from services.sync.conflicts import ConflictView
from services.sync.tables import LOCAL_COLUMNS

# Who changed a version and when is told in its title, not as fields.
STAMP_FIELDS = frozenset({"updated_at", "updated_by"})
LOCAL_TIME = "（本地时间）"


@cache
def _ledger_titles() -> dict[tuple[str, str], str]:
    """(table, column) → the title of the first declared ledger column reading it."""
    from services.ledgers.catalog import LISTINGS

    out: dict[tuple[str, str], str] = {}
    for listing in LISTINGS.values():
        if listing.model is None:
            continue
        table = listing.model.__table__
        for c in listing.columns:
            column = c.source or c.key
            if column in table.columns:
                out.setdefault((table.name, column), c.title)
    return out


@cache
def _import_titles() -> dict[tuple[str, str], str]:
    """(table, column) → the header of the Excel import layout that fills it (花名册 → member,
    会议记录 → meeting; a layout key names the column or, for a reference, the column without ``_id``)."""
    from services.excel.layouts import MEETINGS, ROSTER

    out: dict[tuple[str, str], str] = {}
    for table, layout in (("member", ROSTER), ("meeting", MEETINGS)):
        columns = Base.metadata.tables[table].columns
        for c in layout.columns:
            for name in (c.key, f"{c.key}_id"):
                if name in columns:
                    out.setdefault((table, name), c.header)
    return out


def _column(table: str, column: str) -> Any:
    t = Base.metadata.tables.get(table)
    return None if t is None else t.columns.get(column)


def _referenced_table(table: str, column: str) -> str | None:
    col = _column(table, column)
    if col is not None:
        for fk in col.foreign_keys:
            return str(fk.column.table.name)
    return REFERENCE_FIELDS.get(column)


def field_label(table: str, column: str) -> str:
    """The Chinese name of ``table.column`` (derived, see the module docstring); the code only when
    nothing declares it."""
    title = _ledger_titles().get((table, column)) or _import_titles().get((table, column))
    if title:
        return title
    label = audit_field_label(column)
    if label != column:
        return label
    ref = _referenced_table(table, column)
    if ref is not None:
        return table_label(ref)
    return column


def hidden(table: str, column: str) -> bool:
    """Internal columns a clerk never needs to compare (ids, derived sort keys, stamps, change numbers)."""
    return (
        column in HIDDEN_FIELDS
        or column in LOCAL_COLUMNS
        or (table, column) in DERIVED
        or column in STAMP_FIELDS
    )


def value(session: Session | None, table: str, column: str, raw: Any) -> str:
    """One stored value in words: references by name, codes by label, 是/否, times local."""
    if raw is None or raw == "":
        return "（空）"
    ref = _referenced_table(table, column)
    if ref is not None and session is not None and isinstance(raw, str):
        return record_label(session, ref, raw)
    col = _column(table, column)
    if col is not None and isinstance(raw, str) and col.type.python_type is datetime:
        try:
            return localtime.show(datetime.fromisoformat(raw)) + LOCAL_TIME
        except ValueError:
            return raw
    return value_text(raw, table, column)


@dataclass(frozen=True)
class FieldLine:
    """One row of the side-by-side view: ``key`` (the column), ``label``, the two values in words,
    and whether they differ."""

    key: str
    label: str
    current: str
    other: str
    differs: bool


def field_lines(
    session: Session | None, view: ConflictView, *, only_differing: bool = False
) -> list[FieldLine]:
    """The fields a clerk compares, differing ones first, each in words (internal columns hidden)."""
    differ = {k for k, _a, _b in view.differences}
    keys = [k for k in sorted(set(view.winner) | set(view.loser)) if not hidden(view.table, k)]
    if only_differing:
        keys = [k for k in keys if k in differ]
    keys.sort(key=lambda k: k not in differ)
    return [
        FieldLine(
            k,
            field_label(view.table, k),
            value(session, view.table, k, view.winner.get(k)),
            value(session, view.table, k, view.loser.get(k)),
            k in differ,
        )
        for k in keys
    ]


def record_name(session: Session | None, view: ConflictView) -> str:
    """What the conflicting row is (a member's name, a meeting's date and type …)."""
    if session is not None:
        name = record_label(session, view.table, view.row_id)
        if not name.startswith("（已不存在"):
            return name
    row = view.winner or view.loser
    for key in ("name", "title", "topics", "code"):
        if row.get(key):
            return str(row[key])
    return f"记录 {view.row_id[:8]}"


def _changed(row: dict[str, Any]) -> str:
    who = str(row.get("updated_by") or "").strip()
    at = row.get("updated_at")
    when = ""
    if isinstance(at, str) and at:
        try:
            when = localtime.show(datetime.fromisoformat(at))
        except ValueError:
            when = at
    parts = [f"修改于 {when}{LOCAL_TIME}" if when else "", f"修改人 {actor_label(who)}" if who else ""]
    return "，".join(p for p in parts if p)


def _device(session: Session | None, stream: str) -> str:
    device_id, _dot, generation = stream.partition(".")
    if not device_id:
        return "县里"
    text = f"设备 {device_id[:8]}"
    if session is None:
        return text + (f" 数据代 {generation[:8]}" if generation else "")
    known = session.get(SyncDevice, stream)
    township = known.township_code if known is not None else None
    fingerprint = session.scalars(
        select(SyncEnrollment.key_id)
        .where(
            SyncEnrollment.public_key == known.public_key
            if known is not None
            else SyncEnrollment.device_id == device_id
        )
        .limit(1)
    ).first()
    if fingerprint:
        text = f"设备 {device_id[:8]}（指纹 {fingerprint}）"
    if township:
        text = f"乡镇 {township} {text}"
    if generation:
        streams = session.scalars(
            select(SyncDevice.device_id)
            .where(SyncDevice.device_id.like(f"{device_id}.%"))
            .order_by(SyncDevice.first_seen, SyncDevice.device_id)
        ).all()
        number = streams.index(stream) + 1 if stream in streams else 0
        text += f"，第 {number} 代数据" if number else f"，数据代 {generation[:8]}"
    return text


def version_titles(session: Session | None, view: ConflictView) -> tuple[str, str]:
    """Titles of the two versions: ``当前版本：乡镇 T02 设备 672ad1eb（指纹 …）第 1 代数据，修改于 …（本地时间），修改人 …``
    and ``另一版本：…``; two versions of the same device differ in generation or time."""

    def title(name: str, stream: str, row: dict[str, Any]) -> str:
        changed = _changed(row)
        return f"{name}：{_device(session, stream)}" + (f"，{changed}" if changed else "")

    return title("当前版本", view.winner_device, view.winner), title(
        "另一版本", view.loser_device, view.loser
    )


def choice_warning(session: Session | None, view: ConflictView, take_other: list[str] | None = None) -> str:
    """What taking the other version (all differing fields, or only ``take_other``) does beyond
    changing values: ``改用另一版本会把“孙八”移入回收站（删除）。`` or ``…会把已删除的“孙八”恢复。``;
    "" when it deletes or restores nothing."""
    fields = {k for k, _a, _b in view.differences} if take_other is None else set(take_other)
    if "deleted" not in fields or view.winner.get("deleted") == view.loser.get("deleted"):
        return ""
    name = record_name(session, view)
    what = table_label(view.table)
    if view.loser.get("deleted"):
        return f"注意：改用另一版本会把{what}“{name}”移入回收站（删除）。"
    return f"注意：改用另一版本会把已删除的{what}“{name}”恢复。"


GUIDE = (
    "“当前版本”是现在县里数据库中的内容（较晚修改的一方优先），“另一版本”是被替下的内容；"
    "同一台电脑恢复备份或复制数据库后会开始新的一代数据，所以两个版本可能来自同一台电脑的不同代。"
)
