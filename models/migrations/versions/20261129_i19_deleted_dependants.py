"""Put in the recycle bin what depends on a row already there (data only, no schema change).

Before this version, deleting a member left their attendance, dues and seats live, so meetings still
counted them in 应到/实到 and printed them; a deleted meeting's photos stayed live and travelled to the
county. Deleting now takes the dependants along (``recycle.dependents``); this migration does the same
for rows deleted before: each live row whose NOT NULL parent (the links below, as derived from the
models at this revision) or attachment owner is deleted gets the parent's ``deleted_at`` — so
restoring the parent from the bin brings it back — and a new change number, so the next sync package
carries the deletion.

Revision ID: i19_deleted_dependants
Revises: i13_check_facts
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i19_deleted_dependants"
down_revision: str | Sequence[str] | None = "i13_check_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (child table, NOT NULL foreign key column, parent table) at this revision.
LINKS = (
    ("committee_seat", "branch_id", "branch"),
    ("decision", "branch_id", "branch"),
    ("development_record", "branch_id", "branch"),
    ("disclosure_posting", "branch_id", "branch"),
    ("evidence_filing", "branch_id", "branch"),
    ("fee_due", "branch_id", "branch"),
    ("finding_explanation", "branch_id", "branch"),
    ("flow_record", "branch_id", "branch"),
    ("fund_entry", "branch_id", "branch"),
    ("meeting", "branch_id", "branch"),
    ("member", "branch_id", "branch"),
    ("member_transfer", "branch_id", "branch"),
    ("party_group", "branch_id", "branch"),
    ("rectification", "branch_id", "branch"),
    ("training_session", "branch_id", "branch"),
    ("venue_check", "branch_id", "branch"),
    ("weak_branch_flag", "branch_id", "branch"),
    ("decision_step", "decision_id", "decision"),
    ("attendance", "meeting_id", "meeting"),
    ("attendance", "member_id", "member"),
    ("committee_seat", "member_id", "member"),
    ("fee_due", "member_id", "member"),
    ("flow_record", "member_id", "member"),
    ("member_transfer", "member_id", "member"),
    ("training_attendance", "member_id", "member"),
    ("branch", "township_id", "township"),
    ("development_record", "township_id", "township"),
    ("member", "township_id", "township"),
    ("training_attendance", "session_id", "training_session"),
)


def _next_seq(conn: sa.Connection) -> int:
    conn.execute(sa.text("UPDATE change_counter SET value = value + 1 WHERE id = 1"))
    return int(conn.execute(sa.text("SELECT value FROM change_counter WHERE id = 1")).scalar_one())


def _orphans(conn: sa.Connection) -> list[tuple[str, str, object]]:
    """(table, row id, parent's deleted_at) of live rows whose parent is in the bin."""
    found: list[tuple[str, str, object]] = []
    existing = set(sa.inspect(conn).get_table_names())
    for child, column, parent in LINKS:
        if child not in existing or parent not in existing:
            continue
        rows = conn.execute(
            sa.text(
                f'SELECT c.id, p.deleted_at FROM "{child}" c JOIN "{parent}" p ON p.id = c."{column}" '
                "WHERE c.deleted = :no AND p.deleted = :yes"
            ),
            {"no": False, "yes": True},
        )
        found += [(child, r[0], r[1]) for r in rows]
    if "attachment" in existing:
        inspector = sa.inspect(conn)
        owners = [
            t for t in sorted(existing) if {"id", "deleted"} <= {c["name"] for c in inspector.get_columns(t)}
        ]
        for owner in owners:
            rows = conn.execute(
                sa.text(
                    f'SELECT a.id, o.deleted_at FROM attachment a JOIN "{owner}" o ON o.id = a.owner_id '
                    "WHERE a.owner_type = :owner AND a.deleted = :no AND o.deleted = :yes"
                ),
                {"owner": owner, "no": False, "yes": True},
            )
            found += [("attachment", r[0], r[1]) for r in rows]
    return found


def upgrade() -> None:
    conn = op.get_bind()
    if "change_counter" not in set(sa.inspect(conn).get_table_names()):
        return
    for _round in range(10):  # chains (branch → meeting → attendance) settle in a few rounds
        orphans = _orphans(conn)
        if not orphans:
            return
        done: set[tuple[str, str]] = set()
        for table, row_id, when in orphans:
            if (table, row_id) in done:
                continue
            done.add((table, row_id))
            conn.execute(
                sa.text(
                    f'UPDATE "{table}" SET deleted = :yes, deleted_at = :when, row_seq = :seq WHERE id = :id'
                ),
                {"yes": True, "when": when, "seq": _next_seq(conn), "id": row_id},
            )


def downgrade() -> None:
    # Data only: the rows stay in the recycle bin, where restoring their parent brings them back.
    pass
