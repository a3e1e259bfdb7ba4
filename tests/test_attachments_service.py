"""Attachments: stored once by SHA-256, images checked, soft delete, CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import main
from services import attachments, meetings
from services.db import Database
from services.errors import ValidationError
from tests.conftest import TODAY, Builder

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def meeting_id(db: Database, build: Builder) -> str:
    branch = build.branch(members=3)
    with db.transaction("t") as s:
        data = meetings.MeetingInput(type="congress", held_on=TODAY, topics="学习")
        return meetings.create_meeting(s, branch.id, data, TODAY).id


def test_same_bytes_are_stored_once(db: Database, build: Builder, tmp_path: Path) -> None:
    mid = meeting_id(db, build)
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(PNG)
    b.write_bytes(PNG)
    with db.transaction("t") as s:
        first = attachments.store_file(s, "meeting", mid, a)
        second = attachments.store_file(s, "meeting", mid, b)
        stored = attachments.file_of(s, first)
        assert attachments.file_of(s, second) == stored
    assert stored.read_bytes() == PNG
    assert first.sha256 == hashlib.sha256(PNG).hexdigest()
    assert stored.parent.parent == db_dir(db) / "attachments"
    assert len(list((db_dir(db) / "attachments").rglob("*.png"))) == 1
    assert not list((db_dir(db) / "attachments").rglob("*.part"))


def db_dir(db: Database) -> Path:
    assert db.path is not None
    return db.path.parent


def test_non_image_photo_is_refused_and_nothing_written(db: Database, build: Builder, tmp_path: Path) -> None:
    mid = meeting_id(db, build)
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    with pytest.raises(ValidationError, match="不是可识别的图片"), db.transaction("t") as s:
        attachments.store_file(s, "meeting", mid, text)
    with db.reader() as s:
        assert attachments.list_attachments(s, "meeting", mid) == []


def test_missing_file_and_unknown_owner(db: Database, build: Builder, tmp_path: Path) -> None:
    mid = meeting_id(db, build)
    with pytest.raises(ValidationError, match="文件不存在"), db.transaction("t") as s:
        attachments.store_file(s, "meeting", mid, tmp_path / "nope.jpg")
    with pytest.raises(ValidationError, match="附件不能挂在"), db.transaction("t") as s:
        attachments.store_file(s, "invoice", mid, tmp_path / "nope.jpg")


def test_remove_is_a_soft_delete(db: Database, build: Builder, tmp_path: Path) -> None:
    mid = meeting_id(db, build)
    (tmp_path / "a.png").write_bytes(PNG)
    with db.transaction("t") as s:
        att = attachments.store_file(s, "meeting", mid, tmp_path / "a.png", "signin", "签到表")
    with db.transaction("t") as s:
        attachments.remove_attachment(s, att.id)
    with db.reader() as s:
        assert attachments.list_attachments(s, "meeting", mid) == []
        kept = s.get(attachments.Attachment, att.id)
        assert kept is not None and kept.deleted


def test_cli_attach_add_and_list(
    db: Database, db_path: Path, build: Builder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mid = meeting_id(db, build)
    photo = tmp_path / "会场.png"
    photo.write_bytes(PNG)
    assert main.main(["--db", str(db_path), "attach", "add", mid, str(photo)]) == 0
    assert main.main(["--db", str(db_path), "attach", "list", mid]) == 0
    out = capsys.readouterr().out
    assert "会场.png" in out and "共 1 个附件" in out
    assert main.main(["--db", str(db_path), "attach", "add", mid, str(tmp_path / "missing.jpg")]) == 1
    assert "文件不存在" in capsys.readouterr().err
