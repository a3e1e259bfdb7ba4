"""Backups (rolling, to a folder) and restore (checked, old revisions upgraded, current DB kept)."""

from __future__ import annotations

import sqlite3
import stat
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models import AuditEntry, Member, Township
from services import audit, backup, org
from services.db import Database
from services.errors import LedgerError, PermissionDenied
from tests.conftest import Builder, fresh_database
from tests.trust.conftest import PASSWORD, People
from tests.trust.old_schema import make_old_database


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _townships(db: Database) -> list[str]:
    with db.reader() as s:
        return sorted(s.scalars(select(Township.code).where(Township.deleted.is_(False))))


def test_backup_to_a_folder_is_a_checked_owner_only_copy(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    build.branch(members=3)
    out = backup.backup_to(db, tmp_path / "U盘")
    assert out.parent == tmp_path / "U盘" and out.suffix == ".sqlite"
    assert _mode(out) == 0o600  # our file is private; the folder is the clerk's (test_leftovers.py)
    assert _mode(db.path) == 0o600  # type: ignore[arg-type]
    with sqlite3.connect(out) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM member").fetchone()[0] == 3
    assert not list(out.parent.glob("*.part"))


def test_rolling_automatic_backups_keep_the_newest_n(db: Database, build: Builder) -> None:
    build.branch()
    made = [backup.auto_backup(db, keep=3) for _ in range(5)]
    kept = backup.auto_backups(db)
    paths = sorted(m.path for m in made if m is not None)
    assert kept == sorted({paths[0], *paths[-3:]})  # the newest 3, and the state the day started from
    assert not backup.daily_due(db) and backup.daily_due(db, date(2099, 1, 1))
    assert all(_mode(p) == 0o600 for p in kept)


def test_restore_replaces_the_data_and_keeps_the_current_database(
    db: Database, build: Builder, tmp_path: Path, people: People
) -> None:
    build.township("T01", "甲镇")
    saved = backup.backup_to(db, tmp_path / "usb")
    with db.transaction("x") as s:
        org.create_township(s, "T02", "乙镇")
    result = backup.restore(db, saved, people.admin)
    assert _townships(db) == ["T01"]
    assert _mode(result.safety_copy) == 0o600
    with sqlite3.connect(result.safety_copy) as conn:  # the state before the restore is not lost
        assert {r[0] for r in conn.execute("SELECT code FROM township")} == {"T01", "T02"}
    with db.reader() as s:
        assert audit.verify(s).ok
        assert "backup_restored" in (
            s.scalar(select(AuditEntry.changes).order_by(AuditEntry.id.desc())) or ""
        )
    with db.transaction("x") as s:  # the database keeps working after the restore
        org.create_township(s, "T03", "丙镇")
    assert _townships(db) == ["T01", "T03"]


def test_a_corrupt_or_foreign_file_is_refused_and_nothing_changes(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    build.township("T01", "甲镇")
    good = backup.backup_to(db, tmp_path / "usb")
    damaged = tmp_path / "damaged.sqlite"
    data = bytearray(good.read_bytes())
    for i in range(4096 * 2, len(data), 512):
        data[i] ^= 0xFF
    damaged.write_bytes(bytes(data))
    text_file = tmp_path / "notes.sqlite"
    text_file.write_text("这不是数据库", encoding="utf-8")
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    for bad, words in (
        (damaged, "损坏|不是有效"),
        (text_file, "不是有效"),
        (other, "不是支部台账"),
        (tmp_path / "none.sqlite", "找不到"),
    ):
        with pytest.raises(backup.BackupError, match=words):
            backup.restore(db, bad)
    assert _townships(db) == ["T01"]


def test_a_backup_from_a_newer_version_is_refused(db: Database, build: Builder, tmp_path: Path) -> None:
    build.township()
    newer = backup.backup_to(db, tmp_path / "usb")
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(backup.BackupError, match="更新版本"):
        backup.restore(db, newer)


def test_a_backup_written_by_a_newer_app_version_is_refused(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    build.township()
    newer = backup.backup_to(db, tmp_path / "usb")
    with sqlite3.connect(newer) as conn:
        conn.execute("DELETE FROM db_meta WHERE key = 'app_version'")
        conn.execute("INSERT INTO db_meta (key, value) VALUES ('app_version', '99.0')")
    with pytest.raises(backup.BackupError, match="较新版本"):
        backup.restore(db, newer)
    assert _townships(db) == ["T01"]


def test_a_backup_at_the_first_revision_is_upgraded_when_restored(db: Database, tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite"
    ids = make_old_database(old, "0001")
    result = backup.restore(db, old)
    assert result.upgraded_from == "0001"
    with db.reader() as s:
        assert sorted(s.scalars(select(Member.id))) == sorted(ids["member"])
        assert audit.verify(s).ok


def test_cli_backup_and_restore(db: Database, db_path: Path, build: Builder, tmp_path: Path) -> None:
    from main import main

    build.township("T01", "甲镇")
    out = tmp_path / "copy.sqlite"
    assert main(["--db", str(db_path), "backup", str(out)]) == 0
    with db.transaction("x") as s:
        org.create_township(s, "T02", "乙镇")
    assert main(["--db", str(db_path), "restore", str(out)]) == 0
    assert _townships(db) == ["T01"]
    assert main(["--db", str(db_path), "restore", str(tmp_path / "missing.sqlite")]) == 1


def test_no_backup_for_a_non_sqlite_database() -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    engine = create_engine("sqlite://")
    fake = Database("sqlite://", engine, sessionmaker(engine))
    with pytest.raises(LedgerError, match="SQLite"):
        backup.backup_to(fake, Path("/tmp"))


def test_rotation_keeps_days_weeks_and_months_whatever_happens_on_one_day() -> None:
    start = datetime(2026, 1, 1, 9, 0)
    names = [start + timedelta(days=day) for day in range(400)]  # every day for more than a year …
    last_day = names[-1]
    names += [last_day + timedelta(minutes=run + 1) for run in range(30)]  # … then 30 runs in one day
    paths = [Path(f"ledger-auto-{t:%Y%m%d-%H%M%S}.sqlite") for t in names]
    kept = backup.backups_to_keep(paths, last_day + timedelta(hours=1), keep_newest=3)
    days = sorted({p.name.split("-auto-")[1][:8] for p in kept})
    recent = [(last_day - timedelta(days=d)).strftime("%Y%m%d") for d in range(7)]
    assert set(recent) <= set(days)  # each of the last 7 days
    assert len({d[:6] for d in days}) >= 12  # one a month for the last year
    month_ago = (last_day - timedelta(days=30)).strftime("%Y%m%d")
    assert len({datetime.strptime(d, "%Y%m%d").isocalendar()[:2] for d in days if d >= month_ago}) >= 5
    assert paths[399] in kept  # today's first copy: the state the day started from
    assert len(kept) < 35


def test_many_runs_on_one_day_leave_earlier_days_in_place(db: Database, build: Builder) -> None:
    build.branch()
    start = datetime(2026, 11, 20, 9, 0)
    for day in range(3):
        backup.auto_backup(db, keep=1, now=start + timedelta(days=day))
    for run in range(12):
        backup.auto_backup(db, keep=1, now=start + timedelta(days=3, minutes=run))
    days = sorted({p.name.split("-auto-")[1][:8] for p in backup.auto_backups(db)})
    assert days == ["20261120", "20261121", "20261122", "20261123"]
    assert len(backup.auto_backups(db)) == 5  # four days; today's first and newest


def test_a_viewer_cannot_make_or_prune_automatic_backups(
    db: Database, db_path: Path, build: Builder, people: People, tmp_path: Path
) -> None:
    build.branch()
    backup.auto_backup(db, keep=1, actor=people.editor)
    before = backup.auto_backups(db)
    with pytest.raises(PermissionDenied, match="查阅"):
        backup.auto_backup(db, keep=1, actor=people.viewer)
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD, encoding="utf-8")
    pw.chmod(0o600)
    import main

    argv = ["--db", str(db_path), "--user", "viewer", "--password-file", str(pw), "backup-auto"]
    assert main.main(argv) == 1
    assert backup.auto_backups(db) == before


def test_a_backup_without_accounts_needs_an_administrator_created_with_it(
    db: Database, db_path: Path, build: Builder, tmp_path: Path, people: People
) -> None:
    bare = tmp_path / "bare.sqlite"
    other = fresh_database(bare)  # a ledger never given accounts
    with other.transaction("x") as s:
        org.create_township(s, "T07", "无账号镇")
    other.close()
    build.township()
    assert backup.restore_needs(db, bare) == backup.RestoreNeeds(new_admin=True, log_problem="")
    with pytest.raises(LedgerError, match="没有任何账号"):
        backup.restore(db, bare, people.admin)
    assert _townships(db) == ["T01"]  # refused: nothing changed
    backup.restore(db, bare, people.admin, new_admin=backup.NewAdmin("boss", "long-enough-pw-1"))
    assert _townships(db) == ["T07"]
    from services import accounts

    assert accounts.login(db, "boss", "long-enough-pw-1").role == "admin"
    with db.reader() as s:
        assert "admin_created" in (
            s.scalar(select(AuditEntry.changes).where(AuditEntry.changes.like("%backup_restored%"))) or ""
        )


def test_a_backup_with_a_broken_log_needs_the_log_state_acknowledged(
    db: Database, build: Builder, tmp_path: Path, people: People
) -> None:
    build.township()
    saved = backup.backup_to(db, tmp_path / "usb")
    with sqlite3.connect(saved) as conn:
        conn.execute("UPDATE audit_log SET user = '别人' WHERE id = 1")
    conn.close()
    with db.transaction("x") as s:
        org.create_township(s, "T02", "乙镇")
    assert "第 1 条" in backup.restore_needs(db, saved).log_problem  # what the window asks about
    with pytest.raises(LedgerError, match="操作日志不完整"):
        backup.restore(db, saved, people.admin)
    assert _townships(db) == ["T01", "T02"]
    backup.restore(db, saved, people.admin, accept_broken_log=True)
    assert _townships(db) == ["T01"]
    with db.reader() as s:
        entry = s.scalar(select(AuditEntry.changes).where(AuditEntry.changes.like("%backup_restored%")))
    assert entry is not None and "log_state_acknowledged" in entry


def test_old_before_restore_copies_are_pruned_with_the_automatic_backups(
    db: Database, build: Builder
) -> None:
    build.branch()
    folder = backup.backups_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    stem = db.path.stem  # type: ignore[union-attr]
    now = datetime(2026, 11, 29, 9, 0)
    ages = [400, 200, 120, 100, 95, 30, 2]  # days
    made = [folder / f"{stem}-before-restore-{now - timedelta(days=d):%Y%m%d-%H%M%S}.sqlite" for d in ages]
    strange = folder / f"{stem}-before-restore-20261399-999999.sqlite"  # unreadable time: kept
    for p in [*made, strange]:
        p.write_bytes(b"copy")
    backup.auto_backup(db, keep=1, now=now)
    left = {p.name for p in folder.glob("*before-restore*")}
    # younger than 90 days (30, 2) and the three newest whatever their age (95, 30, 2); the rest go
    assert left == {made[4].name, made[5].name, made[6].name, strange.name}
