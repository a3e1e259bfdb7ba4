"""Township reports on a demo township (≈3000 members, 10 years of meetings): 党内统计年报, 一月一分析,
一季一调度 and 政治生日, each timed in-process (min / median of 3 runs), with the raw-library baseline of the same
run: one SQLAlchemy Core select of every member row (what any roster-wide report must read at least).
Usage: python bench/bench_reports.py [DB] — without DB a township demo is generated first (~30 s)."""

from __future__ import annotations

import statistics as stats
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from models import Member
from services import demo
from services.db import Database, open_database
from services.reports.birthdays import birthdays
from services.reports.monthly import month_report
from services.reports.quarterly import quarter_report
from services.reports.statistics import statistics

TODAY = date(2026, 11, 24)


def timed(db: Database, fn: Callable[..., object]) -> tuple[float, float]:
    runs = []
    for _ in range(3):
        with db.reader() as s:
            t0 = time.perf_counter()
            fn(s)
            runs.append(time.perf_counter() - t0)
    return min(runs), stats.median(runs)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if len(sys.argv) > 1:
            db = open_database(sys.argv[1])
        else:
            db = open_database(Path(tmp) / "bench.sqlite")
            demo.generate(db, "township", seed=1, today=TODAY)
        base = timed(db, lambda s: s.execute(select(*Member.__table__.columns)).all())
        print(f"raw select of all member rows: min {base[0]:.3f} s, median {base[1]:.3f} s")
        for label, fn in (
            ("report stats --year 2025", lambda s: statistics(s, 2025, today=TODAY)),
            ("report month --period 2026-10", lambda s: month_report(s, "2026-10", today=TODAY)),
            ("report quarter --period 2026Q3", lambda s: quarter_report(s, "2026Q3", today=TODAY)),
            ("report birthdays --month 2026-12", lambda s: birthdays(s, "2026-12", today=TODAY)),
        ):
            low, mid = timed(db, fn)
            print(f"{label}: min {low:.3f} s, median {mid:.3f} s ({low / base[0]:.1f}× the raw select)")
        db.close()


if __name__ == "__main__":
    main()
