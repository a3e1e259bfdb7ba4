"""What a county accepts from a package is decided exactly, whatever path the fast checks take.

The receiver proves whole columns at once (real calendar days and times by one regex over the
distinct values, free text clean by one pass, the JSON Lines decoded by msgspec); when a fast path
cannot prove a column or a chunk, the value-by-value path decides as it always did. These cases sit
on the edges of the fast paths: leap days, the last second of a day, a lone surrogate escape the
standard library accepts and msgspec does not, a blank line msgspec would skip.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from models import Meeting, Member
from services.db import Database
from services.sync.errors import PackageInvalid, PackageRejected
from services.sync.manifest import Manifest
from services.sync.package import OpenedPackage, read_package, write_package
from services.sync.receiver import import_package
from services.sync.signing import b64, key_id, public_raw
from tests.sync.conftest import craft, snapshot


def _refused(county: Database, path: Path, kind: type[Exception], *phrases: str) -> str:
    before = snapshot(county)
    with pytest.raises(kind) as info:
        import_package(county, path)
    message = str(getattr(info.value, "message", info.value))
    for phrase in phrases:
        assert phrase in message, message
    assert snapshot(county) == before  # nothing written
    return message


def _rows(opened: OpenedPackage) -> dict[str, list[dict[str, Any]]]:
    return {n: opened.dicts(n) for n in opened.rows}


def _raw_package(
    opened: OpenedPackage, path: Path, key: Ed25519PrivateKey, rows: dict[str, list[dict[str, Any]]],
    lines: Callable[[str, bytes], bytes],
) -> Path:  # fmt: skip
    """``rows`` written as a signed package whose JSON Lines ``lines(table, data)`` may rewrite
    byte for byte (what a hand-made or foreign writer could send; ``craft`` writes only clean JSON)."""
    m = opened.manifest
    manifest = Manifest(**{k: v for k, v in m.__dict__.items() if k not in ("entries", "encryption")})
    manifest.tables = {
        t: {"rows": len(r), "columns": list(m.tables[t]["columns"])} for t, r in rows.items() if r
    }
    payload: dict[str, bytes | Path] = {}
    for t, r in rows.items():
        if not r:
            continue
        cols = manifest.tables[t]["columns"]
        data = (
            "\n".join(json.dumps([x.get(c) for c in cols], ensure_ascii=False) for x in r) + "\n"
        ).encode()
        payload[f"data/{t}.jsonl"] = lines(t, data)
    payload.update({f"attachments/{sha}": blob for sha, blob in opened.blobs.items()})
    manifest.device_public_key = b64(public_raw(key))
    manifest.device_key_id = key_id(public_raw(key))
    write_package(path, manifest, payload, key)
    return path


@pytest.mark.parametrize(
    ("column", "value", "real"),
    [
        ("birth_date", "2024-02-29", True),  # a leap year
        ("birth_date", "2000-02-29", True),  # divisible by 400
        ("birth_date", "1900-02-29", False),  # divisible by 100, not by 400
        ("birth_date", "2026-04-31", False),
        ("birth_date", "2025-12-31", True),
        ("birth_date", "0000-01-01", False),  # no year 0
        ("created_at", "2024-02-29 23:59:59.999999", True),
        ("created_at", "2025-02-29 12:00:00.000000", False),
        ("created_at", "2024-03-01 24:00:00.000000", False),
        ("created_at", "2024-03-01 23:60:00.000000", False),
        ("created_at", "2024-03-01 23:59:60.000000", False),  # no leap second
    ],
)
def test_dates_and_times_at_the_edges_of_the_calendar_are_judged_exactly(
    make_town, county: Database, usb: Path, column: str, value: str, real: bool
) -> None:
    t = make_town("T01").enroll(county)
    opened = read_package(t.export(usb).path)
    rows = _rows(opened)
    member = rows["member"][-1]
    member[column] = value
    path = craft(opened, usb / "edge.ltpkg", t.key, rows=rows)
    if not real:
        _refused(county, path, PackageRejected, member["id"], column, value[:10], "不是真实存在的")
        return
    assert import_package(county, path).status == "imported"
    with county.reader() as s:
        got = getattr(s.get(Member, member["id"]), column)
    shown = got.isoformat(sep=" ", timespec="microseconds") if column == "created_at" else got.isoformat()
    assert shown == value


def test_a_lone_surrogate_escape_in_free_text_is_cleaned_as_before(
    make_town, county: Database, usb: Path
) -> None:
    """msgspec refuses ``"\\ud800"``; the standard library reads it and the text cleaning removes it,
    so such a package from an older writer is still received, its text clean."""
    t = make_town("T01").enroll(county)
    opened = read_package(t.export(usb).path)
    rows = _rows(opened)
    meeting = rows["meeting"][0]
    meeting["minutes"] = "会议纪要MARK完"
    path = _raw_package(
        opened, usb / "surrogate.ltpkg", t.key, rows, lambda _t, data: data.replace(b"MARK", b"\\ud800")
    )
    assert import_package(county, path).status == "imported"
    with county.reader() as s:
        assert s.scalars(select(Meeting.minutes).where(Meeting.id == meeting["id"])).one() == "会议纪要完"


def test_a_blank_line_between_rows_is_refused_naming_the_line_as_before(
    make_town, county: Database, usb: Path
) -> None:
    """msgspec skips blank lines; the format has one row per line, so the line is named and nothing
    is written."""
    t = make_town("T01").enroll(county)
    opened = read_package(t.export(usb).path)
    rows = _rows(opened)
    path = _raw_package(
        opened,
        usb / "blank.ltpkg",
        t.key,
        rows,
        lambda table, data: data.replace(b"\n", b"\n\n", 1) if table == "member" else data,
    )
    _refused(county, path, PackageInvalid, "member", "无效的 JSON", "行附近")


def test_two_rows_on_one_line_are_refused_as_before(make_town, county: Database, usb: Path) -> None:
    t = make_town("T01").enroll(county)
    opened = read_package(t.export(usb).path)
    rows = _rows(opened)
    path = _raw_package(
        opened,
        usb / "joined.ltpkg",
        t.key,
        rows,
        lambda table, data: data.replace(b"\n", b" ", 1) if table == "member" else data,
    )
    _refused(county, path, PackageInvalid, "member", "无效的 JSON")
