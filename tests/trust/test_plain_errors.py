"""Unexpected failures reach the clerk as plain Chinese, never as a traceback carrying data; the
traceback goes to the private log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

import main
from services import crashlog, org


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("database or disk is full", "磁盘空间已满"),
        ("database is locked", "占用"),
        ("attempt to write a readonly database", "只读"),
        ("something else entirely", "程序内部出错"),
    ],
)
def test_database_failures_are_told_in_plain_words_and_logged_privately(
    db_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    raw: str,
    said: str,
) -> None:
    def failing(*_args: object, **_kw: object) -> None:
        raise OperationalError(
            "INSERT INTO township …", {"name": "身份证 620421198005170011"}, sqlite3.OperationalError(raw)
        )

    monkeypatch.setattr(org, "create_township", failing)
    assert main.main(["--db", str(db_path), "township", "add", "T01", "城关镇"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and said in err
    assert "Traceback" not in err and "620421" not in err and "INSERT" not in err
    log = crashlog.log_path().read_text(encoding="utf-8")
    assert "Traceback" in log and raw in log


@pytest.mark.slow
def test_four_concurrent_local_admin_commands_all_succeed(db_path: Path, tmp_path: Path) -> None:
    """Each write takes the write lock at its start and waits for the others (no "database is
    locked" because one read before another process wrote)."""
    import os
    import subprocess
    import sys

    from services.db import open_database

    open_database(db_path).close()
    root = Path(main.__file__).resolve().parent
    env = os.environ | {"PYTHONPATH": str(root)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(root / "main.py"), "--db", str(db_path), "--local-admin",
             "township", "add", f"T0{i}", f"并发镇{i}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for i in range(4)
    ]  # fmt: skip
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err for _out, err in results]
    assert all("已新建乡镇" in out and not err for out, err in results)
    db = open_database(db_path)
    try:
        from services import audit

        with db.reader() as s:
            assert audit.verify(s).ok
            assert len(org.organization_tree(s)) == 4
    finally:
        db.close()
