"""sync receiver: devices, received and held packages, row origins, conflicts

Revision ID: 0011_sync
Revises: 0010_trust
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_sync"
down_revision: str | Sequence[str] | None = "0010_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_device",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("township_code", sa.String(length=32), nullable=False),
        sa.Column("township_id", sa.String(length=36), nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("high_seq", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_sync_device")),
    )
    op.create_table(
        "sync_received",
        sa.Column("package_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("township_code", sa.String(length=32), nullable=False),
        sa.Column("seq_from", sa.BigInteger(), nullable=False),
        sa.Column("seq_to", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("package_id", name=op.f("pk_sync_received")),
    )
    with op.batch_alter_table("sync_received", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_received_device_id"), ["device_id"], unique=False)
    op.create_table(
        "sync_held",
        sa.Column("package_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("township_code", sa.String(length=32), nullable=False),
        sa.Column("seq_from", sa.BigInteger(), nullable=False),
        sa.Column("seq_to", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("stored_path", sa.String(length=1000), nullable=False),
        sa.Column("missing_from", sa.BigInteger(), nullable=False),
        sa.Column("missing_to", sa.BigInteger(), nullable=False),
        sa.Column("held_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("package_id", name=op.f("pk_sync_held")),
    )
    with op.batch_alter_table("sync_held", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_held_device_id"), ["device_id"], unique=False)
    op.create_table(
        "sync_origin",
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("device_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("row_id", name=op.f("pk_sync_origin")),
    )
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("package_id", sa.String(length=64), nullable=False),
        sa.Column("winner_device", sa.String(length=64), nullable=False),
        sa.Column("loser_device", sa.String(length=64), nullable=False),
        sa.Column("winner_json", sa.Text(), nullable=False),
        sa.Column("loser_json", sa.Text(), nullable=False),
        sa.Column("loser_seq", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflict")),
    )
    with op.batch_alter_table("sync_conflict", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_conflict_table_name"), ["table_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_sync_conflict_row_id"), ["row_id"], unique=False)


def downgrade() -> None:
    op.drop_table("sync_conflict")
    op.drop_table("sync_origin")
    op.drop_table("sync_held")
    op.drop_table("sync_received")
    op.drop_table("sync_device")
