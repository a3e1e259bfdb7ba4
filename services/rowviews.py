"""Plain views of stored rows for screens and ``--json``: one reader (ORM row → dataclass, JSON text
columns decoded) and one JSON shape (each coded field followed by its Chinese ``_label``, UTC times
shown as ``_local``), shared by the county outbox, the township inbox and the sync conflicts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

from services import localtime

V = TypeVar("V")


def view_of(
    cls: type[V], row: object, *, attrs: Mapping[str, str] | None = None, decode: Iterable[str] = ()
) -> V:
    """``cls`` (a dataclass) filled from ``row``'s attributes of the same names; ``attrs`` maps a field to
    another attribute (``table`` ← ``table_name``), the fields in ``decode`` hold JSON text."""
    attrs = attrs or {}
    decoded = set(decode)
    values = {}
    for f in fields(cls):  # type: ignore[arg-type]
        value = getattr(row, attrs.get(f.name, f.name))
        values[f.name] = json.loads(value) if f.name in decoded else value
    return cls(**values)


def view_json(
    view: Any,
    *,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    local: Iterable[str] = (),
    utc: Iterable[str] = (),
    keys: Mapping[str, str] | None = None,
    **replaced: Any,
) -> dict[str, Any]:
    """The JSON of a view, field by field: ``replaced`` values instead of the view's, ``keys`` renames,
    ``<field>_label`` after each field of ``labels`` (code → label, the code itself when unknown),
    ``<field>_local`` (local time text) instead of each UTC time in ``local`` — kept too, as ISO ``…Z``,
    when also in ``utc``."""
    labels, keys, local_set, utc_set = labels or {}, keys or {}, set(local), set(utc)
    out: dict[str, Any] = {}
    for f in fields(view):
        value = replaced.pop(f.name, getattr(view, f.name))
        if f.name in local_set:
            if f.name in utc_set:
                out[f.name] = _iso_utc(value)
            out[f"{f.name}_local"] = localtime.show(value)
            continue
        out[keys.get(f.name, f.name)] = value
        if f.name in labels:
            out[f"{f.name}_label"] = labels[f.name].get(value, value)
    return out | replaced


def _iso_utc(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"
