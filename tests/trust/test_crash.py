"""Crash safety: a process saving records is killed with SIGKILL at random moments; afterwards the
database is intact, every record it reported as committed is there, and the audit chain holds."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from models import AuditEntry, Member
from services import audit
from services.db import Database
from tests.conftest import Builder

CHILD = Path(__file__).with_name("crash_child.py")
KILLS = 60


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_killed_writer_loses_nothing_it_reported(db: Database, db_path: Path, build: Builder) -> None:
    branch_id = build.branch().id
    db.close()
    rng = random.Random(20261124)
    reported: set[str] = set()
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(db_path), branch_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "ready"
        for round_no in range(KILLS):
            child.stdin.write(f"go {round_no * 10_000}\n")
            child.stdin.flush()
            line = child.stdout.readline().split()
            assert line[0] == "pid", line
            pid = int(line[1])
            first = child.stdout.readline().strip()  # the writer is committing now
            assert len(first) == 36, first
            reported.add(first)
            time.sleep(rng.uniform(0.0, 0.05))  # then die at any point of a later transaction
            os.kill(pid, signal.SIGKILL)
            child.stdin.write(f"reap {pid}\n")
            child.stdin.flush()
            while (out := child.stdout.readline().strip()) != f"dead {pid}":
                if len(out) == 36:  # a whole id line, printed after its commit
                    reported.add(out)
    finally:
        child.kill()
        child.wait()
    assert len(reported) > KILLS  # the writers really were saving when killed

    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with db.reader() as s:
        present = set(s.scalars(select(Member.id)))
        assert reported <= present
        logged = set(s.scalars(select(AuditEntry.row_id).where(AuditEntry.table_name == "member")))
        assert present <= logged  # every saved member has its audit entry, from the same commit
        assert audit.verify(s).ok
