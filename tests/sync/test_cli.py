"""`sync …` on the command line: the whole township → county → township loop, JSON output, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

import main
from models import Member


def run(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_export_verify_import_ack_status(
    make_town, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    town = make_town("T01")
    town_db = town.folder / "ledger.sqlite"
    town.db.close()
    county_db = tmp_path / "county.sqlite"
    usb = tmp_path / "usb"
    usb.mkdir()

    code, out, _ = run(
        county_db, capsys, "sync", "key", "county-generate", str(tmp_path / "county-key.json"), "--json"
    )
    assert code == 0 and json.loads(out)["key_id"]
    key_file = Path(os.environ["LEDGER_DATA_DIR"]) / "keys" / "county_x25519.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (key_file.parent / "device_ed25519.pem").stat().st_mode & 0o777 == 0o600
    assert run(town_db, capsys, "sync", "key", "county-set", str(tmp_path / "county-key.json"))[0] == 0

    code, out, _ = run(town_db, capsys, "sync", "status", "--json")
    pending = json.loads(out)["pending"]
    assert code == 0 and pending["member"] > 0

    code, out, _ = run(town_db, capsys, "sync", "export", str(usb), "--json")
    exported = json.loads(out)
    assert code == 0 and exported["encrypted"] and exported["rows"] == pending
    pkg = exported["file"]

    code, out, _ = run(town_db, capsys, "sync", "verify", pkg)
    assert code == 0 and "校验通过" in out

    # The county has not enrolled this laptop yet: held as 待登记, nothing imported, no ack.
    code, out, _ = run(county_db, capsys, "sync", "import", pkg, "--json")
    report = json.loads(out)
    assert code == 1 and report["results"][0]["status"] == "pending" and report["acks"] == []
    code, out, _ = run(county_db, capsys, "sync", "device", "list", "--json")
    [device] = json.loads(out)
    fingerprint = json.loads(run(town_db, capsys, "sync", "key", "device", "--json")[1])["key_id"]
    assert device["key_id"] == fingerprint and device["status"] == "pending" and device["held"] == 1
    code, out, _ = run(county_db, capsys, "sync", "device", "approve", fingerprint)
    assert code == 0 and "已登记" in out and "[已导入]" in out

    code, out, _ = run(county_db, capsys, "sync", "import", pkg, "--json")
    report = json.loads(out)
    assert code == 0 and report["results"][0]["status"] == "duplicate"
    [ack] = report["acks"]

    code, out, _ = run(town_db, capsys, "sync", "ack", ack)
    assert code == 0 and f"第 {exported['seq_to']} 号" in out
    code, out, _ = run(town_db, capsys, "sync", "status", "--json")
    st = json.loads(out)
    assert st["acked_seq"] == exported["seq_to"] and st["pending"] == {}
    assert st["last_ack"]["file_name"] == Path(ack).name

    code, out, err = run(town_db, capsys, "sync", "export", str(usb))
    assert code == 0 and "没有待同步的记录" in out and not err  # not a failure: nothing left to send

    code, out, _ = run(county_db, capsys, "sync", "conflicts", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run(county_db, capsys, "sync", "status")
    assert code == 0 and "已接收 乡镇 T01" in out


def test_cli_import_of_a_damaged_package_fails_with_message(
    make_town, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    town = make_town("T01")
    usb = tmp_path / "usb"
    usb.mkdir()
    pkg = town.export(usb).path
    pkg.write_bytes(pkg.read_bytes()[:-500])
    code, _out, err = run(tmp_path / "county.sqlite", capsys, "sync", "import", str(pkg))
    assert code == 1 and "不完整或已损坏" in err
    code, _out, err = run(tmp_path / "county.sqlite", capsys, "sync", "verify", str(pkg))
    assert code == 1 and err.startswith("错误：") and "不完整或已损坏" in err


def test_cli_reregisters_a_reinstalled_laptop_and_revokes_a_lost_one(
    make_town, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from services.sync.signing import key_id, public_raw

    town = make_town("T01")
    county_db = tmp_path / "county.sqlite"
    usb = tmp_path / "usb"
    usb.mkdir()
    first = town.export(usb).path
    code, out, _ = run(county_db, capsys, "sync", "verify", str(first))
    old_fp = key_id(public_raw(town.key))
    assert code == 0 and f"密钥指纹 {old_fp}" in out
    assert run(county_db, capsys, "sync", "import", str(first))[0] == 1  # 待登记
    code, out, _ = run(county_db, capsys, "sync", "device", "approve", old_fp)
    assert code == 0 and "[已导入]" in out

    town.key = Ed25519PrivateKey.generate()  # reinstalled laptop, same database
    new_fp = key_id(public_raw(town.key))
    with town.db.transaction("clerk") as s:
        member = s.scalars(select(Member)).first()
        assert member is not None
        member.phone = "13900000000"
    second = town.export(usb).path
    code, out, _ = run(county_db, capsys, "sync", "import", str(second))
    assert code == 1 and "[待登记]" in out and new_fp in out
    code, _out, err = run(county_db, capsys, "sync", "device", "approve", new_fp)
    assert code == 1 and "replace" in err  # the township already has a laptop: say how to re-register
    code, out, _ = run(county_db, capsys, "sync", "device", "replace", old_fp, new_fp)
    assert code == 0 and "[已导入]" in out
    code, out, _ = run(county_db, capsys, "sync", "device", "list", "--json")
    states = {d["key_id"]: d["status"] for d in json.loads(out)}
    assert states == {old_fp: "revoked", new_fp: "enrolled"}
    code, out, _ = run(county_db, capsys, "sync", "device", "revoke", new_fp)
    assert code == 0 and "已注销" in out
    town.db.close()


def test_cli_new_device_key_keeps_the_old_one_and_a_foreign_county_file_is_refused(
    make_town, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    town = make_town("T01")
    town_db = town.folder / "ledger.sqlite"
    town.db.close()
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path / "laptop"))
    code, out, _ = run(town_db, capsys, "sync", "key", "device", "--json")
    old = json.loads(out)["key_id"]
    code, out, _ = run(town_db, capsys, "sync", "key", "device", "--new")
    assert code == 0 and f"原密钥（指纹 {old}）已另存为" in out and "县里" in out
    code, out, _ = run(town_db, capsys, "sync", "key", "device", "--json")
    assert json.loads(out)["key_id"] != old
    assert (tmp_path / "laptop" / "keys" / f"device_ed25519-{old}.pem").exists()
    # two county key files from two different machines: the second needs --replace
    for n in (1, 2):
        monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path / f"county-{n}"))
        assert (
            run(
                tmp_path / f"c{n}.sqlite",
                capsys,
                "sync",
                "key",
                "county-generate",
                str(tmp_path / f"k{n}.json"),
            )[0]
            == 0
        )
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path / "laptop"))
    assert run(town_db, capsys, "sync", "key", "county-set", str(tmp_path / "k1.json"))[0] == 0
    code, out, err = run(town_db, capsys, "sync", "key", "county-set", str(tmp_path / "k2.json"))
    assert code != 0 and "--replace" in out + err
    assert run(town_db, capsys, "sync", "key", "county-set", str(tmp_path / "k2.json"), "--replace")[0] == 0
