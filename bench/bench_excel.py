"""Excel benchmark: import (with validation) of a 10,000-row roster; export of 100,000 attendance rows.

Each figure is compared with the bare library doing the same read or write, so the cost of our own
work shows: goals are preview (read + every check) < 2 × the bare read, and 100,000 rows in < 10 s.
Run: .venv/bin/python bench/bench_excel.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl
import python_calamine
from sqlalchemy import insert

from models import Attendance, Meeting
from models.base import new_id, utcnow
from services import idcard, members, org
from services.db import allocate_seq, open_database
from services.excel.export import ExportTable, write_xlsx
from services.excel.exports.meetings import attendance_table
from services.excel.roster_import import apply_roster_import, plan_roster_import

ROSTER_ROWS = 10_000
ATTENDANCE_ROWS = 100_000
TODAY = date(2026, 11, 24)
HEADER = [
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "公民身份号码",
    "学历",
    "联系电话",
    "入党日期",
    "党员类别",
    "备注",
]


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Best CPU time of this process over ``repeat`` runs (the test machine is shared, so wall time
    mostly measures the neighbours); wall time of the same run is kept in ``WALL``."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start, wall = time.process_time(), time.perf_counter()
        result = fn()
        took = time.process_time() - start
        if took < best:
            best, WALL[0] = took, time.perf_counter() - wall
    return best, result


WALL = [0.0]


def line(label: str, seconds: float, rows: int, extra: str = "") -> None:
    print(
        f"  {label:<34} {seconds:7.3f} s CPU ({WALL[0]:6.2f} s wall)  {rows / seconds:>9,.0f} rows/s{extra}"
    )


def make_roster(path: Path) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(HEADER)
    for i in range(ROSTER_ROWS):
        birth = date(1950, 1, 1) + timedelta(days=(i * 37) % 18000)
        joined = f"{birth.year + 25}.{(i % 12) + 1}.{(i % 27) + 1}" if i % 2 else date(birth.year + 25, 7, 1)
        ws.append(
            [
                f"党员{i:05d}",
                "",
                "汉族",
                birth,
                idcard.make("620421", birth, i % 999),
                "高中",
                13800000000 + i,
                joined,
                "正式党员",
                "",
            ]
        )
    wb.save(path)


def bare_calamine(path: Path) -> int:
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_index(0).to_python()
    wb.close()
    return len(rows)


def bare_openpyxl(path: Path) -> int:
    wb = openpyxl.load_workbook(path, read_only=True)
    n = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return n


def roster_bench(folder: Path) -> None:
    path = folder / "roster.xlsx"
    make_roster(path)
    db = open_database(folder / "roster.sqlite")
    with db.transaction("bench") as s:
        t = org.create_township(s, "T01", "测试镇")
        branch = org.create_branch(s, t.id, "B01", "一村党支部", today=TODAY)
    print(f"roster import, {ROSTER_ROWS:,} rows × {len(HEADER)} columns")
    t_cal, n = timed(lambda: bare_calamine(path))
    line("bare calamine read", t_cal, n)
    t_opx, _ = timed(lambda: bare_openpyxl(path), repeat=1)
    line("bare openpyxl read-only", t_opx, n)
    with db.reader() as s:
        t_plan, plan = timed(lambda: plan_roster_import(s, branch.id, path, today=TODAY))
    assert not plan.problems, plan.problems[:3]
    line(
        "preview: read + every check",
        t_plan,
        ROSTER_ROWS,
        f"  = {t_plan / t_cal:.1f}× bare calamine, {t_plan / t_opx:.2f}× bare openpyxl",
    )

    def apply() -> Any:
        with db.transaction("bench") as s:
            return apply_roster_import(s, branch.id, plan, today=TODAY)

    t_apply, result = timed(apply, repeat=1)
    line(f"apply: {result.created:,} members via services", t_apply, ROSTER_ROWS)
    with db.reader() as s:
        t_again, again = timed(lambda: plan_roster_import(s, branch.id, path, today=TODAY), repeat=1)
    line(f"re-preview: {again.count('unchanged'):,} unchanged", t_again, ROSTER_ROWS)
    db.close()


def seed_attendance(folder: Path) -> tuple[Any, str]:
    db = open_database(folder / "attendance.sqlite")
    with db.transaction("bench") as s:
        t = org.create_township(s, "T01", "测试镇")
        branch = org.create_branch(s, t.id, "B01", "一村党支部", founded_on=date(2000, 1, 1), today=TODAY)
        people = [
            members.create_member(
                s,
                branch.id,
                members.MemberInput(
                    f"党员{i:02d}", idcard.make("620421", date(1970, 1, 1), i), date(2000, 7, 1)
                ),
                TODAY,
            ).id
            for i in range(50)
        ]
        n_meetings = ATTENDANCE_ROWS // len(people)
        seq = allocate_seq(s, n_meetings + ATTENDANCE_ROWS)
        now = utcnow()
        meetings = [
            {
                "id": new_id(),
                "branch_id": branch.id,
                "type": "congress",
                "held_on": date(2001, 1, 1) + timedelta(days=i * 3),
                "topics": f"=议题{i}" if i % 100 == 0 else f"议题{i}",
                "created_at": now,
                "updated_at": now,
                "row_seq": seq,
            }
            for i in range(n_meetings)
        ]
        s.execute(insert(Meeting), meetings)
        s.execute(
            insert(Attendance),
            [
                {
                    "id": new_id(),
                    "meeting_id": m["id"],
                    "member_id": p,
                    "status": "leave" if j == 3 else "present",
                    "reason": "外出务工" if j == 3 else "",
                    "sort_order": j,
                    "created_at": now,
                    "updated_at": now,
                    "row_seq": seq,
                }
                for m in meetings
                for j, p in enumerate(people)
            ],
        )
    return db, branch.id


def export_bench(folder: Path) -> None:
    db, _branch = seed_attendance(folder)
    with db.reader() as s:
        t_query, rows = timed(lambda: list(attendance_table(s, None, None).rows), repeat=1)
        table = attendance_table(s, None, None)
    n = len(rows)
    print(f"attendance export, {n:,} rows × {len(table.columns)} columns")
    line("query", t_query, n)
    out = folder / "attendance.xlsx"

    def bare() -> None:
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("出席情况")
        ws.append([c.header for c in table.columns])
        for r in rows:
            ws.append(r)
        wb.save(folder / "bare.xlsx")

    t_bare, _ = timed(bare, repeat=1)
    line("bare openpyxl write-only", t_bare, n)
    t_ours, _ = timed(lambda: write_xlsx(ExportTable(table.title, table.columns, rows), out), repeat=1)
    line("ours: safe cells, atomic, verified", t_ours, n, f"  = {t_ours / t_bare:.2f}× bare")
    print(f"  query + write: {t_query + t_ours:.2f} s CPU (goal < 10 s)")
    db.close()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        roster_bench(Path(tmp))
        export_bench(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
