"""A county import holds one package entry at a time: attachments are streamed to a staging file and
moved into the store at commit, so memory grows with the largest entry, not with the package."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from services.db import Database
from services.sync.crypto import new_sealer, x_public_raw
from services.sync.package import read_package
from services.sync.receiver import import_package
from services.sync.signing import b64
from tests.sync.conftest import craft

FILE_SIZE = 1 << 20  # each attachment: 1 MiB of incompressible bytes
FILES = 24  # 24 MiB of attachments in one package


def _attachment_rows(meeting: dict[str, Any], blobs: dict[str, bytes]) -> list[dict[str, Any]]:
    return [
        {
            **{k: meeting[k] for k in ("created_at", "updated_at", "created_by", "updated_by")},
            "id": f"0d0d0d0d-0000-4000-8000-{n:012d}",
            "deleted": False,
            "deleted_at": None,
            "row_seq": 1,
            "owner_type": "meeting",
            "owner_id": meeting["id"],
            "kind": "photo",
            "sha256": sha,
            "filename": f"照片{n}.png",
            "mime": "image/png",
            "size": len(data),
            "caption": "",
        }
        for n, (sha, data) in enumerate(blobs.items(), start=1)
    ]


def _peak_of_import(county: Database, path: Path, **kwargs: Any) -> int:
    tracemalloc.start()
    try:
        result = import_package(county, path, **kwargs)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status == "imported", result.message
    return peak


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_importing_many_attachments_holds_one_entry_at_a_time(
    make_town: Callable[..., Any], county: Database, usb: Path, encrypted: bool
) -> None:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    town = make_town("T01").enroll(county)
    opened = read_package(town.export(usb).path)
    rows = {n: opened.dicts(n) for n in opened.rows}
    county_key = X25519PrivateKey.generate() if encrypted else None
    sealer = new_sealer(b64(x_public_raw(county_key))) if county_key is not None else None
    first = craft(opened, usb / "first.ltpkg", town.key, rows=rows, sealer=sealer)
    assert import_package(county, first, county_key=county_key).status == "imported"

    # The next package: 24 attachment rows of a meeting the county has, with 24 MiB of files.
    blobs = {}
    for _ in range(FILES):
        data = b"\x89PNG\r\n\x1a\n" + os.urandom(FILE_SIZE - 8)
        blobs[hashlib.sha256(data).hexdigest()] = data
    nxt = opened.manifest.seq_to + 1
    attachments = _attachment_rows(rows["meeting"][0], blobs)
    listed = sorted(blobs)
    for row in attachments:
        row["row_seq"] = nxt

    def incremental(m: Any) -> None:
        m.seq_from = m.seq_to = nxt
        m.full = False
        m.attachments = listed

    opened.blobs = dict(blobs)
    heavy = craft(
        opened,
        usb / "heavy.ltpkg",
        town.key,
        rows={"attachment": attachments},
        edit=incremental,
        sealer=sealer,
    )
    opened.blobs = {}
    del blobs
    assert heavy.stat().st_size > FILES * FILE_SIZE

    peak = _peak_of_import(county, heavy, county_key=county_key)
    assert peak < 5 * FILE_SIZE, f"peak {peak >> 10} KiB for a package of {heavy.stat().st_size >> 10} KiB"

    from services.attachments import store_dir

    with county.reader() as s:
        store = store_dir(s)
    stored = sorted(p for p in store.rglob("*") if p.is_file())
    assert len(stored) == FILES and all(p.suffix == ".png" for p in stored)
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() == p.stem for p in stored)
