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


def _many_talks(town: Any, usb: Path, copies: int) -> tuple[Path, int]:
    """A full package whose 谈心谈话 table is ``copies`` times the township's (new ids, same
    references): tens of thousands of rows from a small demo township."""
    import uuid

    opened = read_package(town.export(usb, full=True).path)
    rows = {n: opened.dicts(n) for n in opened.rows}
    talks = rows["heart_talk"]
    rows["heart_talk"] = talks + [
        t | {"id": str(uuid.UUID(int=(n << 16) + k)), "notes": f"第 {n} 次谈话记录：" + "谈心内容" * 40}
        for n in range(1, copies)
        for k, t in enumerate(talks)
    ]
    path = craft(opened, usb / "many.ltpkg", town.key, rows=rows)
    return path, len(rows["heart_talk"])


def test_a_package_larger_than_the_memory_budget_is_spilled_and_imported_whole(
    make_town: Callable[..., Any], county: Database, usb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows past the budget wait in a spill file read back block by block: the county gets every row,
    the spill file is gone afterwards, and the import holds far less than the parsed package."""
    from sqlalchemy import func, select

    from models import HeartTalk
    from services.sync import package as pkg

    town = make_town("T01").enroll(county)
    path, talks = _many_talks(town, usb, 200)
    tracemalloc.start()
    try:
        whole = read_package(path)  # every row in memory: what the import used to hold
        _now, held_whole = tracemalloc.get_traced_memory()
        rows = sum(map(len, whole.rows.values()))
        del whole
    finally:
        tracemalloc.stop()
    monkeypatch.setattr(pkg, "BLOCK_ROWS", 1000)
    monkeypatch.setattr(pkg, "MEMORY_ROWS", 2000)
    spilled: list[int] = []
    closing = pkg.RowStore.close

    def close(self: pkg.RowStore) -> None:
        spilled.append(self.spilled)
        closing(self)

    monkeypatch.setattr(pkg.RowStore, "close", close)
    peak = _peak_of_import(county, path)
    assert spilled and spilled[0] > rows - 2000 - 1000 * 25
    # The yardstick is the package parsed whole by ``read_package``; since its lines are decoded by
    # msgspec it holds 8 % less than with the standard library's decoder (28,308 → 25,926 KiB here)
    # while the import's own peak is unchanged (PostgreSQL 13,135 KiB before and after), hence 0.55.
    assert peak < held_whole * 0.55, (
        f"import peak {peak >> 10} KiB, the parsed package {held_whole >> 10} KiB"
    )
    with county.reader() as s:
        assert s.scalar(select(func.count()).select_from(HeartTalk)) == talks
        from services.attachments import store_dir

        incoming = store_dir(s) / ".incoming"
    assert not any(incoming.rglob("rows.spill"))


def test_a_bad_value_in_a_spilled_block_refuses_the_package_and_writes_nothing(
    make_town: Callable[..., Any], county: Database, usb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks run on every block, also those read back from the spill file: the last meeting
    row's impossible date is found, named, and nothing of the package is written."""
    from services.sync import package as pkg
    from services.sync.errors import PackageRejected
    from tests.sync.conftest import snapshot

    town = make_town("T01").enroll(county)
    opened = read_package(town.export(usb, full=True).path)
    rows = {n: opened.dicts(n) for n in opened.rows}
    bad = rows["meeting"][-1]
    bad["held_on"] = "2026-02-31"
    path = craft(opened, usb / "bad.ltpkg", town.key, rows=rows)
    monkeypatch.setattr(pkg, "BLOCK_ROWS", 100)
    monkeypatch.setattr(pkg, "MEMORY_ROWS", 100)
    before = snapshot(county)
    with pytest.raises(PackageRejected, match=f"{bad['id']}.*2026-02-31"):
        import_package(county, path)
    assert snapshot(county) == before


def test_change_numbers_stay_contiguous_when_some_rows_are_unchanged(
    make_town: Callable[..., Any], county: Database, usb: Path
) -> None:
    """A full package sent again after an edit writes only the changed rows; the change numbers it
    used form one block and the counter keeps no gap (the unused reservation is given back)."""
    from sqlalchemy import text

    from models import Member, SyncReceived

    town = make_town("T01").enroll(county)
    assert import_package(county, town.export(usb).path).status == "imported"
    with town.db.transaction("clerk") as s:
        member = s.query(Member).first()
        assert member is not None
        member.phone = "13800000000"
    again = import_package(county, town.export(usb, full=True).path)
    assert again.status == "imported" and again.rows_written == 1, again.message
    with county.reader() as s:
        last = s.execute(
            text("SELECT county_seq_from, county_seq_to FROM sync_received ORDER BY received_at DESC LIMIT 1")
        ).one()
        counter = s.execute(text("SELECT value FROM change_counter")).scalar_one()
        assert s.query(SyncReceived).count() == 2
    assert last[0] == last[1] and counter >= last[1]
    assert counter - last[1] <= 2  # no reservation for the unchanged rows left behind
