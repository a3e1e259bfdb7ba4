"""Is the open database a county database? (The same binary opens it in county mode.)

A county database is the one township packages are imported into. It is recognised by what only
receiving leaves behind — rows in ``sync_enrollment`` (a device asked or was registered),
``sync_device`` (a package was imported), ``sync_held`` (one was held) — or by the ``db_meta`` mark
``county init`` writes (``COUNTY_MARK``). A township database never has any of them: townships send,
they do not receive. Each check is one ``EXISTS`` on an indexed table, so opening stays cheap.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import DbMeta, SyncDevice, SyncEnrollment, SyncHeld

COUNTY_MARK = "county_database"  # db_meta key written when a county database is created


def is_county(session: Session) -> bool:
    """True when ``session``'s database is a county (receiving) database; reads only, four EXISTS."""
    if session.get(DbMeta, COUNTY_MARK) is not None:
        return True
    for model in (SyncEnrollment, SyncDevice, SyncHeld):
        if session.scalar(select(exists().select_from(model))):
            return True
    return False
