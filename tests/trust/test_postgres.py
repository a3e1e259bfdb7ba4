"""The audit chain and the role guard on PostgreSQL (the county server), including concurrent
writers: the head row is locked (SELECT … FOR UPDATE), so the chain never forks."""

from __future__ import annotations

import threading

import pytest

from models import Township
from services import audit, org
from services.db import Database
from services.errors import PermissionDenied
from services.roles import Actor

pytestmark = pytest.mark.postgres


def test_concurrent_writers_keep_one_valid_chain(pg_database: Database) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with pg_database.transaction(f"writer{n}") as s:
                    org.create_township(s, f"W{n}-{i}", f"并发镇{n}-{i}")
        except BaseException as exc:  # reported below, a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with pg_database.reader() as s:
        result = audit.verify(s)
        assert result.ok and result.checked == 45, result.message


def test_viewer_is_refused_on_postgres_too(pg_database: Database) -> None:
    with pg_database.transaction("x") as s:
        township_id = org.create_township(s, "T01", "城关镇").id
    pg_database.actor = Actor("v", "viewer")
    with pytest.raises(PermissionDenied), pg_database.transaction() as s:
        s.get(Township, township_id).name = "改名"  # type: ignore[union-attr]
    pg_database.actor = None
    with pg_database.reader() as s:
        assert s.get(Township, township_id).name == "城关镇"  # type: ignore[union-attr]
