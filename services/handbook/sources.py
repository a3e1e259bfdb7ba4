"""Record sources a pack may name: every ORM table that belongs to a branch, directly or through a parent.

A pack says ``source = "meeting"`` and ``columns``/``filter``/``date_field`` by column name; this module
checks those names against the real schema (so a typo is a load error, not a silent empty ledger) and
knows the closed code sets of the enum columns (so ``type = "comittee"`` is refused too).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Column, Date, Table

import models
from models.enums import LABELS
from services.ledgers.schema import coded

# Columns every tracked table has; packs never need them.
_INTERNAL = {"created_at", "updated_at", "created_by", "updated_by", "deleted", "deleted_at", "row_seq"}


@dataclass(frozen=True)
class Source:
    """A table reachable from a branch: directly (``branch_id``) or via one foreign key to such a table."""

    name: str
    table: Table
    via: str | None = None  # FK column to the parent table that holds branch_id
    parent: Table | None = None

    @property
    def fields(self) -> list[str]:
        return [c.name for c in self.table.columns if c.name not in _INTERNAL]

    @property
    def filter_fields(self) -> list[str]:
        """Own fields, plus ``parent.field`` for a source reached through a parent (attendance → meeting)."""
        out = self.fields
        if self.parent is not None:
            out = out + [
                f"{self.parent.name}.{c.name}" for c in self.parent.columns if c.name not in _INTERNAL
            ]
        return out

    def column(self, name: str) -> Column[object]:
        table, _, col = name.rpartition(".")
        if table and self.parent is not None and table == self.parent.name:
            return self.parent.columns[col]
        return self.table.columns[name]

    def date_fields(self) -> list[str]:
        return [f for f in self.filter_fields if isinstance(self.column(f).type, Date)]

    def codes(self, field: str) -> list[str] | None:
        enum = self.enum(field)
        return list(LABELS[enum]) if enum else None

    def enum(self, field: str) -> str | None:
        """Name of the LABELS table of a coded field (its values are shown through it)."""
        table, _, col = field.rpartition(".")
        enum = coded(table or self.name, col)
        return enum if enum in LABELS else None


@cache
def sources() -> dict[str, Source]:
    """Every table a pack may name (computed once: the schema does not change while running)."""
    tables = models.Base.metadata.tables
    out: dict[str, Source] = {}
    for name, table in tables.items():
        if "branch_id" in table.columns:
            out[name] = Source(name, table)
    for name, table in tables.items():
        if name in out:
            continue
        for col in table.columns:
            for fk in col.foreign_keys:
                parent = fk.column.table
                if parent.name in out and out[parent.name].via is None and col.name != "member_id":
                    out[name] = Source(name, table, via=col.name, parent=parent)
                    break
            if name in out:
                break
    return out


def section_field(records: str, name: str) -> str | None:
    """The table field a ledger section on ``records`` reads for ``name``.

    On a table a ledger declares (``services.ledgers.catalog.declared_columns``), ``name`` is one of the
    declared column keys (``name`` → ``member_id`` for 组织关系转接); an older pack's table field that a
    declared column reads (``member_id``) is still accepted as itself. Other fields of such a table are
    refused (None), so a pack and the screens, forms and Excel speak of the same columns. On tables no
    ledger declares (党员, 会议记录 …) and for ``parent.field`` names the table field is the name.
    ``-`` in front (newest first, ``order_by``) is kept."""
    from services.ledgers.catalog import declared_columns

    sign, bare = ("-", name[1:]) if name.startswith("-") else ("", name)
    declared = declared_columns(records)
    if declared is None or "." in bare:
        return name
    if bare in declared:
        return sign + declared[bare]
    return name if bare in declared.values() else None


def declared_keys(records: str) -> list[str] | None:
    """The declared column keys a section on ``records`` may name (None: the table's fields)."""
    from services.ledgers.catalog import declared_columns

    declared = declared_columns(records)
    return None if declared is None else list(declared)


def meeting_types() -> list[str]:
    return list(LABELS["MeetingType"])


def meeting_type_label(code: str) -> str:
    return LABELS["MeetingType"].get(code, code)
