"""The roster's pinyin sort key and initials are recomputed by the county from each received name."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from models import Member
from services import collation
from services.db import Database
from services.sync.package import read_package
from services.sync.receiver import import_package
from tests.sync.conftest import craft


def _keys(county: Database) -> dict[str, tuple[str, str, str]]:
    with county.reader() as s:
        rows = s.execute(select(Member.id, Member.name, Member.name_key, Member.name_initials)).all()
    return {r.id: (r.name, r.name_key, r.name_initials) for r in rows}


def test_a_package_from_before_the_sort_key_gets_each_members_key_from_the_name(
    make_town, county: Database, usb: Path
) -> None:
    town = make_town("T01")
    town.enroll(county)
    opened = read_package(town.export(usb).path)
    rows = {t: opened.dicts(t) for t in opened.rows}
    for r in rows["member"]:
        del r["name_key"], r["name_initials"]  # as an older version's package carries them: not at all
    old = craft(opened, usb / "old.ltpkg", town.key, rows=rows)
    assert import_package(county, old).status == "imported"
    got = _keys(county)
    assert len(got) == len(rows["member"]) > 0
    for name, key, initials in got.values():
        assert (key, initials) == (collation.name_key(name), collation.name_initials(name)), name


def test_a_sort_key_a_package_states_wrongly_is_not_trusted(make_town, county: Database, usb: Path) -> None:
    town = make_town("T01")
    town.enroll(county)
    opened = read_package(town.export(usb).path)
    rows = {t: opened.dicts(t) for t in opened.rows}
    for r in rows["member"]:
        r["name_key"], r["name_initials"] = "0", "zz"  # would put every member first and unfindable
    forged = craft(opened, usb / "forged.ltpkg", town.key, rows=rows)
    assert import_package(county, forged).status == "imported"
    for name, key, initials in _keys(county).values():
        assert (key, initials) == (collation.name_key(name), collation.name_initials(name)), name
