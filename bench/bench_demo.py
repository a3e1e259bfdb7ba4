"""Demo generation benchmark: `demo --scale township` time and rows/s, against raw sqlite3.

The baseline copies exactly the rows the generator wrote into a fresh database of the same schema
(same indexes) with plain ``sqlite3`` executemany in one transaction — the floor for writing that
much data. The ratio is what generating the data and going through SQLAlchemy Core costs on top.
Run: .venv/bin/python bench/bench_demo.py [--scale small|township|county] [--years N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models import Base
from services import demo
from services.db import open_database

TODAY = date(2026, 11, 24)
CHUNK = 50_000


def raw_copy_seconds(source: Path, target: Path, tables: list[str]) -> tuple[float, float]:
    """Wall and CPU time of only the executemany calls and the commit (reading the source is not counted)."""
    open_database(target).close()  # same migrated schema, same indexes
    spent = cpu = 0.0
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        dst.execute("PRAGMA journal_mode=WAL")
        dst.execute("PRAGMA synchronous=NORMAL")
        dst.execute("PRAGMA foreign_keys=ON")
        dst.execute("PRAGMA cache_size=-262144")
        dst.execute("BEGIN")
        for table in tables:
            cur = src.execute(f"SELECT * FROM {table} ORDER BY rowid")
            columns = [d[0] for d in cur.description]
            names = ", ".join(f'"{c}"' for c in columns)
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
            while rows := cur.fetchmany(CHUNK):
                started, cpu_started = time.perf_counter(), time.process_time()
                dst.executemany(sql, rows)
                spent += time.perf_counter() - started
                cpu += time.process_time() - cpu_started
        started, cpu_started = time.perf_counter(), time.process_time()
        dst.commit()
        spent += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
    return spent, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="township", choices=demo.SCALES)
    parser.add_argument("--years", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        path = Path(tmp) / "demo.sqlite"
        db = open_database(path)
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = demo.generate(db, args.scale, args.seed, args.years, today=TODAY)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        db.close()
        size_mb = path.stat().st_size / 1e6
        tables = [t.name for t in Base.metadata.sorted_tables if summary.rows.get(t.name)]
        raw, raw_cpu = raw_copy_seconds(path, Path(tmp) / "raw.sqlite", tables)
    total = summary.total_rows
    print(f"demo --scale {args.scale} (seed {args.seed}, {summary.years} years)")
    for table in tables:
        print(f"  {table:<16}{summary.rows[table]:>10,} rows")
    print(f"  total           {total:>10,} rows, database {size_mb:,.0f} MB")
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (wall times suffer under load)"
    )
    print(f"generation        {seconds:8.2f} s wall {cpu:8.2f} s CPU  {total / seconds:>10,.0f} rows/s")
    print(
        f"raw sqlite3 copy  {raw:8.2f} s wall {raw_cpu:8.2f} s CPU  {total / raw:>10,.0f} rows/s  (executemany + commit)"
    )
    print(f"ratio             {seconds / raw:8.2f} × raw wall, {cpu / raw_cpu:.2f} × raw CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
