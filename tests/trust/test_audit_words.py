"""The 操作日志 reads like a ledger: Chinese table and field names, the member or setting a change is
about instead of its UUID or key, and no raw ``None``."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from models import PartyGroup
from services import audit, audit_labels, members, security_settings
from services.accounts import Actor
from services.db import Database
from services.roles import Role
from tests.conftest import TODAY, Builder


def entries(db: Database, table: str) -> list[audit_labels.ReadableEntry]:
    with db.reader() as s:
        rows = audit.list_entries(s, audit.AuditFilter(table=table), 50)
        return audit_labels.readable(s, rows)


def test_member_changes_name_the_member_and_the_fields_in_chinese(db: Database, build: Builder) -> None:
    branch = build.branch()
    with db.transaction("test") as s:
        s.add(PartyGroup(branch_id=branch.id, name="第一党小组"))
    member = build.member(branch.id, "赵敏")
    with db.transaction("test") as s:
        group_id = s.scalars(select(PartyGroup.id)).one()
        data = members.member_input(members.get_member(s, member.id))
        members.update_member(
            s, member.id, replace(data, phone="13800001111", party_group_id=group_id), TODAY
        )
    with db.transaction("test") as s:
        members.delete_member(s, member.id)
    texts = entries(db, "member")
    assert all(e.table == "党员" and e.record == "赵敏" for e in texts)
    every = "\n".join(e.text for e in texts)
    assert "联系电话：13800001111" in every and "党小组：第一党小组" in every
    assert "移入回收站" in every
    assert "None" not in every and member.id not in every and "phone" not in every


def test_a_setting_change_names_the_setting(db: Database) -> None:
    with db.transaction("setup") as s:
        from services import accounts

        accounts.create_first_admin(s, "admin", "管理员", "Sicherheit-2026")
    db.actor = Actor("admin", Role.ADMIN, "管理员")
    with db.transaction() as s:
        current = security_settings.load(s)
        security_settings.save(s, replace(current, lock_minutes=5))
    texts = entries(db, "db_meta")
    lock = [e for e in texts if e.record == "无操作自动锁定（分钟）"]
    assert lock and all(e.table == "系统设置" for e in texts)
    assert "trust." not in "".join(e.record + e.text for e in texts)


def test_values_read_as_words() -> None:
    assert audit_labels.value_text(None) == "（空）"
    assert audit_labels.value_text(True) == "是"
    assert audit_labels.value_text("probationary", "member", "status") == "预备党员"
    # A code means what its column says: "committee" is a 支委会 meeting and a 党委 organisation.
    assert audit_labels.value_text("committee", "meeting", "type") == "支委会"
    assert audit_labels.value_text("committee", "branch", "kind") == "党委"
    assert audit_labels.table_name_label("user_account") == "用户"
    assert audit_labels.field_label("joined_on") == "入党日期"
