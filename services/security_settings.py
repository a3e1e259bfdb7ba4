"""Settings of the trust features, kept per database in ``db_meta``: how many automatic backups to
keep, whether to make one daily, and after how many idle minutes the window locks. Admin only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DbMeta
from services.errors import ValidationError
from services.roles import require_admin

KEEP_KEY = "trust.backup_keep"
DAILY_KEY = "trust.backup_daily"
LOCK_KEY = "trust.lock_minutes"


@dataclass(frozen=True)
class SecuritySettings:
    backup_keep: int = 10  # newest automatic backups always kept, besides the by-age rotation
    backup_daily: bool = True  # one automatic backup on the first start of each day
    lock_minutes: int = 10  # idle minutes before the window locks; 0 = never


def load(session: Session) -> SecuritySettings:
    rows = dict(
        session.execute(
            select(DbMeta.key, DbMeta.value).where(DbMeta.key.in_([KEEP_KEY, DAILY_KEY, LOCK_KEY]))
        ).all()
    )
    base = SecuritySettings()

    def number(key: str, default: int) -> int:
        try:
            return int(rows[key])
        except (KeyError, ValueError):
            return default

    return SecuritySettings(
        backup_keep=number(KEEP_KEY, base.backup_keep),
        backup_daily=rows.get(DAILY_KEY, "1" if base.backup_daily else "0") != "0",
        lock_minutes=number(LOCK_KEY, base.lock_minutes),
    )


def save(session: Session, settings: SecuritySettings) -> SecuritySettings:
    require_admin(session, "修改安全设置")
    if not 1 <= settings.backup_keep <= 365:
        raise ValidationError("backup_keep", "自动备份保留份数应在 1 到 365 之间。")
    if not 0 <= settings.lock_minutes <= 24 * 60:
        raise ValidationError("lock_minutes", "自动锁定时间应在 0（不锁定）到 1440 分钟之间。")
    values = {
        KEEP_KEY: str(settings.backup_keep),
        DAILY_KEY: "1" if settings.backup_daily else "0",
        LOCK_KEY: str(settings.lock_minutes),
    }
    for key, value in values.items():
        row = session.get(DbMeta, key)
        if row is None:
            session.add(DbMeta(key=key, value=value))
        elif row.value != value:
            row.value = value
    session.flush()
    return settings
