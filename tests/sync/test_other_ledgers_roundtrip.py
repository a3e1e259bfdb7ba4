"""The other ledgers (development, transfers, flow, dues, training, decisions, 公示, 八有, filing) travel
through a sync package: every one of their tables arrives identical, the filed scans and 八有 photos with
their bytes; rows that go to the recycle bin with their member come back together, audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Branch, FeeDue, Member, VenueCheck
from models.base import Tracked
from models.enums import MemberState
from services import audit, filing, members, rectification, recycle, transfers
from services.attachments import blob_path, store_file
from services.db import Database
from services.sync.receiver import import_package
from tests.sync.conftest import TODAY, Town, content

OTHER_LEDGER_TABLES = (
    "development_record",
    "member_transfer",
    "flow_record",
    "fee_due",
    "fund_entry",
    "training_session",
    "training_attendance",
    "decision",
    "decision_step",
    "disclosure_posting",
    "venue_check",
    "rectification",
    "weak_branch_flag",
    "evidence_filing",
    "attachment",
)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(48))


def _fill_the_empty_ones(town: Town, tmp_path: Path) -> None:
    """The small demo has no transfers, flow, weak branches or filings yet: record a few like a clerk."""
    scan = tmp_path / "党课记录扫描.png"
    scan.write_bytes(PNG)
    with town.db.transaction("clerk") as s:
        branches = list(s.scalars(select(Branch).where(Branch.kind == "branch").order_by(Branch.code)))
        people = list(
            s.scalars(
                select(Member)
                .where(Member.state == MemberState.ACTIVE, Member.branch_since < date(2026, 1, 1))
                .order_by(Member.id)
                .limit(4)
            )
        )
        leaving, moving, flowing, back = people
        transfers.transfer_out(
            s, leaving.id, date(2026, 10, 8), "县教育局机关党委", "JX-2026-031", today=TODAY
        )
        other = next(b for b in branches if b.id != moving.branch_id)
        transfers.transfer_in(s, moving.id, other.id, date(2026, 9, 1), "邻镇党委", "LZ-17", today=TODAY)
        transfers.start_flow(s, flowing.id, "浙江省宁波市", date(2026, 3, 1), "13912345678", today=TODAY)
        transfers.start_flow(s, back.id, "新疆乌鲁木齐", date(2025, 12, 1), "13800000001", today=TODAY)
        transfers.end_flow(s, back.id, date(2026, 6, 30))
        flag = rectification.flag_weak(
            s, branches[0].id, date(2026, 2, 1), "班子不团结，组织生活不正常", today=TODAY
        )
        rectification.close_weak(s, flag.id, date(2026, 10, 30), "调整班子，恢复“三会一课”")
        filing.file_document(s, branches[0].id, "lecture_records", 2026, "党课记录扫描", scan, TODAY)
        filing.file_evidence(s, branches[1].id, "roster", 2026, "纸质花名册（未扫描）", None, TODAY)
        check = s.scalars(select(VenueCheck).order_by(VenueCheck.id)).first()
        assert check is not None
        store_file(s, "venue_check", check.id, scan, kind="photo", caption="党员活动室")


def test_every_other_ledger_table_arrives_identical(
    make_town: Callable[..., Town], county: Database, usb: Path, tmp_path: Path
) -> None:
    town = make_town("T01")
    town.enroll(county)
    _fill_the_empty_ones(town, tmp_path)
    sent = content(town.db)
    for table in OTHER_LEDGER_TABLES:
        assert sent[table], f"{table} is empty in the township: the round trip would prove nothing"

    package = town.export(usb)
    result = import_package(county, package.path)
    assert result.status == "imported"
    got = content(county)
    for table in OTHER_LEDGER_TABLES:
        assert len(got[table]) == len(sent[table]), table
        assert got[table] == sent[table], table
    # The bytes came along: the county can open the filed scan and the 八有 photo.
    with county.reader() as s:
        from models import Attachment

        for att in s.scalars(select(Attachment)):
            if county.engine.url.get_backend_name() == "sqlite":
                assert blob_path(s, att.sha256, att.filename).read_bytes() == PNG


def _deleted(s: Session, model: type[Tracked], row_id: str) -> bool:
    row = s.get(model, row_id)
    assert row is not None
    return bool(row.deleted)


def _log(db: Database, table: str, row_id: str) -> list[tuple[str, str]]:
    with db.reader() as s:
        entries = audit.list_entries(s, audit.AuditFilter(table=table, row_id=row_id), limit=10_000)
        return [(e.action, e.user) for e in reversed(entries)]


def test_a_deleted_members_dues_go_to_the_recycle_bin_with_them_and_come_back_audited(
    make_town: Callable[..., Town],
) -> None:
    town = make_town("T01")
    db = town.db
    with db.reader() as s:
        due = s.scalars(select(FeeDue).order_by(FeeDue.id)).first()
        assert due is not None
        due_id, member_id = due.id, due.member_id
    with db.transaction("张录入") as s:
        members.delete_member(s, member_id)  # 花名册 → 删除
    with db.reader() as s:
        binned = {(r.table, r.id) for r in recycle.list_deleted(s)}
        assert ("member", member_id) in binned
        assert _deleted(s, FeeDue, due_id)
    with db.transaction("李管理") as s:
        recycle.restore(s, "member", member_id)  # 回收站 → 恢复 brings the dues back with the member
    with db.reader() as s:
        assert not _deleted(s, FeeDue, due_id)
        assert not _deleted(s, Member, member_id)
        assert recycle.list_deleted(s, "fee_due") == []
        assert audit.verify(s).ok
        assert s.scalar(select(func.count()).select_from(FeeDue).where(FeeDue.deleted.is_(True))) == 0
    for table, row_id in (("fee_due", due_id), ("member", member_id)):
        assert _log(db, table, row_id)[-2:] == [("delete", "张录入"), ("restore", "李管理")], table
