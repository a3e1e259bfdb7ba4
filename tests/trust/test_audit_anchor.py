"""The 操作日志 against whoever holds the file: truncation and deletion are caught inside the file
(db_meta anchor), and a full rewrite with recomputed hashes is caught by anchors kept outside it
(automatic backups, the booklet cover, given anchors). A deleted head row locks nobody out."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

import main
from models import AuditEntry, AuditHead
from services import accounts, audit, backup, org
from services.db import Database
from tests.trust.conftest import PASSWORD, People


def _write(db: Database, n: int, user: str = "录入员") -> None:
    for i in range(n):
        with db.transaction(user) as s:
            org.create_township(s, f"T{i:02d}{user[:1]}", f"镇{i}{user}")


def _verify(db: Database) -> audit.VerifyResult:
    with db.reader() as s:
        return audit.verify(s)


def _raw(db_path: Path, *sql: str) -> None:
    with sqlite3.connect(db_path) as conn:
        for statement in sql:
            conn.execute(statement)


def test_deleting_the_last_entries_and_fixing_the_head_is_detected(db: Database, db_path: Path) -> None:
    _write(db, 5)
    with db.reader() as s:
        keep = s.execute(select(AuditEntry.id, AuditEntry.hash).where(AuditEntry.id == 3)).one()
    _raw(
        db_path,
        "DELETE FROM audit_log WHERE id > 3",
        f"UPDATE audit_head SET last_id = 3, last_hash = '{keep.hash}'",
    )
    result = _verify(db)
    assert not result.ok and "第 4 条到第 5 条不见了" in result.message


def test_deleting_every_entry_and_the_head_is_detected(db: Database, db_path: Path) -> None:
    _write(db, 3)
    _raw(db_path, "DELETE FROM audit_log", "DELETE FROM audit_head")
    result = _verify(db)
    assert not result.ok and "不见了" in result.message


def test_deleting_only_the_head_row_locks_nobody_out(db: Database, db_path: Path, people: People) -> None:
    _write(db, 2)
    _raw(db_path, "DELETE FROM audit_head")
    result = _verify(db)
    assert not result.ok and "链头记录" in result.message  # reported, in plain words
    assert accounts.login(db, "viewer", PASSWORD).role == "viewer"  # login bookkeeping still writes
    assert accounts.login(db, "admin", PASSWORD).role == "admin"
    _write(db, 1, "管理员")  # and saving continues the chain from its last entry
    assert _verify(db).ok
    with db.reader() as s:
        assert s.execute(select(AuditHead.last_id)).scalar_one() == audit.anchor(s)[0]


def test_a_full_rewrite_with_recomputed_hashes_is_caught_by_an_outside_anchor(
    db: Database, db_path: Path
) -> None:
    _write(db, 4)
    with db.reader() as s:
        printed = audit.anchor(s)  # e.g. on a booklet cover, or in the last sync package
    assert printed[0] >= 4 and len(printed[1]) == 64
    # Whoever holds the file rewrites entry 2 and recomputes every hash after it, head and db_meta.
    with db.transaction("x") as s:
        s.info["audit_off"] = True
        rows = s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
        prev = ""
        for row in rows:
            if row.id == 2:
                row.user = "别人"
            data = {c: getattr(row, c) for c in ("id", "at", "user", "action", "table_name", "row_id")}
            data |= {"changes": row.changes, "tx": row.tx, "prev_hash": prev}
            row.prev_hash, row.hash = prev, audit.entry_hash(prev, data)
            prev = row.hash
        s.flush()
        s.execute(update(AuditHead).values(last_hash=prev))
        audit._store_anchor(s.connection(), rows[-1].id, prev)
    assert _verify(db).ok  # inside the file nothing can tell — this is why anchors live outside it
    with db.reader() as s:
        result = audit.check_anchor(s, printed[0], printed[1], "台账封面 ")
    assert not result.ok and "改写" in result.message


def test_audit_verify_checks_automatic_backups_and_given_anchors(
    db: Database, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(db, 3)
    made = backup.auto_backup(db, keep=3)
    assert made is not None and made.warnings == ()
    with db.reader() as s:
        number, digest = audit.anchor(s)
    code = main.main(["--db", str(db_path), "audit", "verify", "--anchor", f"{number}:{digest}"])
    out = capsys.readouterr().out
    assert code == 0 and "不通过" not in out and made.path.name in out

    with db.transaction("x") as s:  # shortened by hand: every trace inside the file fixed up
        s.execute(delete(AuditEntry).where(AuditEntry.id >= number - 1))
        last = s.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc())).first()
        assert last is not None
        s.execute(update(AuditHead).values(last_id=last.id, last_hash=last.hash))
        audit._store_anchor(s.connection(), last.id, last.hash)
    code = main.main(["--db", str(db_path), "audit", "verify", "--anchor", f"{number}:{digest}"])
    out = capsys.readouterr().out
    assert code == 1
    assert "截短" in out and made.path.name in out  # the backup's chain is no longer a prefix
    assert backup.auto_backup(db, keep=3).warnings  # and the next automatic backup says so too


def test_a_bad_anchor_on_the_command_line_names_the_field(
    db_path: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main(["--db", str(db_path), "audit", "verify", "--anchor", "封面上的字"]) == 1
    assert "日志锚点" in capsys.readouterr().err
