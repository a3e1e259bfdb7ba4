"""Members: validation with clear messages, nothing written on error, soft delete, roster search."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from models import Member
from services import idcard, members
from services.db import Database
from services.errors import ValidationError
from tests.conftest import TODAY, Builder


def _input(name: str = "王建国", number: str | None = None, **kw: Any) -> members.MemberInput:
    number = number or idcard.make("621027", date(1970, 3, 8), 35)
    return members.MemberInput(
        name=name, id_number=number, joined_on=kw.pop("joined_on", date(2000, 7, 1)), **kw
    )


def _count(db: Database) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(Member)) or 0)


def test_create_derives_birth_date_and_gender_from_the_id_number(db: Database, build: Builder) -> None:
    branch = build.branch()
    number = idcard.make("621027", date(1970, 3, 8), 36)
    with db.transaction("clerk") as s:
        m = members.create_member(s, branch.id, _input(number=number, phone="13909341234"), today=TODAY)
    assert (m.birth_date, m.gender) == (date(1970, 3, 8), "female")
    assert m.created_by == "clerk" and m.row_seq > 0


def test_duplicate_id_in_same_township_is_refused_naming_the_other_member(
    db: Database, build: Builder
) -> None:
    first = build.branch("B01", "一村党支部")
    second = build.branch("B02", "二村党支部")
    number = idcard.make("621027", date(1970, 3, 8), 35)
    with db.transaction() as s:
        members.create_member(s, first.id, _input("李秀英", number), today=TODAY)
    before = _count(db)
    with (
        pytest.raises(ValidationError, match="已登记在一村党支部的党员“李秀英”名下") as err,
        db.transaction() as s,
    ):
        members.create_member(s, second.id, _input("张三", number.lower()), today=TODAY)
    assert err.value.field == "id_number"
    assert _count(db) == before


def test_same_id_in_another_township_is_allowed(db: Database, build: Builder) -> None:
    here = build.branch("B01")
    number = idcard.make("621027", date(1970, 3, 8), 35)
    with db.transaction() as s:
        members.create_member(s, here.id, _input(number=number), today=TODAY)
    build.township_id = ""
    build.township("T02", "另一镇")
    there = build.branch("B02", "外镇党支部")
    with db.transaction() as s:
        members.create_member(s, there.id, _input(number=number), today=TODAY)
    assert _count(db) == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"joined_on": date(2026, 12, 1)}, "joined_on", "入党日期不能晚于今天"),
        ({"full_member_on": date(2027, 1, 1)}, "full_member_on", "转正日期不能晚于今天"),
        ({"full_member_on": date(1999, 1, 1)}, "full_member_on", "转正日期不能早于入党日期"),
        ({"joined_on": date(1987, 3, 7)}, "joined_on", "入党时年龄为 16 岁"),
        ({"name": "  "}, "name", "姓名不能为空"),
        ({"phone": "139-abc"}, "phone", "联系电话只能包含数字"),
        (
            {"status": "probationary", "full_member_on": date(2001, 7, 1)},
            "full_member_on",
            "预备党员还没有转正日期",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    db: Database, build: Builder, changes: dict[str, object], field: str, message: str
) -> None:
    branch = build.branch()
    data = _input()
    for key, value in changes.items():
        setattr(data, key, value)
    with pytest.raises(ValidationError, match=message) as err, db.transaction() as s:
        members.create_member(s, branch.id, data, today=TODAY)
    assert err.value.field == field
    assert _count(db) == 0


def test_joining_on_the_18th_birthday_is_allowed_the_day_before_is_not(db: Database, build: Builder) -> None:
    branch = build.branch()
    number = idcard.make("621027", date(1990, 6, 15), 11)
    with pytest.raises(ValidationError, match="17 岁"), db.transaction() as s:
        members.create_member(s, branch.id, _input(number=number, joined_on=date(2008, 6, 14)), today=TODAY)
    with db.transaction() as s:
        members.create_member(s, branch.id, _input(number=number, joined_on=date(2008, 6, 15)), today=TODAY)


def test_soft_delete_hides_from_roster_and_keeps_the_row(db: Database, build: Builder) -> None:
    branch = build.branch(members=3)
    with db.reader() as s:
        rows = members.roster(s, [branch.id])
    victim = rows[0]
    with db.reader() as s:
        seq_before = s.get(Member, victim.id).row_seq  # type: ignore[union-attr]
    with db.transaction() as s:
        members.delete_member(s, victim.id)
    with db.reader() as s:
        assert [r.id for r in members.roster(s, [branch.id])] == [r.id for r in rows[1:]]
        kept = s.get(Member, victim.id)
        assert kept is not None and kept.deleted and kept.deleted_at is not None
        assert kept.row_seq > seq_before
        assert victim.id not in {m.id for m in members.members_on(s, branch.id, TODAY)}


def test_transferred_out_member_leaves_the_active_roster_but_not_the_full_one(
    db: Database, build: Builder
) -> None:
    branch = build.branch(members=2)
    with db.reader() as s:
        target = members.roster(s, [branch.id])[0]
    with db.transaction() as s:
        members.set_member_state(s, target.id, "transferred_out", date(2020, 1, 1))
    with db.reader() as s:
        assert target.id not in {r.id for r in members.roster(s, [branch.id])}
        assert target.id in {r.id for r in members.roster(s, [branch.id], include_inactive=True)}
        assert target.id in {m.id for m in members.members_on(s, branch.id, date(2019, 12, 31))}
        assert target.id not in {m.id for m in members.members_on(s, branch.id, date(2020, 1, 1))}


def test_roster_search_matches_name_id_number_and_phone(db: Database, build: Builder) -> None:
    branch = build.branch()
    number = idcard.make("621027", date(1966, 1, 2), 17)
    with db.transaction() as s:
        members.create_member(s, branch.id, _input("马晓梅", number, phone="18893401234"), today=TODAY)
        members.create_member(s, branch.id, _input("刘强"), today=TODAY)
    with db.reader() as s:
        assert [r.name for r in members.roster(s, search="晓梅")] == ["马晓梅"]
        assert [r.name for r in members.roster(s, search=number[6:14])] == ["马晓梅"]
        assert [r.name for r in members.roster(s, search="3401234")] == ["马晓梅"]
        assert len(members.roster(s, search="")) == 2


def test_edit_keeps_identity_and_revalidates(db: Database, build: Builder) -> None:
    branch = build.branch()
    with db.transaction() as s:
        m = members.create_member(s, branch.id, _input(), today=TODAY)
    data = members.member_input(m)
    data.name = "王建军"
    with db.transaction() as s:
        members.update_member(s, m.id, data, today=TODAY)
    data.joined_on = date(2030, 1, 1)
    with pytest.raises(ValidationError, match="入党日期"), db.transaction() as s:
        members.update_member(s, m.id, data, today=TODAY)
    with db.reader() as s:
        stored = s.get(Member, m.id)
        assert stored is not None and stored.name == "王建军" and stored.joined_on == date(2000, 7, 1)
