"""county desk: the return channel (county_outbox at the county, county_item at the township)

Revision ID: n17a_county
Revises: n16a_months
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "n17a_county"
down_revision: str | Sequence[str] | None = "n16a_months"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "county_outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("township_code", sa.String(length=32), nullable=False, server_default=""),
        sa.Column("title", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_county_outbox")),
    )
    with op.batch_alter_table("county_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_county_outbox_kind"), ["kind"], unique=False)
    op.create_table(
        "county_item",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("ack_file", sa.String(length=255), nullable=False, server_default=""),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="new"),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_county_item")),
    )
    with op.batch_alter_table("county_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_county_item_kind"), ["kind"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("county_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_county_item_kind"))
    op.drop_table("county_item")
    with op.batch_alter_table("county_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_county_outbox_kind"))
    op.drop_table("county_outbox")
