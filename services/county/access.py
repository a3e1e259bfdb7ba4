"""Who may act at the county desk: every county action (receive, enrol, resolve) is refused for a
查阅 account, and the refusal itself is written to the 操作日志 (so an attempt is visible later)."""

from __future__ import annotations

from models.enums import Role
from services import audit
from services.db import Database
from services.errors import PermissionDenied
from services.roles import check_actor

REFUSED_EVENT = "county_action_refused"


def require_clerk(db: Database, what: str) -> None:
    """Raise ``PermissionDenied`` (Chinese, naming ``what``) unless an administrator or 录入员 acts.

    A refused attempt is audited (event ``county_action_refused`` with the action) in its own
    transaction before the error is raised; a ledger without accounts (``db.actor`` None) acts as
    administrator, as everywhere else.
    """
    try:
        check_actor(db.actor, Role.ADMIN, Role.EDITOR, what=what)
    except PermissionDenied:
        if not db.read_only:  # a write-protected file cannot take the log entry either
            with db.transaction() as s:
                audit.record_event(s, REFUSED_EVENT, {"action": what})
        raise
