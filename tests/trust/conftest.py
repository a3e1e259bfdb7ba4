"""Fixtures for the trust tests: accounts of each role and a township with a meeting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from models.enums import Role
from services import accounts, meetings
from services.db import Database
from services.roles import Actor
from tests.conftest import TODAY, Builder

PASSWORD = "correct-horse-1"


@dataclass
class People:
    admin: Actor
    editor: Actor
    viewer: Actor


@pytest.fixture
def people(db: Database) -> People:
    with db.transaction("setup") as s:
        accounts.create_first_admin(s, "admin", "管理员", PASSWORD)
        accounts.create_user(s, "editor", "录入员甲", Role.EDITOR, PASSWORD)
        accounts.create_user(s, "viewer", "查阅员乙", Role.VIEWER, PASSWORD)
    return People(
        Actor("admin", Role.ADMIN, "管理员"), Actor("editor", Role.EDITOR), Actor("viewer", Role.VIEWER)
    )


def add_meeting(db: Database, branch_id: str, topics: str = "学习党章") -> str:
    data = meetings.MeetingInput(type="congress", held_on=date(2026, 10, 10), topics=topics)
    with db.transaction("test") as s:
        return meetings.create_meeting(s, branch_id, data, today=TODAY).id


@pytest.fixture
def branch_with_meeting(build: Builder, db: Database) -> tuple[str, str]:
    branch = build.branch(members=4)
    return branch.id, add_meeting(db, branch.id)


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Still argon2id, with test-sized cost: the real cost (~64 MiB, 3 passes) would dominate the suite."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
