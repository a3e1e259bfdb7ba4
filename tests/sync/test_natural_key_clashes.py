"""One fact entered twice under two ids — the same member's dues for the same month on a copied second
laptop, or entered again after restoring an older backup — reaches the county as a conflict a person
confirms, never as a package refused at every attempt (which kept every other change in it away)."""

from __future__ import annotations

import shutil
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from models import AppraisalGrade, FeeDue, Member
from services import backup, fees, talks
from services.db import Database, open_database
from services.sync import enrollment, state
from services.sync.ack import apply_ack, write_ack
from services.sync.conflicts import list_conflicts, resolve
from services.sync.receiver import import_package, release_enrolled
from services.sync.signing import b64, key_id, public_raw
from tests.sync.conftest import TODAY, Town
from tests.sync.test_trust import add_member, member_names, sync_round

MONTH = "2026-12"


def _first_member(db: Database) -> str:
    with db.reader() as s:
        found = s.scalars(select(Member.id).where(Member.deleted.is_(False)).order_by(Member.id)).first()
        assert found is not None
        return found


def _set_dues(town: Town, member_id: str, paid_fen: int, receipt: str) -> str:
    with town.db.transaction("clerk") as s:
        fees.set_due(s, member_id, MONTH, "farmer")
        return fees.record_payment(s, member_id, MONTH, paid_fen, TODAY, receipt, today=TODAY).id


def _dues_at_county(county: Database, member_id: str) -> list[FeeDue]:
    with county.reader() as s:
        return list(s.scalars(select(FeeDue).where(FeeDue.member_id == member_id, FeeDue.month == MONTH)))


def _second_laptop(town: Town, county: Database, tmp_path: Path) -> Town:
    """The township's ledger file copied to another laptop, registered at the county as a second one."""
    town.db.close()
    folder = tmp_path / "second-laptop"
    folder.mkdir()
    shutil.copyfile(town.folder / "ledger.sqlite", folder / "ledger.sqlite")
    town.db = open_database(town.folder / "ledger.sqlite")
    other = Town(town.code, open_database(folder / "ledger.sqlite"), Ed25519PrivateKey.generate(), folder)
    assert state.check_on_open(other.db) == "copy"
    return other


def test_the_same_dues_recorded_on_two_laptops_become_a_conflict_not_a_refused_package(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    a = make_town("T01").enroll(county)
    sync_round(a, county, usb)
    b = _second_laptop(a, county, tmp_path)
    try:
        member_id = _first_member(a.db)
        _set_dues(a, member_id, 300, "A-001")
        _set_dues(b, member_id, 500, "B-001")  # later: the version the county should show
        also = add_member(b, "二号电脑登记")  # another change in the same package
        assert sync_round(a, county, usb) == "imported"
        assert import_package(county, b.export(usb).path).status == "pending"
        fp = key_id(public_raw(b.key))
        enrollment.approve_additional(county, fp, user="县管理员")
        [released] = release_enrolled(county, fp)
        assert released.status == "imported", released.message
        assert released.conflicts == 1 and "同步冲突" in released.message

        [due] = _dues_at_county(county, member_id)
        assert (due.paid_fen, due.receipt_no) == (500, "B-001")
        assert "二号电脑登记" in member_names(county)
        with county.reader() as s:
            [conflict] = list_conflicts(s)
            assert (conflict.table, conflict.row_id) == ("fee_due", due.id)
            assert conflict.winner["receipt_no"] == "B-001" and conflict.loser["receipt_no"] == "A-001"
            assert ("paid_fen", 500, 300) in conflict.differences
            assert s.get(Member, also) is not None

        # The same package again (a stick re-sent before its acknowledgement) lists nothing new.
        again = import_package(county, b.export(usb, full=True).path)
        assert again.status in ("imported", "duplicate")
        with county.reader() as s:
            assert len(list_conflicts(s)) == 1

        # A person at the county keeps the first laptop's figures: the row takes them, keeping its id.
        resolve(county, conflict.id, "other", user="县管理员")
        [due] = _dues_at_county(county, member_id)
        assert (due.paid_fen, due.receipt_no) == (300, "A-001")
    finally:
        b.db.close()


def test_dues_entered_again_after_restoring_an_older_backup_reach_the_county(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    saved = backup.backup_to(t.db, tmp_path / "before-dues.sqlite")
    member_id = _first_member(t.db)
    _set_dues(t, member_id, 300, "OLD-1")
    sync_round(t, county, usb)
    backup.restore(t.db, saved)  # the dues are gone on the laptop; the clerk enters them again
    _set_dues(t, member_id, 420, "NEW-1")
    after = add_member(t, "恢复后登记")
    result = import_package(county, t.export(usb).path)
    assert result.status == "imported", result.message
    ack = write_ack(county, result.device_id, usb)
    apply_ack(t.db, ack.path)
    [due] = _dues_at_county(county, member_id)
    assert (due.paid_fen, due.receipt_no) == (420, "NEW-1")  # the later entry wins
    with county.reader() as s:
        assert s.get(Member, after) is not None
        listed = [c for c in list_conflicts(s) if c.table == "fee_due"]
        assert [c.row_id for c in listed] == [due.id]
        assert listed[0].loser["receipt_no"] == "OLD-1"


def test_the_same_yearly_grade_given_on_two_laptops_is_listed_with_both_versions(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    a = make_town("T01").enroll(county)
    sync_round(a, county, usb)
    b = _second_laptop(a, county, tmp_path)
    try:
        with b.db.reader() as s:
            town_id = state.township(s).id
        enrollment.register(county, b64(public_raw(b.key)), "T01", town_id, user="县管理员")
        with a.db.reader() as s:
            member_id = next(
                m.id
                for m in s.scalars(select(Member).where(Member.deleted.is_(False)).order_by(Member.id))
                if m.status == "full"
                and m.full_member_on is not None
                and m.full_member_on.year < 2025
                and s.scalar(
                    select(AppraisalGrade.id).where(
                        AppraisalGrade.member_id == m.id, AppraisalGrade.year == 2025
                    )
                )
                is None
            )
        for town, code in ((b, "basic"), (a, "excellent")):  # the first laptop's is the later one
            with town.db.transaction("clerk") as s:
                talks.record_grade(s, member_id, 2025, code, today=TODAY)
        assert sync_round(b, county, usb) == "imported"
        result = import_package(county, a.export(usb).path)
        assert result.status == "imported" and result.conflicts == 1, result.message
        with county.reader() as s:
            [grade] = s.scalars(
                select(AppraisalGrade).where(
                    AppraisalGrade.member_id == member_id, AppraisalGrade.year == 2025
                )
            ).all()
            assert grade.grade == "excellent"
            [conflict] = list_conflicts(s)
            assert conflict.row_id == grade.id and conflict.loser["grade"] == "basic"
    finally:
        b.db.close()
