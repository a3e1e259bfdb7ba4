"""The life of a township laptop at the county: a second laptop, a laptop reinstalled without a
backup (re-created township, re-base file), a revoked laptop's unsent work, the county key a
township pins, and what the county clerk is told at each step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

import main
from models import Branch, Member, SyncReceived, Township
from services.county.actions import enroll_next_steps
from services.county.pending import pending_by_township
from services.county.receive import receive_folder
from services.db import Database
from services.sync import enrollment, keys, state
from services.sync.ack import apply_ack, write_ack
from services.sync.errors import AckInvalid, PackageRejected, SyncError
from services.sync.rebase import RebaseInvalid, adopt_rebase_file, write_rebase_file
from services.sync.receiver import import_package, release_enrolled
from services.sync.signing import b64, key_id, public_raw
from tests.conftest import Builder
from tests.sync.conftest import Town, snapshot

# --- helpers ------------------------------------------------------------------------------------


def fp(town: Town) -> str:
    return key_id(public_raw(town.key))


def county_key_file(county: Database, tmp_path: Path) -> Path:
    """The county's key pair on this machine and the public file the townships pin."""
    path = tmp_path / "county-key.json"
    if not path.exists():
        keys.county_generate(path, db=county)
    return path


def synced(town: Town, county: Database, usb: Path) -> None:
    """Export, import, write and apply the acknowledgement: everything delivered."""
    result = import_package(county, town.export(usb).path)
    assert result.status == "imported", result.message
    apply_ack(town.db, write_ack(county, result.device_id, usb).path)


def pending_line(county: Database, code: str = "T01"):
    with county.reader() as s:
        [line] = [t for t in pending_by_township(s) if t.code == code]
        return line


def names(db: Database) -> set[str]:
    with db.reader() as s:
        return set(s.scalars(select(Member.name).where(Member.deleted.is_(False))))


def county_branch(county: Database, code: str = "T01") -> tuple[str, str]:
    """(id, code) of one live branch of the county's township ``code``."""
    with county.reader() as s:
        town = s.scalars(select(Township).where(Township.code == code)).one()
        branch = s.scalars(
            select(Branch)
            .where(Branch.township_id == town.id, Branch.deleted.is_(False))
            .order_by(Branch.code)
        ).first()
        assert branch is not None
        return branch.id, branch.code


def reinstalled(make_town, county: Database, key_file: Path, branch_code: str, seed: int = 9) -> Town:
    """A laptop reinstalled with no backup: empty database, new key; the clerk creates the township
    again with the same code, one branch of the same code and a new member, and pins the county key."""
    new = make_town("T01", seed=seed, data=False)
    b = Builder(new.db)
    b.township("T01", "重装后重建的镇")
    branch = b.branch(branch_code, "重建的支部")
    b.member(branch.id, "重装后登记")
    keys.county_set(new.db, key_file)
    return new


# --- a laptop reinstalled without a backup -------------------------------------------------------


def test_a_laptop_reinstalled_without_a_backup_is_replaced_rebased_and_its_records_reach_the_county(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    key_file = county_key_file(county, tmp_path)
    old = make_town("T01").enroll(county)
    keys.county_set(old.db, key_file)
    synced(old, county, usb)
    before_names = names(county)
    branch_id, branch_code = county_branch(county)

    new = reinstalled(make_town, county, key_file, branch_code)
    stale = new.export(usb).path
    held = import_package(county, stale)
    assert held.status == "pending"
    # the clerk is told both ways out, by both fingerprints, and that the township was re-created
    assert f"sync device replace {fp(old)} {fp(new)}" in held.message
    assert f"sync device approve {fp(new)} --additional" in held.message
    assert "重新建立" in held.message

    view = enrollment.replace(county, fp(old), fp(new), user="县管理员")
    assert view.status == "enrolled" and view.needs_rebase and view.dropped == 1
    steps = "\n".join(enroll_next_steps(view, release_enrolled(county, view.key_id)))
    assert f"sync device rebase-file {fp(new)}" in steps and "sync rebase" in steps
    line = pending_line(county)
    assert not line.ok and f"sync device rebase-file {fp(new)}" in line.instruction

    # a package exported before the re-base names the laptop's own township record: refused, saying why
    before = snapshot(county)
    with pytest.raises(PackageRejected, match="对齐"):
        import_package(county, stale)
    assert snapshot(county) == before

    rebase = write_rebase_file(county, fp(new), usb)
    adopted = adopt_rebase_file(new.db, rebase.path, key=new.key)
    assert adopted.changed and adopted.mapped_branches == [branch_code]
    with new.db.reader() as s:
        town = s.scalars(select(Township)).one()
        assert town.code == "T01" and town.name != "重装后重建的镇"  # the county's record, as it is there
        member = s.scalars(select(Member).where(Member.name == "重装后登记")).one()
        assert member.branch_id == branch_id and member.township_id == town.id
    again = adopt_rebase_file(new.db, rebase.path, key=new.key)
    assert not again.changed and "无需对齐" in again.message

    result = import_package(county, new.export(usb).path)
    assert result.status == "imported", result.message
    assert names(county) == before_names | {"重装后登记"}
    with county.reader() as s:
        assert len(s.scalars(select(Township)).all()) == 1
    apply_ack(new.db, write_ack(county, result.device_id, usb).path)
    assert pending_line(county).ok, pending_line(county).instruction
    # the old laptop is revoked
    with pytest.raises(PackageRejected, match="已注销"):
        import_package(county, old.export(tmp_path, full=True).path)


def test_only_the_laptop_the_county_enrolled_for_the_township_can_rebase(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    key_file = county_key_file(county, tmp_path)
    old = make_town("T01").enroll(county)
    keys.county_set(old.db, key_file)
    synced(old, county, usb)
    _branch_id, branch_code = county_branch(county)

    # a stranger's key copying the township code: held, and no re-base file for it
    stranger = reinstalled(make_town, county, key_file, branch_code)
    assert import_package(county, stranger.export(usb).path).status == "pending"
    with pytest.raises(SyncError, match="待登记"):
        write_rebase_file(county, fp(stranger), usb)
    new = reinstalled(make_town, county, key_file, branch_code, seed=10)
    assert import_package(county, new.export(usb).path).status == "pending"
    enrollment.replace(county, fp(old), fp(new))
    rebase = write_rebase_file(county, fp(new), usb).path

    def refused(db: Database, path: Path, key: Ed25519PrivateKey, phrase: str) -> None:
        before = snapshot(db)
        with pytest.raises(RebaseInvalid, match=phrase):
            adopt_rebase_file(db, path, key=key)
        assert snapshot(db) == before

    refused(stranger.db, rebase, stranger.key, "另一台电脑")  # the file names the enrolled key
    forged = json.loads(rebase.read_text(encoding="utf-8"))
    forged["rebase"]["device_public_key"] = b64(public_raw(stranger.key))
    (tmp_path / "forged.ltrebase").write_text(json.dumps(forged), encoding="utf-8")
    refused(stranger.db, tmp_path / "forged.ltrebase", stranger.key, "签名无效")
    other_county = tmp_path / "other"
    other_county.mkdir()
    foreign = write_rebase_file(county, fp(new), other_county, key=Ed25519PrivateKey.generate()).path
    refused(new.db, foreign, new.key, "不是本机认可的县级电脑")
    unpinned = make_town("T01", seed=11, data=False)
    Builder(unpinned.db).township("T01", "未配置县级公钥")
    refused(unpinned.db, rebase, new.key, "county-set")
    other_code = make_town("T02", seed=12, data=False)
    Builder(other_code.db).township("T02", "另一个镇")
    keys.county_set(other_code.db, key_file)
    refused(other_code.db, rebase, new.key, "乡镇 T01")
    # and the stranger's package stays held, never imported
    assert import_package(county, stranger.export(usb).path).status == "pending"


def test_approving_a_second_laptop_asks_whether_it_replaces_the_first(
    make_town, county: Database, usb: Path
) -> None:
    first = make_town("T01").enroll(county)
    synced(first, county, usb)
    second = Town(code="T01", db=first.db, key=Ed25519PrivateKey.generate(), folder=first.folder)
    before = snapshot(county)
    held = import_package(county, second.export(usb, full=True).path)
    assert held.status == "pending" and f"sync device approve {fp(second)} --additional" in held.message
    with pytest.raises(SyncError) as info:
        enrollment.approve(county, fp(second))
    assert fp(first) in info.value.message and fp(second) in info.value.message
    assert "--additional" in info.value.message and f"replace {fp(first)} {fp(second)}" in info.value.message
    view = enrollment.approve(county, fp(second), additional=True)
    assert view.status == "enrolled" and not view.needs_rebase
    [released] = release_enrolled(county, fp(second))
    assert released.status in ("imported", "duplicate")
    assert {d.key_id: d.status for d in enrollment.list_devices(county)} == {
        fp(first): "enrolled",
        fp(second): "enrolled",
    }
    assert snapshot(county)["township"] == before["township"]


def test_replace_names_what_is_wrong_with_the_two_devices(make_town, county: Database, usb: Path) -> None:
    a = make_town("T01").enroll(county)
    synced(a, county, usb)
    b = make_town("T02", seed=2)
    assert import_package(county, b.export(usb).path).status == "pending"
    with pytest.raises(SyncError, match=r"乡镇 T01.*乡镇 T02"):
        enrollment.replace(county, fp(a), fp(b))
    with pytest.raises(SyncError, match="同一个指纹"):
        enrollment.replace(county, fp(a), fp(a))
    c = Town(code="T02", db=b.db, key=Ed25519PrivateKey.generate(), folder=b.folder)
    assert import_package(county, c.export(usb, full=True).path).status == "pending"
    with pytest.raises(SyncError, match="还没有登记过"):
        enrollment.replace(county, fp(b), fp(c))


# --- a revoked laptop's unsent work --------------------------------------------------------------


def test_a_revoked_laptops_unsent_records_are_refused_alike_everywhere_and_taken_after_reinstating(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    synced(t, county, usb)
    with county.transaction() as s:  # county mode, as `county init` marks it
        from services.county.mode import COUNTY, MODE_KEY

        state.put(s, MODE_KEY, COUNTY)
    enrollment.revoke(county, fp(t))
    _id, code = county_branch(county)
    with t.db.reader() as s:
        branch = s.scalars(select(Branch).where(Branch.code == code)).one()
    b = Builder(t.db)
    b.township_id = branch.township_id
    b._seq = 9001
    b.member(branch.id, "注销后录入")
    stick = tmp_path / "stick"
    stick.mkdir()
    pkg = t.export(stick).path

    before = snapshot(county)
    [result] = receive_folder(county, stick)
    assert result.status == "rejected" and f"sync device approve {fp(t)} --reinstate" in result.message
    assert result.township_code == "T01" and snapshot(county)["member"] == before["member"]
    line = pending_line(county)
    assert not line.ok and "已全部导入" not in line.instruction
    assert pkg.name in line.instruction and "--reinstate" in line.instruction
    with pytest.raises(SyncError, match="--reinstate"):
        enrollment.approve(county, fp(t))
    [device] = [d for d in enrollment.list_devices(county) if d.key_id == fp(t)]
    assert device.refused_file == pkg.name

    view = enrollment.approve(county, fp(t), reinstate=True, user="县管理员")
    assert view.status == "enrolled"
    [again] = receive_folder(county, stick)
    assert again.status == "imported" and "注销后录入" in names(county)
    assert pending_line(county).ok, pending_line(county).instruction
    with pytest.raises(SyncError, match="没有注销"):
        enrollment.approve(county, fp(t), reinstate=True)

    # revoked again and refused again: revoking once more means "not taken", and 待补 stops asking
    enrollment.revoke(county, fp(t))
    b.member(branch.id, "不再收下")
    receive_folder(county, t.export(stick).path.parent)
    assert not pending_line(county).ok
    enrollment.revoke(county, fp(t))
    assert pending_line(county).ok, pending_line(county).instruction


# --- held packages keep the name they had on the stick -------------------------------------------


def test_a_released_held_package_is_named_as_it_was_on_the_stick(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    synced(t, county, usb)
    with t.db.reader() as s:
        branch = s.scalars(select(Branch).order_by(Branch.code)).first()
        assert branch is not None
    b = Builder(t.db)
    b.township_id, b._seq = branch.township_id, 9101
    b.member(branch.id, "第一包")
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir(), second_dir.mkdir()
    exported = t.export(first_dir)
    first = exported.path
    with t.db.transaction() as s:  # an acknowledgement that went astray (as a lost stick's would)
        state.put(s, state.ACKED_SEQ, str(exported.seq_to))
    b.member(branch.id, "第二包")
    second = t.export(second_dir).path
    held = import_package(county, second)
    assert held.status == "held"
    result = import_package(county, first)
    [released] = result.released
    assert released.status == "imported" and released.file_name == second.name
    assert second.name in released.message
    with county.reader() as s:
        got = set(s.scalars(select(SyncReceived.file_name)))
        assert second.name in got and first.name in got
    assert pending_line(county).last_file in (first.name, second.name)


# --- the county key a township pins --------------------------------------------------------------


def run(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_another_county_key_replaces_the_pinned_one_only_when_confirmed(
    make_town, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = make_town("T01")
    town_db = t.folder / "ledger.sqlite"
    t.db.close()
    real, other = tmp_path / "real.json", tmp_path / "other.json"
    county_db = tmp_path / "county.sqlite"
    code, out, _ = run(county_db, capsys, "county", "init", str(county_db), "--key-file", str(real))
    assert code == 0
    real_fp = json.loads(real.read_text(encoding="utf-8"))["key_id"]
    code, out, _ = run(town_db, capsys, "sync", "key", "county-set", str(real))
    assert code == 0 and real_fp in out

    other_db = tmp_path / "c2.sqlite"
    run(other_db, capsys, "county", "init", str(other_db), "--key-file", str(other), "--new-key")
    other_fp = json.loads(other.read_text(encoding="utf-8"))["key_id"]
    code, out, err = run(town_db, capsys, "sync", "key", "county-set", str(other))
    assert code != 0 and real_fp in err and other_fp in err and "--replace" in err
    code, out, _ = run(town_db, capsys, "sync", "key", "county-set", str(real))
    assert code == 0 and "未做更改" in out  # still the real one
    code, out, _ = run(town_db, capsys, "sync", "key", "county-set", str(other), "--replace")
    assert code == 0 and real_fp in out and other_fp in out
    # the county database itself pins nothing
    code, out, err = run(county_db, capsys, "sync", "key", "county-set", str(real))
    assert code != 0 and "县级接收数据库" in err


def test_an_ack_from_another_county_names_the_fingerprint_the_clerk_was_shown(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    key_file = county_key_file(county, tmp_path)
    t = make_town("T01").enroll(county)
    shown = keys.county_set(t.db, key_file)["key_id"]
    result = import_package(county, t.export(usb).path)
    forged = write_ack(county, result.device_id, usb, key=Ed25519PrivateKey.generate())
    with pytest.raises(AckInvalid) as info:
        apply_ack(t.db, forged.path)
    assert f"本机认可的县级公钥指纹是 {shown}" in info.value.message
    with pytest.raises(SyncError, match="县级接收数据库"):
        keys.county_set(county, key_file)


# --- what the clerk is told ----------------------------------------------------------------------


def test_approving_says_how_the_township_gets_its_acknowledgement(
    make_town, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = make_town("T01")
    town_db = t.folder / "ledger.sqlite"
    t.db.close()
    county_db, usb = tmp_path / "county.sqlite", tmp_path / "usb"
    usb.mkdir()
    run(county_db, capsys, "county", "init", str(county_db), "--key-file", str(usb / "county-key.json"))
    run(town_db, capsys, "sync", "key", "county-set", str(usb / "county-key.json"))
    run(town_db, capsys, "sync", "export", str(usb))
    code, out, _ = run(county_db, capsys, "county", "receive", str(usb))
    assert code == 1 and "待登记" in out
    fingerprint = json.loads(run(town_db, capsys, "sync", "key", "device", "--json")[1])["key_id"]
    code, out, _ = run(county_db, capsys, "sync", "device", "approve", fingerprint)
    assert code == 0 and "[已导入]" in out and "county receive" in out and "回执还没有写出" in out
    assert not list(usb.glob("*.ltack"))
    code, out, _ = run(county_db, capsys, "county", "receive", str(usb))
    assert code == 0 and "已写回执" in out and list(usb.glob("*.ltack"))


def test_approving_with_a_folder_writes_the_acknowledgement_there(
    make_town, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = make_town("T01")
    town_db = t.folder / "ledger.sqlite"
    t.db.close()
    county_db, usb = tmp_path / "county.sqlite", tmp_path / "usb"
    usb.mkdir()
    run(county_db, capsys, "county", "init", str(county_db), "--key-file", str(usb / "county-key.json"))
    run(town_db, capsys, "sync", "key", "county-set", str(usb / "county-key.json"))
    run(town_db, capsys, "sync", "export", str(usb))
    run(county_db, capsys, "county", "receive", str(usb))
    fingerprint = json.loads(run(town_db, capsys, "sync", "key", "device", "--json")[1])["key_id"]
    code, out, _ = run(county_db, capsys, "sync", "device", "approve", fingerprint, "--to", str(usb))
    assert code == 0 and "已写回执" in out and "回执还没有写出" not in out
    [ack] = usb.glob("*.ltack")
    code, out, _ = run(town_db, capsys, "sync", "ack", str(ack))
    assert code == 0 and "确认收到" in out


def test_county_receive_explains_its_folder_in_chinese(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit):
        main.main(["--db", str(tmp_path / "c.sqlite"), "county", "receive", "-h"])
    out = capsys.readouterr().out
    assert "U盘文件夹" in out and "同步包" in out and "回执写回同一文件夹" in out


def test_the_same_county_key_for_another_county_database_also_needs_confirming(
    make_town, county: Database, tmp_path: Path
) -> None:
    key_file = county_key_file(county, tmp_path)
    t = make_town("T01")
    keys.county_set(t.db, key_file)
    bundle = json.loads(key_file.read_text(encoding="utf-8"))
    scratch = tmp_path / "scratch-county.json"
    scratch.write_text(json.dumps(bundle | {"county_db": "f" * 32}), encoding="utf-8")
    before = snapshot(t.db)
    with pytest.raises(keys.CountyKeyChange, match="另一个县级数据库") as info:
        keys.county_set(t.db, scratch)
    assert info.value.old == info.value.new == bundle["key_id"]
    assert snapshot(t.db) == before
    with t.db.reader() as s:
        assert state.get(s, state.COUNTY_DB_ID) == bundle["county_db"]
    assert keys.county_set(t.db, scratch, replace=True)["replaced_key_id"] == bundle["key_id"]


def test_a_rebase_moves_every_reference_to_the_county_branch_and_refuses_after_a_delivery(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    from services import attachments, meetings
    from services.sync.tables import synced_tables
    from tests.conftest import TODAY

    key_file = county_key_file(county, tmp_path)
    old = make_town("T01").enroll(county)
    keys.county_set(old.db, key_file)
    synced(old, county, usb)
    branch_id, branch_code = county_branch(county)
    new = reinstalled(make_town, county, key_file, branch_code)
    with new.db.transaction("clerk") as s:
        local_branch = s.scalars(select(Branch).where(Branch.code == branch_code)).one()
        meeting = meetings.create_meeting(
            s, local_branch.id, meetings.MeetingInput("other", TODAY, "重装后书记碰头"), today=TODAY
        )
        photo = tmp_path / "阵地.png"
        photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        attachments.store_file(s, "branch", local_branch.id, photo)
        old_branch, meeting_id = local_branch.id, meeting.id
    assert import_package(county, new.export(usb).path).status == "pending"
    enrollment.replace(county, fp(old), fp(new))
    rebase = write_rebase_file(county, fp(new), usb).path

    with new.db.transaction() as s:  # as if the county had already acknowledged this database
        state.put(s, state.ACKED_SEQ, "1")
    with pytest.raises(RebaseInvalid, match="已有县里确认"):
        adopt_rebase_file(new.db, rebase, key=new.key)
    with new.db.transaction() as s:
        state.put(s, state.ACKED_SEQ, "0")

    adopt_rebase_file(new.db, rebase, key=new.key)
    with new.db.reader() as s:
        from models import Attachment, Meeting

        assert s.get(Meeting, meeting_id).branch_id == branch_id
        [photo_row] = s.scalars(select(Attachment)).all()
        assert photo_row.owner_id == branch_id
        assert s.get(Branch, old_branch) is None
        leftovers = [
            (t.name, c.name)
            for t in synced_tables()
            for c in t.columns
            if c.foreign_keys and s.execute(select(t.c.id).where(c == old_branch)).first() is not None
        ]
        assert leftovers == []
    result = import_package(county, new.export(usb).path)
    assert result.status == "imported", result.message
    with county.reader() as s:
        from models import Meeting

        assert s.get(Meeting, meeting_id).branch_id == branch_id


def test_pending_names_a_refused_package_until_that_laptop_sends_one_that_imports(
    make_town, county: Database, tmp_path: Path
) -> None:
    t = make_town("T01").enroll(county)
    key_file = county_key_file(county, tmp_path)  # from now on the county takes encrypted packages only
    stick = tmp_path / "stick"
    stick.mkdir()
    plain = t.export(stick).path
    [result] = receive_folder(county, stick)
    assert result.status == "rejected" and result.township_code == "T01"
    line = pending_line(county)
    assert not line.ok and "已全部导入" not in line.instruction
    assert plain.name in line.instruction and "没有加密" in line.instruction
    plain.unlink()
    keys.county_set(t.db, key_file)
    t.export(stick)
    [result] = receive_folder(county, stick)
    assert result.status == "imported", result.message
    assert pending_line(county).ok, pending_line(county).instruction
