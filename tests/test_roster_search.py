"""The roster search in SQL (members.roster_source): name, ID number (x or X), phone or pinyin
initials, literal text, in the branches in view."""

from __future__ import annotations

from services import members
from services.db import Database
from tests.conftest import Builder


def _found(db: Database, branch_ids: list[str] | None, term: str) -> set[str]:
    with db.reader() as s:
        source = members.roster_source(branch_ids, term)
        return {r.id for r in source.page(s, None, False, 0, 100)}


def test_the_search_matches_name_id_number_phone_and_initials_in_scope(db: Database, build: Builder) -> None:
    one = build.branch("B01", members=0)
    two = build.branch("B02", members=0)
    zhang = build.member(one.id, "张三")
    li = build.member(two.id, "李四")
    with db.transaction("test") as s:
        members.get_member(s, li.id).phone = "139-1234_5678"
    assert _found(db, None, "张") == {zhang.id}
    assert _found(db, None, zhang.id_number[-8:].lower()) == {zhang.id}
    assert _found(db, None, "1234_56") == {li.id}  # _ is a character, not a wildcard
    assert _found(db, None, "1234%") == set()
    assert _found(db, None, "ls") == {li.id}  # pinyin initials
    assert _found(db, [one.id], "李") == set()  # outside the selected branch
    assert _found(db, None, "") == {zhang.id, li.id}
