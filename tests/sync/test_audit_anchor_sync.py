"""The township's 操作日志 anchor travels in every package; the county notices when the log it saw
last time has since been shortened or rewritten (SQLite and PostgreSQL county)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, select, update

from models import AuditEntry, AuditHead, Member
from services import audit
from services.db import Database
from services.sync.receiver import import_package
from tests.sync.conftest import touch_member


def _some_member(db: Database) -> str:
    with db.reader() as s:
        return str(s.scalars(select(Member.id).order_by(Member.id)).first())


def _cut_log(db: Database, keep: int) -> None:
    """What whoever holds the file does: delete the last entries and fix every trace inside it."""
    with db.transaction("x") as s:
        s.execute(delete(AuditEntry).where(AuditEntry.id > keep))
        last = s.execute(select(AuditEntry.id, AuditEntry.hash).where(AuditEntry.id == keep)).one()
        s.execute(update(AuditHead).values(last_id=last.id, last_hash=last.hash))
        audit._store_anchor(s.connection(), last.id, last.hash)


def test_packages_carry_the_log_anchor_and_an_honest_township_raises_no_warning(
    make_town, county: Database, usb: Path
) -> None:
    town = make_town("T01", seed=1).enroll(county)
    first = town.export(usb)
    with town.db.reader() as s:
        number = audit.anchor(s)[0]
    assert number > 0
    result = import_package(county, first.path)
    assert result.status == "imported" and "警告" not in result.message
    touch_member(town.db, _some_member(town.db), phone="13900001111")
    second = import_package(county, town.export(usb).path)
    assert second.status == "imported" and "警告" not in second.message


def test_a_shortened_or_rewritten_township_log_is_reported_by_the_county(
    make_town, county: Database, usb: Path
) -> None:
    town = make_town("T01", seed=1).enroll(county)
    assert import_package(county, town.export(usb).path).status == "imported"
    with town.db.reader() as s:
        seen = audit.anchor(s)[0]
    _cut_log(town.db, seen - 3)  # the last three entries the county saw are deleted …
    touch_member(town.db, _some_member(town.db), phone="13900002222")  # … and work goes on
    with town.db.reader() as s:
        assert audit.verify(s).ok  # nothing inside the township file can tell
    result = import_package(county, town.export(usb).path)
    assert result.status == "imported"  # the data still arrives …
    assert "警告" in result.message and ("截短" in result.message or "改写" in result.message)
    with county.reader() as s:  # … and the county's own log records the finding
        events = [c for c in s.scalars(select(AuditEntry.changes)) if "sync_audit_anchor_mismatch" in c]
    assert len(events) == 1


def test_audit_verify_on_the_township_checks_the_anchor_in_the_county_acknowledgement(
    make_town, county: Database, usb: Path, capsys
) -> None:
    import main
    from services.sync.ack import apply_ack, write_ack

    town = make_town("T01", seed=1).enroll(county)
    package = town.export(usb)
    assert import_package(county, package.path).status == "imported"
    ack = write_ack(county, package.device_id, usb)
    assert "audit_anchor" in ack.payload  # signed by the county
    apply_ack(town.db, ack.path)
    path = town.db.path
    assert path is not None
    capsys.readouterr()
    assert main.main(["--db", str(path), "audit", "verify"]) == 0
    assert "县里回执" in capsys.readouterr().out
    confirmed = int(ack.payload["audit_anchor"][0])  # the log end the county saw
    _cut_log(town.db, confirmed - 2)
    assert main.main(["--db", str(path), "audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "不通过" in out and "县里回执" in out and "截短" in out
