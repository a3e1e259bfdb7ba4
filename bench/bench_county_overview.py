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

from sqlalchemy import event, func, select, text

from models import Branch, Member, Township
from services import demo
from services.county.overview import county_overview, write_overview_pdf, write_overview_xlsx
from services.db import open_database
from services.handbook.pack import load_pack

TODAY = date(2026, 11, 24)


def backend_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) used so far by the PostgreSQL backend ``pid`` (same machine), or 0."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    pg = db.engine.dialect.name == "postgresql"
    if pg:
        # Serial plans, so the server's CPU for a statement is its backend's (/proc): parallel workers
        # would only add contention on two shared cores, and their CPU would go uncounted.
        @event.listens_for(db.engine, "connect")
        def _serial(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("SET max_parallel_workers_per_gather = 0")
            cur.close()
            dbapi_conn.commit()

        db.engine.dispose()

    def pid_of(run: Any) -> int | None:
        return int(run.execute(text("SELECT pg_backend_pid()")).scalar()) if pg else None

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
    raw_pid = None
    if pg:
        pid_cur = raw_conn.cursor()
        pid_cur.execute("SELECT pg_backend_pid()")
        raw_pid = int(pid_cur.fetchall()[0][0])
        pid_cur.close()

    def raw_read() -> int:
        cur = raw_conn.cursor()
        n = 0
        for q, p in reads:
            cur.execute(q, p)
            n += len(cur.fetchall())
        cur.close()
        return n

    raw_rows = raw_read()
    runs, cpu, raw, raw_cpu, server, raw_server = [], [], [], [], [], []
    for _ in range(args.runs):
        t, c, b = time.perf_counter(), time.process_time(), backend_cpu(raw_pid)
        raw_read()
        raw.append(time.perf_counter() - t)
        raw_cpu.append(time.process_time() - c)
        raw_server.append(backend_cpu(raw_pid) - b)
        with db.reader() as s:
            pid = pid_of(s.connection())
            t, c, b = time.perf_counter(), time.process_time(), backend_cpu(pid)
            ov = county_overview(s, pack, args.year, as_of=TODAY)
            runs.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            server.append(backend_cpu(pid) - b)
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
    if pg:
        busy = [c + b for c, b in zip(cpu, server, strict=True)]
        raw_busy = [c + b for c, b in zip(raw_cpu, raw_server, strict=True)]
        print(
            f"CPU (this process + its PostgreSQL backend; what the wall time is on an idle machine, one "
            f"connection, serial plans): overview min {min(busy):.2f} s (client {min(cpu):.2f} + server "
            f"{min(server):.2f}), raw replay min {min(raw_busy):.2f} s (client {min(raw_cpu):.2f} + server "
            f"{min(raw_server):.2f}); ratio {min(busy) / max(min(raw_busy), 1e-9):.1f}×; load average now "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
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
