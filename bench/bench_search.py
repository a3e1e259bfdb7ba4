"""Roster search at 100,000 members, per keystroke (goal < 50 ms), with its baselines in the same run.

- ours: what the roster tab does when typing pauses (150 ms debounce): ``members.roster_ids`` (one SQL
  query) + pinyin initials from the loaded rows + ``RosterModel.show_only`` (one model reset), through
  the real proxy the table shows;
- raw: the same LIKE query through the bare ``sqlite3`` module (the library floor);
- old: the previous design, a QSortFilterProxyModel calling ``filterAcceptsRow`` in Python for every row
  on every keystroke (no debounce).
Figures: min / median of 5 runs, milliseconds. Run: .venv/bin/python bench/bench_search.py
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel
from PySide6.QtWidgets import QApplication
from sqlalchemy import insert

from models import Member
from models.base import new_id, utcnow
from services import members, org
from services.db import allocate_seq, open_database

N = 100_000
REPEAT = 5
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    spent, result = [], None
    for _ in range(REPEAT):
        started = time.perf_counter()
        result = fn()
        spent.append((time.perf_counter() - started) * 1000)
    return min(spent), statistics.median(spent), result


class OldProxy(QSortFilterProxyModel):
    """The replaced design: substring test in Python per row, called by Qt for all rows."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__()
        self.texts, self.needle = texts, ""

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self.needle = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        return not self.needle or self.needle in self.texts[row]


def seed(path: Path) -> None:
    db = open_database(path)
    rnd = random.Random(1)
    with db.transaction("bench") as s:
        t = org.create_township(s, "T01", "测试镇")
        branches = [
            org.create_branch(s, t.id, f"B{i:02d}", f"{i}村党支部", founded_on=date(2000, 1, 1)).id
            for i in range(30)
        ]
        seq, now = allocate_seq(s, N), utcnow()
        s.execute(
            insert(Member),
            [
                {
                    "id": new_id(),
                    "township_id": t.id,
                    "branch_id": branches[i % 30],
                    "name": rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN),
                    "gender": "male",
                    "birth_date": date(1970, 1, 1),
                    "id_number": f"6204211970{i:08d}",
                    "phone": f"139{i:08d}",
                    "joined_on": date(2000, 7, 1),
                    "branch_since": date(2000, 7, 1),
                    "created_at": now,
                    "updated_at": now,
                    "row_seq": seq,
                }
                for i in range(N)
            ],
        )
    db.close()


def main() -> int:
    app = QApplication.instance() or QApplication([])
    from gui.roster.model import RosterModel, RosterProxy

    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        path = Path(tmp) / "search.sqlite"
        seed(path)
        db = open_database(path)
        with db.reader() as s:
            rows = members.roster(s)
        model = RosterModel()
        proxy = RosterProxy(model)
        model.set_rows(rows)
        old = OldProxy([f"{r.name}\t{r.id_number}\t{r.phone}".lower() for r in rows])
        old.setSourceModel(model)
        raw = sqlite3.connect(path)
        print(f"roster search, {len(rows):,} members (per keystroke, ms: min / median of {REPEAT})")
        for label, term in (
            ("surname 王", "王"),
            ("full name", rows[N // 2].name),
            ("phone", "1390004"),
            ("initials", "wj"),
        ):

            def ours(term: str = term) -> int:
                with db.reader() as s:
                    found = members.roster_ids(s, None, term)
                model.show_only(found | model.initials_matching(term))
                proxy.rowCount()  # what the view asks after the reset
                return len(model.rows)  # rowCount() is only what the view has fetched so far

            o_min, o_med, n = timed(ours)
            like = f"%{term}%"
            r_min, r_med, _ = timed(
                lambda like=like: raw.execute(
                    "SELECT id FROM member WHERE deleted = 0 AND state = 'active' AND "
                    "(name LIKE ? OR id_number LIKE ? OR phone LIKE ?)",
                    (like, like, like),
                ).fetchall()
            )
            model.show_only(None)
            b_min, b_med, _ = timed(lambda term=term: old.set_search(term))
            old.set_search("")
            print(
                f"  {label:<11}{n:>7,} rows  ours {o_min:6.1f} / {o_med:6.1f}   raw sqlite3 {r_min:6.1f} / {r_med:6.1f}"
                f"   old proxy {b_min:6.1f} / {b_med:6.1f}   ours = {o_med / max(r_med, 0.01):.1f}× raw"
                f" (goal < 50 ms){'' if o_med < 50 else '  OVER GOAL'}"
            )
        raw.close()
        db.close()
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
