"""Upgrades are all-or-nothing, keep one good pre-upgrade backup, and a file that cannot be opened
can be swapped for a backup without opening it; a restore always reaches the audit log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

import main
from models import AuditEntry
from services import backup
from services import db as dbmod
from services.db import head_revision, open_database
from services.errors import DatabaseError
from tests.trust.old_schema import make_old_database


def _revision(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def _names(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return sorted(r[0] for r in conn.execute("SELECT name FROM member"))


def _dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


def _break_migrations(monkeypatch: pytest.MonkeyPatch) -> None:
    real = dbmod._migrate_connection

    def half_then_fail(conn: object, dialect: str) -> None:
        real(conn, dialect)  # type: ignore[arg-type]  # every step applied to the work copy …
        raise OSError(28, "No space left on device")  # … then the disk fills up

    monkeypatch.setattr(dbmod, "_migrate_connection", half_then_fail)


def test_a_failed_upgrade_leaves_the_file_untouched_and_no_copies_pile_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.sqlite"
    make_old_database(path, "0001")
    before = _dump(path)
    _break_migrations(monkeypatch)
    for _attempt in range(3):
        with pytest.raises(DatabaseError, match="没有被改动"):
            open_database(path)
    assert _dump(path) == before and _revision(path) == "0001"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backups", "ledger.sqlite"]
    assert list((tmp_path / "backups").iterdir()) == []  # no copy per failed start, no .part

    monkeypatch.undo()
    db = open_database(path)  # the next, healthy start upgrades it
    db.close()
    assert _revision(path) == head_revision() and len(_names(path)) == 5
    kept = list((tmp_path / "backups").iterdir())
    assert [p.name for p in kept] == ["ledger-before-upgrade.sqlite"]
    assert _revision(kept[0]) == "0001" and len(_names(kept[0])) == 5


def test_upgrade_leftovers_of_a_killed_start_are_removed_at_the_next_start(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    make_old_database(path, "0001")
    (tmp_path / "ledger.sqlite.upgrade-work").write_bytes(b"half")
    (tmp_path / "backups").mkdir()
    (tmp_path / "backups" / "ledger-before-upgrade.sqlite.part").write_bytes(b"half")
    (tmp_path / "backups" / "ledger-auto-20261101-100000.sqlite.part").write_bytes(b"half")
    open_database(path).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backups", "ledger.sqlite"]
    assert [p.name for p in (tmp_path / "backups").iterdir()] == ["ledger-before-upgrade.sqlite"]


def test_a_file_that_cannot_open_is_swapped_for_the_backup_without_opening_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ledger.sqlite"
    make_old_database(path, "0001")
    open_database(path).close()
    keep = dbmod.pre_upgrade_backup(path)
    path.write_bytes(b"\0" * 4096)  # damaged beyond opening
    with pytest.raises(DatabaseError, match="without-opening"):
        open_database(path)
    code = main.main(["--db", str(path), "restore", str(keep), "--without-opening"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "已从" in out and "另存" in out
    aside = list((tmp_path / "backups").glob("ledger-replaced-*.sqlite"))
    assert len(aside) == 1 and aside[0].read_bytes() == b"\0" * 4096  # the damaged file is kept
    db = open_database(path)
    try:
        with db.reader() as s:
            events = s.scalars(select(AuditEntry.changes).where(AuditEntry.action == "event")).all()
        assert any("backup_restored" in str(c) for c in events)
    finally:
        db.close()
    assert len(_names(path)) == 5


def test_a_restore_killed_right_after_the_swap_is_still_logged_at_the_next_start(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    db = open_database(path)
    db.close()
    copy = tmp_path / "copy.sqlite"
    backup.snapshot(path, copy)
    backup._mark_restore(copy, {"file": "u盘/备份.sqlite", "by": "admin"})
    copy.replace(path)  # the swap happened; the process died before writing its audit entry
    db = open_database(path)
    try:
        with db.reader() as s:
            rows = s.execute(select(AuditEntry.user, AuditEntry.changes)).all()
        assert [r.user for r in rows if "backup_restored" in str(r.changes)] == ["admin"]
        assert backup.record_pending_restore(db) is False  # logged exactly once
    finally:
        db.close()
