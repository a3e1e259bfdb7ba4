"""Whether this database was filled by the demo generator: a ``db_meta`` fact (not synced), shown in
the title bar and refused by ``sync export`` when a county key is configured (demo data must never
reach a real county)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from models import DbMeta

KEY = "demo_data"


def mark(conn: Connection, note: str) -> None:
    """Record that the demo wrote into this database (inside the demo's transaction)."""
    if conn.execute(select(DbMeta.value).where(DbMeta.key == KEY)).first() is None:
        conn.execute(insert(DbMeta).values(key=KEY, value=note))
    else:
        conn.execute(update(DbMeta).where(DbMeta.key == KEY).values(value=note))


def is_demo_conn(conn: Connection) -> bool:
    return conn.execute(select(DbMeta.value).where(DbMeta.key == KEY)).first() is not None


def demo_note(session: Session) -> str | None:
    """The demo's description (scale, seed) when this is a demo database, else None."""
    return session.scalar(select(DbMeta.value).where(DbMeta.key == KEY))


def is_demo(session: Session) -> bool:
    return demo_note(session) is not None
