"""What a check produces: findings, completeness, timeliness, stars — plain values for every screen."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from services.handbook.pack import IMPORTANCE_LABELS, IMPORTANCE_RANK


def finding_key(rule_id: str, branch_id: str, period: str) -> str:
    """Stable identity of a finding: the same rule, branch and period is the same finding next time."""
    return f"{rule_id}|{branch_id}|{period}"


@dataclass(frozen=True)
class Prefill:
    """What a new-record form needs when a finding says something is missing."""

    record: str  # "meeting", or "committee" / "election" (the committee dialog, the 换届 dialog)
    branch_id: str
    meeting_type: str = ""
    party_group_id: str | None = None
    held_on: date | None = None


@dataclass
class Finding:
    rule_id: str
    rule_name: str
    rule_type: str
    importance: str  # error / warning / info
    branch_id: str
    branch_code: str
    branch_name: str
    period: str  # label of the window or period judged: 2026-07, 2026Q3, 2026
    message: str
    standard_id: str
    norm_id: str
    source: str  # the citation
    record_ids: list[str] = field(default_factory=list)
    record_kind: str = "meeting"  # table of record_ids: meeting / member
    missing: str = ""  # what is missing, in words
    prefill: Prefill | None = None
    explanation: str | None = None

    @property
    def key(self) -> str:
        return finding_key(self.rule_id, self.branch_id, self.period)

    @property
    def importance_label(self) -> str:
        return IMPORTANCE_LABELS[self.importance]

    @property
    def rank(self) -> int:
        return IMPORTANCE_RANK[self.importance]

    @property
    def explained(self) -> bool:
        return self.explanation is not None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["key"] = self.key
        data["importance_label"] = self.importance_label
        data["explained"] = self.explained
        return data


@dataclass(frozen=True)
class Completeness:
    """Records a ledger should hold in the period (from the frequency/count rules) and how many it does."""

    branch_id: str
    ledger_id: str
    ledger_name: str
    period: str
    expected: int
    present: int

    @property
    def ratio(self) -> float:
        return self.present / self.expected if self.expected else 1.0


@dataclass(frozen=True)
class Timeliness:
    """Meetings in the period entered within the pack's days-after threshold."""

    branch_id: str
    period: str
    days_after: int
    total: int
    on_time: int
    late_ids: tuple[str, ...] = ()

    @property
    def ratio(self) -> float:
        return self.on_time / self.total if self.total else 1.0


@dataclass(frozen=True)
class StarRating:
    branch_id: str
    basic: dict[str, bool]  # basic star name → granted
    failed_vetoes: dict[str, list[str]]  # basic star name → rule ids that failed
    score: int
    task_score: int
    highlight_score: int
    feature_stars: int
    title: str
    rated: bool = True
    reason: str = ""  # why not rated (a month's check; a 党委/党总支 not rated)

    @property
    def label(self) -> str:
        """How a screen shows it: “★7 堡垒支部”, or “不评星（…）”."""
        if not self.rated:
            return f"不评星（{self.reason}）"
        return f"★{self.total}" + (f" {self.title}" if self.title else "")

    @property
    def basic_stars(self) -> int:
        return sum(self.basic.values())

    @property
    def total(self) -> int:
        return self.basic_stars + self.feature_stars
