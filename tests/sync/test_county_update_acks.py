"""A notice or pack update the county issues after it wrote a township's acknowledgement does not wait
for that township's next package: the county writes a signed acknowledgement-only update to the stick
(`county acks`, `county notice --to`), the township applies it like any acknowledgement; and a
township with nothing new to send is told so without a failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import main
from services.county import mode
from services.county.outbox import publish_notice, write_update_acks
from services.county.receive import receive_folder
from services.db import Database
from services.errors import ValidationError
from services.sync import keys, state
from services.sync.ack import apply_ack
from services.sync.errors import AckInvalid, NothingToSync
from tests.sync.conftest import Town, snapshot


def _run(db: Path | str, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _synced_town(make_town, county: Database, tmp_path: Path, usb: Path) -> Town:
    """T01 has sent everything and applied the county's acknowledgement."""
    key_file = tmp_path / "county-key.json"
    mode.init_county(county, name="青塬县", key_file=key_file, user="county-admin")
    town = make_town("T01", 1)
    keys.county_set(town.db, key_file, user="clerk")
    town.enroll(county)
    town.export(usb)
    receive_folder(county, usb, user="county-clerk")
    [ack] = sorted(usb.glob("T01_*.ltack"))
    apply_ack(town.db, ack, user="clerk")
    return town


def test_a_notice_issued_after_the_ack_reaches_the_township_in_an_update_ack(
    make_town, county: Database, tmp_path: Path, usb: Path
) -> None:
    town = _synced_town(make_town, county, tmp_path, usb)
    with town.db.reader() as s:
        acked = state.acked_seq(s)
    with pytest.raises(NothingToSync) as nothing:  # the township has nothing new to send
        town.export(usb)
    assert "没有待同步的记录" in nothing.value.message
    publish_notice(county, "关于报送年度台账的通知", "请于月底前报送。", user="county-admin")
    stick = tmp_path / "stick"
    stick.mkdir()
    [update] = write_update_acks(county, stick, user="county-clerk")
    assert update.township_code == "T01" and update.items == 1
    result = apply_ack(town.db, stick / update.file_name, user="clerk")
    assert result.county_items["notice"] == 1 and "1 个新通知" in result.message
    with town.db.reader() as s:
        assert state.acked_seq(s) == acked  # nothing more marked delivered than the county confirmed


def test_a_tampered_update_ack_is_refused_and_changes_nothing(
    make_town, county: Database, tmp_path: Path, usb: Path
) -> None:
    town = _synced_town(make_town, county, tmp_path, usb)
    publish_notice(county, "通知", "正文", user="county-admin")
    stick = tmp_path / "stick"
    stick.mkdir()
    [update] = write_update_acks(county, stick, user="county-clerk")
    path = stick / update.file_name
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["ack"]["county_items"][0]["title"] = "伪造的通知"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    before = snapshot(town.db)
    with pytest.raises(AckInvalid):
        apply_ack(town.db, path, user="clerk")
    assert snapshot(town.db) == before


def test_update_acks_for_a_township_never_synced_or_a_missing_folder_are_refused(
    make_town, county: Database, tmp_path: Path, usb: Path
) -> None:
    _synced_town(make_town, county, tmp_path, usb)
    with pytest.raises(ValidationError) as e:
        write_update_acks(county, tmp_path / "no-stick", user="county-clerk")
    assert e.value.field == "folder" and "文件夹不存在" in e.value.message
    with pytest.raises(ValidationError) as e:
        write_update_acks(county, usb, township="T09", user="county-clerk")
    assert e.value.field == "township" and "T09" in e.value.message


def test_county_notice_says_how_it_travels_and_writes_the_update_with_to(
    make_town, county_sqlite: Database, tmp_path: Path, usb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    town = _synced_town(make_town, county_sqlite, tmp_path, usb)
    county_path = tmp_path / "county-sqlite" / "county.sqlite"
    county_sqlite.close()
    code, out, _ = _run(county_path, capsys, "county", "notice", "--title", "通知一", "--text", "正文")
    assert code == 0 and "已下发通知“通知一”" in out and "随回执" in out and "county acks" in out
    stick = tmp_path / "stick"
    stick.mkdir()
    code, out, err = _run(
        county_path, capsys, "county", "notice", "--title", "通知二", "--text", "正文", "--to", str(stick)
    )
    assert code == 0, err
    assert "已写出更新回执" in out and "带 2 项" in out and "sync ack" in out
    [ack] = sorted(stick.glob("T01_*.ltack"))
    town_path = town.folder / "ledger.sqlite"
    town.db.close()
    code, out, _ = _run(town_path, capsys, "sync", "export", str(usb))
    assert code == 0 and "没有待同步的记录" in out
    code, out, err = _run(town_path, capsys, "sync", "ack", str(ack))
    assert code == 0 and "2 个新通知" in out, err
