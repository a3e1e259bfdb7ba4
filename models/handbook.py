"""Explanations (说明) a clerk attaches to a warning-level handbook finding.

A finding is identified by a stable key (rule id + branch id + period label), so the explanation
survives re-evaluation and syncs like any other record.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Tracked


class FindingExplanation(Tracked, Base):
    __tablename__ = "finding_explanation"
    __label__ = "检查说明"  # what a clerk calls its records (recycle bin, audit log)
    __table_args__ = (Index("ix_finding_explanation_key", "finding_key"),)

    finding_key: Mapped[str] = mapped_column(String(200))  # rule_id|branch_id|period
    rule_id: Mapped[str] = mapped_column(String(64))
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))  # 2026-07 / 2026Q3 / 2026
    text: Mapped[str] = mapped_column(Text)
