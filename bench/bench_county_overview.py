"""全县总览 benchmark: the county overview for one year over every township in a county database.

Figure: ``services.county.overview.county_overview`` (the handbook engine over all branches, grouped
per township) — min/median of 5 runs — against its raw baseline in the same run: every SELECT the
overview issues, captured once and replayed on the database's own DBAPI connection (psycopg or
sqlite3: execute + fetchall, no ORM, no rules). Then the Excel and PDF outputs of the same overview.
Goal (#17): < 5 s for a county of 12 townships (~735 branches) on PostgreSQL; measured for a city
(~3,500 branches). Peak RSS of the process is printed (ru_maxrss).

The database: ``--db URL`` (a county database: ``bench/bench_county_scale.py`` fills one from
generated townships' packages and caches it, or one filled by ``demo --scale county``: three
townships of ~30 branches and 10 years each), or generated here with ``--generate`` into ``--db``
(PostgreSQL URL or SQLite path; takes minutes on a loaded machine); without ``--db`` a demo county
of ``--years`` years is generated into a temporary SQLite file (what ``make bench`` runs).
Run: .venv/bin/python bench/bench_county_overview.py --db postgresql://…/ledger_bench [--generate]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, func, select

from models import Branch, Member, Township
from services import demo
from services.county.overview import county_overview, write_overview_pdf, write_overview_xlsx
from services.db import open_database
from services.handbook.pack import load_pack

TODAY = date(2026, 11, 24)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=None, help="county database URL or SQLite path (default: generated)")
    parser.add_argument("--generate", action="store_true", help="fill --db with demo --scale county first")
    parser.add_argument("--years", type=int, default=2, help="years of records when generating")
    parser.add_argument("--year", type=int, default=TODAY.year)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("LEDGER_DATA_DIR", tempfile.mkdtemp(prefix="bench_county_data_"))
    if args.db is None:  # make bench: a demo county (3 townships) in a temporary SQLite file
        args.db, args.generate = (
            str(Path(tempfile.mkdtemp(prefix="bench_county_db_")) / "county.sqlite"),
            True,
        )
    db = open_database(args.db)
    if args.generate:
        started = time.perf_counter()
        summary = demo.generate(db, "county", seed=1, years=args.years, today=TODAY)
        print(f"demo county generated in {time.perf_counter() - started:.0f} s: {summary.rows}")
    with db.reader() as s:
        towns = s.scalar(select(func.count()).select_from(Township).where(Township.deleted.is_(False)))
        branches = s.scalar(select(func.count()).select_from(Branch).where(Branch.deleted.is_(False)))
        members = s.scalar(select(func.count()).select_from(Member).where(Member.deleted.is_(False)))
    print(f"database: {db.engine.dialect.name}, {towns} townships, {branches} branches, {members} members")
    pack = load_pack()

    statements: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    with db.reader() as s:
        started = time.perf_counter()
        ov = county_overview(s, pack, args.year, as_of=TODAY)
        first = time.perf_counter() - started
    event.remove(db.engine, "before_cursor_execute", capture)
    reads = [(q, p) for q, p in statements if q.lstrip().upper().startswith(("SELECT", "WITH"))]
    raw_conn = db.engine.raw_connection()

    def raw_read() -> int:
        cur = raw_conn.cursor()
        n = 0
        for q, p in reads:
            cur.execute(q, p)
            n += len(cur.fetchall())
        cur.close()
        return n

    raw_rows = raw_read()
    runs, cpu, raw, raw_cpu = [], [], [], []
    for _ in range(args.runs):
        t, c = time.perf_counter(), time.process_time()
        raw_read()
        raw.append(time.perf_counter() - t)
        raw_cpu.append(time.process_time() - c)
        with db.reader() as s:
            t, c = time.perf_counter(), time.process_time()
            ov = county_overview(s, pack, args.year, as_of=TODAY)
            runs.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
    raw_conn.close()
    ratios = [r / b for r, b in zip(runs, raw, strict=True)]
    print(
        f"overview {args.year}: first {first:.2f} s; min {min(runs):.2f} s / median {statistics.median(runs):.2f} s "
        f"wall, {statistics.median(cpu):.2f} s CPU; raw read of its {len(reads)} SELECTs ({raw_rows:,} rows, "
        f"DBAPI fetchall) min {min(raw):.2f} s / median {statistics.median(raw):.2f} s wall, "
        f"{statistics.median(raw_cpu):.2f} s CPU; ratio overview/raw min {min(ratios):.1f}× median "
        f"{statistics.median(ratios):.1f}× wall; {len(ov.lines)} branches, {len(ov.result.findings)} findings; "
        f"{min(runs) / max(len(ov.lines), 1) * 1000:.1f} ms per branch (min)"
        + (
            ""
            if len(ov.lines) >= 700
            else f" → 735 branches ≈ {min(runs) / max(len(ov.lines), 1) * 735:.1f} s (linear projection)"
        )
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB (the process: overview, its findings kept for drill-down, the raw rows)")
    out = Path(tempfile.mkdtemp(prefix="bench_county_"))
    t = time.perf_counter()
    write_overview_xlsx(ov, out / "overview.xlsx")
    xlsx = time.perf_counter() - t
    t = time.perf_counter()
    write_overview_pdf(ov, out / "overview.pdf")
    pdf = time.perf_counter() - t
    print(f"outputs: xlsx {xlsx:.2f} s, PDF {pdf:.2f} s (written and read back)")
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
