"""Crash safety: processes saving, upgrading, backing up and restoring are killed with SIGKILL at
random moments (more than 50 kills in all); afterwards the database is intact, every record reported
saved is there, the next start leaves no orphan copies, and the audit log is complete."""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from models import AuditEntry, Member
from services import audit, backup, org
from services.db import Database, head_revision, open_database
from tests.conftest import Builder
from tests.trust.old_schema import make_old_database

CHILD = Path(__file__).with_name("crash_child.py")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")]


class Killer:
    """Drives crash_child.py: starts a worker, lets it run, kills it, collects what it printed."""

    def __init__(self, db_path: Path, branch_id: str = "-") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(db_path), branch_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def _send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def round(self, command: str, delay: float, *, wait_first: bool = False) -> list[str]:
        """Run ``command`` in a fresh worker, SIGKILL it after ``delay`` s; return its printed lines."""
        self._send(command)
        first = self._line().split()
        assert first[0] == "pid", first
        pid = int(first[1])
        printed = [self._line()] if wait_first else []  # the worker is inside its next step now
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        self._send(f"reap {pid}")
        while (out := self._line()) != f"dead {pid}":
            printed.append(out)
        return printed

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20261129)


def _integrity(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def _check_log(db: Database) -> set[str]:
    with db.reader() as s:
        present = set(s.scalars(select(Member.id)))
        logged = set(s.scalars(select(AuditEntry.row_id).where(AuditEntry.table_name == "member")))
        assert present <= logged  # every saved member has its audit entry, from the same commit
        assert audit.verify(s).ok
    return present


@pytest.fixture
def killer_for(db_path: Path) -> Iterator[list[Killer]]:
    made: list[Killer] = []
    yield made
    for k in made:
        k.close()


def test_killed_writers_lose_nothing_they_reported(
    db: Database, db_path: Path, build: Builder, rng: random.Random, killer_for: list[Killer]
) -> None:
    branch_id = build.branch(code="B01").id
    db.close()
    killer = Killer(db_path, branch_id)
    killer_for.append(killer)
    reported: set[str] = set()
    for round_no in range(30):  # services saving, one transaction per member
        lines = killer.round(f"go {round_no * 10_000}", rng.uniform(0.0, 0.05), wait_first=True)
        reported |= {x for x in lines if len(x) == 36}
    cli_reported: set[str] = set()
    for round_no in range(10):  # the command line: it prints the id only after the commit
        lines = killer.round(f"cli {500_000 + round_no * 10_000} B01", rng.uniform(0.3, 1.2))
        cli_reported |= {m[1] for x in lines if (m := re.search(r'"id": "([0-9a-f-]{36})"', x))}  # --json
    # However loaded the machine, one more command is killed only after it has reported a save.
    lines = killer.round(f"cli {600_000} B01", rng.uniform(0.3, 1.2), wait_first=True)
    cli_reported |= {m[1] for x in lines if (m := re.search(r'"id": "([0-9a-f-]{36})"', x))}
    # Every writer round waited for its first save, so each of the 30 saw at least one.
    assert len(reported) >= 30 and cli_reported  # the writers really were saving when killed
    assert _integrity(db_path) == "ok"
    db = open_database(db_path)
    try:
        present = _check_log(db)
        assert reported | cli_reported <= present
    finally:
        db.close()


def test_killed_upgrades_leave_the_old_or_the_new_file_never_a_half_one(
    tmp_path: Path, rng: random.Random, killer_for: list[Killer]
) -> None:
    template = tmp_path / "template.sqlite"
    ids = make_old_database(template, "0001")
    live = tmp_path / "ledger.sqlite"
    shutil.copyfile(template, live)
    killer = Killer(live)
    killer_for.append(killer)
    finished = 0
    for _round in range(12):
        lines = killer.round("migrate", rng.uniform(0.0, 1.8))
        assert _integrity(live) == "ok"
        with contextlib.closing(sqlite3.connect(live)) as conn:
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            names = conn.execute("SELECT count(*) FROM member").fetchone()[0]
        assert revision in ("0001", head_revision()) and names == len(ids["member"])
        if "opened" in lines or revision != "0001":
            finished += 1
            shutil.copyfile(template, live)  # start again from the old file: every round upgrades
            for extra in ("-wal", "-shm"):
                Path(f"{live}{extra}").unlink(missing_ok=True)
    db = open_database(live)  # the next start: upgrades cleanly, removes what killed attempts left
    db.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "template.sqlite") in (
        ["backups", "ledger.sqlite"],
        ["backups", "ledger.sqlite", "ledger.sqlite-shm", "ledger.sqlite-wal"],
    )
    assert [p.name for p in (tmp_path / "backups").iterdir()] == ["ledger-before-upgrade.sqlite"]
    assert _integrity(tmp_path / "backups" / "ledger-before-upgrade.sqlite") == "ok"


def test_killed_backups_leave_no_part_files_and_every_backup_whole(
    db: Database, db_path: Path, build: Builder, rng: random.Random, killer_for: list[Killer]
) -> None:
    build.branch(members=3)
    db.close()
    killer = Killer(db_path)
    killer_for.append(killer)
    last: list[str] = []
    for round_no in range(12):
        lines = killer.round(f"backup {round_no * 100}", rng.uniform(0.05, 0.6))
        last = lines or last
    db = open_database(db_path)  # the next start clears half-written copies
    try:
        folder = db_path.parent / "backups"
        assert not list(folder.glob("*.part"))
        kept = backup.auto_backups(db)
        assert kept and all(_integrity(p) == "ok" for p in kept)
        assert not last or (folder / last[-1]).exists()  # the newest reported copy is there
        assert all(r.ok for r in backup.check_backup_chains(db))
        _check_log(db)
    finally:
        db.close()


def test_killed_restores_leave_a_whole_database_and_every_restore_logged(
    db: Database, db_path: Path, build: Builder, tmp_path: Path, rng: random.Random, killer_for: list[Killer]
) -> None:
    build.branch(members=2)
    saved = backup.backup_to(db, tmp_path / "usb")
    with db.transaction("x") as s:
        org.create_township(s, "T99", "备份之后的镇")
    db.close()
    killer = Killer(db_path)
    killer_for.append(killer)
    reported = 0
    for _round in range(12):
        lines = killer.round(f"restore {saved}", rng.uniform(0.05, 0.6))
        reported += lines.count("restored")
        assert _integrity(db_path) == "ok"
    # On a loaded machine no restore may finish within 0.6 s: one more round waits for the first report
    # before its kill, so the log check below always has a reported restore to look for.
    lines = killer.round(f"restore {saved}", rng.uniform(0.05, 0.6), wait_first=True)
    reported += lines.count("restored")
    assert _integrity(db_path) == "ok"
    db = open_database(db_path)  # the next start logs a restore that was killed after its swap
    try:
        assert _integrity(db_path) == "ok"
        with db.reader() as s:
            events = [c for c in s.scalars(select(AuditEntry.changes)) if "backup_restored" in c]
            assert audit.verify(s).ok
        # A restore replaces the log with the backup's; the one in place records itself — also when
        # its process was killed right after the swap (written at this start).
        assert reported and len(events) == 1
        folder = db_path.parent / "backups"
        assert not list(folder.glob("*restore-work*")) and not list(folder.glob("*.part"))
        _check_log(db)
    finally:
        db.close()
