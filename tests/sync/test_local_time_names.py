"""File names the clerk sees carry local time (Beijing on a township PC), like every screen; the
timestamps inside packages and acknowledgements stay UTC."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from services.county import mode
from services.county.receive import receive_folder
from services.sync import keys
from services.sync.ack import read_ack
from services.sync.crypto import load_county_key
from services.sync.package import read_package


@pytest.fixture
def beijing() -> Iterator[None]:
    """The computer runs on Beijing time (UTC+8)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_package_and_ack_file_names_carry_local_time_while_their_contents_stay_utc(
    beijing: None, make_town, county_sqlite, usb: Path, tmp_path: Path
) -> None:
    key_file = tmp_path / "county-key.json"
    mode.init_county(county_sqlite, key_file=key_file, user="county-admin")
    t = make_town("T01")
    keys.county_set(t.db, key_file, user="clerk")
    t.enroll(county_sqlite)
    from services.sync.exporter import export_package

    result = export_package(t.db, usb, key=t.key, user="clerk", now=datetime(2026, 11, 30, 4, 49, 29))
    assert result.path.name.endswith("_20261130-124929.ltpkg")  # 04:49:29 UTC is 12:49:29 in Beijing
    opened = read_package(result.path, county_key=load_county_key(), decrypt=False)
    assert opened.manifest.created_at.startswith("2026-11-30T04:49:29")

    [received] = receive_folder(county_sqlite, usb, user="county-clerk")
    assert received.status == "imported"
    ack = read_ack(usb / received.ack_file)
    stored = datetime.fromisoformat(str(ack.payload["created_at"]).removesuffix("Z"))
    local = datetime.fromisoformat(str(ack.payload["created_at"]).replace("Z", "+00:00")).astimezone()
    assert ack.file_name.endswith(f"_{local:%Y%m%d-%H%M%S}.ltack")
    assert f"{stored:%Y%m%d-%H%M%S}" not in ack.file_name  # not the UTC clock (8 hours apart)
