"""Is the open database a county database? (The same binary opens it in county mode.)

A county database is the one township packages are imported into. It is recognised by what only
receiving leaves behind — rows in ``sync_enrollment`` (a device asked or was registered),
``sync_device`` (a package was imported), ``sync_held`` (one was held) — or by the ``db_meta`` mark
``county init`` writes (``COUNTY_MARK``). A township database never has any of them: townships send,
they do not receive. Each check is one ``EXISTS`` on an indexed table, so opening stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event, exists, select
from sqlalchemy.orm import Session

from models import DbMeta, SyncDevice, SyncEnrollment, SyncHeld
from models.base import Tracked
from services.db import Database
from services.errors import PermissionDenied

COUNTY_MARK = "county_database"  # db_meta key written when a county database is created


def is_county(session: Session) -> bool:
    """True when ``session``'s database is a county (receiving) database; reads only, four EXISTS."""
    if session.get(DbMeta, COUNTY_MARK) is not None:
        return True
    for model in (SyncEnrollment, SyncDevice, SyncHeld):
        if session.scalar(select(exists().select_from(model))):
            return True
    return False


# --- township records are read-only at the county ---------------------------------------------------

_ACTING: ContextVar[bool] = ContextVar("county_action", default=False)
TOWNSHIP_RECORDS_READ_ONLY = (
    "县级数据库中的乡镇数据来自各乡镇报送的同步包，不能在县里修改。"
    "如需更正，请通知乡镇在本乡镇电脑上修改后重新报送。"
)


@contextmanager
def county_action() -> Iterator[None]:
    """Marks the county's own writes (resolving a conflict writes the chosen version of a township
    row) as allowed while ``protect_township_records`` is in force (this thread only)."""
    token = _ACTING.set(True)
    try:
        yield
    finally:
        _ACTING.reset(token)


def _refuse_township_edits(session: Session, _ctx: object, _instances: object) -> None:
    if _ACTING.get():
        return
    pending = [*session.new, *session.deleted]
    pending += [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    if any(isinstance(o, Tracked) for o in pending):
        raise PermissionDenied(TOWNSHIP_RECORDS_READ_ONLY)


def protect_township_records(db: Database) -> None:
    """In county mode the township screens are views: an ORM write of a township record (any
    ``Tracked`` row: member, meeting, fee …) through ``db`` raises ``PermissionDenied`` with a
    Chinese message, unless inside ``county_action()``. Receiving (Core bulk writes) and the sync
    bookkeeping tables are not affected. Idempotent."""
    if getattr(db.sessions, "_county_guard", False):
        return
    event.listen(db.sessions, "before_flush", _refuse_township_edits)
    db.sessions._county_guard = True  # type: ignore[attr-defined]
