"""Shared fixtures: a fresh migrated database per test and builders for test data.

Migrating an empty database to head costs 0.5–1 s (Alembic import, a dozen batch migrations), which
would be paid by every test. Instead one template is migrated per test process (per xdist worker)
and each test gets a byte copy of it (``fresh_database``), a few milliseconds. Tests that are ABOUT
migrating (tests/test_migrations.py, tests/trust/test_upgrade*.py, test_crash.py …) still call
``open_database`` on an empty or old file themselves.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sqlite3
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from models import Branch, Member
from services import idcard, members, org
from services.db import Database, open_database, to_url

TODAY = date(2026, 11, 24)

_template: Path | None = None


def migrated_template() -> Path:
    """A SQLite database migrated to head, made once per test process and removed at its exit.

    Kept in rollback-journal mode (one self-contained file, no -wal beside it) so a plain file copy is
    a complete database; ``open_database`` switches each copy back to WAL."""
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="ledger-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.sqlite"
        open_database(path).close()
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")
        _template = path
    return _template


def fresh_database(path: Path) -> Database:
    """An empty ledger at ``path`` (which must not exist yet), migrated to head: a copy of the template."""
    if path.exists():
        raise FileExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_template(), path)
    return open_database(path)


def _pg_admin_url() -> str:
    url = os.environ.get("LEDGER_TEST_PG_URL")
    if not url:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(
                "CI 中必须运行 PostgreSQL 测试，但没有设置 LEDGER_TEST_PG_URL（请先运行 .ci/postgres.sh）。"
            )
        pytest.skip("LEDGER_TEST_PG_URL 未设置（运行 .ci/postgres.sh 启动测试用 PostgreSQL）")
    return url


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A PostgreSQL database migrated to head once per test process (its name is unique, so xdist
    workers and engineers sharing a server never meet); each test copies it (CREATE DATABASE … TEMPLATE)."""
    admin = to_url(_pg_admin_url())
    name = f"ledger_tmpl_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    open_database(make_url(admin).set(database=name).render_as_string(hide_password=False)).close()
    try:
        yield name
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture
def pg_database(pg_template: str) -> Iterator[Database]:
    """A fresh, migrated PostgreSQL database per test, dropped afterwards."""
    admin = to_url(_pg_admin_url())
    name = f"ledger_t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    db = open_database(make_url(admin).set(database=name).render_as_string(hide_password=False))
    try:
        yield db
    finally:
        db.close()
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``pytest -n … --dist loadgroup`` (``make test``) tests are handed to the workers one by one,
    except that the tests of a module with a module- or class-scoped fixture (a county desk, a fuzz
    database) stay together on one worker, so that fixture is built once, not once per worker."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        scopes = {defs[-1].scope for defs in info.name2fixturedefs.values() if defs}
        if scopes & {"module", "class", "package"}:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """A background operation a GUI test started (``gui.ops``: a listing loading, an overview computing)
    finishes before pytest-qt closes the test's windows: its result would otherwise be delivered to
    widgets already deleted, or its worker thread would still read a database the teardown closes."""
    ops = sys.modules.get("gui.ops")
    if ops is not None and ops.busy():
        ops.wait_idle(120_000)
    yield


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own user-data folder: nothing touches the real one."""
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path / "userdata"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.sqlite"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = fresh_database(db_path)
    yield database
    database.close()


class Builder:
    """Builds townships, branches and members with valid data in one call."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._seq = 0
        self.township_id = ""

    def township(self, code: str = "T01", name: str = "测试镇") -> str:
        with self.db.transaction("test") as s:
            self.township_id = org.create_township(s, code, name).id
        return self.township_id

    def id_number(self, birth: date = date(1980, 5, 17), male: bool = True) -> str:
        self._seq += 2
        return idcard.make("620421", birth, self._seq + (1 if male else 0))

    def branch(
        self,
        code: str = "B01",
        name: str = "一村党支部",
        *,
        members: int = 0,
        probationary: int = 0,
        founded_on: date = date(2000, 1, 1),
        domain: str = "rural",
    ) -> Branch:
        if not self.township_id:
            self.township()
        with self.db.transaction("test") as s:
            branch = org.create_branch(
                s, self.township_id, code, name, founded_on=founded_on, domain=domain, today=TODAY
            )
        for i in range(members):
            self.member(
                branch.id, f"党员{code}{i:02d}", status="probationary" if i < probationary else "full"
            )
        return branch

    def member(
        self,
        branch_id: str,
        name: str = "张三",
        *,
        joined_on: date = date(2005, 7, 1),
        status: str | None = None,  # None: by the one-year probation, as the CLI derives it
        branch_since: date | None = None,
        birth: date = date(1980, 5, 17),
    ) -> Member:
        data = members.MemberInput(
            name=name,
            id_number=self.id_number(birth),
            joined_on=joined_on,
            status=status or members.derived_status(joined_on, None, TODAY),
            full_member_on=None,
            branch_since=branch_since,
        )
        with self.db.transaction("test") as s:
            return members.create_member(s, branch_id, data, today=TODAY)


@pytest.fixture
def build(db: Database) -> Builder:
    return Builder(db)
