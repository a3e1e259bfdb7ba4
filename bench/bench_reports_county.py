"""Township reports at county scale: a demo county database (the demo's ``county`` scale: three townships
of about 3000 members each with 10 years of records, codes T01–T03) and the reports without ``--branch``,
which now cover every township of the database. Timed in-process (min / median of 3 runs) with the
raw-library baseline of the same run: one SQLAlchemy Core select of every member row.

Usage: python bench/bench_reports_county.py [DB] — without DB the county demo is generated first (minutes)."""

from __future__ import annotations

import statistics as stats
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from models import Member, Township
from services import demo
from services.db import Database, open_database
from services.reports.monthly import month_report
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
            db = open_database(Path(tmp) / "county.sqlite")
            t0 = time.perf_counter()
            demo.generate(db, "county", seed=11, today=TODAY)
            print(f"county demo generated in {time.perf_counter() - t0:.0f} s")
        with db.reader() as s:
            codes = list(s.scalars(select(Township.code).order_by(Township.code)))
            towns = len(codes)
            people = s.scalar(select(func.count()).select_from(Member))
            report = statistics(s, 2025, today=TODAY)
        print(
            f"{towns} townships, {people} member rows; 年报 covers {report.title}, "
            f"{report.table('basic').value('党员总数', '合计')} members on 2025-12-31"
        )
        base = timed(db, lambda s: s.execute(select(*Member.__table__.columns)).all())
        print(f"raw select of all member rows: min {base[0]:.3f} s, median {base[1]:.3f} s")
        for label, fn in (
            ("report stats --year 2025 (every township)", lambda s: statistics(s, 2025, today=TODAY)),
            (
                "report month --period 2026-10 (every township)",
                lambda s: month_report(s, "2026-10", today=TODAY),
            ),
            (
                "report stats --year 2025 --township (one)",
                lambda s: statistics(s, 2025, today=TODAY, township_code=codes[0]),
            ),
        ):
            low, mid = timed(db, fn)
            print(f"{label}: min {low:.3f} s, median {mid:.3f} s ({low / base[0]:.1f}× the raw select)")
        db.close()


if __name__ == "__main__":
    main()
