"""Normalise stored 党费 months to ``YYYY-MM`` (data only, no schema change).

Before this version a month typed ``2026-7`` was stored as is, beside ``2026-07``: a second row that
vanished from the 2026 listing and broke the arrears comparison (months compare as text). Months are now
normalised on entry (``services.ledgers.values.Month``); this migration does the same for stored rows:

- a row whose normalised month is free is renamed (with a new change number, so sync carries it);
- a row whose normalised month already has a row is merged: the live row keeps the payment of whichever
  of the two has one, and the odd row goes to the recycle bin. Two different payments for one member and
  month are not guessed at: the upgrade stops with a message naming the member and both months, so a
  clerk can correct them in the previous version first.

Revision ID: n16a_months
Revises: n13_group_founded
Create Date: 2026-11-30
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "n16a_months"
down_revision: str | Sequence[str] | None = "n13_group_founded"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ODD = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")


def normalised(month: str) -> str | None:
    """``2026-7`` → ``2026-07``; None when already normal or not a month at all (left alone)."""
    m = _ODD.match(month)
    if m is None or not 1 <= int(m.group(2)) <= 12:
        return None
    out = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    return None if out == month else out


def _next_seq(conn: sa.Connection) -> int:
    conn.execute(sa.text("UPDATE change_counter SET value = value + 1 WHERE id = 1"))
    return int(conn.execute(sa.text("SELECT value FROM change_counter WHERE id = 1")).scalar_one())


def upgrade() -> None:
    conn = op.get_bind()
    tables = set(sa.inspect(conn).get_table_names())
    if "fee_due" not in tables or "change_counter" not in tables:
        return
    cols = "id, member_id, month, deleted, category, income_fen, due_fen, paid_fen, paid_on, receipt_no"
    rows = conn.execute(sa.text(f"SELECT {cols} FROM fee_due")).mappings().all()
    odd = [(r, n) for r in rows if (n := normalised(r["month"])) is not None]
    now = datetime.now(UTC).replace(tzinfo=None)
    for row, month in odd:
        target = (
            conn.execute(
                sa.text(f"SELECT {cols} FROM fee_due WHERE member_id = :m AND month = :month"),
                {"m": row["member_id"], "month": month},
            )
            .mappings()
            .first()
        )
        if target is None:
            conn.execute(
                sa.text("UPDATE fee_due SET month = :month, row_seq = :seq WHERE id = :id"),
                {"month": month, "seq": _next_seq(conn), "id": row["id"]},
            )
            continue
        if row["deleted"]:
            continue  # already in the bin: stays there, never counted
        paid_odd, paid_target = (
            row["paid_fen"] or 0,
            (target["paid_fen"] or 0) if not target["deleted"] else 0,
        )
        if paid_odd and paid_target and (paid_odd, row["paid_on"]) != (paid_target, target["paid_on"]):
            raise RuntimeError(
                f"党费记录无法自动合并：党员 {row['member_id']} 的“{row['month']}”和“{month}”两条记录都登记了"
                f"不同的交纳（{paid_odd} 分、{paid_target} 分）。请先在旧版本中删除其中错误的一条，再升级。"
            )
        fields = ("category", "income_fen", "due_fen", "paid_fen", "paid_on", "receipt_no")
        source = row if target["deleted"] else target  # a binned target takes the live odd row's values
        keep = {f: source[f] for f in fields}
        if paid_odd and not paid_target:
            keep.update({f: row[f] for f in ("paid_fen", "paid_on", "receipt_no")})
        conn.execute(
            sa.text(
                "UPDATE fee_due SET deleted = :no, deleted_at = NULL, category = :category, "
                "income_fen = :income_fen, "
                "due_fen = :due_fen, paid_fen = :paid_fen, paid_on = :paid_on, receipt_no = :receipt_no, "
                "row_seq = :seq WHERE id = :id"
            ),
            {**keep, "no": False, "seq": _next_seq(conn), "id": target["id"]},
        )
        conn.execute(
            sa.text(
                "UPDATE fee_due SET deleted = :yes, deleted_at = :now, row_seq = :seq WHERE id = :id"
            ).bindparams(sa.bindparam("now", type_=sa.DateTime())),
            {"yes": True, "now": now, "seq": _next_seq(conn), "id": row["id"]},
        )


def downgrade() -> None:
    # Data only: the normalised months are what the previous version stores too.
    pass
