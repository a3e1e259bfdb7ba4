"""接收 of a folder, bad input: nothing there, not a folder, damaged files, a 查阅 account."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from models import AuditEntry
from services.county.access import REFUSED_EVENT
from services.county.mode import init_county
from services.county.receive import package_files, receive
from services.db import Database
from services.errors import PermissionDenied
from services.roles import Actor
from services.sync.errors import SyncError
from tests.sync.conftest import snapshot


def test_a_missing_folder_or_one_without_packages_is_named_and_nothing_is_written(
    db: Database, tmp_path: Path
) -> None:
    init_county(db)
    before = snapshot(db)
    with pytest.raises(SyncError, match="找不到文件夹"):
        receive(db, tmp_path / "no-such-stick")
    stick = tmp_path / "stick"
    stick.mkdir()
    (stick / "照片.jpg").write_bytes(b"\xff\xd8\xff")
    (stick / "T01_abcd_ack_5_20261124-100000.ltack").write_text("{}", encoding="utf-8")
    with pytest.raises(SyncError, match="没有同步包"):
        receive(db, stick)
    assert snapshot(db) == before


def test_a_damaged_package_is_one_refused_line_and_the_rest_of_the_folder_is_still_read(
    db: Database, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    (stick / "T01_0123abcd_1-9_20261124-100000.ltpkg").write_bytes(b"PK\x03\x04 not really a package")
    (stick / "T02_4567ef01_1-9_20261124-100000.ltpkg").write_bytes(b"random bytes")
    (stick / "readme.txt").write_text("x", encoding="utf-8")
    assert [p.name[:3] for p in package_files(stick)] == ["T01", "T02"]
    init_county(db)
    before = snapshot(db)
    seen: list[tuple[int, int]] = []
    receipt = receive(db, stick, progress=lambda done, total, _name: seen.append((done, total)))
    assert [r.status for r in receipt.packages] == ["rejected", "rejected"]
    assert all(r.message and r.file_name.endswith(".ltpkg") for r in receipt.packages)
    assert [r.file_name for r in receipt.results if r.status == "skipped"] == ["readme.txt"]
    assert receipt.acks == [] and "未导入 2 个" in receipt.summary()
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    after = snapshot(db)
    assert after.pop("audit_log") == before.pop("audit_log") + 2  # the receive and its result, logged
    assert after == before  # no record of the damaged packages


def test_a_viewer_cannot_receive_and_the_attempt_is_logged(db: Database, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    db.actor = Actor("chayue", "viewer")
    with pytest.raises(PermissionDenied, match="接收同步包"):
        receive(db, stick)
    with db.reader() as s:
        logged = s.scalars(select(AuditEntry.changes).where(AuditEntry.user == "chayue")).all()
    assert any(REFUSED_EVENT in c and "接收同步包" in c for c in logged)


def test_a_package_file_given_instead_of_its_folder_is_named_as_a_file(db: Database, tmp_path: Path) -> None:
    init_county(db)
    package = tmp_path / "T01_0123abcd_1-9_20261124-100000.ltpkg"
    package.write_bytes(b"PK")
    with pytest.raises(SyncError, match="是一个文件，不是文件夹"):
        receive(db, package)
