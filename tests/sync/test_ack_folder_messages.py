"""`sync ack FOLDER` with several acknowledgements on the stick: one line for those already processed
or from before a restore, "已处理过" with exit 0 for an acknowledgement seen before (or an earlier one
of the same number), no advice that does not apply, and notes that read as sentences."""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

import main
from models import Branch, Township
from services import backup
from services.county import mode
from services.county.outbox import write_update_acks
from services.county.receive import receive_folder
from services.sync import keys, state
from services.sync.ack import write_ack
from services.sync.receiver import import_package
from tests.conftest import Builder, fresh_database
from tests.sync.conftest import Town


def _run(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _add_member(t: Town, name: str, seq: int) -> None:
    b = Builder(t.db)
    with t.db.reader() as s:
        b.township_id = s.scalars(select(Township.id)).one()
        branch = s.scalars(select(Branch.id).order_by(Branch.id)).first()
    assert branch is not None
    b._seq = seq
    b.member(branch, name, birth=date(1980, 1, 1))


def _county_and_town(make_town, county_sqlite, tmp_path: Path) -> Town:
    key_file = tmp_path / "county-key.json"
    mode.init_county(county_sqlite, key_file=key_file, user="county-admin")
    t = make_town("T01")
    keys.county_set(t.db, key_file, user="clerk")
    t.enroll(county_sqlite)
    return t


def _acked(t: Town) -> int:
    with t.db.reader() as s:
        return state.acked_seq(s)


def test_acks_from_before_a_restore_are_summed_up_in_one_line_without_advice(
    make_town, county_sqlite, usb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = _county_and_town(make_town, county_sqlite, tmp_path)
    t.export(tmp_path)  # the laptop has synced before its backup
    receive_folder(county_sqlite, tmp_path, user="county-clerk")
    saved = backup.backup_to(t.db, tmp_path / "before.sqlite")
    for n in range(3):  # three packages of the old generation, each acknowledged on the stick
        _add_member(t, f"旧世代{n}", 8001 + 2 * n)
        t.export(usb)
        receive_folder(county_sqlite, usb, user="county-clerk")
    backup.restore(t.db, saved)
    t.export(usb)  # the re-base of the new generation
    receive_folder(county_sqlite, usb, user="county-clerk")
    assert len(list(usb.glob("*.ltack"))) >= 4

    code, out, err = _run(t.folder / "ledger.sqlite", capsys, "sync", "ack", str(usb))
    assert code == 0, err
    assert out.count("恢复备份或复制之前的回执") == 1 and "已忽略（无需处理）" in out
    assert "请导出同步包" not in out and "。；" not in out
    assert _acked(t) > 0

    # the same folder again: everything already processed, exit 0, nothing changed
    before = _acked(t)
    code, out, err = _run(t.folder / "ledger.sqlite", capsys, "sync", "ack", str(usb))
    assert code == 0, err
    assert "已处理过" in out and _acked(t) == before and "请导出同步包" not in out


def test_only_acks_from_before_a_restore_ask_for_a_new_export(
    make_town, county_sqlite, usb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = _county_and_town(make_town, county_sqlite, tmp_path)
    t.export(tmp_path)
    receive_folder(county_sqlite, tmp_path, user="county-clerk")
    saved = backup.backup_to(t.db, tmp_path / "before.sqlite")
    _add_member(t, "旧世代", 8001)
    t.export(usb)
    receive_folder(county_sqlite, usb, user="county-clerk")
    backup.restore(t.db, saved)
    code, out, err = _run(t.folder / "ledger.sqlite", capsys, "sync", "ack", str(usb))
    assert code == 1 and out == ""
    assert err.count("恢复备份或复制之前的回执") == 1 and "请导出同步包" in err
    assert _acked(t) == 0


def test_an_earlier_ack_of_the_same_number_is_already_processed_with_exit_0(
    make_town, county_sqlite, usb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = _county_and_town(make_town, county_sqlite, tmp_path)
    t.export(usb)
    receive_folder(county_sqlite, usb, user="county-clerk")  # the ack written on receipt
    later = tmp_path / "later"
    later.mkdir()
    time.sleep(1.1)  # acknowledgements are dated to the second: this one must be the later
    write_update_acks(county_sqlite, later, user="county-clerk")  # `county acks`: same number, newer
    db = t.folder / "ledger.sqlite"
    assert _run(db, capsys, "sync", "ack", str(later))[0] == 0
    acked = _acked(t)

    code, out, err = _run(db, capsys, "sync", "ack", str(usb))  # the earlier one, as a folder
    assert code == 0, err
    assert "已处理过" in out and f"第 {acked} 号" in out and _acked(t) == acked
    [earlier] = usb.glob("*.ltack")
    code, out, err = _run(db, capsys, "sync", "ack", str(earlier))  # and as a file
    assert code == 0, err
    assert "已处理过" in out and _acked(t) == acked
    code, out, err = _run(db, capsys, "sync", "ack", str(next(later.glob("*.ltack"))))  # the same file twice
    assert code == 0 and "已处理过" in out


def test_acks_that_cannot_be_used_are_listed_one_per_line(
    make_town, county_sqlite, usb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = _county_and_town(make_town, county_sqlite, tmp_path)
    package = t.export(usb).path
    scratch = fresh_database(tmp_path / "scratch.sqlite")  # another county database, another key
    try:
        t.enroll(scratch)
        result = import_package(scratch, package)
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        write_ack(scratch, result.device_id, usb, key=Ed25519PrivateKey.generate())
    finally:
        scratch.close()
    (usb / "damaged.ltack").write_text("{", encoding="utf-8")
    shutil.copyfile(package, usb / "copy.ltpkg")
    code, out, err = _run(t.folder / "ledger.sqlite", capsys, "sync", "ack", str(usb))
    assert code == 1 and out == ""
    assert "damaged.ltack 无法使用，已跳过" in err and "不是由本机认可的县级密钥签发的" in err
    assert "。；" not in err and "；\n" not in err
