"""Small townships for the report tests, built through the services a clerk's actions use."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import main
from models import Member
from services import meetings, members
from services.db import Database
from tests.conftest import Builder

TODAY = date(2026, 11, 24)


class People:
    """Adds members with the dates the reports read (入党, 转正, birth) through services.members."""

    def __init__(self, build: Builder, db: Database) -> None:
        self.build = build
        self.db = db

    def add(
        self,
        branch_id: str,
        name: str,
        joined_on: date,
        *,
        full_member_on: date | None = None,
        status: str = "full",
        birth: date = date(1940, 3, 3),
        male: bool = True,
        education: str = "junior",  # a blank 学历 is 无法统计 in the 学历 tables
        ethnicity: str = "汉族",
        branch_since: date | None = None,
        occupation: str = "farmer",
        migrant_worker: bool = False,
        hardship: bool = False,
        flowing: bool = False,
    ) -> Member:
        data = members.MemberInput(
            name=name,
            id_number=self.build.id_number(birth, male),
            joined_on=joined_on,
            full_member_on=full_member_on,
            status=status,
            education=education,
            ethnicity=ethnicity,
            branch_since=branch_since,
            occupation=occupation,
            is_migrant_worker=migrant_worker,
            is_hardship=hardship,
            is_flowing=flowing,
        )
        with self.db.transaction("test") as s:
            return members.create_member(s, branch_id, data, today=TODAY)

    def leave(self, member_id: str, state: str, on: date) -> None:
        with self.db.transaction("test") as s:
            members.set_member_state(s, member_id, state, on, today=TODAY)


@pytest.fixture
def people(build: Builder, db: Database) -> People:
    return People(build, db)


def meeting(db: Database, branch_id: str, kind: str, day: date, att: dict[str, str]) -> None:
    """Record a meeting with attendance (member id → status) through services.meetings."""
    data = meetings.MeetingInput(
        type=kind,
        held_on=day,
        topics="议题",
        minutes="记录",
        lecturer="书记" if kind == "lecture" else "",
        recorded_on=day,
        attendance=[
            meetings.AttendanceInput(mid, status, "生病" if status == "leave" else "")
            for mid, status in att.items()
        ],
    )
    with db.transaction("test") as s:
        meetings.create_meeting(s, branch_id, data, today=TODAY)


def run(db_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """main.main with ``--db`` and the fixed "today" of these tests."""
    code = main.main(["--db", str(db_path), *argv, "--today", TODAY.isoformat()])
    out, err = capsys.readouterr()
    return code, out, err
