"""The roster fields the 党内统计年报 counts: 职业 (occupation code, the 党内统计公报 categories), 农民工 and
困难党员. Existing members get "" (职业 not recorded: listed as 无法统计 by the 职业 table) and 否.

Revision ID: n18_member_statistics_fields
Revises: n17a_county
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "n18_member_statistics_fields"
down_revision: str | Sequence[str] | None = "n17a_county"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COLUMNS = ("occupation", "is_migrant_worker", "is_hardship")


def upgrade() -> None:
    # Plain ADD COLUMN (constant defaults) on both SQLite and PostgreSQL: no table rebuild, so the member
    # table's foreign keys are never in the way.
    op.add_column("member", sa.Column("occupation", sa.String(16), nullable=False, server_default=""))
    op.add_column(
        "member", sa.Column("is_migrant_worker", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("member", sa.Column("is_hardship", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        with op.batch_alter_table("member") as batch:  # no DROP COLUMN before SQLite 3.35: rebuild
            for name in reversed(COLUMNS):
                batch.drop_column(name)
        return
    for name in reversed(COLUMNS):
        op.drop_column("member", name)
