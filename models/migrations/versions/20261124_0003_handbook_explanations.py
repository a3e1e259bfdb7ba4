"""handbook finding explanations (说明)

Revision ID: 0003_handbook
Revises: 0009_ledgers
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_handbook"
down_revision: str | Sequence[str] | None = "0009_ledgers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "finding_explanation",
        sa.Column("finding_key", sa.String(length=200), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_finding_explanation_branch_id_branch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_explanation")),
    )
    with op.batch_alter_table("finding_explanation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finding_explanation_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finding_explanation_deleted"), ["deleted"], unique=False)
        batch_op.create_index("ix_finding_explanation_key", ["finding_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_finding_explanation_row_seq"), ["row_seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("finding_explanation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_explanation_row_seq"))
        batch_op.drop_index("ix_finding_explanation_key")
        batch_op.drop_index(batch_op.f("ix_finding_explanation_deleted"))
        batch_op.drop_index(batch_op.f("ix_finding_explanation_branch_id"))
    op.drop_table("finding_explanation")
