"""`sync ack` takes the USB folder: it applies the acknowledgements in it meant for this device (newest
last) and leaves the others with a note; a folder with none for this device, or a missing path, is
refused in Chinese naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

import main
from models import Member
from services.county import mode
from services.county.receive import receive_folder
from services.sync import keys, state
from tests.sync.conftest import Town, touch_member


def _run(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _acked(t: Town) -> int:
    with t.db.reader() as s:
        return state.acked_seq(s)


def test_sync_ack_with_the_usb_folder_applies_this_devices_acks_newest_last(
    make_town, county_sqlite, usb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "county-key.json"
    mode.init_county(county_sqlite, key_file=key_file, user="county-admin")
    towns = [make_town("T01", 1), make_town("T02", 2)]
    for t in towns:
        keys.county_set(t.db, key_file, user="clerk")
        t.enroll(county_sqlite)
        t.export(usb)
    receive_folder(county_sqlite, usb, user="county-clerk")
    t1 = towns[0]
    with t1.db.reader() as s:
        member_id = s.scalars(select(Member.id).order_by(Member.id)).first()
    assert member_id is not None
    touch_member(t1.db, member_id, phone="13800000009")
    later = t1.export(usb)
    receive_folder(county_sqlite, usb, user="county-clerk")
    mine = sorted(p.name for p in usb.glob("T01_*.ltack"))
    other = sorted(p.name for p in usb.glob("T02_*.ltack"))
    assert len(mine) == 2 and other

    code, out, err = _run(t1.folder / "ledger.sqlite", capsys, "sync", "ack", str(usb))
    assert code == 0, err
    assert all(name in out for name in mine)
    assert f"{other[0]} 是给乡镇 T02" in out and "不是给本机的，已跳过" in out
    assert _acked(t1) == later.seq_to  # the newest acknowledgement is the one that stays
    assert _acked(towns[1]) == 0  # the other township's ack was left alone


def test_sync_ack_folder_without_an_ack_for_this_device_names_the_folder(
    make_town, county_sqlite, usb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "county-key.json"
    mode.init_county(county_sqlite, key_file=key_file, user="county-admin")
    t1, t2 = make_town("T01", 1), make_town("T02", 2)
    for t in (t1, t2):
        keys.county_set(t.db, key_file, user="clerk")
        t.enroll(county_sqlite)
    t1.export(tmp_path)  # T01 has exported, but its package is not on this stick
    t2.export(usb)
    receive_folder(county_sqlite, usb, user="county-clerk")

    code, out, err = _run(t1.folder / "ledger.sqlite", capsys, "sync", "ack", str(usb))
    assert code == 1 and out == ""
    assert f"文件夹 {usb} 里没有给本机（乡镇 T01" in err and "是给乡镇 T02" in err
    assert _acked(t1) == 0

    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = _run(t1.folder / "ledger.sqlite", capsys, "sync", "ack", str(empty))
    assert code == 1 and f"文件夹 {empty} 里没有回执（.ltack 文件）" in err


def test_sync_ack_missing_path_says_the_path_does_not_exist_naming_the_argument(
    make_town, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t1 = make_town("T01", 1)
    with pytest.raises(SystemExit) as exc:
        main.main(["--db", str(t1.folder / "ledger.sqlite"), "sync", "ack", str(tmp_path / "无")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"参数 回执文件或文件夹：路径不存在：{tmp_path / '无'}" in err
