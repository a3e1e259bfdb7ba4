"""Planner statistics: taken when missing or stale, so joins use the selective index."""

from __future__ import annotations

from services import dbstats
from services.db import Database, allocate_seq
from tests.conftest import Builder


def test_statistics_taken_at_open_and_refreshed_when_stale(db: Database) -> None:
    assert not dbstats.stale(db.engine)  # analysed once when the database was opened
    with db.engine.begin() as conn:
        allocate_seq(conn, 100)  # a few changes are not worth a new ANALYZE
    assert not dbstats.stale(db.engine)
    with db.engine.begin() as conn:
        allocate_seq(conn, 5_000)  # a bulk load is
    assert dbstats.stale(db.engine)
    dbstats.ensure_statistics(db.engine)
    assert not dbstats.stale(db.engine)


def test_meeting_join_uses_the_meeting_index_after_analyze(db: Database, build: Builder) -> None:
    branch = build.branch(members=3)
    dbstats.analyze(db.engine)
    with db.engine.connect() as conn:
        plan = " ".join(
            str(row[-1])
            for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT meeting.id FROM meeting LEFT JOIN attendance "
                "ON attendance.meeting_id = meeting.id AND attendance.deleted = 0 "
                "WHERE meeting.deleted = 0 AND meeting.branch_id = ?",
                (branch.id,),
            )
        )
    assert "ix_attendance_meeting_id" in plan
