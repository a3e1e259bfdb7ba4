"""Roster search and sort at 100,000 members, per keystroke / header click (goal < 50 ms), with their
baselines in the same run.

- ours: what the roster tab does when typing pauses (150 ms debounce): ``RosterModel.set_source`` with
  ``members.roster_source(…, term)`` — a count and the first batch of the matches, in SQL (name, ID
  number, phone, stored pinyin initials), one model reset; a header click (``RosterModel.sort``) reads
  the first batch again with ``ORDER BY``;
- raw: the same queries (count + first ``BATCH`` rows) through the bare ``sqlite3`` module (the floor);
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

from PySide6.QtWidgets import QApplication
from sqlalchemy import insert

from models import Member
from models.base import new_id, utcnow
from services import collation, members, org
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
                    "name": (name := rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN)),
                    "name_key": collation.name_key(name),
                    "name_initials": collation.name_initials(name),
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


RAW_COLUMNS = (
    "m.id, m.name, m.gender, m.birth_date, m.id_number, m.education, m.phone, m.joined_on, m.status, "
    "b.name, g.name, m.is_flowing, m.state, m.occupation, m.is_migrant_worker, m.is_hardship"
)
RAW_FROM = (
    "FROM member m LEFT JOIN branch b ON b.id = m.branch_id LEFT JOIN party_group g ON g.id = m.party_group_id "
    "WHERE m.deleted = 0 AND m.state = 'active'"
)


def main() -> int:
    app = QApplication.instance() or QApplication([])
    from PySide6.QtCore import Qt

    from gui.roster.model import NAME_COLUMN, RosterModel

    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        path = Path(tmp) / "search.sqlite"
        seed(path)
        db = open_database(path)
        with db.reader() as s:
            rows = members.roster(s)
        model = RosterModel()
        batch = model.BATCH
        raw = sqlite3.connect(path)

        def raw_page(where: str, args: tuple[str, ...], order: str) -> int:
            n = raw.execute(
                f"SELECT count(*) FROM member m WHERE m.deleted = 0 AND m.state = 'active'{where}", args
            ).fetchone()[0]
            raw.execute(
                f"SELECT {RAW_COLUMNS} {RAW_FROM}{where} ORDER BY {order} LIMIT {batch}", args
            ).fetchall()
            return int(n)

        print(f"roster search, {len(rows):,} members (per keystroke, ms: min / median of {REPEAT})")
        for label, term in (
            ("surname 王", "王"),
            ("full name", rows[N // 2].name),
            ("phone", "1390004"),
            ("initials", "wj"),
        ):

            def ours(term: str = term) -> int:
                model.set_source(db, members.roster_source(None, term))
                return model.count

            o_min, o_med, n = timed(ours)
            like = f"%{term}%"
            where = " AND (m.name LIKE ? OR m.id_number LIKE ? OR m.phone LIKE ? OR m.name_initials LIKE ?)"
            r_min, r_med, _ = timed(
                lambda like=like, where=where: raw_page(where, (like,) * 4, "m.name_key, m.id")
            )
            print(
                f"  {label:<11}{n:>7,} rows  ours {o_min:6.1f} / {o_med:6.1f}   raw sqlite3 {r_min:6.1f} / {r_med:6.1f}"
                f"   ours = {o_med / max(r_med, 0.01):.1f}× raw"
                f" (goal < 50 ms){'' if o_med < 50 else '  OVER GOAL'}"
            )
        print(f"header click (first {batch:,} of {len(rows):,} rows in the new order, ms: min / median)")
        model.set_source(db, members.roster_source(None))
        for label, column, order in (
            ("name (pinyin)", NAME_COLUMN, "m.name_key, m.id"),
            ("birth date", 2, "m.birth_date, m.name_key, m.id"),
        ):

            def click(column: int = column) -> int:
                model.sort(column, Qt.SortOrder.DescendingOrder)
                model.sort(column, Qt.SortOrder.AscendingOrder)
                return model.rowCount()

            o_min, o_med, _ = timed(click)
            desc = ", ".join(f"{c} DESC" for c in order.split(", "))
            r_min, r_med, _ = timed(
                lambda order=order, desc=desc: (
                    raw.execute(f"SELECT {RAW_COLUMNS} {RAW_FROM} ORDER BY {desc} LIMIT {batch}").fetchall(),
                    raw.execute(f"SELECT {RAW_COLUMNS} {RAW_FROM} ORDER BY {order} LIMIT {batch}").fetchall(),
                )
            )
            print(
                f"  {label:<14} two clicks ours {o_min:6.1f} / {o_med:6.1f}   raw sqlite3 {r_min:6.1f} / {r_med:6.1f}"
                f"   ours = {o_med / max(r_med, 0.01):.1f}× raw"
            )
        raw.close()
        db.close()
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
