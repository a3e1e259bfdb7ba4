"""A database made by the first release (revision 0001) with data in it upgrades to head intact, and
the schema the migrations build is the one the models declare (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, func, insert, select

from models import Attendance, Base, Meeting, Member
from services import idcard
from services.db import (
    Database,
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    open_database,
    to_url,
)

NOW = datetime(2026, 1, 5, 9, 30)


def _tracked(row_id: str, seq: int, **values: Any) -> dict[str, Any]:
    return {
        "id": row_id,
        "created_at": NOW,
        "updated_at": NOW,
        "created_by": "v1",
        "updated_by": "v1",
        "deleted": False,
        "deleted_at": None,
        "row_seq": seq,
        **values,
    }


def _make_first_release_db(path: Path) -> None:
    engine = make_engine(to_url(path))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
    # Insert through the tables as they were at 0001 (reflected), not through today's models.
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    number = idcard.make("621027", date(1960, 2, 3), 15)
    with engine.begin() as conn:
        conn.execute(insert(t["township"]), [_tracked("t1", 1, code="T01", name="老镇", county="")])
        conn.execute(
            insert(t["branch"]),
            [
                _tracked(
                    "b1",
                    2,
                    township_id="t1",
                    parent_id=None,
                    code="B01",
                    name="老村党支部",
                    kind="branch",
                    domain="rural",
                    founded_on=date(1990, 1, 1),
                    term_start=None,
                    term_end=None,
                    sort_order=0,
                )
            ],
        )
        member = _tracked(
            "m1",
            3,
            township_id="t1",
            branch_id="b1",
            party_group_id=None,
            name="老党员",
            gender="male",
            ethnicity="汉族",
            birth_date=date(1960, 2, 3),
            id_number=number,
            education="",
            phone="",
            joined_on=date(1985, 7, 1),
            full_member_on=date(1986, 7, 1),
            status="full",
            discipline="none",
            is_flowing=False,
            state="active",
            branch_since=date(1985, 7, 1),
            left_on=None,
            notes="",
        )
        conn.execute(insert(t["member"]), [{k: v for k, v in member.items() if k in t["member"].c}])
        meeting = _tracked(
            "g1",
            4,
            branch_id="b1",
            type="congress",
            held_on=date(2025, 12, 20),
            start_time=None,
            end_time=None,
            place="村委会",
            host="老党员",
            recorder="老党员",
            topics="年终总结",
            minutes="",
            resolutions="",
            lecturer="",
            party_group_id=None,
            recorded_on=date(2025, 12, 21),
        )
        conn.execute(insert(t["meeting"]), [{k: v for k, v in meeting.items() if k in t["meeting"].c}])
        conn.execute(
            insert(t["attendance"]),
            [_tracked("a1", 5, meeting_id="g1", member_id="m1", status="present", reason="", sort_order=0)],
        )
        conn.exec_driver_sql("UPDATE change_counter SET value = 5 WHERE id = 1")
    engine.dispose()


def test_first_revision_database_upgrades_to_head_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _make_first_release_db(path)
    engine = make_engine(to_url(path))
    assert current_revision(engine) == "0001"
    backup = migrate(engine, backup_dir=tmp_path / "backups")
    assert current_revision(engine) == head_revision()
    engine.dispose()

    # The backup was taken before migrating: it is still at 0001 and has the rows.
    assert backup is not None and backup.exists()
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert conn.execute("SELECT name FROM member").fetchall() == [("老党员",)]

    db = open_database(path)
    try:
        with db.reader() as s:
            member = s.get(Member, "m1")
            assert member is not None and member.name == "老党员" and member.row_seq == 3
            assert s.get(Meeting, "g1").topics == "年终总结"  # type: ignore[union-attr]
            assert s.scalar(select(func.count()).select_from(Attendance)) == 1
        with db.transaction("v2") as s:  # and the upgraded database keeps working
            member = s.get(Member, "m1")
            assert member is not None
            member.phone = "13912345678"
        with db.reader() as s:
            assert s.get(Member, "m1").row_seq == 6  # type: ignore[union-attr]
    finally:
        db.close()


def test_opening_an_old_database_backs_it_up_next_to_it(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _make_first_release_db(path)
    db = open_database(path)
    db.close()
    backups = list((tmp_path / "backups").glob("old-before-upgrade.sqlite"))
    assert len(backups) == 1


def test_fresh_database_needs_no_backup(tmp_path: Path) -> None:
    engine = make_engine(to_url(tmp_path / "new.sqlite"))
    assert migrate(engine) is None
    assert current_revision(engine) == head_revision()
    assert migrate(engine) is None
    engine.dispose()
    assert not (tmp_path / "backups").exists()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database built by the migration files alone (an empty file or PostgreSQL database taken to
    head by ``open_database``), never by ``Base.metadata.create_all``."""
    if request.param == "postgres":
        yield request.getfixturevalue("pg_database")
        return
    db = open_database(tmp_path / "from-migrations.sqlite")
    yield db
    db.close()


def test_models_and_migrations_agree(migrated: Database) -> None:
    """Alembic's autogenerate comparison of the migrated schema with the models finds nothing to do:
    every table, column, type, NULL-ability, index, unique constraint and foreign key the models
    declare exists as declared. Server defaults are not compared: a migration that adds a NOT NULL
    column to tables with rows keeps the default it needed for them, which the models do not state."""
    with migrated.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "\n".join(map(str, differences))


def test_the_comparison_sees_a_column_the_migrations_do_not_create(migrated: Database) -> None:
    """The agreement test is not blind: a column only in the models shows up as a difference."""
    extra = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(extra)
    extra.tables["member"].append_column(Column("shoe_size", Integer, nullable=True))
    with migrated.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, extra)
    assert [(d[0], d[2], d[3].name) for d in differences if d[0] == "add_column"] == [
        ("add_column", "member", "shoe_size")
    ]
