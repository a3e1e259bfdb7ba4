"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 21:48:21.840508
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("owner_type", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("caption", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_deleted"), ["deleted"], unique=False)
        batch_op.create_index("ix_attachment_owner", ["owner_type", "owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachment_row_seq"), ["row_seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachment_sha256"), ["sha256"], unique=False)

    op.create_table(
        "change_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_counter")),
    )
    op.execute("INSERT INTO change_counter (id, value) VALUES (1, 0)")
    op.create_table(
        "db_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=4000), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_db_meta")),
    )
    op.create_table(
        "township",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("county", sa.String(length=100), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_township")),
        sa.UniqueConstraint("code", name=op.f("uq_township_code")),
    )
    with op.batch_alter_table("township", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_township_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_township_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "branch",
        sa.Column("township_id", sa.String(length=36), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("founded_on", sa.Date(), nullable=True),
        sa.Column("term_start", sa.Date(), nullable=True),
        sa.Column("term_end", sa.Date(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["branch.id"], name=op.f("fk_branch_parent_id_branch")),
        sa.ForeignKeyConstraint(
            ["township_id"], ["township.id"], name=op.f("fk_branch_township_id_township")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch")),
        sa.UniqueConstraint("township_id", "code", name=op.f("uq_branch_township_id")),
    )
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_branch_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_branch_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_branch_row_seq"), ["row_seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_branch_township_id"), ["township_id"], unique=False)

    op.create_table(
        "party_group",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_party_group_branch_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_group")),
    )
    with op.batch_alter_table("party_group", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_group_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_party_group_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_party_group_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "meeting",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("end_time", sa.Time(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=50), nullable=False),
        sa.Column("recorder", sa.String(length=50), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("resolutions", sa.Text(), nullable=False),
        sa.Column("lecturer", sa.String(length=50), nullable=False),
        sa.Column("party_group_id", sa.String(length=36), nullable=True),
        sa.Column("recorded_on", sa.Date(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_meeting_branch_id_branch")),
        sa.ForeignKeyConstraint(
            ["party_group_id"], ["party_group.id"], name=op.f("fk_meeting_party_group_id_party_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_branch_date", ["branch_id", "held_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_party_group_id"), ["party_group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "member",
        sa.Column("township_id", sa.String(length=36), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("party_group_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("ethnicity", sa.String(length=20), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("education", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("full_member_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("discipline", sa.String(length=16), nullable=False),
        sa.Column("is_flowing", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("branch_since", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.String(length=500), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_member_branch_id_branch")),
        sa.ForeignKeyConstraint(
            ["party_group_id"], ["party_group.id"], name=op.f("fk_member_party_group_id_party_group")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["township.id"], name=op.f("fk_member_township_id_township")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
    )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_party_group_id"), ["party_group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_row_seq"), ["row_seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_township_id"), ["township_id"], unique=False)
        batch_op.create_index("ix_member_township_idnum", ["township_id", "id_number"], unique=False)

    op.create_table(
        "attendance",
        sa.Column("meeting_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_attendance_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_attendance_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("meeting_id", "member_id", name=op.f("uq_attendance_meeting_id")),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_row_seq"), ["row_seq"], unique=False)

    op.create_table(
        "committee_seat",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_committee_seat_branch_id_branch")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_committee_seat_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_seat")),
    )
    with op.batch_alter_table("committee_seat", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_committee_seat_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_committee_seat_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_committee_seat_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_committee_seat_row_seq"), ["row_seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("committee_seat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_committee_seat_row_seq"))
        batch_op.drop_index(batch_op.f("ix_committee_seat_member_id"))
        batch_op.drop_index(batch_op.f("ix_committee_seat_deleted"))
        batch_op.drop_index(batch_op.f("ix_committee_seat_branch_id"))

    op.drop_table("committee_seat")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_row_seq"))
        batch_op.drop_index(batch_op.f("ix_attendance_member_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_deleted"))

    op.drop_table("attendance")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index("ix_member_township_idnum")
        batch_op.drop_index(batch_op.f("ix_member_township_id"))
        batch_op.drop_index(batch_op.f("ix_member_row_seq"))
        batch_op.drop_index(batch_op.f("ix_member_party_group_id"))
        batch_op.drop_index(batch_op.f("ix_member_deleted"))
        batch_op.drop_index(batch_op.f("ix_member_branch_id"))

    op.drop_table("member")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_row_seq"))
        batch_op.drop_index(batch_op.f("ix_meeting_party_group_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_deleted"))
        batch_op.drop_index("ix_meeting_branch_date")

    op.drop_table("meeting")
    with op.batch_alter_table("party_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_group_row_seq"))
        batch_op.drop_index(batch_op.f("ix_party_group_deleted"))
        batch_op.drop_index(batch_op.f("ix_party_group_branch_id"))

    op.drop_table("party_group")
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_branch_township_id"))
        batch_op.drop_index(batch_op.f("ix_branch_row_seq"))
        batch_op.drop_index(batch_op.f("ix_branch_parent_id"))
        batch_op.drop_index(batch_op.f("ix_branch_deleted"))

    op.drop_table("branch")
    with op.batch_alter_table("township", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_township_row_seq"))
        batch_op.drop_index(batch_op.f("ix_township_deleted"))

    op.drop_table("township")
    op.drop_table("db_meta")
    op.drop_table("change_counter")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_sha256"))
        batch_op.drop_index(batch_op.f("ix_attachment_row_seq"))
        batch_op.drop_index("ix_attachment_owner")
        batch_op.drop_index(batch_op.f("ix_attachment_deleted"))

    op.drop_table("attachment")
