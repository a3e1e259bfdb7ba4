"""The other ledgers (issue 9): development pipeline, transfers, flow, fees, funds, training,
decisions, 党务公开, venue checks, rectification, weak-branch flags, evidence filing.

Revision ID: 0009_ledgers
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_ledgers"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "decision",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("procedure", sa.String(length=16), nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_decision_branch_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision")),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "disclosure_posting",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("until_on", sa.Date(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_disclosure_posting_branch_id_branch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_posting")),
    )
    with op.batch_alter_table("disclosure_posting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disclosure_posting_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disclosure_posting_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_disclosure_posting_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "evidence_filing",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("catalog_item", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("attachment_id", sa.String(length=36), nullable=True),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"], ["attachment.id"], name=op.f("fk_evidence_filing_attachment_id_attachment")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_evidence_filing_branch_id_branch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_filing")),
    )
    with op.batch_alter_table("evidence_filing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_filing_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_filing_catalog_item"), ["catalog_item"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_filing_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_filing_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "fund_entry",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("voucher_no", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_fund_entry_branch_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_entry")),
    )
    with op.batch_alter_table("fund_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fund_entry_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fund_entry_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_fund_entry_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "rectification",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("responsible", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("fix_evidence", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_rectification_branch_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification")),
    )
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rectification_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rectification_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_rectification_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "training_session",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("organizer", sa.String(length=100), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_training_session_branch_id_branch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_session")),
    )
    with op.batch_alter_table("training_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_session_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_session_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_session_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "venue_check",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("item", sa.String(length=24), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.String(length=500), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_venue_check_branch_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_check")),
    )
    with op.batch_alter_table("venue_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venue_check_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_venue_check_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_venue_check_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "weak_branch_flag",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("flagged_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closing_notes", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_weak_branch_flag_branch_id_branch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weak_branch_flag")),
    )
    with op.batch_alter_table("weak_branch_flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_weak_branch_flag_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_weak_branch_flag_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_weak_branch_flag_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "decision_step",
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("meeting_id", sa.String(length=36), nullable=True),
        sa.Column("notes", sa.String(length=500), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decision.id"], name=op.f("fk_decision_step_decision_id_decision")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_decision_step_meeting_id_meeting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_step")),
        sa.UniqueConstraint("decision_id", "step", name=op.f("uq_decision_step_decision_id")),
    )
    with op.batch_alter_table("decision_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_step_decision_id"), ["decision_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_step_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_step_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "development_record",
        sa.Column("township_id", sa.String(length=36), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("talked_on", sa.Date(), nullable=True),
        sa.Column("activist_on", sa.Date(), nullable=True),
        sa.Column("last_review_on", sa.Date(), nullable=True),
        sa.Column("candidate_on", sa.Date(), nullable=True),
        sa.Column("political_review_on", sa.Date(), nullable=True),
        sa.Column("training_days", sa.Integer(), nullable=False),
        sa.Column("training_hours", sa.Integer(), nullable=False),
        sa.Column("introducer1_id", sa.String(length=36), nullable=True),
        sa.Column("introducer2_id", sa.String(length=36), nullable=True),
        sa.Column("admitted_on", sa.Date(), nullable=True),
        sa.Column("admission_meeting_id", sa.String(length=36), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("probation_extended_months", sa.Integer(), nullable=False),
        sa.Column("converted_on", sa.Date(), nullable=True),
        sa.Column("member_id", sa.String(length=36), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["admission_meeting_id"],
            ["meeting.id"],
            name=op.f("fk_development_record_admission_meeting_id_meeting"),
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_development_record_branch_id_branch")
        ),
        sa.ForeignKeyConstraint(
            ["introducer1_id"], ["member.id"], name=op.f("fk_development_record_introducer1_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["introducer2_id"], ["member.id"], name=op.f("fk_development_record_introducer2_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_development_record_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["township.id"], name=op.f("fk_development_record_township_id_township")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_development_record")),
    )
    with op.batch_alter_table("development_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_development_record_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_development_record_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_development_record_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_development_record_row_seq"), ["row_seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_development_record_township_id"), ["township_id"], unique=False)

    op.create_table(
        "fee_due",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("income_fen", sa.BigInteger(), nullable=False),
        sa.Column("due_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("receipt_no", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_fee_due_branch_id_branch")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_fee_due_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_due")),
        sa.UniqueConstraint("member_id", "month", name=op.f("uq_fee_due_member_id")),
    )
    with op.batch_alter_table("fee_due", schema=None) as batch_op:
        batch_op.create_index("ix_fee_due_branch_month", ["branch_id", "month"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_due_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_due_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_due_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "flow_record",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("destination", sa.String(length=200), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("contact", sa.String(length=100), nullable=False),
        sa.Column("notes", sa.String(length=500), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_flow_record_branch_id_branch")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_flow_record_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_record")),
    )
    with op.batch_alter_table("flow_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flow_record_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_record_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_record_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_record_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "member_transfer",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("counterpart", sa.String(length=200), nullable=False),
        sa.Column("letter_no", sa.String(length=64), nullable=False),
        sa.Column("notes", sa.String(length=500), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_member_transfer_branch_id_branch")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_transfer_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_transfer")),
    )
    with op.batch_alter_table("member_transfer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_transfer_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_transfer_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_transfer_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_transfer_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "training_attendance",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_training_attendance_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_session.id"],
            name=op.f("fk_training_attendance_session_id_training_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_attendance")),
        sa.UniqueConstraint("session_id", "member_id", name=op.f("uq_training_attendance_session_id")),
    )
    with op.batch_alter_table("training_attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_attendance_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_attendance_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_attendance_row_seq"), ["row_seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_attendance_session_id"), ["session_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("training_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_attendance_session_id"))
        batch_op.drop_index(batch_op.f("ix_training_attendance_row_seq"))
        batch_op.drop_index(batch_op.f("ix_training_attendance_member_id"))
        batch_op.drop_index(batch_op.f("ix_training_attendance_deleted"))

    op.drop_table("training_attendance")
    with op.batch_alter_table("member_transfer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_transfer_row_seq"))
        batch_op.drop_index(batch_op.f("ix_member_transfer_member_id"))
        batch_op.drop_index(batch_op.f("ix_member_transfer_deleted"))
        batch_op.drop_index(batch_op.f("ix_member_transfer_branch_id"))

    op.drop_table("member_transfer")
    with op.batch_alter_table("flow_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_record_row_seq"))
        batch_op.drop_index(batch_op.f("ix_flow_record_member_id"))
        batch_op.drop_index(batch_op.f("ix_flow_record_deleted"))
        batch_op.drop_index(batch_op.f("ix_flow_record_branch_id"))

    op.drop_table("flow_record")
    with op.batch_alter_table("fee_due", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_due_row_seq"))
        batch_op.drop_index(batch_op.f("ix_fee_due_member_id"))
        batch_op.drop_index(batch_op.f("ix_fee_due_deleted"))
        batch_op.drop_index("ix_fee_due_branch_month")

    op.drop_table("fee_due")
    with op.batch_alter_table("development_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_development_record_township_id"))
        batch_op.drop_index(batch_op.f("ix_development_record_row_seq"))
        batch_op.drop_index(batch_op.f("ix_development_record_member_id"))
        batch_op.drop_index(batch_op.f("ix_development_record_deleted"))
        batch_op.drop_index(batch_op.f("ix_development_record_branch_id"))

    op.drop_table("development_record")
    with op.batch_alter_table("decision_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_step_row_seq"))
        batch_op.drop_index(batch_op.f("ix_decision_step_deleted"))
        batch_op.drop_index(batch_op.f("ix_decision_step_decision_id"))

    op.drop_table("decision_step")
    with op.batch_alter_table("weak_branch_flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weak_branch_flag_row_seq"))
        batch_op.drop_index(batch_op.f("ix_weak_branch_flag_deleted"))
        batch_op.drop_index(batch_op.f("ix_weak_branch_flag_branch_id"))

    op.drop_table("weak_branch_flag")
    with op.batch_alter_table("venue_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venue_check_row_seq"))
        batch_op.drop_index(batch_op.f("ix_venue_check_deleted"))
        batch_op.drop_index(batch_op.f("ix_venue_check_branch_id"))

    op.drop_table("venue_check")
    with op.batch_alter_table("training_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_session_row_seq"))
        batch_op.drop_index(batch_op.f("ix_training_session_deleted"))
        batch_op.drop_index(batch_op.f("ix_training_session_branch_id"))

    op.drop_table("training_session")
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectification_row_seq"))
        batch_op.drop_index(batch_op.f("ix_rectification_deleted"))
        batch_op.drop_index(batch_op.f("ix_rectification_branch_id"))

    op.drop_table("rectification")
    with op.batch_alter_table("fund_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fund_entry_row_seq"))
        batch_op.drop_index(batch_op.f("ix_fund_entry_deleted"))
        batch_op.drop_index(batch_op.f("ix_fund_entry_branch_id"))

    op.drop_table("fund_entry")
    with op.batch_alter_table("evidence_filing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_filing_row_seq"))
        batch_op.drop_index(batch_op.f("ix_evidence_filing_deleted"))
        batch_op.drop_index(batch_op.f("ix_evidence_filing_catalog_item"))
        batch_op.drop_index(batch_op.f("ix_evidence_filing_branch_id"))

    op.drop_table("evidence_filing")
    with op.batch_alter_table("disclosure_posting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_posting_row_seq"))
        batch_op.drop_index(batch_op.f("ix_disclosure_posting_deleted"))
        batch_op.drop_index(batch_op.f("ix_disclosure_posting_branch_id"))

    op.drop_table("disclosure_posting")
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_row_seq"))
        batch_op.drop_index(batch_op.f("ix_decision_deleted"))
        batch_op.drop_index(batch_op.f("ix_decision_branch_id"))

    op.drop_table("decision")
