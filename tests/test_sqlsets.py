"""Long id lists in SQL (one array parameter on PostgreSQL) and plain column reads: the same rows as
the ORM's IN and execute, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Member
from services.db import Database, open_database
from services.sqlsets import among, plain_rows
from tests.conftest import Builder


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "postgres":
        yield request.getfixturevalue("pg_database")
        return
    db = open_database(tmp_path / "sets.sqlite")
    yield db
    db.close()


def test_among_matches_exactly_what_in_matches_and_nothing_for_no_ids(any_db: Database) -> None:
    build = Builder(any_db)
    branches = [build.branch(f"B{i:02d}", f"{i}村党支部", members=2) for i in range(1, 4)]
    picked = [branches[0].id, branches[2].id, "no-such-branch"]
    with any_db.reader() as s:
        want = set(s.scalars(select(Member.name).where(Member.branch_id.in_(picked))))
        got = set(s.scalars(select(Member.name).where(among(s, Member.branch_id, picked))))
        none = s.scalar(select(func.count()).select_from(Member).where(among(s, Member.branch_id, [])))
    assert got == want and len(got) == 4
    assert none == 0


def test_plain_rows_see_changes_not_yet_flushed(any_db: Database) -> None:
    build = Builder(any_db)
    branch = build.branch(members=1)
    with any_db.transaction("t") as s:
        member = s.scalars(select(Member).where(Member.branch_id == branch.id)).one()
        member.name = "改过的名字"  # pending in the session: a check run inside this transaction sees it
        names = [
            r[0] for r in plain_rows(s, select(Member.name).where(among(s, Member.branch_id, [branch.id])))
        ]
        s.rollback()
    assert names == ["改过的名字"]
