"""Computer-wide settings — the county's decryption key and the handbook pack in use — are for
administrators only, logged, and a replaced county key still opens packages made for it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

import main
from models import AuditEntry
from models.enums import Role
from services import accounts
from services.db import Database
from services.handbook.pack import chosen_pack_path, default_pack_path
from services.sync import keys
from services.sync.receiver import import_package

PASSWORD = "correct-horse-1"


def _accounts(db: Database, tmp_path: Path) -> tuple[list[str], list[str]]:
    with db.transaction("setup") as s:
        accounts.create_first_admin(s, "admin", "管理员", PASSWORD)
        accounts.create_user(s, "viewer", "查阅员", Role.VIEWER, PASSWORD)
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD, encoding="utf-8")
    pw.chmod(0o600)
    path = db.path
    assert path is not None
    base = ["--db", str(path), "--password-file", str(pw)]
    return [*base, "--user", "admin"], [*base, "--user", "viewer"]


def _events(db: Database, what: str) -> list[str]:
    with db.reader() as s:
        return [c for c in s.scalars(select(AuditEntry.changes)) if what in c]


def test_only_an_administrator_replaces_the_county_key_and_old_packages_still_open(
    make_town, county_sqlite: Database, usb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    admin, viewer = _accounts(county_sqlite, tmp_path)
    bundle = tmp_path / "county-key.json"
    assert main.main([*admin, "sync", "key", "county-generate", str(bundle)]) == 0
    old_id = keys.county_show()["key_id"]  # type: ignore[index]
    town = make_town("T01", seed=1).enroll(county_sqlite)
    keys.county_set(town.db, bundle, user="clerk")
    in_transit = town.export(usb)  # sealed for the old county key
    assert in_transit.encrypted
    capsys.readouterr()

    newer = tmp_path / "county-key-2.json"
    assert main.main([*viewer, "sync", "key", "county-generate", str(newer), "--force"]) == 1
    assert "管理员" in capsys.readouterr().err
    assert keys.county_show()["key_id"] == old_id and not newer.exists()  # type: ignore[index]

    assert main.main([*admin, "sync", "key", "county-generate", str(newer), "--force"]) == 0
    assert keys.county_show()["key_id"] != old_id  # type: ignore[index]
    logged = _events(county_sqlite, "county_key_generated")
    assert len(logged) == 2 and old_id in logged[-1]
    result = import_package(county_sqlite, in_transit.path)  # the package on the way still opens
    assert result.status == "imported"


def test_only_an_administrator_switches_the_handbook_pack_and_it_is_logged(
    county_sqlite: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    admin, viewer = _accounts(county_sqlite, tmp_path)
    pack = tmp_path / "县里的手册包.toml"
    shutil.copyfile(default_pack_path(), pack)
    assert main.main([*viewer, "handbook", "use", str(pack)]) == 1
    assert "管理员" in capsys.readouterr().err
    assert chosen_pack_path() is None
    assert main.main([*viewer, "handbook", "use"]) == 0  # looking at the choice is fine
    assert main.main([*admin, "handbook", "use", str(pack)]) == 0
    assert chosen_pack_path() == pack
    assert len(_events(county_sqlite, "handbook_pack_changed")) == 1
