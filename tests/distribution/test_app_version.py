"""The database remembers which app version last wrote it; a newer database is refused by an older app."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

import main
from models import DbMeta, Township
from services import appversion
from services.db import Database, open_database
from services.errors import DatabaseError
from services.version import APP_VERSION


def stamp(path: Path, version: str) -> None:
    """Pretend another app version wrote the file (plain sqlite3, as a foreign program would)."""
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE db_meta SET value = ? WHERE key = 'app_version'", (version,))


def recorded(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("SELECT value FROM db_meta WHERE key = 'app_version'").fetchone()[0])


def test_new_database_records_the_app_version(db: Database) -> None:
    with db.reader() as s:
        assert s.scalar(select(DbMeta.value).where(DbMeta.key == "app_version")) == APP_VERSION


def test_database_from_older_app_is_opened_and_restamped(db: Database, db_path: Path) -> None:
    db.close()
    stamp(db_path, "0.0.1")
    open_database(db_path).close()
    assert recorded(db_path) == APP_VERSION


def test_database_from_newer_app_is_refused_and_left_untouched(db: Database, db_path: Path) -> None:
    db.close()
    stamp(db_path, "99.1.0")
    before = db_path.read_bytes()
    with pytest.raises(DatabaseError) as err:
        open_database(db_path)
    message = err.value.message
    assert "99.1.0" in message and APP_VERSION in message
    assert "较新版本" in message and "请安装 99.1.0 或更新的版本" in message
    assert str(db_path) in message
    assert recorded(db_path) == "99.1.0"
    assert db_path.read_bytes() == before
    assert not (db_path.parent / "backups").exists()  # not even a pre-migration backup


def test_prerelease_of_the_next_version_counts_as_newer(db: Database) -> None:
    appversion.record(db.engine, "0.1.0")
    appversion.check_not_newer(db.engine, "0.1.0")  # same version: fine
    appversion.record(db.engine, "0.2.0rc1")
    with pytest.raises(DatabaseError):
        appversion.check_not_newer(db.engine, "0.1.0")
    appversion.check_not_newer(db.engine, "0.2.0")  # the release is newer than its candidate


def test_unreadable_version_is_refused_with_a_clear_message(db: Database, db_path: Path) -> None:
    db.close()
    stamp(db_path, "not-a-version")
    with pytest.raises(DatabaseError, match="无法识别"):
        open_database(db_path)


def test_command_line_refuses_newer_database_and_writes_nothing(
    db: Database, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db.close()
    stamp(db_path, "99.0")
    code = main.main(["--db", str(db_path), "township", "add", "T09", "新镇"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "较新版本的支部台账（99.0）" in err
    with sqlite3.connect(db_path) as conn:
        sql = f"SELECT count(*) FROM {Township.__tablename__} WHERE code = 'T09'"
        assert conn.execute(sql).fetchone()[0] == 0


def test_version_flag_prints_the_app_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"支部台账 {APP_VERSION}"
