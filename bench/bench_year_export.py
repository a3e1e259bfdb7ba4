"""`export-xlsx attendance --year 2025` on a township demo (~96,000 rows), with its baselines in one run.

- query: ``attendance_table(session, None, 2025)`` (the year as a half-open date range, services.dates.in_year)
  against the same statement filtered with ``extract("year", held_on) == 2025`` (the replaced form: STRFTIME
  on SQLite, which sent the planner into a members × meetings nested loop);
- export: ``export_xlsx`` (query, safe cells, atomic save, read-back) against a bare openpyxl write-only
  workbook of the same rows.
CPU seconds of this process, best of 3 (the machine is shared; wall time in brackets).
Run: .venv/bin/python bench/bench_year_export.py [--db PATH]   (without --db a township demo is generated)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl
from sqlalchemy import Select, extract

from models import Meeting
from services import demo
from services.db import open_database
from services.excel.export import export_xlsx
from services.excel.exports import meetings as meeting_exports

YEAR = 2025


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, float, Any]:
    best, wall_of_best, result = float("inf"), 0.0, None
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        result = fn()
        took = time.process_time() - cpu
        if took < best:
            best, wall_of_best = took, time.perf_counter() - wall
    return best, wall_of_best, result


def old_scope(stmt: Select, branch_ids: list[str] | None, year: int | None) -> Select:
    """The replaced filter, for the baseline only."""
    stmt = stmt.where(Meeting.deleted.is_(False))
    return stmt.where(extract("year", Meeting.held_on) == year) if year else stmt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-year-") as tmp:
        folder = Path(tmp)
        if args.db:
            db = open_database(args.db)
        else:
            db = open_database(folder / "demo.sqlite")
            summary = demo.generate(db, "township", seed=1, today=date(2026, 11, 24))
            print(f"(township demo generated in {summary.seconds:.1f} s)")
        with db.reader() as s:
            ours, ours_wall, rows = timed(lambda: meeting_exports.attendance_table(s, None, YEAR).rows)
            real = meeting_exports._scope
            meeting_exports._scope = old_scope  # type: ignore[assignment]
            try:
                old, old_wall, old_rows = timed(
                    lambda: meeting_exports.attendance_table(s, None, YEAR).rows, 1
                )
            finally:
                meeting_exports._scope = real  # type: ignore[assignment]
            assert len(old_rows) == len(rows), (len(old_rows), len(rows))
            n = len(rows)
            print(f"attendance {YEAR}: {n:,} rows")
            print(f"  query, date range (ours)        {ours:7.2f} s CPU ({ours_wall:6.2f} s wall)")
            print(
                f"  query, extract(year) (old)      {old:7.2f} s CPU ({old_wall:6.2f} s wall)  = {old / ours:.0f}× ours"
            )
            columns = meeting_exports.attendance_table(s, None, None).columns

            def bare() -> None:
                wb = openpyxl.Workbook(write_only=True)
                ws = wb.create_sheet("出席情况")
                ws.append([c.header for c in columns])
                for r in rows:
                    ws.append(r)
                wb.save(folder / "bare.xlsx")

            b_cpu, b_wall, _ = timed(bare)
            e_cpu, e_wall, _ = timed(lambda: export_xlsx(s, "attendance", folder / "ours.xlsx", year=YEAR))
            print(f"  bare openpyxl write (raw)       {b_cpu:7.2f} s CPU ({b_wall:6.2f} s wall)")
            print(
                f"  export-xlsx attendance --year   {e_cpu:7.2f} s CPU ({e_wall:6.2f} s wall)  = "
                f"{e_cpu / (ours + b_cpu):.2f}× (query + bare write)"
            )
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
