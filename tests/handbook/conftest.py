"""Fixtures for the handbook tests: branches with committees and groups, meetings, a check runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from models import Branch, Member
from services import meetings, members, org
from services.db import Database
from services.groups import create_group
from services.handbook.engine import CheckResult, evaluate
from services.handbook.findings import Finding
from services.handbook.pack import Pack, load_pack
from services.handbook.period import parse_period
from tests.conftest import Builder

HERE = Path(__file__).parent
ALT_PACK = HERE / "alt_pack.toml"
LATER = date(2027, 12, 31)  # "today" when recording meetings, so any 2026 date is in the past


@dataclass
class Unit:
    """A test branch and its people."""

    branch: Branch
    members: list[Member] = field(default_factory=list)
    group_ids: list[str] = field(default_factory=list)


class Kit:
    def __init__(self, build: Builder, db: Database) -> None:
        self.build = build
        self.db = db
        self.pack: Pack = load_pack()

    def branch(
        self,
        code: str = "B01",
        *,
        full: int = 7,
        probationary: int = 0,
        committee: int = 0,
        groups: int = 0,
        domain: str = "rural",
        term_start: date | None = None,
        term_end: date | None = None,
        joined_on: date = date(2005, 7, 1),
        founded_on: date = date(2000, 1, 1),
    ) -> Unit:
        branch = self.build.branch(code, f"{code}党支部", founded_on=founded_on, domain=domain)
        unit = Unit(branch)
        for i in range(full + probationary):
            status = "full" if i < full else "probationary"
            unit.members.append(
                self.build.member(branch.id, f"党员{code}{i:02d}", status=status, joined_on=joined_on)
            )
        with self.db.transaction("test") as s:
            b = s.get(Branch, branch.id)
            assert b is not None
            b.term_start, b.term_end = term_start, term_end
            for i in range(committee):
                # Under 7 full members a branch has a 书记 and at most a 副书记 (支部工作条例 第八条).
                role = "secretary" if i == 0 else ("member" if full >= 7 else "deputy")
                # nobody sits before joining, nor as a 预备党员 (full from the end of the probation)
                seated = max(date(2020, 1, 1), members.probation_end(joined_on))
                org.add_committee_seat(s, branch.id, unit.members[i].id, role, seated)
            for g in range(groups):
                unit.group_ids.append(
                    create_group(s, branch.id, f"第{g + 1}党小组", founded_on=founded_on).id
                )
            for i, m in enumerate(unit.members):
                if unit.group_ids:
                    row = s.get(Member, m.id)
                    assert row is not None
                    row.party_group_id = unit.group_ids[i % len(unit.group_ids)]
        return unit

    def committee_elected_at_seven(self, unit: Unit, *, since: date = date(2020, 1, 1)) -> None:
        """The branch elected its committee (书记, 组织委员, 宣传委员) on ``since``, when it had 7 full members;
        those beyond its present members died at the end of 2025. A committee in office may meet though
        the branch is smaller now (支部工作条例 第八条 concerns setting one up)."""
        gone = [
            self.build.member(unit.branch.id, f"已故{unit.branch.code}{i}", joined_on=date(2005, 7, 1))
            for i in range(7 - sum(1 for m in unit.members if m.status == "full"))
        ]
        with self.db.transaction("test") as s:
            org.add_committee_seat(s, unit.branch.id, unit.members[1].id, "organization", since)
            org.add_committee_seat(s, unit.branch.id, unit.members[2].id, "propaganda", since)
        with self.db.transaction("test") as s:
            for m in gone:
                members.set_member_state(s, m.id, "deceased", date(2025, 12, 31), today=LATER)

    def meeting(
        self,
        unit: Unit,
        type: str,
        day: date,
        *,
        absent: int = 0,
        attendees: list[Member] | None = None,
        recorded_on: date | None = None,
        minutes: str = "记录",
        group: str | None = None,
    ) -> str:
        people = attendees if attendees is not None else unit.members
        if group:
            people = [m for m in people if self._group_of(m.id) == group]
        rows = [
            meetings.AttendanceInput(m.id, "absent" if i < absent else "present")
            for i, m in enumerate(people)
        ]
        data = meetings.MeetingInput(
            type=type,
            held_on=day,
            topics="议题",
            minutes=minutes,
            lecturer="书记" if type == "lecture" else "",
            party_group_id=group,
            recorded_on=recorded_on or day,
            attendance=rows,
        )
        with self.db.transaction("test") as s:
            return meetings.create_meeting(s, unit.branch.id, data, today=LATER).id

    def _group_of(self, member_id: str) -> str | None:
        with self.db.reader() as s:
            m = s.get(Member, member_id)
            return m.party_group_id if m else None

    def check(self, period: str, as_of: date, pack: Pack | None = None) -> CheckResult:
        with self.db.reader() as s:
            return evaluate(s, pack or self.pack, parse_period(period), as_of=as_of)


def of_rule(result: CheckResult, rule_id: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule_id]


@pytest.fixture
def kit(build: Builder, db: Database) -> Kit:
    return Kit(build, db)
