"""Facts the handbook checks need: member exemptions (请假, 年老体弱, 免交/少交 党费), and on meetings
the other kinds one activity also was (``also_types``) and whether it was 补录 from paper; on 发展党员
files the 公示 dates, the 入党宣誓 date and the 支部党员大会 that discussed the conversion; and three
new ledgers: 谈心谈话 (heart_talk), 民主评议 grades (appraisal_grade), 流动党员 contacts (flow_contact).

Revision ID: i13_check_facts
Revises: i22_member_search
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i13_check_facts"
down_revision: str | Sequence[str] | None = "i22_member_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_exemption",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("reduced_fen", sa.BigInteger(), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_member_exemption_branch_id_branch")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_exemption_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_exemption")),
    )
    with op.batch_alter_table("member_exemption", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_exemption_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_exemption_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_exemption_row_seq"), ["row_seq"], unique=False)
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("backfilled", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("also_types", sa.String(length=64), nullable=False, server_default=""))
    op.create_table(
        "heart_talk",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("talker_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.String(length=1000), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_heart_talk_branch_id_branch")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_heart_talk_member_id_member")),
        sa.ForeignKeyConstraint(["talker_id"], ["member.id"], name=op.f("fk_heart_talk_talker_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heart_talk")),
    )
    op.create_table(
        "appraisal_grade",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=16), nullable=False),
        sa.Column("follow_up", sa.String(length=16), nullable=False),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.String(length=500), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_appraisal_grade_branch_id_branch")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_appraisal_grade_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_grade")),
        sa.UniqueConstraint("member_id", "year", name=op.f("uq_appraisal_grade_member_id")),
    )
    op.create_table(
        "flow_contact",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("way", sa.String(length=16), nullable=False),
        sa.Column("content", sa.String(length=500), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("row_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_flow_contact_branch_id_branch")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_flow_contact_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_contact")),
    )
    for table in ("heart_talk", "appraisal_grade", "flow_contact"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_branch_id"), ["branch_id"], unique=False)
            batch_op.create_index(batch_op.f(f"ix_{table}_member_id"), ["member_id"], unique=False)
            batch_op.create_index(batch_op.f(f"ix_{table}_row_seq"), ["row_seq"], unique=False)
    with op.batch_alter_table("development_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("publicity_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("publicity_to", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("oath_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("conversion_meeting_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_development_record_conversion_meeting_id_meeting"),
            "meeting",
            ["conversion_meeting_id"],
            ["id"],
        )


def downgrade() -> None:
    for table in ("flow_contact", "appraisal_grade", "heart_talk"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_row_seq"))
            batch_op.drop_index(batch_op.f(f"ix_{table}_member_id"))
            batch_op.drop_index(batch_op.f(f"ix_{table}_branch_id"))
        op.drop_table(table)
    with op.batch_alter_table("development_record", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_development_record_conversion_meeting_id_meeting"), type_="foreignkey"
        )
        batch_op.drop_column("conversion_meeting_id")
        batch_op.drop_column("oath_on")
        batch_op.drop_column("publicity_to")
        batch_op.drop_column("publicity_from")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("also_types")
        batch_op.drop_column("backfilled")
    with op.batch_alter_table("member_exemption", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_exemption_row_seq"))
        batch_op.drop_index(batch_op.f("ix_member_exemption_member_id"))
        batch_op.drop_index(batch_op.f("ix_member_exemption_branch_id"))
    op.drop_table("member_exemption")
