"""Files the app writes — database, backups, attachments — are readable by their owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.trust.conftest import add_meeting

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def restore_umask() -> Iterator[None]:
    old = os.umask(0o022)  # what a desktop session usually has
    os.umask(old)
    yield
    os.umask(old)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_database_backups_and_attachments_written_by_the_app_are_owner_only(
    tmp_path: Path, restore_umask: None
) -> None:
    from main import main
    from services.db import open_database
    from tests.conftest import Builder

    os.umask(0o022)
    folder = tmp_path / "data"
    db_path = folder / "ledger.sqlite"
    assert main(["--db", str(db_path), "township", "add", "T01", "城关镇"]) == 0  # main() sets the umask
    db = open_database(db_path)
    try:
        build = Builder(db)
        build.township_id = build.township("T02", "河西镇")
        branch = build.branch(members=2)
        meeting_id = add_meeting(db, branch.id)
    finally:
        db.close()
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    assert main(["--db", str(db_path), "attach", "add", meeting_id, str(photo)]) == 0
    assert main(["--db", str(db_path), "backup", str(tmp_path / "usb")]) == 0
    assert main(["--db", str(db_path), "backup-auto"]) == 0

    written = [db_path, *folder.glob("ledger.sqlite-*"), *(tmp_path / "usb").iterdir()]
    written += [p for p in (folder / "attachments").rglob("*") if p.is_file()]
    written += list((folder / "backups").iterdir())
    assert len(written) >= 4  # database, copy on the stick, photo, rolling backup
    for path in written:
        assert _mode(path) == 0o600, path
    for path in [folder / "attachments", folder / "backups", tmp_path / "usb"]:
        assert _mode(path) == 0o700, path
