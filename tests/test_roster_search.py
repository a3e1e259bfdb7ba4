"""The roster search in SQL (members.roster_ids): name, ID number (x or X) or phone, literal text."""

from __future__ import annotations

from services import members
from services.db import Database
from tests.conftest import Builder


def test_roster_ids_match_name_id_number_and_phone_in_scope(db: Database, build: Builder) -> None:
    one = build.branch("B01", members=0)
    two = build.branch("B02", members=0)
    zhang = build.member(one.id, "张三")
    li = build.member(two.id, "李四")
    with db.transaction("test") as s:
        members.get_member(s, li.id).phone = "139-1234_5678"
    with db.reader() as s:
        assert members.roster_ids(s, None, "张") == {zhang.id}
        assert members.roster_ids(s, None, zhang.id_number[-8:].lower()) == {zhang.id}
        assert members.roster_ids(s, None, "1234_56") == {li.id}  # _ is a character, not a wildcard
        assert members.roster_ids(s, None, "1234%") == set()
        assert members.roster_ids(s, [one.id], "李") == set()  # outside the selected branch
        assert members.roster_ids(s, None, "") == {zhang.id, li.id}
