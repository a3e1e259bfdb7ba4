"""Members' past party groups: ``party_group_membership`` keeps each member's time in a 党小组 (from,
to), so a 党小组会 of the past is judged against who was in the group then. No backfill: a member with
no row has been in ``member.party_group_id`` throughout (services.groups).

Revision ID: mfix_group_membership
Revises: m16b_member_name_key
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "mfix_group_membership"
down_revision: str | Sequence[str] | None = "m16b_member_name_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "party_group_membership",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("party_group_id", sa.String(length=36), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_party_group_membership_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["party_group_id"],
            ["party_group.id"],
            name=op.f("fk_party_group_membership_party_group_id_party_group"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_group_membership")),
    )
    with op.batch_alter_table("party_group_membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_group_membership_member_id"), ["member_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_party_group_membership_party_group_id"), ["party_group_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_party_group_membership_row_seq"), ["row_seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("party_group_membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_group_membership_row_seq"))
        batch_op.drop_index(batch_op.f("ix_party_group_membership_party_group_id"))
        batch_op.drop_index(batch_op.f("ix_party_group_membership_member_id"))
    op.drop_table("party_group_membership")
