"""Query-planner statistics for SQLite.

Without ``sqlite_stat1`` SQLite assumes every index is selective and may pick the one on the boolean
``deleted`` column for a join: listing a branch's meetings with their attendance then took minutes on
a township database instead of milliseconds. So statistics are refreshed at open whenever the
database has changed a lot since they were last taken (counted in change numbers), after bulk loads
(demo data, imports), and SQLite's own ``PRAGMA optimize`` runs on close.
"""

from __future__ import annotations

from sqlalchemy import Engine

_KEY = "planner_stats_seq"  # change number at the last ANALYZE, in db_meta
_LIMIT = 2000  # rows sampled per index: ANALYZE stays well under a second on a township database


def analyze(engine: Engine) -> None:
    """Recompute statistics and remember the change number they reflect; a no-op off SQLite."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as conn:
        conn.exec_driver_sql(f"PRAGMA analysis_limit={_LIMIT}")
        conn.exec_driver_sql("ANALYZE")
        seq = conn.exec_driver_sql("SELECT value FROM change_counter WHERE id = 1").scalar() or 0
        conn.exec_driver_sql(
            "INSERT INTO db_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (_KEY, str(seq)),
        )


def stale(engine: Engine) -> bool:
    """No statistics yet, or more changes since they were taken than a tenth of all changes (and 500+)."""
    with engine.connect() as conn:
        has_stats = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='sqlite_stat1'"
        ).first()
        seq = int(conn.exec_driver_sql("SELECT value FROM change_counter WHERE id = 1").scalar() or 0)
        row = conn.exec_driver_sql("SELECT value FROM db_meta WHERE key = ?", (_KEY,)).first()
    if not has_stats or row is None:
        return True
    since = seq - int(row[0] or 0)
    return since >= 500 and since * 10 >= seq


def ensure_statistics(engine: Engine) -> None:
    if engine.dialect.name == "sqlite" and stale(engine):
        analyze(engine)


def optimize(engine: Engine) -> None:
    """SQLite's recommended call before closing: re-analyses tables whose size changed a lot."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA optimize")
