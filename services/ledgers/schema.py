"""The kind of every stored column a pack may name: the one map of enum-coded columns and the rules
that turn a table column into a column kind (``_fen`` → money, Date → date, ``YYYY-MM`` text → month…).

Nothing here is written per table: ``CODED`` (which enum a column's codes belong to) and
``TABLE_LABELS`` (what a clerk calls a table's records) are computed from the ledger declarations
(``services.ledgers.catalog``: choice columns, listing titles) and, for tables no ledger lists, from the
models (``info={"enum": …}`` on a column, ``__label__`` on the class).

A pack's ``records = …`` section names the declared column keys of a declared table's ledger (turned
into the table columns they read by ``services.handbook.sources.section_field``), or the table columns
of other tables; the reader (``services.handbook.ledgers``) asks ``column_kind`` how to show and export
each of them, the pack check asks ``coded`` which codes a filter
may use. Codes repeat across enums ("committee" is a meeting type and a branch kind), so the column, not
the code, decides which label applies.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Boolean, Column, Date, DateTime, Integer, String

from services.ledgers import kinds
from services.ledgers.kinds import Choice, Kind


@cache
def _coded() -> dict[tuple[str, str], str]:
    """(table, column) → LABELS enum: the choice columns of the declared ledgers (``catalog``), then the
    ``info={"enum": …}`` of model columns no ledger lists (meeting type, member status …)."""
    import models
    from services.ledgers.catalog import LISTINGS

    out: dict[tuple[str, str], str] = {}
    for listing in LISTINGS.values():
        out.update(listing.coded())
    for table in models.Base.metadata.tables.values():
        for col in table.columns:
            if "enum" in col.info:
                out.setdefault((table.name, col.name), col.info["enum"])
    return out


@cache
def _table_labels() -> dict[str, str]:
    """Table → what a clerk calls its records: the title of the declared ledger listing it, else the
    model's ``__label__`` (tables no ledger lists: 党员, 会议记录, 同步冲突 …)."""
    import models
    from services.ledgers.catalog import LISTINGS

    out = {lst.model.__tablename__: lst.title for lst in LISTINGS.values() if lst.model is not None}
    for mapper in models.Base.registry.mappers:
        cls = mapper.class_
        label = getattr(cls, "__label__", None)
        if label:
            out.setdefault(cls.__tablename__, label)
    return out


def __getattr__(name: str) -> Any:
    """``CODED`` and ``TABLE_LABELS`` are computed from the declarations on first use (the catalog
    imports this module, so they cannot be built while it loads)."""
    if name == "CODED":
        return _coded()
    if name == "TABLE_LABELS":
        return _table_labels()
    raise AttributeError(name)


def table_label(table: str) -> str:
    """What a clerk calls the records of ``table`` (the table name itself when unknown)."""
    return _table_labels().get(table, table)


# Foreign keys shown by the name of the row they point to: column → table holding ``name``.
NAMED: dict[str, str] = {
    "member_id": "member",
    "talker_id": "member",
    "introducer1_id": "member",
    "introducer2_id": "member",
    "branch_id": "branch",
    "party_group_id": "party_group",
}


def coded(table: str, column: str) -> str | None:
    """Name of the LABELS table of a coded column, or None."""
    return _coded().get((table, column))


def column_kind(table: str, col: Column[object]) -> Kind:
    """The kind of a stored column, from the coded map, its name and its SQL type."""
    enum = coded(table, col.name)
    if enum is not None:
        return Choice(enum)
    if col.name in NAMED:
        return kinds.MEMBER if NAMED[col.name] == "member" else kinds.TEXT
    if col.name.endswith("_fen"):
        return kinds.MONEY
    if col.name == "minutes":
        return kinds.INT
    if isinstance(col.type, Boolean):
        return kinds.BOOL
    if isinstance(col.type, Date | DateTime):
        return kinds.DATE
    if isinstance(col.type, Integer):
        return kinds.INT
    if col.name == "month" and isinstance(col.type, String) and col.type.length == 7:
        return kinds.MONTH
    return kinds.TEXT
