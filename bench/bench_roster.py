"""Roster benchmark: open the roster of a demo township (~3,000 members) and filter it.

Service figures: ``services.members.roster`` for the whole township, and with a search term (the
filter runs in SQL). GUI figures (offscreen): ``gui.roster.model.RosterModel`` reading its first batch
(``members.roster_source``), a header click by name (ORDER BY the stored pinyin key) and a search (WHERE).
Run: .venv/bin/python bench/bench_roster.py [--db PATH]   (without --db a township demo is generated)
"""

from __future__ import annotations

import argparse
import os
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

from services import demo, members
from services.db import Database, open_database

TODAY = date(2026, 11, 24)
REPEAT = 7


def timed(fn: Callable[[], Any], repeat: int = REPEAT) -> tuple[float, Any]:
    """Median milliseconds over ``repeat`` runs, and the last result."""
    spent, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent), result


def bench_services(db: Database) -> list[Any]:
    with db.reader() as s:
        first_ms, rows = timed(lambda: members.roster(s), 1)
        ms, rows = timed(lambda: members.roster(s))
        print(f"roster (services)        {len(rows):>6,} rows  first {first_ms:7.1f} ms  median {ms:7.1f} ms")
        sample = rows[len(rows) // 2]
        for label, term in (
            ("surname 王", "王"),
            ("full name", sample.name),
            ("ID fragment", sample.id_number[6:14]),
            ("phone tail", sample.phone[-4:] or "139"),
            ("no match", "不存在的人"),
        ):
            ms, found = timed(lambda term=term: members.roster(s, search=term))
            print(f"  search in SQL {label:<11}{len(found):>6,} rows  median {ms:7.1f} ms")
    return rows


def bench_gui(db: Any) -> None:
    try:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication

        from gui.roster.model import NAME_COLUMN, RosterModel
    except ImportError as exc:
        print(f"GUI model not measured: {exc}")
        return
    app = QApplication.instance() or QApplication([])
    model = RosterModel()
    ms, _ = timed(lambda: model.set_source(db, members.roster_source(None)), 3)
    print(f"Qt model first batch     {model.rowCount():>6,} of {model.count:,} rows  median {ms:7.1f} ms")
    sorts: list[float] = []
    for _ in range(5):
        started = time.perf_counter()
        model.sort(NAME_COLUMN, Qt.SortOrder.AscendingOrder)  # a header click: ORDER BY name_key
        sorts.append((time.perf_counter() - started) * 1000)
    print(f"  sort by name (pinyin, SQL)           median {statistics.median(sorts):7.1f} ms")
    for label, term in (("surname 王", "王"), ("initials", "wj")):
        spent: list[float] = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            model.set_source(db, members.roster_source(None, term))
            spent.append((time.perf_counter() - started) * 1000)
        print(f"  filter {label:<12}{model.count:>6,} rows  median {statistics.median(spent):7.1f} ms")
    del app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default=None, help="an existing database (default: generate a township demo)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-roster-") as tmp:
        if args.db:
            db = open_database(args.db)
        else:
            db = open_database(Path(tmp) / "demo.sqlite")
            summary = demo.generate(db, "township", seed=1, today=TODAY)
            print(f"(township demo generated in {summary.seconds:.1f} s)")
        try:
            bench_services(db)
            bench_gui(db)
        finally:
            db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
