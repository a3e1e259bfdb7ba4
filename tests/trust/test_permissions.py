"""Roles are enforced by the services: a 查阅 user cannot change anything, whatever the caller."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from models import AuditEntry, Member, Township
from services import accounts, backup, meetings, members, org, recycle, security_settings
from services.db import Database
from services.errors import PermissionDenied
from tests.conftest import TODAY, Builder
from tests.trust.conftest import PASSWORD, People


def _snapshot(db: Database) -> tuple[list[tuple[object, ...]], int]:
    with db.reader() as s:
        rows = [tuple(r) for r in s.execute(text("SELECT * FROM member ORDER BY id")).all()]
        audit_rows = s.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return rows, audit_rows


def test_viewer_cannot_edit_or_delete_a_member_and_nothing_changes(
    db: Database, build: Builder, people: People
) -> None:
    branch = build.branch(members=2)
    with db.reader() as s:
        member = s.scalars(select(Member)).first()
        assert member is not None
        data = members.member_input(member)
    before = _snapshot(db)
    db.actor = people.viewer
    data.name = "改过的名字"
    with pytest.raises(PermissionDenied, match="查阅"), db.transaction() as s:
        members.update_member(s, member.id, data, today=TODAY)
    with pytest.raises(PermissionDenied), db.transaction() as s:
        members.delete_member(s, member.id)
    with pytest.raises(PermissionDenied), db.transaction() as s:
        members.create_member(
            s,
            branch.id,
            members.MemberInput("新人", build.id_number(), TODAY, status="probationary"),
            today=TODAY,
        )
    assert _snapshot(db) == before


def test_viewer_cannot_delete_a_meeting_or_restore_from_the_bin(
    db: Database, branch_with_meeting: tuple[str, str], people: People
) -> None:
    _branch_id, meeting_id = branch_with_meeting
    with db.transaction("editor") as s:
        org.create_township(s, "T99", "要删的镇")
    with db.transaction("editor") as s:
        township = s.scalars(select(Township).where(Township.code == "T99")).one()
        org.soft_delete(township)
    db.actor = people.viewer
    with pytest.raises(PermissionDenied), db.transaction() as s:
        meetings.delete_meeting(s, meeting_id)
    with pytest.raises(PermissionDenied), db.transaction() as s:
        recycle.restore(s, "township", township.id)
    with db.reader() as s:
        assert meetings.get_meeting(s, meeting_id).deleted is False
        assert s.get(Township, township.id).deleted is True  # type: ignore[union-attr]


def test_viewer_cannot_write_with_an_orm_bulk_statement(db: Database, build: Builder, people: People) -> None:
    build.branch(members=1)
    db.actor = people.viewer
    with pytest.raises(PermissionDenied), db.transaction() as s:
        s.execute(Member.__table__.update().values(name="x"))  # type: ignore[attr-defined]
    from sqlalchemy import update

    with pytest.raises(PermissionDenied), db.transaction() as s:
        s.execute(update(Member).values(name="x"))
    with db.reader() as s:
        assert "x" not in s.scalars(select(Member.name)).all()


def test_viewer_may_read_and_change_own_password(db: Database, build: Builder, people: People) -> None:
    build.branch(members=1)
    db.actor = people.viewer
    with db.transaction() as s:
        assert len(members.roster(s, None, "")) == 1
        accounts.change_password(s, "viewer", PASSWORD, "another-pass-2")
    assert accounts.login(db, "viewer", "another-pass-2").role == "viewer"


def test_editor_edits_but_cannot_manage_users_settings_or_restore(
    db: Database, build: Builder, people: People, tmp_path: Path
) -> None:
    branch = build.branch()
    db.actor = people.editor
    with db.transaction() as s:
        members.create_member(
            s,
            branch.id,
            members.MemberInput("王五", build.id_number(), TODAY, status="probationary"),
            today=TODAY,
        )
    with pytest.raises(PermissionDenied, match="管理员"), db.transaction() as s:
        accounts.create_user(s, "x1", "", "viewer", "long-enough-1")
    with pytest.raises(PermissionDenied), db.transaction() as s:
        accounts.set_role(s, "viewer", "admin")
    with pytest.raises(PermissionDenied), db.transaction() as s:
        security_settings.save(s, security_settings.SecuritySettings(backup_keep=3))
    copy = backup.backup_to(db, tmp_path / "usb", people.editor)  # editors may take a copy
    with pytest.raises(PermissionDenied, match="管理员"):
        backup.restore(db, copy, people.editor)
    with pytest.raises(PermissionDenied):
        backup.backup_to(db, tmp_path / "usb2", people.viewer)


def test_cli_viewer_is_refused_with_a_chinese_message(
    db: Database,
    db_path: Path,
    build: Builder,
    people: People,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from main import main

    build.branch(members=1)
    with db.reader() as s:
        member_id = s.scalars(select(Member.id)).one()
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n", encoding="utf-8")
    pw.chmod(0o600)
    base = ["--db", str(db_path), "--user", "viewer", "--password-file", str(pw)]
    assert main([*base, "member", "delete", member_id]) == 1
    assert "查阅" in capsys.readouterr().err
    with db.reader() as s:
        assert s.get(Member, member_id).deleted is False  # type: ignore[union-attr]


def test_viewer_raw_sql_on_the_session_connection_is_refused_too(
    db: Database, build: Builder, people: People
) -> None:
    """Bulk importers (sync packages) write with raw SQL on the session's connection."""
    build.township()
    before = _snapshot(db)
    db.actor = people.viewer
    with pytest.raises(PermissionDenied), db.transaction() as s:
        s.connection().exec_driver_sql("UPDATE member SET name = 'x'")
    with pytest.raises(PermissionDenied), db.transaction() as s:
        s.connection().exec_driver_sql(
            "INSERT INTO township (id, code, name, county, created_at, updated_at, created_by, updated_by,"
            " deleted, row_seq) VALUES ('t', 'T9', 'x', '', '2026-01-01', '2026-01-01', '', '', 0, 0)"
        )
    assert accounts.login(db, "viewer", PASSWORD).role == "viewer"  # own login bookkeeping still works
    assert _snapshot(db)[0] == before[0]
    db.actor = people.editor  # the same pooled connection, now for an editor: allowed again
    with db.transaction() as s:
        s.connection().exec_driver_sql("UPDATE township SET county = '庆阳'")
