"""Handbook check benchmark: the whole demo township (30 branches, ~3,000 members, 10 years of records).

Figures: one year (goal < 1 s), each of the ten years in turn, and the SQL statements per check.
The database is generated with ``services.demo`` into a temporary file (or reused with --db PATH).
Run: .venv/bin/python bench/bench_check.py [--db PATH] [--keep]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services import demo
from services.db import open_database
from services.handbook.engine import evaluate
from services.handbook.pack import load_pack
from services.handbook.period import parse_period

TODAY = date(2026, 11, 24)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=None, help="reuse a demo database instead of generating one")
    parser.add_argument("--keep", action="store_true", help="keep the generated database and print its path")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_check_"))
    path = Path(args.db) if args.db else folder / "township.sqlite"
    db = open_database(path)
    if not args.db:
        started = time.perf_counter()
        summary = demo.generate(db, "township", seed=1, today=TODAY)
        print(f"demo township generated in {time.perf_counter() - started:.1f} s: {summary.rows}")
    pack = load_pack()
    period = parse_period(str(TODAY.year))
    with db.reader() as s:
        runs, cpu = [], []
        for _ in range(5):
            started, started_cpu = time.perf_counter(), time.process_time()
            result = evaluate(s, pack, period, as_of=TODAY)
            runs.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    # CPU time is printed too: on a shared, loaded machine wall time says more about the neighbours.
    print(
        f"one year ({period.label}), whole township: first {runs[0] * 1000:.0f} ms, "
        f"median {statistics.median(runs) * 1000:.0f} ms wall / {statistics.median(cpu) * 1000:.0f} ms CPU, "
        f"{result.queries} SQL statements in the core engine, {len(result.branches)} branches, "
        f"{len(result.findings)} findings ({'OK' if statistics.median(runs) < 1 else 'OVER'} the 1 s goal)"
    )
    years = [TODAY.year - i for i in range(9, -1, -1)]
    with db.reader() as s:
        started = time.perf_counter()
        total = 0
        slowest = 0.0
        for y in years:
            t = time.perf_counter()
            total += len(evaluate(s, pack, parse_period(str(y)), as_of=TODAY).findings)
            slowest = max(slowest, time.perf_counter() - t)
        elapsed = time.perf_counter() - started
    print(
        f"ten years ({years[0]}–{years[-1]}), one check per year: {elapsed * 1000:.0f} ms in all, "
        f"slowest year {slowest * 1000:.0f} ms, {total} findings"
    )
    decade = parse_period(f"{years[0]}-{years[-1]}")
    with db.reader() as s:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            result = evaluate(s, pack, decade, as_of=TODAY)
            runs.append(time.perf_counter() - started)
    print(
        f"ten years ({decade.label}) as one check: first {runs[0] * 1000:.0f} ms, "
        f"median {statistics.median(runs) * 1000:.0f} ms, {result.queries} SQL statements, "
        f"{len(result.findings)} findings"
    )
    with db.reader() as s:
        started = time.perf_counter()
        for month in range(1, 13):
            evaluate(s, pack, parse_period(f"{TODAY.year}-{month:02d}"), as_of=TODAY)
        print(
            f"twelve separate month checks of {TODAY.year} (the grid uses the one-year check): {(time.perf_counter() - started) * 1000:.0f} ms"
        )
    db.close()
    if args.keep and not args.db:
        print(f"database kept at {path}")
    elif not args.db:
        path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
