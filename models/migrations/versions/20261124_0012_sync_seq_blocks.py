"""sync receiver: each received package records the block of local change numbers it was written
with (which device last wrote a row follows from its row_seq), replacing the per-row origin table

Revision ID: 0012_sync_blocks
Revises: 0011_sync
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_sync_blocks"
down_revision: str | Sequence[str] | None = "0011_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_received", schema=None) as batch_op:
        batch_op.add_column(sa.Column("county_seq_from", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("county_seq_to", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.create_index(
            "ix_sync_received_county_seq", ["county_seq_from", "county_seq_to"], unique=False
        )
    op.drop_table("sync_origin")


def downgrade() -> None:
    op.create_table(
        "sync_origin",
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("device_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("row_id", name=op.f("pk_sync_origin")),
    )
    with op.batch_alter_table("sync_received", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_received_county_seq")
        batch_op.drop_column("county_seq_to")
        batch_op.drop_column("county_seq_from")
