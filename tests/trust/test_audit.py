"""操作日志: every change type with old → new, same transaction, and tampering is detected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text, update

from models import AuditEntry, AuditHead, Member, Township
from services import audit, members, org, recycle
from services.db import Database
from services.errors import ValidationError
from tests.conftest import TODAY, Builder


def _entries(db: Database, table: str, row_id: str) -> list[audit.AuditRow]:
    with db.reader() as s:
        rows = audit.list_entries(s, audit.AuditFilter(table=table, row_id=row_id), limit=10_000)
        return list(reversed(rows))


def test_insert_update_delete_restore_are_logged_with_old_and_new_values(db: Database) -> None:
    with db.transaction("张录入") as s:
        township_id = org.create_township(s, "T01", "城关镇").id
    with db.transaction("张录入") as s:
        s.get(Township, township_id).name = "城关街道"  # type: ignore[union-attr]
    with db.transaction("李管理") as s:
        org.soft_delete(s.get(Township, township_id))
    with db.transaction("李管理") as s:
        recycle.restore(s, "township", township_id)
    log = _entries(db, "township", township_id)
    assert [e.action for e in log] == ["insert", "update", "delete", "restore"]
    assert log[0].changes["name"] == [None, "城关镇"] and log[0].user == "张录入"
    assert log[1].changes == {"name": ["城关镇", "城关街道"]}
    assert log[2].changes == {"deleted": [False, True]} and log[2].user == "李管理"
    assert log[3].changes == {"deleted": [True, False]}
    assert "城关镇 → 城关街道" in log[1].describe()


def test_a_failed_transaction_leaves_no_log_entry(db: Database, build: Builder) -> None:
    branch = build.branch()
    with db.reader() as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(ValidationError), db.transaction("x") as s:
        members.create_member(
            s,
            branch.id,
            members.MemberInput("甲", build.id_number(), TODAY, status="probationary"),
            today=TODAY,
        )
        members.create_member(
            s,
            branch.id,
            members.MemberInput("", build.id_number(), TODAY, status="probationary"),
            today=TODAY,
        )
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == before
        assert audit.verify(s).ok


def test_writes_of_another_acting_user_such_as_sync_are_recorded_under_that_name(db: Database) -> None:
    with db.transaction("sync:county-pc") as s:
        township_id = org.create_township(s, "T02", "河西镇").id
    assert _entries(db, "township", township_id)[0].user == "sync:county-pc"


def test_bulk_summary_entries_keep_the_chain_valid(db: Database, build: Builder) -> None:
    build.branch(members=2)
    with db.transaction("demo") as s:
        audit.record_bulk(s.connection(), "demo", {"member": 500, "meeting": 0}, "演示数据")
    with db.reader() as s:
        rows = audit.list_entries(s, audit.AuditFilter(action="bulk"))
        assert [(r.table_name, r.changes["rows"][1]) for r in rows] == [("member", 500)]
        assert audit.verify(s).ok


def _make_history(db: Database, build: Builder) -> None:
    branch = build.branch(members=3)
    with db.transaction("x") as s:
        m = s.scalars(select(Member)).first()
        assert m is not None
        m.phone = "13800000000"
        members.delete_member(s, m.id)
    assert branch


def test_editing_one_log_row_is_detected_by_audit_verify(
    db: Database, db_path: Path, build: Builder, capsys: pytest.CaptureFixture[str]
) -> None:
    from main import main

    _make_history(db, build)
    assert main(["--db", str(db_path), "audit", "verify"]) == 0
    assert "校验通过" in capsys.readouterr().out
    with db.transaction() as s:
        target = s.scalars(
            select(AuditEntry).where(AuditEntry.table_name == "member").order_by(AuditEntry.id)
        ).first()
        assert target is not None
        changes = json.loads(target.changes)
        changes["name"] = [None, "假名字"]
        s.execute(update(AuditEntry).where(AuditEntry.id == target.id).values(changes=json.dumps(changes)))
        broken = target.id
    assert main(["--db", str(db_path), "audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"第 {broken} 条" in out and "被修改" in out


def test_recomputing_the_hash_of_an_edited_row_still_breaks_the_next_link(
    db: Database, build: Builder
) -> None:
    _make_history(db, build)
    with db.transaction() as s:
        first = s.get(AuditEntry, 2)
        assert first is not None
        row = {
            c: getattr(first, c)
            for c in ("id", "at", "user", "action", "table_name", "row_id", "changes", "tx")
        }
        row["user"] = "别人"
        s.execute(
            update(AuditEntry)
            .where(AuditEntry.id == 2)
            .values(user="别人", hash=audit.entry_hash(first.prev_hash, row))
        )
    with db.reader() as s:
        result = audit.verify(s)
    assert not result.ok and result.broken_id == 3 and "链接断开" in result.message


def test_deleting_a_middle_or_the_last_log_row_is_detected(db: Database, build: Builder) -> None:
    _make_history(db, build)
    with db.transaction() as s:
        last = s.scalar(select(AuditHead.last_id))
        s.execute(delete(AuditEntry).where(AuditEntry.id == last))
    with db.reader() as s:
        result = audit.verify(s)
    assert not result.ok and "不见了" in result.message
    with db.transaction() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.id == 3))
    with db.reader() as s:
        result = audit.verify(s)
    assert not result.ok and result.broken_id == 3


def test_list_filters_by_user_table_record_and_date_in_sql(db: Database, build: Builder) -> None:
    branch = build.branch()
    with db.transaction("甲") as s:
        m = members.create_member(
            s,
            branch.id,
            members.MemberInput("某甲", build.id_number(), TODAY, status="probationary"),
            today=TODAY,
        )
    with db.reader() as s:
        by_user = audit.list_entries(s, audit.AuditFilter(user="甲"))
        assert {r.user for r in by_user} == {"甲"}
        assert [r.row_id for r in audit.list_entries(s, audit.AuditFilter(table="member", row_id=m.id))] == [
            m.id
        ]
        assert audit.count_entries(s, audit.AuditFilter(since=TODAY.replace(year=2000))) > 0
        assert audit.list_entries(s, audit.AuditFilter(until=TODAY.replace(year=2000))) == []
        page = audit.list_entries(s, audit.AuditFilter(), limit=2, offset=1)
        assert len(page) == 2 and page[0].id > page[1].id


def test_audit_list_cli_prints_old_and_new(
    db: Database, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from main import main

    with db.transaction("甲") as s:
        t = org.create_township(s, "T05", "旧名")
    with db.transaction("甲") as s:
        s.get(Township, t.id).name = "新名"  # type: ignore[union-attr]
    assert main(["--db", str(db_path), "audit", "list", "--table", "township", "--user", "甲"]) == 0
    out = capsys.readouterr().out
    assert "旧名 → 新名" in out and "共 2 条" in out


def test_passwords_never_reach_the_log(db: Database) -> None:
    from services import accounts

    with db.transaction() as s:
        accounts.create_first_admin(s, "root", "", "secret-pass-9")
    with db.reader() as s:
        dump = " ".join(s.scalars(text("SELECT changes FROM audit_log")).all())
    assert "argon2" not in dump and "secret-pass-9" not in dump


def test_a_bookkeeping_row_really_deleted_is_logged_with_its_last_values(db: Database) -> None:
    from models import DbMeta

    with db.transaction("x") as s:
        s.add(DbMeta(key="probe", value="一"))
    with db.transaction("x") as s:
        s.delete(s.get(DbMeta, "probe"))
    log = _entries(db, "db_meta", "probe")
    assert [e.action for e in log] == ["insert", "purge"]
    assert log[1].changes == {"key": ["probe", None], "value": ["一", None]}
