"""The county desk (services and CLI): county database and mode, receiving a whole folder with acks
written back, 待补, field-by-field conflict merges travelling back, and the return channel (pack updates
and notices inside acknowledgements) — on SQLite and PostgreSQL, bad input included."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

import main
from models import CountyOutbox, Member
from models.enums import Role
from services.county import mode
from services.county.outbox import publish_notice, publish_pack
from services.county.pending import pending_by_township
from services.county.receive import EmptyFolder, receive_folder
from services.db import Database, current_seq
from services.errors import NotFound, PermissionDenied, ValidationError
from services.handbook.errors import PackError
from services.handbook.pack import PackHolder, default_pack_path
from services.roles import Actor
from services.sync import keys, state
from services.sync.ack import apply_ack
from services.sync.conflicts import choosable_fields, list_conflicts, merge
from services.sync.errors import SyncError
from services.sync.inbox import install_pack_update, list_items, open_notice
from tests.sync.conftest import Town, snapshot, touch_member


def _county(county: Database, tmp_path: Path) -> Path:
    """Make ``county`` the county database; returns the public key file for the townships."""
    key_file = tmp_path / "county-key.json"
    info = mode.init_county(county, name="青塬县", key_file=key_file, user="county-admin")
    assert info["created"] and key_file.exists()
    return key_file


def _town(make_town, code: str, seed: int, county: Database, key_file: Path, *, enroll: bool = True) -> Town:
    t = make_town(code, seed)
    keys.county_set(t.db, key_file, user="clerk")
    if enroll:
        t.enroll(county)
    return t


def _first_member(db: Database) -> str:
    with db.reader() as s:
        member_id = s.scalars(select(Member.id).order_by(Member.id)).first()
    assert member_id is not None
    return member_id


def _ack_for(folder: Path, code: str) -> Path:
    [ack] = sorted(folder.glob(f"{code}_*.ltack"))
    return ack


def _bumped_pack(tmp_path: Path, version: str, *, name: str = "青塬县手册包") -> Path:
    """The default pack as a county would reissue it: new version and name, every 错误 made a 警告."""
    text = default_pack_path().read_text(encoding="utf-8")
    text = text.replace('version = "2026.1"', f'version = "{version}"', 1)
    text = text.replace('name = "党支部标准化规范化建设（默认手册包）"', f'name = "{name}"', 1)
    text = text.replace('importance = "error"', 'importance = "warning"')
    path = tmp_path / f"pack-{version}.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- county database and mode -------------------------------------------------------------------


def test_county_init_marks_the_database_and_is_audited(county: Database, tmp_path: Path) -> None:
    with county.reader() as s:
        assert not mode.is_county(s)
    _county(county, tmp_path)
    with county.reader() as s:
        assert mode.is_county(s)
        assert state.get(s, mode.KEY_ID)
    again = mode.init_county(county, user="county-admin")  # idempotent, the key is kept
    assert not again["created"]
    bundle = json.loads((tmp_path / "county-key.json").read_text(encoding="utf-8"))
    assert bundle["key_id"] == again["key_id"] and bundle["county_db"] == again["county_db"]
    assert _events(county, "county_init") == [("county-admin", True), ("county-admin", True)]


def _events(db: Database, event: str) -> list[tuple[str, bool]]:
    """Audit entries of ``event``: (user, whether the entry names the event)."""
    from models import AuditEntry

    with db.reader() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.changes.contains(f'"{event}"'))).all()
    return [(r.user, event in r.changes) for r in rows]


def test_county_init_refuses_a_township_ledger(make_town, tmp_path: Path) -> None:
    t = make_town("T01")
    with pytest.raises(mode.NotCounty, match="已有乡镇台账数据"):
        mode.init_county(t.db, user="clerk")
    with t.db.reader() as s:
        assert not mode.is_county(s)


def test_county_init_adopts_a_county_database_from_before_county_mode(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    from services.sync.receiver import import_package

    t = make_town("T01")
    t.enroll(county)
    assert import_package(county, t.export(usb).path).status == "imported"  # received before `county init`
    info = mode.init_county(county, user="county-admin")
    assert info["created"]
    with county.reader() as s:
        assert mode.is_county(s)


def test_county_actions_refused_on_a_township_database_and_for_a_viewer(
    county: Database, make_town, usb: Path, tmp_path: Path
) -> None:
    t = make_town("T01")
    t.export(usb)
    with pytest.raises(mode.NotCounty, match="县级接收数据库"):
        receive_folder(t.db, usb, user="clerk")
    _county(county, tmp_path)
    before = snapshot(county)
    county.actor = Actor("reader", Role.VIEWER)
    try:
        with pytest.raises(PermissionDenied, match="查阅"):
            receive_folder(county, usb)
        with pytest.raises(PermissionDenied):
            publish_notice(county, "通知", "正文")
        with pytest.raises(PermissionDenied):
            publish_pack(county, _bumped_pack(tmp_path, "2026.2"))
    finally:
        county.actor = None
    assert snapshot(county) == before


# --- receiving a folder ---------------------------------------------------------------------------


def test_folder_of_three_townships_imported_in_one_go_with_acks_written_back(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    key_file = _county(county, tmp_path)
    t1 = _town(make_town, "T01", 1, county, key_file)
    t2 = _town(make_town, "T02", 2, county, key_file)
    t3 = _town(make_town, "T03", 3, county, key_file, enroll=False)  # a laptop not yet enrolled
    t1.export(usb)
    first2 = t2.export(tmp_path)  # T02's first stick is lost on the way …
    with t2.db.transaction() as s:
        state.put(s, state.ACKED_SEQ, str(current_seq(s)))  # (as if acknowledged)
    touch_member(t2.db, _first_member(t2.db), phone="13800000002")
    late = t2.export(usb)  # … so its next package leaves a gap
    t3.export(usb)
    (usb / "说明.txt").write_text("请县里查收", encoding="utf-8")
    shutil.copy(key_file, usb / "county-key.json")

    seen: list[tuple[int, int, str]] = []
    results = receive_folder(
        county, usb, user="county-clerk", progress=lambda d, n, f: seen.append((d, n, f))
    )
    by_town = {r.township_code: r for r in results if r.township_code}
    assert by_town["T01"].status == "imported" and by_town["T01"].rows > 100
    assert by_town["T02"].status == "held" and f"第 1–{late.seq_from - 1} 号" in by_town["T02"].message
    assert by_town["T03"].status == "pending"
    skipped = sorted(r.file_name for r in results if r.status == "skipped")
    assert skipped == ["county-key.json", "说明.txt"]
    assert [d for d, _n, _f in seen] == [0, 1, 2, 3] and {n for _d, n, _f in seen} == {3}
    # acknowledgements for the streams that delivered or are held, in the same folder
    assert by_town["T01"].ack_file and (usb / by_town["T01"].ack_file).exists()
    assert by_town["T02"].ack_file and (usb / by_town["T02"].ack_file).exists()
    assert not by_town["T03"].ack_file
    assert apply_ack(t1.db, usb / by_town["T01"].ack_file).acked == by_town["T01"].seq_to

    # a second pass over the same stick: duplicates, acks are skipped as acks
    again = receive_folder(county, usb, user="county-clerk")
    assert {r.township_code: r.status for r in again if r.township_code}["T01"] == "duplicate"
    assert any(r.status == "skipped" and "回执" in r.message for r in again)

    # 待补: T02 waits for 1…, T03 for enrolment; each with what to tell the clerk
    with county.reader() as s:
        pending = {p.code: p for p in pending_by_township(s)}
    assert pending["T01"].ok and "无需补交" in pending["T01"].instruction
    [held] = pending["T02"].held
    assert (held.missing_from, held.missing_to) == (1, late.seq_from - 1)
    assert (
        "导出" in pending["T02"].instruction and f"第 1–{late.seq_from - 1} 号" in pending["T02"].instruction
    )
    from services.sync.signing import key_id, public_raw

    assert pending["T03"].pending_keys == [key_id(public_raw(t3.key))]
    assert (
        key_id(public_raw(t3.key)) in pending["T03"].instruction and "设备登记" in pending["T03"].instruction
    )

    # the lost stick arrives: the held package follows it
    folder2 = tmp_path / "usb2"
    folder2.mkdir()
    shutil.copy(first2.path, folder2)
    [r] = receive_folder(county, folder2, user="county-clerk")
    assert r.status == "imported" and [x.status for x in r.released] == ["imported"]
    with county.reader() as s:
        assert pending_by_township(s)[1].ok
    assert _events(county, "county_receive_done")[0][0] == "county-clerk"


def test_empty_folder_and_folder_without_packages_are_refused(
    county: Database, usb: Path, tmp_path: Path
) -> None:
    _county(county, tmp_path)
    before = snapshot(county)
    with pytest.raises(EmptyFolder, match=r"没有同步包.*是空的"):
        receive_folder(county, usb, user="county-clerk")
    (usb / "T01_ack.ltack").write_text("{}", encoding="utf-8")
    (usb / "照片.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(EmptyFolder, match="只有 2 个其他文件"):
        receive_folder(county, usb, user="county-clerk")
    with pytest.raises(SyncError, match="找不到文件夹"):
        receive_folder(county, tmp_path / "nowhere", user="county-clerk")
    after = snapshot(county)
    assert {k: v for k, v in after.items() if before[k] != v and k not in ("audit_log", "audit_head")} == {}


def test_mixed_folder_other_county_packages_refused_nothing_written_for_them(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    key_file = _county(county, tmp_path)
    mine = _town(make_town, "T01", 1, county, key_file)
    other_key = tmp_path / "other-county.json"
    # another county's key file: its bundle, as if from their machine (a different X25519 key)
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from services.sync.crypto import county_key_id, x_public_raw
    from services.sync.signing import b64

    x = X25519PrivateKey.generate()
    bundle = json.loads(key_file.read_text(encoding="utf-8"))
    bundle |= {"x25519": b64(x_public_raw(x)), "key_id": county_key_id(x_public_raw(x))}
    other_key.write_text(json.dumps(bundle), encoding="utf-8")
    foreign = make_town("T09", 4)
    keys.county_set(foreign.db, other_key)
    foreign.enroll(county)
    foreign.export(usb)
    mine.export(usb)
    (usb / "notes.docx").write_bytes(b"PK\x03\x04")
    [good] = list(usb.glob("T01_*.ltpkg"))
    (usb / "T05_0badf00d_1-9_20261130-000000.ltpkg").write_bytes(good.read_bytes()[:5000])  # a broken copy

    results = receive_folder(county, usb, user="county-clerk")
    by_name = {r.file_name: r for r in results}
    [refused] = [r for r in results if r.file_name.startswith("T09_")]
    assert refused.status == "rejected" and bundle["key_id"] in refused.message and not refused.ack_file
    [ok] = [r for r in results if r.file_name.startswith("T01_")]
    assert ok.status == "imported"
    assert by_name["notes.docx"].status == "skipped"
    broken = by_name["T05_0badf00d_1-9_20261130-000000.ltpkg"]
    assert broken.status == "rejected" and "T05_0badf00d" in broken.message and not broken.ack_file
    with county.reader() as s:
        from models import Township

        assert {t.code for t in s.scalars(select(Township))} == {"T01"}
    assert not list(usb.glob("T09_*.ltack"))


# --- conflicts: field by field, travelling back ---------------------------------------------------


def test_field_by_field_merge_travels_back_and_both_sides_agree(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    key_file = _county(county, tmp_path)
    t = _town(make_town, "T01", 1, county, key_file)
    t.export(usb)
    receive_folder(county, usb, user="county-clerk")
    apply_ack(t.db, _ack_for(usb, "T01"))
    member_id = _first_member(t.db)
    touch_member(county, member_id, phone="county-phone", notes="county-note")  # edited at the county
    touch_member(t.db, member_id, phone="town-phone", notes="town-note")  # and at the township, later
    second = tmp_path / "usb2"
    second.mkdir()
    t.export(second)
    [r] = receive_folder(county, second, user="county-clerk")
    assert r.conflicts == 1
    with county.reader() as s:
        [c] = list_conflicts(s)
    assert c.winner["phone"] == "town-phone" and c.loser["phone"] == "county-phone"
    assert choosable_fields(c) == ["notes", "phone"]
    (cur_by, _cur_at), (other_by, _other_at) = c.changed_by()
    assert (cur_by, other_by) == ("clerk", "clerk")

    with pytest.raises(ValidationError) as bad:
        merge(county, c.id, {"gender": "other"}, user="county-clerk")
    assert bad.value.field == "gender"
    with pytest.raises(ValidationError):
        merge(county, c.id, {"phone": "mine"}, user="county-clerk")

    done = merge(county, c.id, {"phone": "other", "notes": "current"}, user="county-clerk")
    assert done.status == "merged"
    with county.reader() as s:
        m = s.get(Member, member_id)
        assert m is not None and (m.phone, m.notes) == ("county-phone", "town-note")
        [decision] = s.scalars(select(CountyOutbox).where(CountyOutbox.kind == "decision")).all()
        assert decision.township_code == "T01"
    with pytest.raises(SyncError, match="已处理过"):
        merge(county, c.id, {}, user="county-clerk")

    # the next acknowledgement carries the decision; the township applies it
    third = tmp_path / "usb3"
    third.mkdir()
    touch_member(t.db, _first_member_other(t.db, member_id), notes="另一人")
    t.export(third)
    receive_folder(county, third, user="county-clerk")
    result = apply_ack(t.db, _ack_for(third, "T01"))
    assert result.county_items["applied"] == 1 and "冲突" in result.message
    with t.db.reader() as s:
        m = s.get(Member, member_id)
        assert m is not None and (m.phone, m.notes) == ("county-phone", "town-note")
    # the township sends the row on: the county finds it identical, no new conflict
    fourth = tmp_path / "usb4"
    fourth.mkdir()
    t.export(fourth)
    [r4] = [x for x in receive_folder(county, fourth, user="county-clerk") if x.township_code]
    assert r4.status == "imported" and r4.conflicts == 0
    with county.reader() as s:
        assert [(c.row_id == member_id, c.differences) for c in list_conflicts(s)] == []


def _first_member_other(db: Database, not_this: str) -> str:
    with db.reader() as s:
        return str(s.scalars(select(Member.id).where(Member.id != not_this).order_by(Member.id)).first())


# --- the return channel ----------------------------------------------------------------------------


def test_pack_update_round_trip_township_installs_and_check_uses_it(
    make_town, county: Database, usb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = _county(county, tmp_path)
    t = _town(make_town, "T01", 1, county, key_file)
    view = publish_pack(county, _bumped_pack(tmp_path, "2026.2"), user="county-admin")
    assert view.kind == "pack" and "2026.2" in view.title
    with pytest.raises(ValidationError, match=r"不比已发布的版本 2026\.2 新"):
        publish_pack(county, _bumped_pack(tmp_path / "", "2026.1.5", name="旧"), user="county-admin")
    t.export(usb)
    receive_folder(county, usb, user="county-clerk")
    result = apply_ack(t.db, _ack_for(usb, "T01"), user="clerk")
    assert result.county_items["pack"] == 1 and "install-update" in result.message
    assert PackHolder.startup().pack.pack.version == "2026.1"  # nothing installed before confirmation

    db_path = t.folder / "ledger.sqlite"
    t.db.close()
    code, out, _ = _run(db_path, capsys, "handbook", "install-update")
    assert code == 1 and "--yes" in out and "2026.2" in out
    code, out, _ = _run(db_path, capsys, "handbook", "install-update", "--yes")
    assert code == 0 and "已安装" in out and "2026.2" in out
    assert PackHolder.startup().pack.pack.version == "2026.2"
    assert default_pack_path().exists()  # the previous pack stays
    code, out, _ = _run(db_path, capsys, "check", "--period", "2026", "--json")
    checked = json.loads(out)
    assert checked["pack"]["version"] == "2026.2" and not checked["has_errors"]
    code, out, err = _run(db_path, capsys, "handbook", "install-update", "--yes")
    assert code == 1 and "没有待安装" in err


def test_pack_update_older_than_installed_or_invalid_is_refused(
    make_town, county: Database, usb: Path, tmp_path: Path
) -> None:
    key_file = _county(county, tmp_path)
    broken = tmp_path / "broken.toml"
    broken.write_text('[pack]\nid = "x"\n', encoding="utf-8")
    before = snapshot(county)
    with pytest.raises(PackError):
        publish_pack(county, broken, user="county-admin")
    assert snapshot(county) == before
    t = _town(make_town, "T01", 1, county, key_file)
    publish_pack(county, _bumped_pack(tmp_path, "2026.1"), user="county-admin")  # same as installed
    t.export(usb)
    receive_folder(county, usb, user="county-clerk")
    apply_ack(t.db, _ack_for(usb, "T01"), user="clerk")
    with pytest.raises(SyncError, match=r"不比本机正在使用的版本 2026\.1 新"):
        install_pack_update(t.db, user="clerk")
    assert PackHolder.startup().pack.pack.name != "青塬县手册包"
    with t.db.reader() as s:
        [item] = list_items(s, "pack")
    assert item.status == "refused" and "2026.1" in item.note


def test_notice_travels_in_the_ack_and_is_shown_at_the_township(
    make_town, county: Database, usb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import date, timedelta

    key_file = _county(county, tmp_path)
    t = _town(make_town, "T01", 1, county, key_file)
    other = _town(make_town, "T02", 2, county, key_file)
    doc = tmp_path / "安排.pdf"
    doc.write_bytes(b"%PDF-1.4 test")
    due = date.today() + timedelta(days=10)
    publish_notice(
        county, "关于报送年度台账的通知", "请于月底前报送。", attachments=[doc], due=due, user="county-admin"
    )
    publish_notice(county, "只给二镇", "二镇专看", township="T02", user="county-admin")
    t.export(usb)
    other.export(usb)
    receive_folder(county, usb, user="county-clerk")
    assert "1 个新通知" in apply_ack(t.db, _ack_for(usb, "T01"), user="clerk").message
    assert "2 个新通知" in apply_ack(other.db, _ack_for(usb, "T02"), user="clerk").message
    # the same ack again: nothing new
    assert apply_ack(t.db, _ack_for(usb, "T01"), user="clerk").county_items == {}

    db_path = t.folder / "ledger.sqlite"
    t.db.close()
    code, out, _ = _run(db_path, capsys, "notice", "list", "--json")
    [n] = json.loads(out)
    assert (
        n["title"] == "关于报送年度台账的通知"
        and n["status"] == "new"
        and n["payload"]["due"] == due.isoformat()
    )
    code, out, _ = _run(db_path, capsys, "notice", "show", n["id"][:8])
    assert code == 0 and "请于月底前报送。" in out and "安排.pdf" in out
    attached = Path(out.split("附件：")[1].strip())
    assert attached.read_bytes() == b"%PDF-1.4 test"
    code, out, _ = _run(db_path, capsys, "notice", "list", "--json")
    assert json.loads(out)[0]["status"] == "read"


def test_notice_bad_input_refused_at_the_county(county: Database, tmp_path: Path) -> None:
    _county(county, tmp_path)
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * ((5 << 20) + 1))
    before = snapshot(county)
    with pytest.raises(ValidationError) as e:
        publish_notice(county, "大附件", "正文", attachments=[big], user="county-admin")
    assert e.value.field == "attach" and "5 MB" in e.value.message
    with pytest.raises(ValidationError) as e:
        publish_notice(county, "  ", "正文", user="county-admin")
    assert e.value.field == "title"
    with pytest.raises(ValidationError) as e:
        publish_notice(county, "缺附件", "正文", attachments=[tmp_path / "none.pdf"], user="county-admin")
    assert e.value.field == "attach"
    assert snapshot(county) == before
    with county.reader() as s:
        assert s.scalars(select(CountyOutbox)).all() == []


def test_notice_open_unknown_id(make_town) -> None:
    t = make_town("T01")
    with pytest.raises(NotFound, match="没有编号为 zz 的通知"):
        open_notice(t.db, "zz")


# --- CLI ------------------------------------------------------------------------------------------


def _run(db: Path | str, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_county_init_receive_pending_notice(
    make_town, tmp_path: Path, usb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    county_db = tmp_path / "county.sqlite"
    key_file = tmp_path / "county-key.json"
    code, out, _ = _run(
        tmp_path / "unused.sqlite", capsys, "county", "init", str(county_db), "--key-file", str(key_file)
    )
    assert code == 0 and "已建立县级接收数据库" in out and key_file.exists()
    t = make_town("T01")
    keys.county_set(t.db, key_file)
    t.export(usb)
    code, out, _ = _run(county_db, capsys, "county", "receive", str(usb))
    assert code == 1 and "[待登记]" in out  # the laptop is not enrolled yet
    code, out, _ = _run(county_db, capsys, "county", "pending")
    assert code == 0 and "乡镇 T01" in out and "设备登记" in out
    code, out, err = _run(county_db, capsys, "county", "receive", str(tmp_path / "empty"))
    assert code == 1 and "找不到文件夹" in err
    code, out, err = _run(
        county_db, capsys, "county", "notice", "--title", "通知", "--text", "正文", "--due", "2026-02-31"
    )
    assert code == 1 and "2026-02-31" in err
    code, out, _ = _run(county_db, capsys, "county", "notice", "--title", "通知", "--text", "正文")
    assert code == 0 and "已下发通知" in out
    code, out, _ = _run(county_db, capsys, "county", "outbox", "--json")
    assert [v["kind"] for v in json.loads(out)] == ["notice"]
    code, out, err = _run(t.folder / "ledger.sqlite", capsys, "county", "pending")
    assert code == 1 and "只能在县级接收数据库上使用" in err  # a township has no county's view to show
    code, out, err = _run(
        t.folder / "ledger.sqlite", capsys, "county", "notice", "--title", "x", "--text", "y"
    )
    assert code == 1 and "县级接收数据库" in err


def test_decision_not_applied_over_a_later_township_edit(
    make_town, county_sqlite: Database, usb: Path, tmp_path: Path
) -> None:
    county = county_sqlite
    key_file = _county(county, tmp_path)
    t = _town(make_town, "T01", 1, county, key_file)
    t.export(usb)
    receive_folder(county, usb, user="county-clerk")
    apply_ack(t.db, _ack_for(usb, "T01"))
    member_id = _first_member(t.db)
    touch_member(county, member_id, phone="county-phone")
    touch_member(t.db, member_id, phone="town-phone")
    second = tmp_path / "usb2"
    second.mkdir()
    t.export(second)
    receive_folder(county, second, user="county-clerk")
    with county.reader() as s:
        [c] = list_conflicts(s)
    merge(county, c.id, {}, default="other", user="county-clerk")  # the county's version
    touch_member(t.db, member_id, phone="town-phone-2")  # edited again before the ack comes back
    third = tmp_path / "usb3"
    third.mkdir()
    t.export(third)
    receive_folder(county, third, user="county-clerk")
    result = apply_ack(t.db, _ack_for(third, "T01"))
    assert result.county_items["skipped"] == 1 and "未采用" in result.message
    with t.db.reader() as s:
        m = s.get(Member, member_id)
        assert m is not None and m.phone == "town-phone-2"
        [item] = list_items(s, "decision")
        assert item.status == "skipped" and "又修改过" in item.note


def test_cli_conflict_field_choice_badly_written_names_the_field(
    make_town, capsys: pytest.CaptureFixture[str]
) -> None:
    t = make_town("T01")
    path = t.folder / "ledger.sqlite"
    t.db.close()
    code, _out, err = _run(path, capsys, "sync", "conflicts", "resolve", "1", "--field", "phone")
    assert code == 1 and "--field phone" in err and "字段名=current" in err
    code, _out, err = _run(path, capsys, "sync", "conflicts", "resolve", "1")
    assert code == 1 and "--keep" in err


def test_a_folder_of_packages_each_past_the_memory_budget_is_received_whole(
    make_town, county: Database, usb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a memory budget smaller than every package, each one is checked and written block by
    block from its spill file: the county ends with exactly each township's rows, one
    acknowledgement per township is written, and no spill file is left behind (each package's
    staging folder is removed before the next one is read)."""
    from services.attachments import store_dir
    from services.sync import package as pkg
    from tests.sync.conftest import content

    monkeypatch.setattr(pkg, "BLOCK_ROWS", 500)
    monkeypatch.setattr(pkg, "MEMORY_ROWS", 1000)
    key_file = _county(county, tmp_path)
    towns = [_town(make_town, f"T0{k}", k, county, key_file) for k in (1, 2)]
    for t in towns:
        t.export(usb, full=True)
    spilled: list[int] = []
    closing = pkg.RowStore.close

    def close(self: pkg.RowStore) -> None:
        spilled.append(self.spilled)
        closing(self)

    monkeypatch.setattr(pkg.RowStore, "close", close)
    results = receive_folder(county, usb, user="county-clerk")
    assert [r.status for r in results if r.township_code] == ["imported", "imported"]
    assert len(spilled) == 2 and all(n > 0 for n in spilled)
    assert sorted(r.ack_file[:3] for r in results if r.ack_file) == ["T01", "T02"]
    here = content(county)
    for t in towns:
        theirs = content(t.db)
        for table, rows in theirs.items():
            assert {i: here[table].get(i) for i in rows} == rows, table
    with county.reader() as s:
        incoming = store_dir(s) / ".incoming"
    assert not incoming.exists() or not any(incoming.rglob("*"))
