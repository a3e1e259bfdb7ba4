"""回收站: soft-deleted records of every tracked table, and putting them back.

The table set comes from the ORM models (every mapped class mixing in ``Tracked``), so a new
ledger table shows up here without a change. Restoring a record also restores what was deleted
together with it — rows that point to it by foreign key (a meeting's attendance) and its
attachments — when they were deleted within ``TOGETHER`` of it; rows removed earlier on their own
stay in the bin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from models import Attachment, Base, Tracked
from models.enums import Role
from services.errors import NotFound, ValidationError
from services.ledgers.schema import table_label
from services.roles import require_role

TOGETHER = timedelta(seconds=5)
TITLE_FIELDS = ("name", "title", "topics", "filename", "caption", "code", "status")


def tracked_models() -> dict[str, type[Any]]:
    """Every table of the schema that carries ``Tracked`` (soft delete), by table name."""
    out: dict[str, type[Any]] = {}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        table = getattr(cls, "__tablename__", None)
        if issubclass(cls, Tracked) and table:
            out[str(table)] = cls
    return dict(sorted(out.items()))


def dependent_links(model: type[Any]) -> list[tuple[type[Any], Column[Any]]]:
    """(child model, foreign-key column) for each tracked table that cannot exist without a row of
    ``model``: its foreign key to ``model`` is NOT NULL (attendance → member and meeting, dues →
    member). Nullable links (a member's party group) are references, not dependence."""
    return [(child, col) for child, col in _child_links(model) if not col.nullable]


def dependents(session: Session, obj: Any) -> list[Any]:
    """Live rows that depend on ``obj`` (derived from the models, see ``dependent_links``), their own
    dependents, and the attachments owned by any of them: what goes to the bin with ``obj``."""
    out: list[Any] = []
    todo = [obj]
    seen = {id(obj)}
    while todo:
        parent = todo.pop()
        table = parent.__table__.name
        found = list(
            session.scalars(
                select(Attachment).where(
                    Attachment.owner_type == table,
                    Attachment.owner_id == parent.id,
                    Attachment.deleted.is_(False),
                )
            )
        )
        for child, col in dependent_links(type(parent)):
            found += session.scalars(select(child).where(col == parent.id, child.deleted.is_(False)))
        for row in found:
            if id(row) not in seen:
                seen.add(id(row))
                out.append(row)
                todo.append(row)
    return out


def _parent_links(model: type[Any]) -> list[tuple[Column[Any], type[Any]]]:
    """(foreign-key column, parent model) for each link to another tracked table."""
    models = tracked_models()
    links = []
    for col in model.__table__.columns:
        for fk in col.foreign_keys:
            parent = models.get(fk.column.table.name)
            if parent is not None and parent is not model:
                links.append((col, parent))
    return links


_CHILD_LINKS: dict[type[Any], list[tuple[type[Any], Column[Any]]]] = {}  # mappers never change


def _child_links(model: type[Any]) -> list[tuple[type[Any], Column[Any]]]:
    if model in _CHILD_LINKS:
        return _CHILD_LINKS[model]
    table = model.__table__.name
    out = []
    for child in tracked_models().values():
        for col in child.__table__.columns:
            if any(fk.column.table.name == table for fk in col.foreign_keys) and child is not model:
                out.append((child, col))
    _CHILD_LINKS[model] = out
    return out


@dataclass(frozen=True)
class BinRow:
    table: str
    table_label: str
    id: str
    title: str
    deleted_at: datetime | None
    deleted_by: str


def _title(obj: Any) -> str:
    for name in TITLE_FIELDS:
        value = getattr(obj, name, None)
        if value:
            text = str(value).replace("\n", " ")
            return text[:40] + ("…" if len(text) > 40 else "")
    held = getattr(obj, "held_on", None)
    return str(held) if held else obj.id


def list_deleted(session: Session, table: str = "", limit: int = 200, offset: int = 0) -> list[BinRow]:
    """Records in the bin, newest deletion first. Rows whose parent is in the bin too are hidden:
    they come back with it (a deleted meeting lists once, not once per attendee)."""
    models = tracked_models()
    if table and table not in models:
        raise ValidationError("table", f"没有名为 {table} 的数据表。")
    rows: list[BinRow] = []
    for name, model in models.items():
        if table and name != table:
            continue
        conds: list[Any] = [model.deleted.is_(True)]
        for col, parent in _parent_links(model):
            p = aliased(parent)
            conds.append(~exists().where(and_(p.id == col, p.deleted.is_(True))))
        if model is Attachment:  # owned through (owner_type, owner_id) rather than a foreign key
            for owner_name, owner in models.items():
                o = aliased(owner)
                owner_gone = exists().where(and_(o.id == Attachment.owner_id, o.deleted.is_(True)))
                conds.append(~and_(Attachment.owner_type == owner_name, owner_gone))
        stmt = select(model).where(*conds).order_by(model.deleted_at.desc()).limit(offset + limit)
        rows += [
            BinRow(name, table_label(name), o.id, _title(o), o.deleted_at, o.updated_by)
            for o in session.scalars(stmt)
        ]
    rows.sort(key=lambda r: r.deleted_at or datetime.min, reverse=True)
    return rows[offset : offset + limit]


@dataclass(frozen=True)
class Restored:
    table: str
    id: str
    also: dict[str, int]  # table → number of rows restored with it

    def describe(self) -> str:
        extra = "，".join(f"{table_label(t)} {n} 条" for t, n in self.also.items())
        return f"已恢复{table_label(self.table)}" + (f"，同时恢复{extra}" if extra else "") + "。"


def _undelete(obj: Any) -> None:
    obj.deleted = False
    obj.deleted_at = None


def _near(stamp: datetime | None, when: datetime | None) -> bool:
    return stamp is not None and when is not None and abs(stamp - when) <= TOGETHER


def _restore_children(
    session: Session, table: str, obj: Any, when: datetime | None, also: dict[str, int]
) -> None:
    for child, col in _child_links(type(obj)):
        for row in session.scalars(select(child).where(col == obj.id, child.deleted.is_(True))):
            if _near(row.deleted_at, when):
                also[child.__tablename__] = also.get(child.__tablename__, 0) + 1
                _restore_children(session, child.__tablename__, row, row.deleted_at, also)
                _undelete(row)
    for att in session.scalars(
        select(Attachment).where(
            Attachment.owner_type == table, Attachment.owner_id == obj.id, Attachment.deleted.is_(True)
        )
    ):
        if _near(att.deleted_at, when):
            also["attachment"] = also.get("attachment", 0) + 1
            _undelete(att)


def table_of(session: Session, row_id: str) -> str:
    """The table holding the deleted record ``row_id`` (one query per tracked table until found).
    Raises NotFound when no deleted record has that id."""
    for name, model in tracked_models().items():
        if session.scalar(select(model.id).where(model.id == row_id, model.deleted.is_(True))) is not None:
            return name
    raise NotFound(f"回收站里找不到编号为 {row_id} 的记录（recycle list 列出可恢复的记录）。")


def restore(session: Session, table: str, row_id: str) -> Restored:
    require_role(session, Role.ADMIN, Role.EDITOR, what="从回收站恢复")
    model = tracked_models().get(table)
    if model is None:
        raise ValidationError("table", f"没有名为 {table} 的数据表。")
    obj = session.get(model, row_id)
    if obj is None:
        raise NotFound(f"回收站里找不到这条{table_label(table)}记录（{row_id}）。")
    if not obj.deleted:
        raise ValidationError("id", f"这条{table_label(table)}记录没有被删除，无需恢复。")
    for col, parent in _parent_links(model):
        parent_id = getattr(obj, col.key, None)
        owner = session.get(parent, parent_id) if parent_id else None
        if owner is not None and owner.deleted:
            raise ValidationError(
                "id",
                f"它所属的{table_label(parent.__tablename__)}（{_title(owner)}）也在回收站里，请先恢复那一条。",
            )
    if isinstance(obj, Attachment):
        owner_model = tracked_models().get(obj.owner_type)
        owner = session.get(owner_model, obj.owner_id) if owner_model else None
        if owner is not None and owner.deleted:
            raise ValidationError(
                "id", f"附件所属的{table_label(obj.owner_type)}也在回收站里，请先恢复那一条。"
            )
    also: dict[str, int] = {}
    when = obj.deleted_at
    _restore_children(session, table, obj, when, also)
    _undelete(obj)
    try:
        session.flush()
    except IntegrityError as exc:
        raise ValidationError(
            "id", f"无法恢复：已有相同编号或相同内容的{table_label(table)}记录，请先修改或删除那一条。"
        ) from exc
    return Restored(table, row_id, also)
