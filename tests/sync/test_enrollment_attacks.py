"""Enrolled devices under attack: revoked and replaced keys, keys spelled another way, strangers
copying a township's device id, manifests that lie (plain and encrypted), and the messages a county
person and a township clerk get — each must say what can actually be done."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from models import Member, SyncEnrollment, SyncHeld
from services.db import Database, open_database
from services.sync import enrollment, keys, state
from services.sync.errors import PackageInvalid, PackageRejected, SyncError
from services.sync.manifest import Manifest
from services.sync.package import read_package, write_package
from services.sync.receiver import import_package, release_enrolled
from services.sync.signing import b64, key_id, public_raw
from tests.sync.conftest import Town, craft, set_device, snapshot
from tests.sync.test_trust import add_member, member_names, sync_round

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def fp(key: Ed25519PrivateKey) -> str:
    return key_id(public_raw(key))


def other_spelling(key: Ed25519PrivateKey) -> str:
    """The same 32-byte key in base64 with non-zero padding bits: decodes to the same key."""
    text = b64(public_raw(key))
    assert text.endswith("=") and len(text) == 44
    spelled = text[:42] + B64[B64.index(text[42]) ^ 1] + "="
    assert spelled != text
    return spelled


def respelled(opened: Any, path: Path, key: Ed25519PrivateKey) -> Path:
    """``opened`` signed again by ``key`` whose public key the manifest spells ``other_spelling``."""
    m = Manifest(**{k: v for k, v in opened.manifest.__dict__.items() if k not in ("entries", "encryption")})
    payload: dict[str, bytes | Path] = {
        f"data/{t}.jsonl": b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)
        for t, rows in opened.rows.items()
        if rows
    }
    m.device_public_key = other_spelling(key)
    m.device_key_id = fp(key)
    write_package(path, m, payload, key)
    return path


def rejected(county: Database, path: Path, *phrases: str) -> str:
    before = snapshot(county)
    with pytest.raises(PackageRejected) as info:
        import_package(county, path)
    for phrase in phrases:
        assert phrase in info.value.message, info.value.message
    assert snapshot(county) == before
    return info.value.message


@pytest.mark.parametrize("case", ["revoked", "enrolled_for_another_township"])
def test_a_key_spelled_another_way_is_still_the_same_key(
    make_town, county: Database, usb: Path, tmp_path: Path, case: str
) -> None:
    a = make_town("T01").enroll(county)
    assert import_package(county, a.export(usb).path).status == "imported"
    if case == "revoked":
        enrollment.revoke(county, fp(a.key))
        add_member(a, "注销后")
        source = a
    else:
        source = make_town("T02", seed=2)  # the T01 laptop's key signing for T02
    opened = read_package(source.export(tmp_path, full=True).path)
    path = respelled(opened, tmp_path / "respelled.ltpkg", a.key)
    assert read_package(path).manifest.device_public_key != b64(public_raw(a.key))
    rejected(county, path, "编码")
    with county.reader() as s:  # no second enrollment row for the same key
        assert [r.key_id for r in s.scalars(select(SyncEnrollment))] == [fp(a.key)]


def test_a_key_handed_over_in_another_spelling_is_registered_as_the_key(make_town, county: Database) -> None:
    t = make_town("T01")
    view = enrollment.register(county, other_spelling(t.key), "T01", "x" * 36)
    with county.reader() as s:
        assert s.get(SyncEnrollment, b64(public_raw(t.key))) is not None
    assert view.key_id == fp(t.key)


def test_a_replaced_laptops_package_tells_the_clerk_to_export_on_the_new_one(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    old = t.key
    t.key = Ed25519PrivateKey.generate()  # reinstalled laptop, same database
    add_member(t, "重装后")
    assert import_package(county, t.export(usb).path).status == "pending"
    enrollment.replace(county, fp(old), fp(t.key), user="县管理员")
    release_enrolled(county, fp(t.key))
    stale = Town(code="T01", db=t.db, key=old, folder=t.folder)  # an old package still on a stick
    message = rejected(county, stale.export(tmp_path, full=True).path, fp(old), fp(t.key), "重新导出")
    assert "重新登记该设备" not in message


def test_a_found_laptop_gets_a_new_key_the_county_can_enroll(
    make_town, county: Database, usb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path / "laptop"))
    from services.sync.signing import device_key

    t = make_town("T01")

    t.key = device_key()
    t.enroll(county)
    sync_round(t, county, usb)
    enrollment.revoke(county, fp(t.key), user="县管理员")  # reported lost …
    add_member(t, "找回后")
    message = rejected(county, t.export(tmp_path).path, "已注销", "sync key device --new")
    assert "在县里重新登记该设备" not in message
    info = keys.device_renew()  # … and found again: a new key on the laptop, the old one kept aside
    assert info["replaced"] == fp(t.key) and Path(info["backup"]).exists()
    t.key = device_key()
    assert fp(t.key) == info["key_id"] != info["replaced"]
    result = import_package(county, t.export(usb).path)
    assert result.status == "pending" and fp(t.key) in result.message
    enrollment.approve(county, fp(t.key), user="县管理员")
    [released] = release_enrolled(county, fp(t.key))
    assert released.status == "imported" and "找回后" in member_names(county)


def test_a_county_machine_does_not_renew_the_key_its_acknowledgements_are_signed_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path / "county-pc"))
    keys.county_generate(tmp_path / "county.json")
    with pytest.raises(SyncError, match="县级"):
        keys.device_renew()


def test_rejecting_a_stranger_drops_only_its_held_packages(
    make_town, town_templates, county: Database, usb: Path, tmp_path: Path
) -> None:
    genuine = make_town("T01")
    (tmp_path / "stranger").mkdir()
    shutil.copyfile(town_templates("T01", 1), tmp_path / "stranger" / "ledger.sqlite")
    stranger = Town(  # a copy of T01's data, a key of its own …
        code="T01",
        db=open_database(tmp_path / "stranger" / "ledger.sqlite"),
        key=Ed25519PrivateKey.generate(),
        folder=tmp_path / "stranger",
    )
    with genuine.db.reader() as s:
        device = state.device_id(s)
    set_device(stranger.db, device)  # … and T01's device id, read from any manifest
    add_member(stranger, "冒名登记")
    mine = import_package(county, genuine.export(usb).path)
    theirs = import_package(county, stranger.export(tmp_path).path)
    assert mine.status == theirs.status == "pending"
    views = {v.key_id: v for v in enrollment.list_devices(county)}
    assert views[fp(genuine.key)].held == 1 and views[fp(stranger.key)].held == 1
    revoked = enrollment.revoke(county, fp(stranger.key), user="县管理员")  # fingerprints did not match
    assert revoked.held == 0 and revoked.discarded == 1
    with county.reader() as s:
        [kept] = s.scalars(select(SyncHeld)).all()
    assert kept.package_id == mine.package_id
    assert Path(kept.stored_path).exists()
    enrollment.approve(county, fp(genuine.key), user="县管理员")
    [released] = release_enrolled(county, fp(genuine.key))
    assert released.package_id == mine.package_id and released.status == "imported"
    assert "冒名登记" not in member_names(county)
    again = tmp_path / "again"
    again.mkdir()
    rejected(county, stranger.export(again, full=True).path, "已注销")
    stranger.db.close()


def test_a_package_held_before_its_laptop_was_replaced_is_settled_by_the_new_one(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    """A package received while its key was enrolled is not refused after the key is replaced: once
    the new laptop's package covers its numbers it is a duplicate and leaves the held list."""
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    add_member(t, "丢失的包")
    (tmp_path / "lost").mkdir()
    lost = t.export(tmp_path / "lost")
    with t.db.transaction() as s:  # the stick with it never reaches the county
        state.put(s, state.ACKED_SEQ, str(lost.seq_to))
    add_member(t, "暂存的包")
    held = import_package(county, t.export(usb).path)
    assert held.status == "held"
    with t.db.transaction() as s:
        state.put(s, state.ACKED_SEQ, str(lost.seq_from - 1))  # only what the county confirmed
    old = t.key
    t.key = Ed25519PrivateKey.generate()
    assert import_package(county, t.export(tmp_path).path).status == "pending"
    enrollment.replace(county, fp(old), fp(t.key), user="县管理员")
    [again] = release_enrolled(county, fp(t.key))
    assert again.status == "imported"
    assert [r.status for r in again.released] == ["duplicate"]
    with county.reader() as s:
        assert s.scalars(select(SyncHeld)).all() == []
    assert {"丢失的包", "暂存的包"} <= member_names(county)


def test_a_stranger_naming_a_known_code_with_another_township_record_is_held_for_a_person_not_imported(
    make_town, county: Database, usb: Path
) -> None:
    """Another database calling itself T01 (a new township record) may be T01's laptop reinstalled
    without a backup (docs/sync-package.md, *Re-base*) or a stranger: it is held as 待登记, nothing
    of it imported, and the message says the record was re-created so the county compares the
    fingerprint and uses replace / rebase-file, never an import into T01."""
    a = make_town("T01").enroll(county)
    import_package(county, a.export(usb).path)
    before = snapshot(county)
    impostor = make_town("T01", seed=3)
    result = import_package(county, impostor.export(usb).path)
    assert result.status == "pending"
    assert "重新建立" in result.message and fp(a.key) in result.message
    kept = ("audit_log", "sync_held", "sync_enrollment")  # the hold itself, nothing of the records
    after = snapshot(county)
    assert {t: n for t, n in after.items() if t not in kept} == {
        t: n for t, n in before.items() if t not in kept
    }
    with county.reader() as s:
        rows = {r.key_id: r.status for r in s.scalars(select(SyncEnrollment))}
    assert rows == {fp(a.key): "enrolled", fp(impostor.key): "pending"}


@pytest.mark.parametrize("lie", ["township", "device_of_t02", "key_id"])
@pytest.mark.parametrize("sealed", [False, True])
def test_an_enrolled_laptops_manifest_cannot_lie_plain_or_encrypted(
    make_town, county: Database, usb: Path, tmp_path: Path, lie: str, sealed: bool
) -> None:
    from services.sync.crypto import new_sealer, x_public_raw

    a = make_town("T01").enroll(county)
    b = make_town("T02", seed=2).enroll(county)
    import_package(county, a.export(usb).path)
    pb = b.export(usb)
    import_package(county, pb.path)
    theirs = read_package(pb.path).manifest
    add_member(a, "越界")
    opened = read_package(a.export(tmp_path).path)
    sealer = None
    county_key = None
    if sealed:
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        county_key = X25519PrivateKey.generate()
        sealer = new_sealer(b64(x_public_raw(county_key)))

    def edit(m: Any) -> None:
        if lie == "township":
            m.township_code, m.township_id = theirs.township_code, theirs.township_id
        elif lie == "device_of_t02":
            m.device_id, m.generation, m.lineage = theirs.device_id, theirs.generation, theirs.lineage
        else:
            m.device_key_id = fp(b.key)

    path = craft(opened, tmp_path / f"{lie}.ltpkg", a.key, edit=edit, sealer=sealer)
    if lie == "key_id":  # craft writes the true fingerprint: put the lie back by hand
        m = Manifest(
            **{k: v for k, v in opened.manifest.__dict__.items() if k not in ("entries", "encryption")}
        )
        m.device_public_key, m.device_key_id = b64(public_raw(a.key)), fp(b.key)
        payload: dict[str, bytes | Path] = {
            f"data/{t}.jsonl": b"".join(json.dumps(r).encode() + b"\n" for r in rows)
            for t, rows in opened.rows.items()
            if rows
        }
        write_package(path, m, payload, a.key, sealer)
        with pytest.raises(PackageInvalid, match="指纹"):
            read_package(path, county_key=county_key)
        return
    before = snapshot(county)
    with pytest.raises(PackageRejected) as info:
        import_package(county, path, county_key=county_key)
    assert "T01" in info.value.message
    assert snapshot(county) == before
    with county.reader() as s:
        assert "越界" not in set(s.scalars(select(Member.name)))


@pytest.mark.parametrize("table", ["sync_enrollment", "user_account", "db_meta", "audit_log"])
def test_a_package_carrying_a_local_table_is_refused_as_foreign_not_as_newer(
    make_town, county: Database, usb: Path, table: str
) -> None:
    """A package that tries to write the county's own tables (enrol itself, add a login, change a
    setting, rewrite the log) is refused for that — not sent to "upgrade the county software"."""
    t = make_town("T01").enroll(county)
    opened = read_package(t.export(usb).path)
    rows = {n: opened.dicts(n) for n in opened.rows}
    rows[table] = [{"id": "e8e8e8e8-0000-4000-8000-000000000000", "key": "x", "value": "y"}]
    message = rejected(county, craft(opened, usb / "local.ltpkg", t.key, rows=rows), table, "本机")
    assert "升级" not in message


def test_an_enrolled_laptop_cannot_continue_another_laptops_stream(
    make_town, town_templates, county: Database, usb: Path, tmp_path: Path
) -> None:
    """Two enrolled laptops of T01: A naming B's device and generation (read from B's manifest) would
    mark B's change numbers as received, and B's own changes would be taken for duplicates."""
    a = make_town("T01").enroll(county)
    (tmp_path / "b").mkdir()
    shutil.copyfile(town_templates("T01", 1), tmp_path / "b" / "ledger.sqlite")
    b = Town(
        code="T01",
        db=open_database(tmp_path / "b" / "ledger.sqlite"),
        key=Ed25519PrivateKey.generate(),
        folder=tmp_path / "b",
    )
    try:
        assert import_package(county, a.export(usb).path).status == "imported"
        b.enroll(county)  # a second laptop of T01, registered on purpose
        pb = b.export(tmp_path)
        assert import_package(county, pb.path).status == "imported"
        theirs = read_package(pb.path).manifest
        add_member(a, "冒充乙电脑")
        opened = read_package(a.export(tmp_path / "b").path)
        lo = theirs.seq_to + 1
        rows = {t: [r | {"row_seq": lo} for r in opened.dicts(t)] for t in opened.rows}

        def steal(m: Any) -> None:
            m.device_id, m.generation, m.lineage = theirs.device_id, theirs.generation, theirs.lineage
            m.seq_from, m.seq_to = lo, lo + 1000

        forged = craft(opened, tmp_path / "stream.ltpkg", a.key, rows=rows, edit=steal)
        rejected(county, forged, fp(b.key), fp(a.key), "replace")
        add_member(b, "乙电脑的新党员")
        with b.db.transaction() as s:
            state.put(s, state.ACKED_SEQ, str(pb.seq_to))
        assert import_package(county, b.export(usb).path).status == "imported"
        assert "乙电脑的新党员" in member_names(county)
    finally:
        b.db.close()


def test_the_held_list_names_each_packages_signer_from_its_key(
    make_town, town_templates, county: Database, usb: Path, tmp_path: Path
) -> None:
    """Two laptops asking to be T01: the county's list of held packages shows which key signed each
    one — computed from the key in the package — so the person approves the right one."""
    from services.county.pending import pending_by_township

    genuine = make_town("T01")
    import_package(county, genuine.export(usb).path)
    liar = make_town("T01", seed=9)
    opened = read_package(liar.export(tmp_path).path)
    with genuine.db.reader() as s:
        town_id = s.scalars(select(Member.township_id)).first()
    rows = {
        t: [r | {"township_id": town_id} if "township_id" in r else r for r in opened.dicts(t)]
        for t in opened.rows
    }
    rows["township"] = [r | {"id": town_id} for r in rows["township"]]

    def claim(m: Any) -> None:  # a laptop of its own claiming to be T01
        m.township_id = town_id

    import_package(county, craft(opened, tmp_path / "claim.ltpkg", liar.key, rows=rows, edit=claim))
    with county.reader() as s:
        [t01] = pending_by_township(s)
    assert sorted(h.key_id for h in t01.held) == sorted([fp(genuine.key), fp(liar.key)])
    assert all(h.key_id in h.waits_for for h in t01.held)
    assert sorted(t01.pending_keys) == sorted([fp(genuine.key), fp(liar.key)])


def test_a_county_key_file_from_elsewhere_does_not_replace_the_pinned_county(
    make_town, county: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key file handed to the clerk by anyone else would send every later package to a key the
    county cannot read and let that key's acknowledgements mark changes delivered."""
    t = make_town("T01")
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path / "county-pc"))
    keys.county_generate(tmp_path / "county.json", db=county)
    keys.county_set(t.db, tmp_path / "county.json")
    keys.county_generate(tmp_path / "renewed.json", force=True, db=county)  # same county, new key
    keys.county_set(t.db, tmp_path / "renewed.json")

    def pins() -> tuple[str, str, str]:
        with t.db.reader() as s:
            return tuple(
                state.get(s, k) for k in (state.COUNTY_X25519, state.COUNTY_ED25519, state.COUNTY_DB_ID)
            )  # type: ignore[return-value]

    pinned = pins()
    assert pinned[0] == json.loads((tmp_path / "renewed.json").read_text())["x25519"]
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path / "elsewhere"))
    keys.county_generate(tmp_path / "other.json")
    other = json.loads((tmp_path / "other.json").read_text())
    with pytest.raises(SyncError, match="--replace") as info:
        keys.county_set(t.db, tmp_path / "other.json")
    assert other["signer_key_id"] in info.value.message
    assert pins() == pinned
    keys.county_set(t.db, tmp_path / "other.json", replace=True)  # the county really moved
    assert pins() == (other["x25519"], other["ed25519"], "")


def test_a_forged_acknowledgement_is_named_by_its_real_key_not_the_fingerprint_it_claims(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    from services.sync.ack import apply_ack, write_ack
    from services.sync.errors import AckInvalid
    from services.sync.manifest import canonical as canonical_json
    from services.sync.signing import sign

    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)  # pins the county
    add_member(t, "待送达")
    result = import_package(county, t.export(usb).path)
    good = write_ack(county, result.device_id, usb)
    doc = json.loads(good.path.read_text(encoding="utf-8"))
    genuine_fp = doc["ack"]["county"]["key_id"]
    forger = Ed25519PrivateKey.generate()
    payload = doc["ack"]
    payload["county"] = payload["county"] | {"public_key": b64(public_raw(forger)), "key_id": genuine_fp}
    forged = tmp_path / "forged.ltack"
    forged.write_text(json.dumps({"ack": payload, "signature": b64(sign(forger, canonical_json(payload)))}))
    with pytest.raises(AckInvalid) as info:
        apply_ack(t.db, forged)
    assert f"回执的密钥指纹 {fp(forger)}" in info.value.message


def test_a_reinstalled_laptop_enrolled_beside_its_old_key_continues_its_stream(
    make_town, county: Database, usb: Path
) -> None:
    """Not an alarm: the county registered the reinstalled laptop's new key without revoking the old
    one; the new key has no stream of its own, so continuing the database's stream is lawful."""
    t = make_town("T01").enroll(county)
    sync_round(t, county, usb)
    t.key = Ed25519PrivateKey.generate()
    t.enroll(county)
    add_member(t, "重装后登记")
    assert import_package(county, t.export(usb).path).status == "imported"
    assert "重装后登记" in member_names(county)
