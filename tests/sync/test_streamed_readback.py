"""The exporter's read-back streams each table: the same checks as a full read, never a whole entry held."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from services.sync.errors import PackageInvalid, SyncError
from services.sync.package import entry_chunks, read_entry, read_package
from tests.sync.conftest import Town, resign
from tests.sync.test_bad_input import _rezip_with_bomb


@pytest.fixture
def town(make_town) -> Town:
    return make_town("T01")


@pytest.fixture
def pkg(town: Town, usb: Path) -> Path:
    return town.export(usb, full=True).path


def test_streamed_counts_match_a_full_read(pkg: Path) -> None:
    streamed = read_package(pkg, parse_rows=False)
    full = read_package(pkg)
    assert streamed.counts == {t: len(rows) for t, rows in full.rows.items() if rows}
    assert streamed.counts["member"] > 0 and streamed.package_id == full.package_id


def test_streamed_read_back_refuses_damage_and_bombs(town: Town, pkg: Path, usb: Path) -> None:
    data = pkg.read_bytes()
    with zipfile.ZipFile(pkg) as zf:
        info = zf.getinfo("data/member.jsonl")
        declared = info.file_size
    middle = info.header_offset + 30 + len(info.orig_filename) + info.compress_size // 2
    damaged = bytearray(data)
    damaged[middle] ^= 0x55
    pkg.write_bytes(bytes(damaged))
    with pytest.raises(SyncError):
        read_package(pkg, parse_rows=False)
    pkg.write_bytes(data)
    bomb = usb / "bomb.ltpkg"
    _rezip_with_bomb(pkg, bomb, "data/member.jsonl", 50_000_000, declared)
    resign(bomb, town.key)  # validly signed: only inflating can tell
    with pytest.raises(PackageInvalid, match="压缩炸弹"):
        read_package(bomb, parse_rows=False)


def test_entry_chunks_are_bounded_and_crc_checked(tmp_path: Path) -> None:
    body = b"".join(b'["%08d","\xe5\xbc\xa0\xe4\xb8\x89"]\n' % i for i in range(200_000))  # ~5 MB
    path = tmp_path / "one.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data/member.jsonl", body)
    with zipfile.ZipFile(path) as zf, path.open("rb") as fp:
        info = zf.infolist()[0]
        chunks = list(entry_chunks(fp, info, len(body), path))
        assert max(len(c) for c in chunks) <= 1 << 20 and len(chunks) > 3
        assert b"".join(chunks) == body == read_entry(fp, info, len(body), path)
        info.CRC ^= 1  # what the directory says no longer matches the bytes
        with pytest.raises(PackageInvalid, match="CRC"):
            for _ in entry_chunks(fp, info, len(body), path):
                pass


def test_export_spools_tables_next_to_the_database_and_leaves_nothing(town: Town, usb: Path) -> None:
    folder = town.db.path.parent if town.db.path else None
    assert folder is not None
    before = set(folder.iterdir())
    result = town.export(usb, full=True)
    assert set(folder.iterdir()) == before  # the spooled table files are gone
    assert read_package(result.path, parse_rows=False).counts == result.rows_by_table
    with pytest.raises(SyncError):
        town.export(usb / "missing", full=True)
    assert set(folder.iterdir()) == before
