"""The audit chain and the role guard on PostgreSQL (the county server), including concurrent
writers: the head row is locked (SELECT … FOR UPDATE), so the chain never forks."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from models import Township
from services import audit, org
from services.db import Database, open_database, to_url
from services.errors import PermissionDenied
from services.roles import Actor

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_db() -> Iterator[Database]:
    url = os.environ.get("LEDGER_TEST_PG_URL")
    if not url:
        pytest.skip("LEDGER_TEST_PG_URL 未设置（运行 .ci/postgres.sh 启动测试用 PostgreSQL）")
    admin = to_url(url)
    name = f"ledger_trust_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = open_database(make_url(admin).set(database=name).render_as_string(hide_password=False))
    try:
        yield db
    finally:
        db.close()
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def test_concurrent_writers_keep_one_valid_chain(pg_db: Database) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with pg_db.transaction(f"writer{n}") as s:
                    org.create_township(s, f"W{n}-{i}", f"并发镇{n}-{i}")
        except BaseException as exc:  # reported below, a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with pg_db.reader() as s:
        result = audit.verify(s)
        assert result.ok and result.checked == 45, result.message


def test_viewer_is_refused_on_postgres_too(pg_db: Database) -> None:
    with pg_db.transaction("x") as s:
        township_id = org.create_township(s, "T01", "城关镇").id
    pg_db.actor = Actor("v", "viewer")
    with pytest.raises(PermissionDenied), pg_db.transaction() as s:
        s.get(Township, township_id).name = "改名"  # type: ignore[union-attr]
    pg_db.actor = None
    with pg_db.reader() as s:
        assert s.get(Township, township_id).name == "城关镇"  # type: ignore[union-attr]
