"""Query-planner statistics for SQLite.

Without ``sqlite_stat1`` SQLite assumes every index is selective, and picks the one on the boolean
``deleted`` column for joins: listing a branch's meetings with their attendance then took minutes on
a township database instead of milliseconds. So: analyse once when a database has no statistics,
after bulk loads (demo data, imports), and let ``PRAGMA optimize`` keep them fresh on close.
"""

from __future__ import annotations

from sqlalchemy import Engine


def has_statistics(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='sqlite_stat1'"
            ).first()
        )


def analyze(engine: Engine) -> None:
    """Recompute statistics (about a second for a township's ten years); a no-op off SQLite."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def ensure_statistics(engine: Engine) -> None:
    if engine.dialect.name == "sqlite" and not has_statistics(engine):
        analyze(engine)


def optimize(engine: Engine) -> None:
    """SQLite's recommended call before closing: re-analyses tables whose size changed a lot."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA optimize")
