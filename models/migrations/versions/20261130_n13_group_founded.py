"""party_group.founded_on (成立日期): a 党小组 is judged only in months it existed

Existing groups are backfilled with the earliest of the day they were created (local date) and the
day of their first 党小组会 on record (a group that met existed then).

Revision ID: n13_group_founded
Revises: i15_sync_trust
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "n13_group_founded"
down_revision: str | Sequence[str] | None = "i15_sync_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _day(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).astimezone().date()  # stored UTC, the clerk's local day
    if isinstance(value, date):
        return value
    text = str(value)
    if len(text) > 10:
        return datetime.fromisoformat(text).replace(tzinfo=UTC).astimezone().date()
    return date.fromisoformat(text)


def upgrade() -> None:
    with op.batch_alter_table("party_group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("founded_on", sa.Date(), nullable=True))
    conn = op.get_bind()
    first_meeting = {
        gid: _day(day)
        for gid, day in conn.execute(
            sa.text(
                "SELECT party_group_id, MIN(held_on) FROM meeting "
                "WHERE party_group_id IS NOT NULL AND NOT deleted GROUP BY party_group_id"
            )
        )
    }
    table = sa.table("party_group", sa.column("id", sa.String), sa.column("founded_on", sa.Date))
    for gid, created in conn.execute(sa.text("SELECT id, created_at FROM party_group")).all():
        days = [d for d in (_day(created), first_meeting.get(gid)) if d is not None]
        if days:
            conn.execute(table.update().where(table.c.id == gid).values(founded_on=min(days)))


def downgrade() -> None:
    with op.batch_alter_table("party_group", schema=None) as batch_op:
        batch_op.drop_column("founded_on")
