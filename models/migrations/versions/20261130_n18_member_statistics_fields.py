"""The roster fields the 党内统计年报 counts: 职业 (occupation code, the 党内统计公报 categories), 农民工 and
困难党员. Existing members get "" (职业 not recorded: listed as 无法统计 by the 职业 table) and 否.

Revision ID: n18_member_statistics_fields
Revises: i15_sync_trust
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "n18_member_statistics_fields"
down_revision: str | Sequence[str] | None = "i15_sync_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("occupation", sa.String(16), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("is_migrant_worker", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("is_hardship", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.drop_column("is_hardship")
        batch.drop_column("is_migrant_worker")
        batch.drop_column("occupation")
