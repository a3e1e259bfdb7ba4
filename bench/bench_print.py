"""Benchmark: printed archive booklets (services.printing).

Measures the yearly booklet of a ~60-member branch and the booklets of every branch of a
township-scale demo database for one year: pages, seconds, pages per second and file size per page.
Goal: a whole township's year in under 30 s.

    python bench/bench_print.py                      # builds a township demo DB in a temp folder
    python bench/bench_print.py --db town.sqlite --year 2025 --jobs 2 --keep out/
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from models import Branch, Member
from services.db import open_database
from services.printing.booklet import build_branch_booklet
from services.printing.township import print_township


def make_township_db(folder: Path, year: int) -> Path:
    from services.demo import generate

    path = folder / "township.sqlite"
    db = open_database(path)
    started = time.perf_counter()
    summary = generate(db, "township", seed=1, years=2, today=date(year + 1, 1, 20))
    db.close()
    print(f"demo township DB: {summary.total_rows} rows in {time.perf_counter() - started:.1f} s")
    return path


def branch_near(db_path: Path, size: int) -> tuple[str, str, int]:
    db = open_database(db_path)
    with db.reader() as s:
        rows = s.execute(
            select(Branch.id, Branch.name, func.count(Member.id))
            .join(Member, Member.branch_id == Branch.id)
            .where(Member.deleted.is_(False), Member.state == "active")
            .group_by(Branch.id)
        ).all()
    db.close()
    best = min(rows, key=lambda r: abs(r[2] - size))
    return best[0], best[1], int(best[2])


def bench_branch(db_path: Path, year: int) -> None:
    branch_id, name, members = branch_near(db_path, 60)
    db = open_database(db_path)
    times, cpu = [], []
    with db.reader() as s:
        build_branch_booklet(s, branch_id, year)  # warm-up: font parsing, imports
        for _ in range(3):
            started, started_cpu = time.perf_counter(), time.process_time()
            rendered = build_branch_booklet(s, branch_id, year)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    db.close()
    t, c = statistics.median(times), statistics.median(cpu)
    print(
        f"branch booklet: {name} ({members} members), {year}: {rendered.pages} pages in {t:.2f} s wall, "
        f"{c:.2f} s CPU (median of 3) = {rendered.pages / t:.0f} pages/s wall, {rendered.pages / c:.0f} pages/s CPU, "
        f"{len(rendered.data) / rendered.pages / 1024:.1f} KB/page"
    )


def bench_township(db_path: Path, year: int, out: Path, jobs: int) -> None:
    db = open_database(db_path)
    with db.reader() as s:
        from models import Township

        township_id = s.scalars(select(Township.id)).first()
    db.close()
    assert township_id is not None
    # Wall time depends on what else the machine runs; CPU time (this process and the workers) does not.
    before = _cpu()
    started = time.perf_counter()
    results = print_township(str(db_path), township_id, year, out, jobs=jobs)
    elapsed = time.perf_counter() - started
    cpu = _cpu() - before
    pages = sum(r.pages for r in results)
    size = sum(r.size for r in results)
    verdict = "meets" if elapsed < 30 else "MISSES"
    print(
        f"township booklets, {year}, jobs={jobs}: {len(results)} booklets, {pages} pages in {elapsed:.1f} s wall "
        f"({verdict} the 30 s goal here), {cpu:.1f} s CPU = {pages / elapsed:.0f} pages/s wall, "
        f"{pages / cpu:.0f} pages/s per core, {size / pages / 1024:.1f} KB/page, {size / 1024 / 1024:.1f} MB total"
    )


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", type=Path, default=None, help="existing township database (default: build a demo)"
    )
    parser.add_argument("--year", type=int, default=date.today().year - 1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the PDFs in")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db_path = args.db or make_township_db(folder, args.year)
        out = args.keep or folder / "pdf"
        out.mkdir(parents=True, exist_ok=True)
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        bench_branch(db_path, args.year)
        for jobs in sorted({1, args.jobs}):
            (out / f"jobs{jobs}").mkdir(exist_ok=True)
            bench_township(db_path, args.year, out / f"jobs{jobs}", jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
