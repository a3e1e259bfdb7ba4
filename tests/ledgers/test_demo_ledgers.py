"""Demo data for the other ledgers is consistent with the services' own rules."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models import (
    DecisionStep,
    DevelopmentRecord,
    FeeDue,
    FlowRecord,
    Member,
    MemberTransfer,
    TrainingAttendance,
    TrainingSession,
)
from services import demo
from services.db import Database
from services.development import pipeline_issues
from services.fees import DEFAULT_SCHEDULE, month_key
from services.ledgers.catalog import LISTINGS

TODAY = date(2026, 11, 24)


@pytest.fixture
def filled(db: Database) -> Database:
    demo.generate(db, scale="small", seed=7, today=TODAY)
    return db


def test_pipeline_dates_are_in_order_and_probationers_are_linked(filled: Database) -> None:
    with filled.reader() as s:
        records = list(s.scalars(select(DevelopmentRecord)))
        assert {r.stage for r in records} >= {"activist", "probationary"}
        for r in records:
            steps = [d for d in (r.applied_on, r.activist_on, r.candidate_on, r.admitted_on) if d]
            assert steps == sorted(steps) and steps[-1] <= TODAY, r.name
            if r.talked_on:
                assert r.applied_on <= r.talked_on <= TODAY
            if r.stage == "probationary":
                member = s.get(Member, r.member_id)
                assert (
                    member is not None
                    and member.status == "probationary"
                    and member.joined_on == r.admitted_on
                )
        # The mix shows something to fix, but not everything is wrong.
        issues = pipeline_issues(records, TODAY)
        assert 0 < len(issues) < len(records)


def test_dues_follow_the_schedule_and_members_joined_before(filled: Database) -> None:
    with filled.reader() as s:
        rows = s.execute(select(FeeDue, Member.joined_on).join(Member, Member.id == FeeDue.member_id)).all()
        assert rows
        for due, joined in rows:
            assert due.due_fen == DEFAULT_SCHEDULE.due_fen(due.category, due.income_fen)
            assert due.month >= month_key(joined) and due.month <= month_key(TODAY)
            assert due.paid_fen in (0, due.due_fen)


def test_training_attendees_were_members_then_and_steps_exist(filled: Database) -> None:
    with filled.reader() as s:
        for held, joined in s.execute(
            select(TrainingSession.held_on, Member.joined_on)
            .join(TrainingAttendance, TrainingAttendance.session_id == TrainingSession.id)
            .join(Member, Member.id == TrainingAttendance.member_id)
        ):
            assert joined <= held
        assert s.scalar(select(DecisionStep.id).limit(1)) is not None
        for transfer in s.scalars(select(MemberTransfer)):  # every move in the roster has its letter
            member = s.get(Member, transfer.member_id)
            assert member is not None and transfer.letter_no
            assert transfer.on == (member.left_on if transfer.direction == "out" else member.branch_since)
        for flow in s.scalars(select(FlowRecord)):
            member = s.get(Member, flow.member_id)
            assert member is not None and member.is_flowing and flow.since >= member.joined_on
        for listing in LISTINGS.values():
            listing.load(s, None, TODAY.year)  # every listing reads the demo without error
