"""County mode: a county database is marked in ``db_meta`` and every county action is guarded.

A county database is the same schema as a township's; ``county init`` marks it (``county.mode`` =
``county``) and creates the county's encryption key on this computer. The same binary then opens
it in county mode (``is_county``). Every county action runs through :func:`county_action`: one
transaction, refused for a 查阅 user, refused on a township database, one audit entry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import DbMeta, SyncReceived, Township
from models.base import Tracked
from models.enums import Role
from services import audit
from services.db import Database
from services.errors import LedgerError, PermissionDenied
from services.roles import require_role

MODE_KEY = "county.mode"
COUNTY = "county"
KEY_ID = "county.key_id"
CREATED_AT = "county.created_at"
NAME = "county.name"


class NotCounty(LedgerError):
    """A county action on a database that is not a county database."""


def is_county(session: Session) -> bool:
    """True when this is a county (receiving) database: marked by ``county init``, or one from before
    county mode that already enrols devices or receives packages (a township database never holds
    those rows). At most five cheap reads."""
    row = session.get(DbMeta, MODE_KEY)
    if row is not None and row.value == COUNTY:
        return True
    from models import SyncDevice, SyncEnrollment, SyncHeld

    return any(
        session.scalar(select(exists().select_from(model)))
        for model in (SyncEnrollment, SyncDevice, SyncHeld, SyncReceived)
    )


def require_county(session: Session, what: str) -> None:
    """Raises ``NotCounty`` (Chinese, naming ``what``) unless this is a county database."""
    if not is_county(session):
        raise NotCounty(
            f"{what}只能在县级接收数据库上进行。本数据库是乡镇台账库；县里请先运行 `county init 数据库` 建立县级库。"
        )


def is_township_ledger(session: Session) -> bool:
    """True for a township's ledger: it holds a township and is not a county database (an empty new
    database is neither: the first package received makes it a county's)."""
    if is_county(session):
        return False
    return (
        session.scalars(select(Township.id).where(Township.deleted.is_(False)).limit(1)).first() is not None
    )


def refuse_on_township(db: Database, what: str, instead: str = "") -> None:
    """Raises ``NotCounty`` (Chinese: ``what`` is done at the county; ``instead`` what the township
    clerk uses) when ``db`` is a township's ledger; nothing is written."""
    with db.reader() as s:
        if not is_township_ledger(s):
            return
    hint = f"乡镇电脑上请用{instead}。" if instead else ""
    raise NotCounty(f"{what}只能在县级接收数据库上使用，本数据库是乡镇台账库。{hint}")


def refuse_on_county(db: Database, what: str, instead: str = "") -> None:
    """Raises ``NotCounty`` (Chinese: ``what`` is a township clerk's step; ``instead`` what the county
    uses) when ``db`` is the county database; nothing is written."""
    with db.reader() as s:
        if not is_county(s):
            return
    hint = f"县里请用 {instead}。" if instead else ""
    raise NotCounty(f"这是县级接收数据库，{what}是乡镇电脑上的操作。{hint}")


@contextlib.contextmanager
def county_action(
    db: Database, what: str, event: str, detail: dict[str, Any] | None = None, *, user: str = ""
) -> Iterator[Session]:
    """One transaction for a county action: county database only, 录入员 or 管理员 only (a 查阅 user is
    refused with ``PermissionDenied``), and one audit entry ``event`` with ``detail``. The caller may
    add to ``detail`` inside the block (it is recorded at the end, in the same transaction)."""
    info = dict(detail or {})
    with db.transaction(user) as s:
        require_role(s, Role.ADMIN, Role.EDITOR, what=what)
        require_county(s, what)
        s.info["county_detail"] = info
        yield s
        audit.record_event(s, event, s.info.pop("county_detail", info))


def init_county(
    db: Database, *, name: str = "", key_file: Path | None = None, user: str = "", new_key: bool = False
) -> dict[str, Any]:
    """Mark ``db`` (empty, or a database that has received packages — a county database from before
    county mode — or already marked) as the county database and create the county's
    X25519 key on this computer when there is none (an existing key is kept: townships already hold
    its public file; a second county database on the same computer is the same county desk).
    ``new_key`` makes a new key anyway: the old key file is first kept as a backup named with its
    fingerprint (never deleted, packages sealed for it still import). Writes the public key file
    for the townships to ``key_file`` when given.

    Returns ``{"key_id", "county_db", "key_file", "created": bool, "key_reused": bool,
    "replaced_key_id", "key_backup"}``. Raises ``PermissionDenied`` for a
    查阅 user, ``NotCounty`` when ``db`` holds a township's ledger (it has a township and is not a
    county database): nothing is written then.
    """
    from services.sync import state
    from services.sync.crypto import county_key_id, load_county_key, x_public_raw

    with db.transaction(user) as s:
        require_role(s, Role.ADMIN, what="建立县级接收数据库")
        marker = s.get(DbMeta, MODE_KEY)
        already = marker is not None and marker.value == COUNTY
        received = s.scalars(select(SyncReceived.package_id).limit(1)).first() is not None
        if not already and not received and s.scalars(select(Township.id).limit(1)).first() is not None:
            raise NotCounty(
                "该数据库里已有乡镇台账数据，不能改作县级接收库。请为县级接收新建一个空数据库（SQLite 文件或 PostgreSQL 库）。"
            )
    from services.sync.crypto import replace_county_key

    key = load_county_key()
    reused = key is not None and not new_key
    replaced = county_key_id(x_public_raw(key)) if key is not None and new_key else ""
    backup: Path | None = None
    if not reused:
        _, backup = replace_county_key(overwrite=new_key)
    if key_file is not None:
        _bundle_for_existing(db, key_file)
    key = load_county_key()
    assert key is not None
    key_id = county_key_id(x_public_raw(key))
    with db.transaction(user) as s:
        county_db = state.device_id(s)
        state.put(s, MODE_KEY, COUNTY)
        state.put(s, KEY_ID, key_id)
        if name:
            state.put(s, NAME, name[:200])
        if not state.get(s, CREATED_AT):
            state.put(s, CREATED_AT, datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"))
        audit.record_event(
            s,
            "county_init",
            {
                "key_id": key_id,
                "county_db": county_db,
                "already": already,
                "name": name,
                "key_reused": reused,
                "replaced_key_id": replaced,
            },
        )
    return {
        "key_id": key_id,
        "county_db": county_db,
        "key_file": str(key_file or ""),
        "created": not already,
        "key_reused": reused,
        "replaced_key_id": replaced,
        "key_backup": str(backup or ""),
    }


def _bundle_for_existing(db: Database, out: Path) -> dict[str, Any]:
    """The public key file of the county key already on this computer (no new key)."""
    import json

    from services.sync import state
    from services.sync.crypto import county_key_id, load_county_key, x_public_raw
    from services.sync.fileio import write_atomic
    from services.sync.keys import BUNDLE_FORMAT
    from services.sync.signing import b64, device_key, key_id, public_raw

    x = load_county_key()
    assert x is not None
    signer = device_key()
    with db.transaction() as s:
        county_db = state.device_id(s)
    bundle = {
        "format": BUNDLE_FORMAT,
        "x25519": b64(x_public_raw(x)),
        "ed25519": b64(public_raw(signer)),
        "key_id": county_key_id(x_public_raw(x)),
        "signer_key_id": key_id(public_raw(signer)),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "county_db": county_db,
    }
    write_atomic(out, json.dumps(bundle, ensure_ascii=False, indent=1).encode("utf-8"))
    return bundle


# --- township records are read-only at the county ---------------------------------------------------

_ACTING: ContextVar[bool] = ContextVar("county_writes", default=False)
TOWNSHIP_RECORDS_READ_ONLY = (
    "县级数据库中的乡镇数据来自各乡镇报送的同步包，不能在县里修改。"
    "如需更正，请通知乡镇在本乡镇电脑上修改后重新报送。"
)


@contextlib.contextmanager
def county_writes() -> Iterator[None]:
    """Marks the county's own writes (resolving a conflict writes the chosen version of a township
    row) as allowed while ``protect_township_records`` is in force (this thread only)."""
    token = _ACTING.set(True)
    try:
        yield
    finally:
        _ACTING.reset(token)


def _action_of(session: Session) -> str | None:
    """What the pending flush would do to a township record, in words (``新增“党员”记录``), or None
    when it writes no ``Tracked`` row. A soft delete (``deleted`` set) reads as 删除, its undo as 恢复.
    When one action touches several tables (deleting a member moves its attendance too) the record
    the others hang from (no foreign key to another touched table) is named."""
    from sqlalchemy import inspect as sa_inspect

    from services.ledgers.schema import table_label

    touched: list[tuple[object, str]] = []
    touched += [(o, "新增") for o in session.new if isinstance(o, Tracked)]
    touched += [(o, "删除") for o in session.deleted if isinstance(o, Tracked)]
    for obj in session.dirty:
        if isinstance(obj, Tracked) and session.is_modified(obj, include_collections=False):
            moved = sa_inspect(obj).attrs.deleted.history.has_changes()
            touched.append((obj, ("删除" if obj.deleted else "恢复") if moved else "修改"))
    if not touched:
        return None
    tables = {type(o).__table__ for o, _verb in touched}  # type: ignore[attr-defined]

    def hangs_from_another(obj: object) -> bool:
        table = type(obj).__table__  # type: ignore[attr-defined]
        return any(fk.column.table in tables and fk.column.table is not table for fk in table.foreign_keys)

    obj, verb = next(((o, v) for o, v in touched if not hangs_from_another(o)), touched[0])
    return f"{verb}“{table_label(type(obj).__tablename__)}”记录"  # type: ignore[attr-defined]


def township_write_refusal(action: str) -> str:
    """The Chinese message refusing ``action`` (``新增“党员”记录``) on a county database."""
    return f"这是县级接收数据库，不能在这里{action}。{TOWNSHIP_RECORDS_READ_ONLY}"


def _refuse_township_edits(session: Session, _ctx: object, _instances: object) -> None:
    if _ACTING.get():
        return
    action = _action_of(session)
    if action is not None:
        raise PermissionDenied(township_write_refusal(action))


def protect_township_records(db: Database) -> None:
    """In county mode the township screens are views: an ORM write of a township record (any
    ``Tracked`` row: member, meeting, fee …) through ``db`` raises ``PermissionDenied`` with a
    Chinese message naming the action (``township_write_refusal``), unless inside
    ``county_writes()``. Receiving (Core bulk writes) and the sync bookkeeping tables are not
    affected. Idempotent."""
    if getattr(db.sessions, "_county_guard", False):
        return
    sa_event.listen(db.sessions, "before_flush", _refuse_township_edits)
    db.sessions._county_guard = True  # type: ignore[attr-defined]


def guard_if_county(db: Database) -> bool:
    """Called where every database is opened (``services.db.open_database``): a county database gets
    ``protect_township_records`` for every path that writes through it (CLI, GUI, scripts), not only
    the county screens. Returns whether it is a county database (False also when it cannot be read
    yet: an empty file being created)."""
    try:
        with db.reader() as s:
            county = is_county(s)
    except Exception:
        return False
    if county:
        protect_township_records(db)
    return county
