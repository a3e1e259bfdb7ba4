"""The county's private key is machine-wide: a second `county init` on the same computer reuses it
(the same county desk), and a new key is made only on request, the old key file kept as a backup."""

from __future__ import annotations

from pathlib import Path

import pytest

import main
from services.county import mode
from services.sync import keys
from services.sync.crypto import county_key_path, retired_county_key_path
from services.sync.errors import KeyMissing
from services.sync.receiver import import_package
from tests.conftest import fresh_database
from tests.sync.conftest import Town


def test_second_county_init_keeps_the_key_and_the_first_county_still_imports(
    make_town, county_sqlite, usb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "county-key.json"
    first = mode.init_county(county_sqlite, key_file=key_file, user="county-admin")
    pem = county_key_path().read_bytes()
    t: Town = make_town("T01")
    keys.county_set(t.db, key_file, user="clerk")
    t.enroll(county_sqlite)
    package = t.export(usb).path

    second_path = tmp_path / "second" / "county2.sqlite"
    fresh_database(second_path).close()
    assert main.main(["--db", str(second_path), "county", "init", str(second_path)]) == 0
    out = capsys.readouterr().out
    assert f"本机已有县级密钥（指纹 {first['key_id']}），已沿用" in out
    assert county_key_path().read_bytes() == pem  # not replaced
    assert import_package(county_sqlite, package).status == "imported"


def test_county_init_new_key_keeps_the_old_key_file_as_a_backup(
    county_sqlite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = mode.init_county(county_sqlite, user="county-admin")
    pem = county_key_path().read_bytes()
    second_path = tmp_path / "second" / "county2.sqlite"
    fresh_database(second_path).close()
    assert main.main(["--db", str(second_path), "county", "init", str(second_path), "--new-key"]) == 0
    backup = retired_county_key_path(first["key_id"])
    assert backup.read_bytes() == pem
    out = capsys.readouterr().out
    assert f"原县级密钥（指纹 {first['key_id']}）已另存为备份：{backup}" in out
    assert county_key_path().read_bytes() != pem


def test_county_generate_refuses_to_replace_without_force_and_keeps_a_backup_with_it(
    tmp_path: Path,
) -> None:
    old = keys.county_generate(tmp_path / "a.json")
    pem = county_key_path().read_bytes()
    with pytest.raises(KeyMissing, match="本机已有县级密钥"):
        keys.county_generate(tmp_path / "b.json")
    assert county_key_path().read_bytes() == pem
    new = keys.county_generate(tmp_path / "b.json", force=True)
    assert new["backup"] == str(retired_county_key_path(old["key_id"]))
    assert Path(new["backup"]).read_bytes() == pem
