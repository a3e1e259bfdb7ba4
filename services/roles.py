"""Who is acting and what their role allows, enforced on the session (not only in the GUI).

``Database.transaction`` puts the acting user's role in ``session.info["role"]``. The flush hook
calls :func:`guard_write`, so a 查阅 (viewer) session cannot write anything through the ORM; ORM
and Core statements run through the session are refused by :func:`guard_statement`, and raw SQL on
the session's connection (bulk importers) by :func:`guard_cursor`. ``role`` ``None`` means trusted in-process code
(tests, migrations, tools run before anyone logs in); the GUI and the CLI always set an actor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from models.accounts import UserAccount
from models.enums import Role, label
from services.errors import PermissionDenied

VIEWER_REFUSED = (
    "当前账号为“查阅”角色，只能查看和打印，不能新增、修改或删除。如需修改，请用录入员或管理员账号登录。"
)


@dataclass(frozen=True)
class Actor:
    """The logged-in user (or the explicit local administrator of the CLI)."""

    username: str
    role: str
    display_name: str = ""

    @property
    def role_label(self) -> str:
        return label(Role(self.role)) if self.role in Role.__members__.values() else self.role


def session_role(session: Session) -> str | None:
    role = session.info.get("role")
    return str(role) if role else None


def require_role(session: Session, *allowed: str, what: str = "此操作") -> None:
    """Refuse unless the session's role is one of ``allowed`` (``None`` = in-process code, allowed)."""
    role = session_role(session)
    if role is None or role in allowed:
        return
    need = "、".join(label(Role(r)) for r in allowed)
    raise PermissionDenied(
        f"{what}需要{need}权限，当前账号是“{label(Role(role))}”。请用有权限的账号登录后再试。"
    )


def require_admin(session: Session, what: str = "此操作") -> None:
    require_role(session, Role.ADMIN, what=what)


def check_actor(actor: Actor | None, *allowed: str, what: str = "此操作") -> None:
    """The same check for operations that work on files rather than a session (backup, restore)."""
    if actor is None or actor.role in allowed:
        return
    need = "、".join(label(Role(r)) for r in allowed)
    raise PermissionDenied(f"{what}需要{need}权限，当前账号是“{actor.role_label}”。")


def guard_write(session: Session) -> None:
    """Called first in the flush hook: a viewer's flush writes nothing.

    Account rows are exempt because the accounts service checks them itself (a viewer may change
    their own password, and failed logins are counted whoever is at the keyboard).
    """
    if session_role(session) != Role.VIEWER:
        return
    pending: list[Any] = [*session.new, *session.deleted]
    pending += [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    if any(not isinstance(o, UserAccount) for o in pending):
        raise PermissionDenied(VIEWER_REFUSED)


def guard_statement(state: ORMExecuteState) -> None:
    """``do_orm_execute`` hook: ORM-level INSERT/UPDATE/DELETE statements obey the same rule."""
    if (state.is_insert or state.is_update or state.is_delete) and session_role(state.session) == Role.VIEWER:
        raise PermissionDenied(VIEWER_REFUSED)


# --- the same rule for raw SQL on the session's connection -----------------------------------

_ROLE_KEY = "ledger_role"
_WRITE_SQL = re.compile(
    r"^\s*(?:INSERT|UPDATE|DELETE|REPLACE)\b(?:\s+OR\s+\w+)?\s+(?:INTO\s+|FROM\s+)?[\"`]?(\w+)", re.IGNORECASE
)
# What a viewer's own actions write: the login bookkeeping, their password and the audit entries
# (with the chain's anchor copy in db_meta, services/audit.py). ORM writes of db_meta stay refused.
SELF_SERVICE_TABLES = frozenset({"user_account", "audit_log", "audit_head", "db_meta"})


def on_session_begin(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    """``after_begin``: the session's role rides on its connection while the session holds it."""
    connection.info[_ROLE_KEY] = session.info.get("role")


def clear_on_checkin(_dbapi_connection: Any, record: Any) -> None:
    """Pool ``checkin``: a pooled connection forgets the role of the session that used it."""
    record.info.pop(_ROLE_KEY, None)


def guard_cursor(
    conn: Connection, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    """``before_cursor_execute``: a viewer's connection runs no INSERT/UPDATE/DELETE on ledger tables."""
    if conn.info.get(_ROLE_KEY) != Role.VIEWER:
        return
    match = _WRITE_SQL.match(statement)
    if match and match.group(1).lower() not in SELF_SERVICE_TABLES:
        raise PermissionDenied(VIEWER_REFUSED)
