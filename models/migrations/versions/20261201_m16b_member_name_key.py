"""The roster sorts and searches in SQL: ``member.name_key`` (the pinyin order of the name as a plain
string, ``services.collation.name_key``) and ``member.name_initials`` (张三 → zs), filled for every
existing member, and an index on the key for the roster's first batch.

Revision ID: m16b_member_name_key
Revises: n18_member_statistics_fields
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "m16b_member_name_key"
down_revision: str | Sequence[str] | None = "n18_member_statistics_fields"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("name_key", "name_initials")


def upgrade() -> None:
    from services.collation import name_initials, name_key

    # Plain ADD COLUMN with a constant default on SQLite and PostgreSQL (no table rebuild).
    op.add_column("member", sa.Column("name_key", sa.String(255), nullable=False, server_default=""))
    op.add_column("member", sa.Column("name_initials", sa.String(50), nullable=False, server_default=""))
    bind = op.get_bind()
    member = sa.table("member", sa.column("id"), sa.column("name"), *(sa.column(c) for c in COLUMNS))
    rows = bind.execute(sa.select(member.c.id, member.c.name)).all()
    update = (
        member.update()
        .where(member.c.id == sa.bindparam("b_id"))
        .values(name_key=sa.bindparam("b_key"), name_initials=sa.bindparam("b_initials"))
    )
    params = [{"b_id": i, "b_key": name_key(n or ""), "b_initials": name_initials(n or "")} for i, n in rows]
    if params:
        bind.execute(update, params)
    op.create_index("ix_member_name_key", "member", ["name_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_member_name_key", table_name="member")
    if op.get_bind().dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        with op.batch_alter_table("member") as batch:  # no DROP COLUMN before SQLite 3.35: rebuild
            for name in reversed(COLUMNS):
                batch.drop_column(name)
        return
    for name in reversed(COLUMNS):
        op.drop_column("member", name)
