"""Leftovers and leaks: half-written photos are cleaned at the next start, a backup into the clerk's
folder leaves that folder's permissions alone, and a 查阅 account's photo is refused before storing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from services import attachments, backup
from services.db import Database, open_database
from services.errors import PermissionDenied
from tests.conftest import Builder
from tests.trust.conftest import People, add_meeting


def _photo(path: Path) -> Path:
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"1" * 500)
    return path


def test_a_viewer_photo_is_refused_before_anything_is_stored(
    db: Database, db_path: Path, build: Builder, people: People, tmp_path: Path
) -> None:
    meeting_id = add_meeting(db, build.branch().id)
    db.actor = people.viewer
    with pytest.raises(PermissionDenied, match="查阅"), db.transaction() as s:
        attachments.store_file(s, "meeting", meeting_id, _photo(tmp_path / "合影.jpg"))
    store = db_path.parent / "attachments"
    assert not store.exists() or not any(p.is_file() for p in store.rglob("*"))


def test_a_half_written_photo_is_removed_at_the_next_start(db: Database, db_path: Path) -> None:
    half = db_path.parent / "attachments" / "ab" / ("ab" * 32 + ".jpg.part")
    half.parent.mkdir(parents=True)
    half.write_bytes(b"\xff\xd8")
    db.close()
    open_database(db_path).close()
    assert not half.exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_backup_to_a_chosen_folder_keeps_that_folders_permissions(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    build.township()
    usb = tmp_path / "U盘"
    usb.mkdir()
    usb.chmod(0o755)
    made = backup.backup_to(db, usb)
    assert stat.S_IMODE(usb.stat().st_mode) == 0o755  # the clerk's folder is theirs
    assert stat.S_IMODE(made.stat().st_mode) == 0o600  # our file is private
