"""sync format 2: database generations per stream, enrolled device keys, held-package reasons

Existing county databases: every key a device already used is enrolled for its township (it was
trusted before), existing streams keep an empty generation (adopted by the first format-2 package).

Revision ID: i15_sync_trust
Revises: i19_deleted_dependants
Create Date: 2026-11-29
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "i15_sync_trust"
down_revision: str | Sequence[str] | None = "i19_deleted_dependants"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_device", schema=None) as batch_op:
        batch_op.add_column(sa.Column("generation", sa.String(length=32), nullable=False, server_default=""))
    with op.batch_alter_table("sync_received", schema=None) as batch_op:
        batch_op.add_column(sa.Column("generation", sa.String(length=32), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("lineage", sa.Text(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("device_seqs", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("sync_held", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=16), nullable=False, server_default="gap"))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("township_id", sa.String(length=36), nullable=False, server_default=""))
    enrollment = op.create_table(
        "sync_enrollment",
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("township_id", sa.String(length=36), nullable=False),
        sa.Column("township_code", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("public_key", name=op.f("pk_sync_enrollment")),
    )
    with op.batch_alter_table("sync_enrollment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_enrollment_key_id"), ["key_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sync_enrollment_township_id"), ["township_id"], unique=False)
    conn = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    seen: dict[str, dict[str, object]] = {}
    for device_id, code, town_id, key in conn.execute(
        sa.text(
            "SELECT device_id, township_code, township_id, public_key FROM sync_device ORDER BY first_seen"
        )
    ):
        try:
            raw = base64.b64decode(key, validate=True)
        except ValueError:
            continue
        seen.setdefault(
            key,
            {
                "public_key": key,
                "key_id": hashlib.sha256(raw).hexdigest()[:16],
                "township_id": town_id,
                "township_code": code,
                "device_id": device_id,
                "status": "enrolled",
                "requested_at": now,
                "decided_at": now,
                "decided_by": "migration",
                "note": "升级到同步格式 2 时沿用此前已接收的设备",
            },
        )
    if seen:
        op.bulk_insert(enrollment, list(seen.values()))


def downgrade() -> None:
    with op.batch_alter_table("sync_enrollment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_enrollment_township_id"))
        batch_op.drop_index(batch_op.f("ix_sync_enrollment_key_id"))
    op.drop_table("sync_enrollment")
    with op.batch_alter_table("sync_held", schema=None) as batch_op:
        batch_op.drop_column("township_id")
        batch_op.drop_column("error")
        batch_op.drop_column("reason")
    with op.batch_alter_table("sync_received", schema=None) as batch_op:
        batch_op.drop_column("device_seqs")
        batch_op.drop_column("lineage")
        batch_op.drop_column("generation")
    with op.batch_alter_table("sync_device", schema=None) as batch_op:
        batch_op.drop_column("generation")
