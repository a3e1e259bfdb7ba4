"""Settings that act for everyone on this computer (the handbook pack in use, the county's
decryption key): administrators only, and every change is written to the 操作日志."""

from __future__ import annotations

from typing import Any

from models.enums import Role
from services import audit
from services.db import Database
from services.roles import check_actor


def require_admin(db: Database, what: str) -> None:
    """Raises ``PermissionDenied`` (Chinese message naming ``what``) unless an administrator acts.
    A ledger without accounts acts as administrator, as everywhere else (services/cli/_auth.py)."""
    check_actor(db.actor, Role.ADMIN, what=what)


def record_change(db: Database, event: str, detail: dict[str, Any]) -> None:
    """One audit entry for a change of a computer-wide setting (in its own transaction)."""
    with db.transaction() as s:
        audit.record_event(s, event, detail)
