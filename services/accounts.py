"""User accounts: the first administrator, login with growing delays and a temporary lock,
password changes, and user management (administrators only).

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile). A failed
login makes the next attempt wait 1, 2, 4, … seconds; after ``LOCK_AFTER`` failures in a row the
account is locked for ``LOCK_MINUTES``. Logins, failures and locks are written to the audit log.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.orm import Session

from models import UserAccount, utcnow
from models.enums import Role, label
from services import audit
from services.db import Database
from services.errors import NotFound, PermissionDenied, ValidationError
from services.roles import Actor, require_admin, session_role

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_PASSWORD = 8
LOCK_AFTER = 5
LOCK_MINUTES = 15
MAX_DELAY_SECONDS = 30


_hasher: PasswordHasher | None = None  # created on first use (tests put a cheaper one here)
_dummy: str | None = None


def _get_hasher() -> PasswordHasher:
    """argon2 is loaded on the first password check, not when the module is imported (start-up)."""
    global _hasher
    if _hasher is None:
        from argon2 import PasswordHasher

        _hasher = PasswordHasher()
    return _hasher


def _dummy_hash() -> str:
    """A hash no password matches, computed once on first use (0.25–0.5 s and 64 MiB: never at import)."""
    global _dummy
    if _dummy is None:
        _dummy = _get_hasher().hash("not a password of anyone")
    return _dummy


# One answer for every refused login (unknown name, wrong password, waiting, locked): which names
# exist must not show. The rules themselves are told, so a clerk knows what to do.
REFUSED = (
    f"用户名或密码不正确。连续输错后需稍候再试，输错 {LOCK_AFTER} 次账号将锁定 {LOCK_MINUTES} 分钟"
    "（可请管理员解锁）。"
)


class LoginRefused(PermissionDenied):
    """Wrong name or password, inactive or locked account; ``wait_seconds`` > 0 when it is a delay."""

    def __init__(self, message: str, wait_seconds: int = 0) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds
        self.dummy_check = False  # refused without a real check: login() spends the same time


@dataclass(frozen=True)
class UserRow:
    id: str
    username: str
    display_name: str
    role: str
    role_label: str
    active: bool
    locked_until: datetime | None
    last_login_at: datetime | None


def hash_password(password: str) -> str:
    return _get_hasher().hash(password)


def _check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(field, f"密码至少 {MIN_PASSWORD} 位，请换一个更长的密码。")
    if password.strip() != password:
        raise ValidationError(field, "密码首尾不能是空格。")
    if len(set(password)) < 3:
        raise ValidationError(field, "密码太简单（字符几乎都一样），请换一个。")


def _check_role(role: str) -> str:
    if role not in Role.__members__.values():
        raise ValidationError(
            "role", f"未知的角色：{role}。可选：admin（管理员）、editor（录入员）、viewer（查阅）。"
        )
    return str(role)


def has_accounts(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(UserAccount)))


def _by_name(session: Session, username: str) -> UserAccount | None:
    return session.scalar(select(UserAccount).where(UserAccount.username == username.strip()))


def _new_user(session: Session, username: str, display_name: str, role: str, password: str) -> UserAccount:
    username = username.strip()
    if not username:
        raise ValidationError("username", "用户名不能为空。")
    if len(username) > 64 or any(c.isspace() for c in username):
        raise ValidationError("username", "用户名不能含空格，最长 64 个字符。")
    if _by_name(session, username) is not None:
        raise ValidationError("username", f"用户名 {username} 已被使用，请换一个。")
    _check_password(password)
    user = UserAccount(
        username=username,
        display_name=display_name.strip() or username,
        role=_check_role(role),
        password_hash=hash_password(password),
        failed_attempts=0,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def create_first_admin(session: Session, username: str, display_name: str, password: str) -> UserAccount:
    """The first account of a database; refused once any account exists."""
    if has_accounts(session):
        raise PermissionDenied("本数据库已有账号，不能再创建“首个管理员”。请用管理员账号登录后添加用户。")
    session.info["user"] = username.strip()
    return _new_user(session, username, display_name, Role.ADMIN, password)


def create_user(session: Session, username: str, display_name: str, role: str, password: str) -> UserAccount:
    require_admin(session, "添加用户")
    return _new_user(session, username, display_name, role, password)


def authenticate(session: Session, username: str, password: str, now: datetime | None = None) -> Actor:
    """Check a login. Failures are counted (and logged) even though the caller gets an error,
    so call this in its own transaction and let it commit: use :func:`login`."""
    now = now or utcnow()
    table = cast(Table, UserAccount.__table__)
    # Reserve this guess FIRST, in one atomic statement that also takes the write lock: parallel
    # logins queue here, and each one either gets a counted guess or sees the lock — never 19
    # guesses for 5. Core on the connection: a 查阅 session may still do its own login bookkeeping.
    reserved = (
        session.connection()
        .execute(
            update(table)
            .where(
                table.c.username == username,
                or_(table.c.locked_until.is_(None), table.c.locked_until <= now),
            )
            .values(failed_attempts=table.c.failed_attempts + 1)
            .returning(table.c.failed_attempts)
        )
        .scalar_one_or_none()
    )
    user = _by_name(session, username)
    if user is None or reserved is None:
        # Unknown name, locked account or still waiting: the same words and the same time as a
        # real check (``login`` runs the dummy hash once the write lock is released), so neither
        # reveals which user names exist.
        refused = LoginRefused(REFUSED, 1)
        refused.dummy_check = True
        raise refused
    session.refresh(user)
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        _get_hasher().verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        if user.failed_attempts >= LOCK_AFTER:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        else:
            user.locked_until = now + timedelta(
                seconds=min(2 ** (user.failed_attempts - 1), MAX_DELAY_SECONDS)
            )
        session.info["user"] = user.username
        audit.record_event(
            session, "login_failed", {"username": user.username}, table="user_account", row_id=user.id
        )
        raise LoginRefused(REFUSED, 1) from None
    if not user.active:
        raise LoginRefused("该账号已停用，请联系管理员。")
    if _get_hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_attempts = 0
    user.locked_until = None
    user.last_login_at = now
    session.info["user"] = user.username
    audit.record_event(
        session, "login", {"username": user.username, "role": user.role}, table="user_account", row_id=user.id
    )
    return Actor(user.username, user.role, user.display_name)


def _login_read_only(db: Database, username: str, password: str) -> Actor:
    """A file on read-only media: nothing can be counted or logged, and nothing can be changed —
    the password is still checked, and everyone views with the 查阅 role."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    with db.reader() as s:
        user = _by_name(s, username)
    if user is None or not user.active:
        _hasher_dummy(password)
        raise LoginRefused(REFUSED, 1)
    try:
        _get_hasher().verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise LoginRefused(REFUSED, 1) from None
    return Actor(user.username, Role.VIEWER, user.display_name)


def _hasher_dummy(password: str) -> None:
    from argon2.exceptions import VerificationError

    with contextlib.suppress(VerificationError):
        _get_hasher().verify(_dummy_hash(), password)


def login(db: Database, username: str, password: str, now: datetime | None = None) -> Actor:
    """Authenticate in a transaction of its own that commits even when the login fails
    (the failure count must stick), then raise the refusal."""
    if db.read_only:
        return _login_read_only(db, username, password)
    refused: LoginRefused | None = None
    actor: Actor | None = None
    with db.transaction(username) as s:
        try:
            actor = authenticate(s, username, password, now)
        except LoginRefused as exc:
            refused = exc
    if refused is not None:
        if refused.dummy_check:
            _hasher_dummy(password)
        raise refused
    assert actor is not None
    return actor


def change_password(session: Session, username: str, old: str, new: str) -> None:
    """Anyone may change their own password, knowing the old one."""
    user = _by_name(session, username)
    if user is None:
        raise NotFound(f"找不到用户 {username}。")
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        _get_hasher().verify(user.password_hash, old)
    except (VerificationError, InvalidHashError):
        raise ValidationError("old_password", "原密码不正确。") from None
    if old == new:
        raise ValidationError("password", "新密码不能与原密码相同。")
    _check_password(new)
    user.password_hash = hash_password(new)
    session.flush()


def _managed(session: Session, username: str, what: str) -> UserAccount:
    require_admin(session, what)
    user = _by_name(session, username)
    if user is None:
        raise NotFound(f"找不到用户 {username}。")
    return user


def _remaining_admins(session: Session, without: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(UserAccount)
            .where(
                UserAccount.role == Role.ADMIN, UserAccount.active.is_(True), UserAccount.username != without
            )
        )
        or 0
    )


def set_role(session: Session, username: str, role: str) -> UserAccount:
    user = _managed(session, username, "修改角色")
    role = _check_role(role)
    if user.role == Role.ADMIN and role != Role.ADMIN and _remaining_admins(session, username) == 0:
        raise ValidationError("role", "这是最后一个管理员，不能改为其他角色。请先把另一个账号设为管理员。")
    user.role = role
    session.flush()
    return user


def set_active(session: Session, username: str, active: bool) -> UserAccount:
    user = _managed(session, username, "停用或启用账号")
    if not active and user.role == Role.ADMIN and _remaining_admins(session, username) == 0:
        raise ValidationError("active", "这是最后一个管理员，不能停用。")
    if not active and username == session.info.get("user"):
        raise ValidationError("active", "不能停用自己正在使用的账号。")
    user.active = active
    session.flush()
    return user


def reset_password(session: Session, username: str, new: str) -> UserAccount:
    """An administrator sets a new password (e.g. a clerk forgot theirs); also unlocks."""
    user = _managed(session, username, "重设密码")
    _check_password(new)
    user.password_hash = hash_password(new)
    user.failed_attempts = 0
    user.locked_until = None
    session.flush()
    return user


def unlock(session: Session, username: str) -> UserAccount:
    user = _managed(session, username, "解锁账号")
    user.failed_attempts = 0
    user.locked_until = None
    session.flush()
    return user


def list_users(session: Session) -> list[UserRow]:
    if session_role(session) not in (None, Role.ADMIN):
        raise PermissionDenied("只有管理员可以查看用户列表。")
    return [
        UserRow(
            u.id,
            u.username,
            u.display_name,
            u.role,
            label(Role(u.role)),
            u.active,
            u.locked_until,
            u.last_login_at,
        )
        for u in session.scalars(select(UserAccount).order_by(UserAccount.username))
    ]
