"""Which app version last wrote a database, and refusing a database written by a newer app.

A newer version may have added tables, columns or codes that this one would silently drop or misread,
so the app stops before migrating or writing anything and tells the clerk which version to install.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version
from sqlalchemy import Engine, insert, inspect, select, update
from sqlalchemy.engine import Connection

from models import DbMeta
from services.errors import DatabaseError
from services.version import APP_VERSION

APP_VERSION_KEY = "app_version"


def stored_app_version(conn: Connection) -> str | None:
    """The version recorded in the database, or None (new file, or written before versions were kept)."""
    if not inspect(conn).has_table(DbMeta.__tablename__):
        return None
    stmt = select(DbMeta.value).where(DbMeta.key == APP_VERSION_KEY)
    return conn.execute(stmt).scalar_one_or_none()


def check_not_newer(engine: Engine, app_version: str = APP_VERSION) -> None:
    """Raise DatabaseError when the database was last written by a newer app than ``app_version``."""
    with engine.connect() as conn:
        stored = stored_app_version(conn)
    if stored is None:
        return
    where = _describe(engine)
    try:
        newer = Version(stored) > Version(app_version)
    except InvalidVersion as exc:
        raise DatabaseError(
            f"数据库 {where} 记录的程序版本号“{stored}”无法识别，为防止损坏数据未打开。"
            "请确认文件来源，或联系技术支持。"
        ) from exc
    if newer:
        raise DatabaseError(
            f"数据库 {where} 已由较新版本的支部台账（{stored}）使用过，当前程序是 {app_version}，"
            f"为防止损坏数据未打开。请安装 {stored} 或更新的版本后再打开此数据库。"
        )


def record(engine: Engine, app_version: str = APP_VERSION) -> None:
    """Write ``app_version`` into db_meta (only when it changed, so opening stays read-only otherwise)."""
    with engine.begin() as conn:
        stored = stored_app_version(conn)
        if stored == app_version:
            return
        if stored is None:
            conn.execute(insert(DbMeta).values(key=APP_VERSION_KEY, value=app_version))
        else:
            conn.execute(update(DbMeta).where(DbMeta.key == APP_VERSION_KEY).values(value=app_version))


def _describe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True).removeprefix("sqlite:///")
