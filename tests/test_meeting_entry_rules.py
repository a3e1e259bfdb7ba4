"""What a meeting record may say about who met: a 支委会 only where a committee exists (支部工作条例
第八条), a 党小组会 only once its group existed, and a 列席 guest with a unit — refused at the field,
nothing written; no false alarm for a branch that lawfully has a committee."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from models import Meeting
from services import committee, groups, meetings, members
from services.db import Database
from services.errors import ValidationError, ValidationErrors
from tests.conftest import TODAY, Builder


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[ValidationError]:
    return list(exc.value.errors) if isinstance(exc.value, ValidationErrors) else [exc.value]


def _meeting(kind: str, day: date, **extra: object) -> meetings.MeetingInput:
    return meetings.MeetingInput(kind, day, "研究工作", **extra)  # type: ignore[arg-type]


def _count(db: Database) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(Meeting).where(Meeting.deleted.is_(False))) or 0


def _seat(db: Database, branch_id: str, member_id: str, role: str, start: date = date(2024, 1, 1)) -> None:
    with db.transaction("t") as s:
        committee.add_seat(s, branch_id, member_id, role, start, today=TODAY)


def _full(db: Database, branch_id: str) -> list[str]:
    with db.reader() as s:
        return [m.id for m in members.members_on(s, branch_id, TODAY)]


def test_a_committee_meeting_in_a_branch_of_five_with_only_a_secretary_is_refused_citing_article_8(
    db: Database, build: Builder
) -> None:
    branch = build.branch(members=5)
    _seat(db, branch.id, _full(db, branch.id)[0], "secretary")
    with db.transaction("t") as s, pytest.raises(ValidationError) as exc:
        meetings.create_meeting(s, branch.id, _meeting("committee", date(2026, 10, 8)), today=TODAY)
    [err] = [e for e in _errors(exc) if e.field == "type"]
    assert "正式党员 5 名" in err.message and "不设支部委员会" in err.message and "第八条" in err.message
    assert _count(db) == 0


def test_a_committee_meeting_listed_as_an_also_kind_is_refused_at_that_field(
    db: Database, build: Builder
) -> None:
    branch = build.branch(members=4)
    data = _meeting("lecture", date(2026, 10, 8), lecturer="王书记", also_types=["committee"])
    with db.transaction("t") as s, pytest.raises(ValidationError) as exc:
        meetings.create_meeting(s, branch.id, data, today=TODAY)
    assert [e.field for e in _errors(exc)] == ["also_types"]
    assert _count(db) == 0


def test_a_branch_of_seven_with_its_committee_seated_records_committee_meetings(
    db: Database, build: Builder
) -> None:
    branch = build.branch(members=7)
    ids = _full(db, branch.id)
    for member_id, role in zip(ids, ("secretary", "organization", "propaganda"), strict=False):
        _seat(db, branch.id, member_id, role)
    data = _meeting("committee", date(2026, 10, 8))
    with db.transaction("t") as s:
        assert meetings.entry_warnings(s, branch.id, data) == []
        meetings.create_meeting(s, branch.id, data, today=TODAY)
    assert _count(db) == 1


def test_a_seated_committee_still_meets_after_the_branch_drops_below_seven(
    db: Database, build: Builder
) -> None:
    branch = build.branch(members=7)
    ids = _full(db, branch.id)
    for member_id, role in zip(ids, ("secretary", "organization", "propaganda"), strict=False):
        _seat(db, branch.id, member_id, role)
    with db.transaction("t") as s:
        members.set_member_state(s, ids[-1], "deceased", date(2026, 3, 1), today=TODAY)
    with db.transaction("t") as s:  # six full members now, the committee elected in 2024 still in office
        meetings.create_meeting(s, branch.id, _meeting("committee", date(2026, 10, 8)), today=TODAY)
    assert _count(db) == 1


def test_a_general_branch_meets_as_a_committee_whatever_its_direct_members(
    db: Database, build: Builder
) -> None:
    build.township()
    from services import org

    with db.transaction("t") as s:
        general = org.create_branch(
            s,
            build.township_id,
            "Z01",
            "一村党总支",
            kind="general",
            founded_on=date(2000, 1, 1),
            today=TODAY,
        )
    build.member(general.id, "总支书记")
    with db.transaction("t") as s:
        meetings.create_meeting(
            s, general.id, _meeting("committee", date(2026, 10, 8), attendance=[]), today=TODAY
        )
    assert _count(db) == 1


def test_a_branch_of_eight_with_no_committee_recorded_is_asked_to_record_it_first(
    db: Database, build: Builder
) -> None:
    branch = build.branch(members=8)
    data = _meeting("committee", date(2026, 10, 8))
    with db.reader() as s:
        warnings = meetings.entry_warnings(s, branch.id, data)
        assert meetings.check_meeting_input(s, branch.id, data, TODAY) == []  # may be saved once confirmed
    assert [w.code for w in warnings] == ["no_committee"]  # not also "nobody present"
    assert "支部委员会" in warnings[0].message


def test_a_group_meeting_before_the_groups_founding_is_refused_until_the_date_is_corrected(
    db: Database, build: Builder
) -> None:
    branch = build.branch(members=3)
    with db.transaction("t") as s:
        gid = groups.create_group(s, branch.id, "第一党小组", founded_on=date(2026, 9, 1), today=TODAY).id
    data = _meeting("group", date(2026, 8, 15), party_group_id=gid)
    with db.transaction("t") as s, pytest.raises(ValidationError) as exc:
        meetings.create_meeting(s, branch.id, data, today=TODAY)
    [err] = _errors(exc)
    assert err.field == "held_on" and "2026-09-01" in err.message and "group founded" in err.message
    assert _count(db) == 0
    with db.transaction("t") as s:
        groups.set_founded(s, gid, date(2026, 8, 1), today=TODAY)
        meetings.create_meeting(s, branch.id, data, today=TODAY)
    assert _count(db) == 1


def test_a_group_with_an_unknown_founding_date_takes_back_filled_meetings(
    db: Database, build: Builder
) -> None:
    branch = build.branch(members=3)
    with db.transaction("t") as s:
        group = groups.create_group(s, branch.id, "第一党小组", founding_unknown=True, today=TODAY)
        assert group.founded_on is None
        meetings.create_meeting(
            s, branch.id, _meeting("group", date(2019, 4, 2), party_group_id=group.id), today=TODAY
        )
    assert _count(db) == 1


def test_a_guest_without_a_unit_is_refused_naming_the_guest(db: Database, build: Builder) -> None:
    branch = build.branch(members=3)
    data = _meeting(
        "congress",
        date(2026, 10, 8),
        guests=[meetings.GuestInput("戚九", "驻村第一书记"), meetings.GuestInput("蒋十", " ")],
    )
    with db.transaction("t") as s, pytest.raises(ValidationError) as exc:
        meetings.create_meeting(s, branch.id, data, today=TODAY)
    [err] = _errors(exc)
    assert err.field == "guests" and "第 2 位列席人员蒋十" in err.message and "单位或职务" in err.message
    assert _count(db) == 0
