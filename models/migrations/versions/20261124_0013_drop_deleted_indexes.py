"""Drop the single-column indexes on ``deleted``.

Nearly every row has deleted = 0, so these indexes never narrow a search; worse, without planner
statistics SQLite chose them for joins (a branch's meeting list took minutes on a township
database). The recycle bin, the only reader of deleted rows, scans instead.

Revision ID: 0013_no_deleted_ix
Revises: 0012_sync_blocks
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_no_deleted_ix"
down_revision: str | Sequence[str] | None = "0012_sync_blocks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tables_with_deleted() -> list[tuple[str, set[str]]]:
    inspector = sa.inspect(op.get_bind())
    out = []
    for table in inspector.get_table_names():
        columns = {c["name"] for c in inspector.get_columns(table)}
        if "deleted" in columns:
            out.append((table, {ix["name"] for ix in inspector.get_indexes(table) if ix["name"]}))
    return out


def upgrade() -> None:
    for table, indexes in _tables_with_deleted():
        name = f"ix_{table}_deleted"
        if name in indexes:
            op.drop_index(name, table_name=table)


def downgrade() -> None:
    for table, indexes in _tables_with_deleted():
        name = f"ix_{table}_deleted"
        if name not in indexes:
            op.create_index(name, table, ["deleted"])
