"""Opening the wrong file changes nothing: another program's SQLite file is refused untouched, an
empty file asks before it becomes a ledger, and read-only media open for viewing only."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

import main
from models import Member
from services import accounts
from services.db import DatabaseError, EmptyDatabaseFile, open_database
from services.errors import LedgerError
from tests.conftest import Builder
from tests.trust.conftest import PASSWORD, People


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_another_programs_sqlite_file_is_refused_without_touching_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "其他程序"
    folder.mkdir()
    other = folder / "contacts.db"
    with contextlib.closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE contact (name TEXT, phone TEXT)")
        conn.execute("INSERT INTO contact VALUES ('张三', '13800000000')")
        conn.commit()
    before = _digest(folder)
    with pytest.raises(DatabaseError, match="其他程序"):
        open_database(other)
    assert main.main(["--db", str(other), "member", "list"]) == 1
    assert "其他程序" in capsys.readouterr().err
    (folder / "notes.txt").write_text("不是数据库", encoding="utf-8")
    with pytest.raises(DatabaseError, match="不是支部台账"):
        open_database(folder / "notes.txt")
    assert {k: v for k, v in _digest(folder).items() if k != "notes.txt"} == before  # no WAL, no tables


def test_an_empty_file_asks_before_it_becomes_a_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "ledger.sqlite"
    empty.write_bytes(b"")
    with pytest.raises(EmptyDatabaseFile, match="新建"):
        open_database(empty)
    assert main.main(["--db", str(empty), "township", "add", "T01", "城关镇"]) == 1
    assert "--new-ledger" in capsys.readouterr().err
    assert empty.stat().st_size == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["ledger.sqlite"]
    assert main.main(["--db", str(empty), "--new-ledger", "township", "add", "T01", "城关镇"]) == 0
    assert "已新建乡镇" in capsys.readouterr().out


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_ledger_opens_for_viewing_only(
    db_path: Path, build: Builder, people: People, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _read_only_case(db_path, build, tmp_path, capsys)


def test_a_ledger_on_write_protected_media_opens_for_viewing_only(
    db_path: Path,
    build: Builder,
    people: People,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same as above where permissions cannot be tested (root): the media says "not writable"."""
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode, **kw: False if mode == os.W_OK else real_access(p, mode, **kw)
    )
    _read_only_case(db_path, build, tmp_path, capsys)


def _read_only_case(
    db_path: Path, build: Builder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build.branch(members=2)
    build.db.close()
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    folder = db_path.parent
    before = _digest(folder)
    for f in folder.iterdir():
        if f.is_file():
            f.chmod(0o444)
    folder.chmod(0o555)
    try:
        db = open_database(db_path)
        try:
            assert db.read_only
            with db.reader() as s:
                assert len(s.scalars(select(Member)).all()) == 2
            actor = accounts.login(db, "admin", PASSWORD)
            assert actor.role == "viewer"  # nothing can be changed here, whoever signs in
            with pytest.raises(LedgerError, match="只读"), db.transaction("admin"):
                pass
        finally:
            db.close()
        pw = tmp_path.parent / f"{tmp_path.name}-pw"
        pw.write_text(PASSWORD, encoding="utf-8")
        pw.chmod(0o600)
        base = ["--db", str(db_path), "--user", "admin", "--password-file", str(pw)]
        assert main.main([*base, "member", "list"]) == 0
        assert "共 2 人" in capsys.readouterr().out
        assert main.main([*base, "township", "add", "T09", "新镇"]) == 1
        assert "只读" in capsys.readouterr().err
    finally:
        folder.chmod(0o755)
        for f in folder.iterdir():
            if f.is_file():
                f.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert {k: v for k, v in _digest(folder).items() if k in before} == before
