"""The roster read a page at a time in SQL (``members.roster_source``): pages in any sort follow one
another without gap or overlap, names in pinyin order, a search in the WHERE — on SQLite and
PostgreSQL (whose text collation must not reorder the stored pinyin keys)."""

from __future__ import annotations

from datetime import date

import pytest

from services import members
from services.collation import name_initials, name_key, pinyin_key
from services.db import Database
from tests.conftest import TODAY, Builder

SURNAMES = "张王李赵陈刘杨黄吴周徐孙马朱胡郭何林罗高欧阳曾吕单阿"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def _people(n: int) -> list[str]:
    return [SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[i % 5] for i in range(n)]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest) -> Database:
    name = "db" if request.param == "sqlite" else "pg_database"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


def _add(db: Database, names: list[str]) -> str:
    build = Builder(db)
    branch = build.branch("B01", "一村党支部")
    with db.transaction("test") as s:
        for i, name in enumerate(names):
            data = members.MemberInput(
                name=name, id_number=build.id_number(), joined_on=date(2000 + i % 20, 7, 1)
            )
            members.create_member(s, branch.id, data, today=TODAY)
    return branch.id


def test_pages_in_every_order_cover_the_roster_once_and_names_follow_pinyin(any_db: Database) -> None:
    names = _people(61)
    branch_id = _add(any_db, names)
    source = members.roster_source([branch_id])
    with any_db.reader() as s:
        assert source.count(s) == 61
        for sort in (None, "joined_on", "gender", "branch"):
            for descending in (False, True):
                pages = [source.page(s, sort, descending, start, 7) for start in range(0, 70, 7)]
                ids = [r.id for page in pages for r in page]
                assert len(ids) == 61 == len(set(ids)), (sort, descending)
        by_name = [r.name for start in range(0, 70, 7) for r in source.page(s, "name", False, start, 7)]
        assert [pinyin_key(n)[:2] for n in by_name] == sorted(pinyin_key(n)[:2] for n in names)
        last = source.page(s, "name", True, 0, 1)[0]
        assert source.position(s, "name", True, last.id) == 0
        assert source.position(s, "name", False, last.id) == 60


def test_a_search_is_a_where_clause_name_phone_id_number_or_pinyin_initials(any_db: Database) -> None:
    branch_id = _add(any_db, ["张三", "章山", "李四", "欧阳明"])
    with any_db.reader() as s:
        found = members.roster_source([branch_id], "zs").page(s, None, False, 0, 10)
        assert [r.name for r in found] == ["张三", "章山"] or [r.name for r in found] == ["章山", "张三"]
        assert [r.name for r in members.roster_source([branch_id], "oy").page(s, None, False, 0, 10)] == [
            "欧阳明"
        ]
        assert members.roster_source([branch_id], "%").count(s) == 0  # literal, not a wildcard


def test_the_stored_key_orders_like_pinyin_and_keeps_shorter_names_first() -> None:
    names = ["张三丰", "张三", "张", "章三", "曾", "吕布", "陆", "阿大", "买买提·艾力", "Tom李"]
    assert sorted(names, key=name_key)[:4] == ["阿大", "曾", "陆", "吕布"]
    assert sorted(["张三丰", "张三", "张"], key=name_key) == ["张", "张三", "张三丰"]
    assert all(set(name_key(n)) <= set("0123456789abcdefghijklmnopqrstuvwxyz") for n in names)
    assert name_initials("欧阳明") == "oym" and name_initials("买买提·艾力") == "mmtal"
