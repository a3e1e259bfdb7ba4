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
