"""Organisation set-up: branch dissolution, party-group leader/dissolution, committee terms (换届),
how a seat was filled, 列席 guests and election exclusions.

Revision ID: i12_org_setup
Revises: 0013_no_deleted_ix
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i12_org_setup"
down_revision: str | Sequence[str] | None = "0013_no_deleted_ix"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tracked() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "branch_term",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("meeting_id", sa.String(length=36), nullable=True),
        *_tracked(),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_branch_term_branch_id_branch")),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_branch_term_meeting_id_meeting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_term")),
    )
    with op.batch_alter_table("branch_term", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_branch_term_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_branch_term_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_branch_term_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "meeting_guest",
        sa.Column("meeting_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        *_tracked(),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_guest_meeting_id_meeting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_guest")),
    )
    with op.batch_alter_table("meeting_guest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_guest_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_guest_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "meeting_exclusion",
        sa.Column("meeting_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("ground", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        *_tracked(),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_exclusion_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_meeting_exclusion_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_exclusion")),
        sa.UniqueConstraint("meeting_id", "member_id", name=op.f("uq_meeting_exclusion_meeting_id")),
    )
    with op.batch_alter_table("meeting_exclusion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_exclusion_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_exclusion_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_exclusion_row_seq"), ["row_seq"], unique=False)

    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dissolved_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("dissolved_reason", sa.String(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("party_group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("leader_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("dissolved_on", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_party_group_leader_id"), ["leader_id"], unique=False)
    with op.batch_alter_table("committee_seat", schema=None) as batch_op:
        batch_op.add_column(sa.Column("elected_how", sa.String(length=50), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("term_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_committee_seat_term_id"), ["term_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_committee_seat_term_id_branch_term"), "branch_term", ["term_id"], ["id"]
        )

    # Existing branches with a recorded term get it as their first term-history entry.
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, term_start, term_end FROM branch WHERE term_start IS NOT NULL AND deleted = :f"),
        {"f": False},
    ).all()
    if rows:
        import uuid
        from datetime import UTC, date, datetime

        now = datetime.now(UTC).replace(tzinfo=None)
        term = sa.table(
            "branch_term",
            *(sa.column(c) for c in ("id", "branch_id", "start_on", "due_on", "ended_on", "meeting_id")),
            *(sa.column(c) for c in ("created_at", "updated_at", "created_by", "updated_by")),
            *(sa.column(c) for c in ("deleted", "deleted_at", "row_seq")),
        )
        for branch_id, start, end in rows:
            start = start if isinstance(start, date) else date.fromisoformat(str(start))
            end = end if end is None or isinstance(end, date) else date.fromisoformat(str(end))
            due = end or date(start.year + 3, start.month, min(start.day, 28))
            bind.execute(
                term.insert().values(
                    id=str(uuid.uuid4()),
                    branch_id=branch_id,
                    start_on=start,
                    due_on=due,
                    ended_on=None,
                    meeting_id=None,
                    created_at=now,
                    updated_at=now,
                    created_by="migration",
                    updated_by="migration",
                    deleted=False,
                    deleted_at=None,
                    row_seq=0,
                )
            )


def downgrade() -> None:
    with op.batch_alter_table("committee_seat", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_committee_seat_term_id_branch_term"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_committee_seat_term_id"))
        batch_op.drop_column("term_id")
        batch_op.drop_column("elected_how")
    with op.batch_alter_table("party_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_group_leader_id"))
        batch_op.drop_column("dissolved_on")
        batch_op.drop_column("leader_id")
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.drop_column("dissolved_reason")
        batch_op.drop_column("dissolved_on")
    op.drop_table("meeting_exclusion")
    op.drop_table("meeting_guest")
    op.drop_table("branch_term")
