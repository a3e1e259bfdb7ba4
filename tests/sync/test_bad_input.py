"""Every bad package is refused with a clear Chinese message and nothing is written."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.db import Database
from services.sync import keys
from services.sync.errors import KeyMissing, PackageInvalid, PackageRejected, SyncError
from services.sync.manifest import Manifest
from services.sync.package import COMMENT_LEN, read_entry, read_package
from services.sync.receiver import import_package
from tests.sync.conftest import Town, content, craft, resign, snapshot


@pytest.fixture
def town(make_town) -> Town:
    return make_town("T01")


@pytest.fixture
def pkg(town: Town, usb: Path) -> Path:
    return town.export(usb).path


def refused(county: Database, path: Path, kind: type[SyncError], *phrases: str) -> str:
    before = snapshot(county)
    with pytest.raises(kind) as info:
        import_package(county, path)
    message = info.value.message
    for phrase in phrases:
        assert phrase in message, message
    assert snapshot(county) == before
    return message


def test_truncated_file_is_rejected_and_nothing_written(pkg: Path, county: Database) -> None:
    data = pkg.read_bytes()
    for cut in (len(data) // 2, len(data) - 1, 10):
        pkg.write_bytes(data[:cut])
        refused(county, pkg, PackageInvalid, "不完整或已损坏")


@pytest.mark.slow
def test_flipped_byte_anywhere_is_rejected(make_town, usb: Path, county_sqlite: Database) -> None:
    from services.sync.exporter import export_package

    town = make_town("T09", data=False)
    from tests.conftest import Builder

    b = Builder(town.db)
    b.township("T09", "小镇")
    branch = b.branch(members=1)
    assert branch.id
    town.enroll(county_sqlite)
    pkg = export_package(town.db, usb, key=town.key).path
    data = pkg.read_bytes()
    assert len(data) < 8000
    for i in range(len(data)):
        damaged = bytearray(data)
        damaged[i] ^= 0x01 if i % 2 else 0x80
        pkg.write_bytes(bytes(damaged))
        with pytest.raises(SyncError):
            read_package(pkg)
    # and through the importer: message and nothing written
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0x10
    pkg.write_bytes(bytes(damaged))
    refused(county_sqlite, pkg, PackageInvalid)


def test_missing_signature_is_rejected(pkg: Path, county: Database) -> None:
    with zipfile.ZipFile(pkg) as src:
        entries = [(i, src.read(i)) for i in src.infolist() if i.filename != "manifest.sig"]
        comment = src.comment
    with zipfile.ZipFile(pkg, "w") as out:
        out.comment = comment
        for info, body in entries:
            out.writestr(info, body)
    refused(county, pkg, PackageInvalid, "缺少签名")


def test_package_signed_by_a_key_not_enrolled_is_held_not_imported(
    town: Town, pkg: Path, county: Database, usb: Path
) -> None:
    town.enroll(county)
    opened = read_package(pkg)
    import_package(county, pkg)
    # The same device id, the same township, but signed by a key the county has not enrolled.
    other = Ed25519PrivateKey.generate()
    forged = craft(opened, usb / "forged.ltpkg", other, edit=lambda m: _bump(m))
    before = content(county)
    result = import_package(county, forged)
    assert result.status == "pending" and "待登记" in result.message
    assert content(county) == before
    from services.sync.enrollment import list_devices
    from services.sync.signing import key_id, public_raw

    pending = [d for d in list_devices(county) if d.status == "pending"]
    assert [d.key_id for d in pending] == [key_id(public_raw(other))]


def _bump(m: Manifest) -> None:
    m.seq_from, m.seq_to = m.seq_to + 1, m.seq_to + 5


def test_manifest_edited_after_signing_is_rejected(pkg: Path, county: Database) -> None:
    with zipfile.ZipFile(pkg) as src:
        entries = [(i, src.read(i)) for i in src.infolist()]
        comment = src.comment
    with zipfile.ZipFile(pkg, "w") as out:
        out.comment = comment
        for info, body in entries:
            if info.filename == "manifest.json":
                body = body.replace(b'"code":"T01"', b'"code":"T07"')
            out.writestr(info, body)
    refused(county, pkg, PackageInvalid, "签名无效")


def test_package_for_another_township_is_rejected(town: Town, pkg: Path, county: Database, usb: Path) -> None:
    town.enroll(county)
    opened = read_package(pkg)
    import_package(county, pkg)
    # the same device now claims to send for T02
    other = craft(
        opened, usb / "other.ltpkg", town.key, edit=lambda m: (_bump(m), setattr(m, "township_code", "T02"))
    )
    refused(county, other, PackageRejected, "T02", "T01")


def test_rows_of_another_township_are_rejected(town: Town, pkg: Path, county: Database, usb: Path) -> None:
    town.enroll(county)
    opened = read_package(pkg)
    rows = {t: opened.dicts(t) for t in opened.rows}
    rows["member"][0]["township_id"] = "00000000-0000-4000-8000-000000000000"
    bad = craft(opened, usb / "mixed.ltpkg", town.key, rows=rows)
    refused(county, bad, PackageRejected, "属于其他乡镇")


def test_township_code_taken_by_another_township_is_rejected(make_town, county: Database, usb: Path) -> None:
    a, b = make_town("T01", seed=1), make_town("T01", seed=2)
    a.enroll(county)
    b.enroll(county)
    import_package(county, a.export(usb).path)
    pkg_b = b.export(usb).path
    refused(county, pkg_b, PackageRejected, "已属于另一个乡镇记录")


def test_encrypted_for_another_county_key_is_rejected(
    town: Town, county_sqlite: Database, usb: Path, tmp_path: Path
) -> None:
    town.enroll(county_sqlite)
    keys.county_generate(tmp_path / "first.json")
    keys.county_set(town.db, tmp_path / "first.json")
    keys.county_generate(tmp_path / "second.json", force=True)  # the county now holds another key
    for retired in keys.keys_dir().glob("*.retired.pem"):  # … and not the first one (never had it)
        retired.unlink()
    pkg = town.export(usb).path
    refused(county_sqlite, pkg, PackageInvalid, "另一把县级密钥")


def test_encrypted_package_without_any_county_key_says_so(
    town: Town, county_sqlite: Database, usb: Path, tmp_path: Path
) -> None:
    town.enroll(county_sqlite)
    keys.county_generate(tmp_path / "k.json")
    keys.county_set(town.db, tmp_path / "k.json")
    (Path(keys.county_show() and keys.keys_dir()) / "county_x25519.pem").unlink()
    pkg = town.export(usb).path
    refused(county_sqlite, pkg, KeyMissing, "没有县级解密密钥")


def test_unknown_newer_format_version_is_rejected(town: Town, pkg: Path, county: Database, usb: Path) -> None:
    town.enroll(county)
    opened = read_package(pkg)
    newer = craft(opened, usb / "v3.ltpkg", town.key, edit=lambda m: setattr(m, "format_version", 3))
    refused(county, newer, PackageInvalid, "格式版本为 3", "升级")


def _add_entry(pkg: Path, name: str, body: bytes) -> None:
    with zipfile.ZipFile(pkg, "a") as zf:
        zf.writestr(name, body)


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("../evil.txt", "跳出目录"),
        ("data/../../evil.jsonl", "跳出目录"),
        ("/etc/cron.d/x", "绝对路径"),
        ("C:/x.txt", "绝对路径"),
        ("notes.txt", "格式未定义"),
    ],
)
def test_zip_entry_escaping_the_folder_is_rejected(
    pkg: Path, county: Database, tmp_path: Path, name: str, phrase: str
) -> None:
    _add_entry(pkg, name, b"owned")
    refused(county, pkg, PackageInvalid, phrase)
    assert not (tmp_path / "evil.txt").exists()


def _bomb_zip(path: Path, name: str, inflated: int, declared: int) -> None:
    """One deflated entry whose headers claim ``declared`` bytes but which inflates to ``inflated``."""
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = raw.compress(b"\0" * inflated) + raw.flush()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, b"\0" * inflated)
    data = bytearray(buf.getvalue())
    assert len(body) < inflated
    # patch the uncompressed size in the local header (offset 22) and the central directory (offset 24)
    struct.pack_into("<I", data, 22, declared)
    cd = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, declared)
    path.write_bytes(bytes(data) + b"\0" * COMMENT_LEN)


def test_zip_bomb_entry_is_rejected_while_inflating(
    town: Town, pkg: Path, county: Database, usb: Path
) -> None:
    town.enroll(county)
    # A correctly signed package whose member table inflates to 50 MB while headers and manifest
    # declare its real (small) size: the reader must stop at the declared size.
    with zipfile.ZipFile(pkg) as zf:
        declared = zf.getinfo("data/member.jsonl").file_size
    bomb = usb / "bomb.ltpkg"
    _rezip_with_bomb(pkg, bomb, "data/member.jsonl", 50_000_000, declared)
    resign(bomb, town.key)
    refused(county, bomb, PackageInvalid, "压缩炸弹")
    # the streaming reader on its own, with a header that lies about a 1000-byte entry
    single = usb / "single.zip"
    _bomb_zip(single, "data/member.jsonl", 50_000_000, 1000)
    with (
        zipfile.ZipFile(single) as zf,
        single.open("rb") as fp,
        pytest.raises(PackageInvalid, match="压缩炸弹"),
    ):
        read_entry(fp, zf.infolist()[0], 10_000, single)


def _rezip_with_bomb(src: Path, dst: Path, name: str, inflated: int, declared: int) -> None:
    with zipfile.ZipFile(src) as zf:
        items = [(i, zf.read(i)) for i in zf.infolist()]
        comment = zf.comment
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        out.comment = comment
        for info, body in items:
            if info.filename == name:
                info = zipfile.ZipInfo(name, info.date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                body = b"\0" * inflated
            out.writestr(info, body)
    data = bytearray(buf.getvalue())
    # lie about the bomb's size in both headers
    offset = 0
    while True:
        offset = data.find(b"PK\x03\x04", offset)
        if offset < 0:
            break
        name_len = struct.unpack_from("<H", data, offset + 26)[0]
        if data[offset + 30 : offset + 30 + name_len] == name.encode():
            struct.pack_into("<I", data, offset + 22, declared)
        offset += 4
    cd = data.find(b"PK\x01\x02")
    while cd >= 0:
        name_len = struct.unpack_from("<H", data, cd + 28)[0]
        if data[cd + 46 : cd + 46 + name_len] == name.encode():
            struct.pack_into("<I", data, cd + 24, declared)
        cd = data.find(b"PK\x01\x02", cd + 4)
    dst.write_bytes(bytes(data))


def test_row_referencing_a_missing_parent_is_rejected(
    town: Town, pkg: Path, county: Database, usb: Path
) -> None:
    town.enroll(county)
    opened = read_package(pkg)
    rows = {"township": opened.dicts("township"), "attendance": opened.dicts("attendance")[:3]}
    bad = craft(opened, usb / "orphans.ltpkg", town.key, rows=rows)
    refused(county, bad, PackageRejected, "attendance", "不存在的记录", "全量包")


def test_empty_full_package_never_overwrites(make_town, county: Database, usb: Path) -> None:
    real = make_town("T03", seed=3)
    real.enroll(county)
    import_package(county, real.export(usb).path)
    opened = read_package(real.export(usb, full=True).path)
    # what a reinstalled laptop with an empty database would send (our exporter refuses to write it)
    hollow = craft(opened, usb / "hollow.ltpkg", real.key, rows={}, edit=_bump)
    refused(county, hollow, PackageRejected, "空的全量包", "不会用它覆盖")


def test_exporter_refuses_full_export_of_an_empty_database(make_town, usb: Path) -> None:
    empty = make_town("T01", data=False)
    from tests.conftest import Builder

    Builder(empty.db).township("T01", "空镇")
    from sqlalchemy import update

    from models import Township

    with empty.db.engine.begin() as conn:  # remove the only row the hard way: an empty ledger
        conn.execute(update(Township).values(deleted=True))
    with pytest.raises(SyncError):
        empty.export(usb, full=True)
    assert list(usb.iterdir()) == []


def test_schema_the_receiver_cannot_map_is_rejected(
    town: Town, pkg: Path, county: Database, usb: Path
) -> None:
    town.enroll(county)
    opened = read_package(pkg)
    rows = {
        t: [{k: v for k, v in r.items() if not (t == "member" and k == "name")} for r in rs]
        for t, rs in ((t, opened.dicts(t)) for t in opened.rows)
    }

    def older(m: Manifest) -> None:
        m.schema_revision = "0001"
        m.tables["member"]["columns"] = [c for c in m.tables["member"]["columns"] if c != "name"]

    bad = craft(opened, usb / "old.ltpkg", town.key, rows=rows, edit=older)
    refused(county, bad, PackageRejected, "缺少必填的列 name")


def test_table_from_a_newer_version_is_rejected(town: Town, pkg: Path, county: Database, usb: Path) -> None:
    town.enroll(county)
    opened = read_package(pkg)
    rows = {t: opened.dicts(t) for t in opened.rows} | {"star_rating": [{"id": "x", "stars": 5}]}
    bad = craft(opened, usb / "newer.ltpkg", town.key, rows=rows)
    refused(county, bad, PackageRejected, "不认识的数据表", "star_rating")


def test_wrong_file_is_not_a_package(county: Database, tmp_path: Path) -> None:
    path = tmp_path / "photo.ltpkg"
    path.write_bytes(b"\xff\xd8\xff" + b"x" * 500)
    refused(county, path, PackageInvalid, "不完整或已损坏")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("birth_date", "1980/05/17"),
        ("created_at", "2026-01-01T08:00:00"),
        ("is_flowing", "yes"),
        ("name", 42),
    ],
)
def test_value_not_in_canonical_form_is_rejected(
    town: Town, pkg: Path, county_sqlite: Database, usb: Path, column: str, value: object
) -> None:
    town.enroll(county_sqlite)
    opened = read_package(pkg)
    rows = {t: opened.dicts(t) for t in opened.rows}
    rows["member"][-1][column] = value
    bad = craft(opened, usb / "odd.ltpkg", town.key, rows=rows)
    refused(county_sqlite, bad, PackageRejected, column, "值无效", rows["member"][-1]["id"])
