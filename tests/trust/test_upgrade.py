"""A database made by the first schema revision upgrades to head and keeps every row; the trust
tables start empty and the audit chain starts valid."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import func, inspect, select, text

from models import AuditEntry, AuditHead, UserAccount
from services import audit, org
from services.db import current_revision, head_revision, open_database
from tests.trust.old_schema import make_old_database


def test_revision_0001_database_upgrades_and_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ids = make_old_database(path, "0001")
    db = open_database(path)
    try:
        assert current_revision(db.engine) == head_revision()
        with db.reader() as s:
            for table, wanted in ids.items():
                got = s.execute(text(f"SELECT id FROM {table}")).scalars().all()
                assert sorted(got) == sorted(wanted), table
            assert s.scalar(text("SELECT value FROM change_counter")) == 100
            assert {"user_account", "audit_log", "audit_head"} <= set(
                inspect(s.connection()).get_table_names()
            )
            assert s.scalar(select(func.count()).select_from(UserAccount)) == 0
            assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0
            assert s.execute(select(AuditHead.last_id, AuditHead.last_hash)).one() == (0, "")
        with db.transaction("升级后") as s:
            org.create_township(s, "T02", "新镇")
        with db.reader() as s:
            assert audit.verify(s).ok and audit.count_entries(s, audit.AuditFilter(user="升级后")) == 1
    finally:
        db.close()
    copies = list((tmp_path / "backups").glob("ledger-before-upgrade.sqlite"))
    assert len(copies) == 1 and stat.S_IMODE(copies[0].stat().st_mode) == 0o600
