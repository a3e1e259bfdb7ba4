"""A 查阅 user changes nothing in the organisation set-up: every write is refused, nothing is stored."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from models import AuditEntry, Branch, BranchTerm, CommitteeSeat, PartyGroup
from models.enums import Role
from services import committee, groups, org
from services.db import Database
from services.errors import PermissionDenied
from services.members import members_on
from services.roles import Actor
from tests.conftest import TODAY, Builder


def test_viewer_cannot_change_branches_groups_seats_or_terms(db: Database, build: Builder) -> None:
    branch = build.branch(members=8)
    with db.transaction("test") as s:
        group_id = groups.create_group(s, branch.id, "第一党小组").id
        people = [m.id for m in members_on(s, branch.id, TODAY)]
    with db.reader() as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry))
    db.actor = Actor("reader", Role.VIEWER)
    writes = [
        lambda s: org.update_branch(
            s,
            branch.id,
            code="B09",
            name="改名",
            kind="branch",
            domain="organ",
            parent_id=None,
            founded_on=None,
        ),
        lambda s: groups.create_group(s, branch.id, "第二党小组"),
        lambda s: groups.assign_members(s, group_id, people[:3]),
        lambda s: committee.add_seat(s, branch.id, people[0], "secretary", date(2024, 1, 1), today=TODAY),
        lambda s: committee.start_term(s, branch.id, date(2024, 1, 1), today=TODAY),
    ]
    for write in writes:
        with pytest.raises(PermissionDenied), db.transaction() as s:
            write(s)
    db.actor = None
    with db.reader() as s:
        assert s.get(Branch, branch.id).code == "B01"  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(PartyGroup)) == 1
        assert s.scalar(select(func.count()).select_from(CommitteeSeat)) == 0
        assert s.scalar(select(func.count()).select_from(BranchTerm)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == before
