"""Two townships → packages → one county database: identical content, idempotent, acknowledged."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from models import Member, SyncReceived
from services.db import Database
from services.sync import state
from services.sync.ack import apply_ack, write_ack
from services.sync.exporter import pending_by_table
from services.sync.receiver import import_package
from tests.sync.conftest import content, snapshot, touch_member


def _merged(*dbs: Database) -> dict[str, dict[str, dict[str, object]]]:
    out: dict[str, dict[str, dict[str, object]]] = {}
    for db in dbs:
        for table, rows in content(db).items():
            out.setdefault(table, {}).update(rows)
    return out


def test_two_townships_arrive_identical_table_by_table(make_town, county: Database, usb: Path) -> None:
    a, b = make_town("T01", seed=1), make_town("T02", seed=2)
    a.enroll(county)
    b.enroll(county)
    pa, pb = a.export(usb), b.export(usb)
    assert pa.file_name.startswith("T01_") and pa.file_name.endswith(".ltpkg")
    ra = import_package(county, pa.path)
    rb = import_package(county, pb.path)
    assert ra.status == rb.status == "imported"
    expected, got = _merged(a.db, b.db), content(county)
    for table in expected:
        assert len(got[table]) == len(expected[table]), table
        assert got[table] == expected[table], table
    assert sum(len(r) for r in got.values()) == pa.total_rows + pb.total_rows


def test_reimport_changes_nothing(make_town, county: Database, usb: Path) -> None:
    a = make_town("T01")
    a.enroll(county)
    pkg = a.export(usb)
    import_package(county, pkg.path)
    before = snapshot(county)
    again = import_package(county, pkg.path)
    assert again.status == "duplicate"
    assert "导入过" in again.message
    assert snapshot(county) == before


def test_same_range_in_a_new_file_is_a_no_op(make_town, county: Database, usb: Path, tmp_path: Path) -> None:
    a = make_town("T01")
    a.enroll(county)
    first = a.export(usb)
    import_package(county, first.path)
    other = tmp_path / "usb2"
    other.mkdir()
    second = a.export(other, full=True)  # same rows, another file
    before = snapshot(county)
    result = import_package(county, second.path)
    assert result.status == "duplicate" and "已全部收到" in result.message
    assert snapshot(county) == before


def test_ack_round_trip_then_incremental_carries_only_new_changes(
    make_town, county: Database, usb: Path
) -> None:
    a = make_town("T01")
    a.enroll(county)
    first = a.export(usb)
    import_package(county, first.path)
    ack = write_ack(county, first.device_id, usb)
    assert ack.file_name.endswith(".ltack") and ack.received_through == first.seq_to
    result = apply_ack(a.db, ack.path)
    assert result.acked == first.seq_to and result.previous == 0
    with a.db.reader() as s:
        assert pending_by_table(s) == {}
        member_id = s.scalars(select(Member.id).order_by(Member.id)).first()
    assert member_id is not None
    touch_member(a.db, member_id, phone="13900000000")
    second = a.export(usb)
    assert second.seq_from == first.seq_to + 1
    assert second.rows_by_table == {"member": 1}
    res = import_package(county, second.path)
    assert res.updated == {"member": 1} and res.conflicts == 0
    with county.reader() as s:
        assert s.get(Member, member_id).phone == "13900000000"  # type: ignore[union-attr]
    # applying the same acknowledgement again is harmless
    assert apply_ack(a.db, ack.path).acked == first.seq_to


def test_encrypted_round_trip_and_verify_without_key(
    make_town, county_sqlite: Database, usb: Path, tmp_path: Path
) -> None:
    from services.sync import keys
    from services.sync.package import read_package

    bundle = keys.county_generate(tmp_path / "county-key.json")
    a = make_town("T01")
    a.enroll(county_sqlite)
    keys.county_set(a.db, tmp_path / "county-key.json")
    pkg = a.export(usb)
    assert pkg.encrypted
    checked = read_package(pkg.path, decrypt=False, county_key=None)
    assert checked.manifest.encryption and checked.manifest.encryption["county_key_id"] == bundle["key_id"]
    assert checked.rows == {}
    result = import_package(county_sqlite, pkg.path)
    assert result.status == "imported"
    assert content(county_sqlite) == content(a.db)


def test_import_records_the_package_once(make_town, county: Database, usb: Path) -> None:
    a = make_town("T01")
    a.enroll(county)
    pkg = a.export(usb)
    import_package(county, pkg.path)
    import_package(county, pkg.path)
    with county.reader() as s:
        assert len(s.scalars(select(SyncReceived)).all()) == 1
        assert state.device_id(s, create=False)  # the county has its own id for local edits
