"""Roster import benchmark: a 10,000-member 花名册 previewed and applied, each beside its raw baseline.

Figures (alternating runs, min and median, ratio product / raw of the same run):
- preview: ``plan_roster_import`` against a bare python-calamine read of the same file
  (open, read the sheet to Python values). Goal: ≤ 2× the bare read. Wall time, and CPU time of the
  process as well (steadier on a loaded machine; it counts the preview's second thread too).
- apply (the write step, after the preview): ``apply_roster_import`` + commit, on a fresh copy of the
  database, against a raw ``executemany`` of the same member rows + commit on another fresh copy.
  Goal: at least half the raw speed (rows/s ratio ≥ 0.5).
- peak RSS of this process at the end (the whole run: workbook, preview, writes).
Run: .venv/bin/python bench/bench_roster_import.py [--rows 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl
import python_calamine

from models import Branch
from services import collation, groups, idcard, org
from services.db import open_database
from services.excel.roster_import import apply_roster_import, plan_roster_import

TODAY = date(2026, 11, 24)
# Every column of the roster template (services/excel/layouts.py ROSTER), as a clerk fills it in.
HEADER = [
    "姓名", "性别", "民族", "出生日期", "公民身份号码", "学历", "联系电话", "入党日期", "转正日期", "党员类别",
    "处分", "党小组", "流动党员", "转入本支部日期", "备注",
]  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"


def write_roster(path: Path, rows: int) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(["一村党支部党员花名册"])
    ws.append(HEADER)
    for i in range(rows):
        birth = date(1950, 1, 1) + timedelta(days=(i * 37) % 18000)
        joined = birth + timedelta(days=365 * 25 + i % 300)
        probationary = i % 20 == 0
        ws.append(
            [
                SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)] + GIVEN[(i // 7) % len(GIVEN)],
                "男" if (i % 999 + 1) % 2 else "女",  # odd sequence number: male
                "回族" if i % 40 == 0 else "汉族",
                birth.isoformat(),
                idcard.make("620421", birth, i % 999 + 1),
                ("本科", "大专", "高中", "初中")[i % 4],
                f"139{i:08d}",
                joined.isoformat(),
                "" if probationary else (joined + timedelta(days=366)).isoformat(),
                "预备党员" if probationary else "正式党员",
                "无",
                ("第一党小组", "第二党小组", "")[i % 3],
                "是" if i % 50 == 0 else "否",
                (joined + timedelta(days=400)).isoformat() if i % 10 == 0 else "",
                "退休教师" if i % 25 == 0 else "",
            ]
        )
    wb.save(path)


def seed_database(path: Path) -> str:
    db = open_database(path)
    try:
        with db.transaction("bench") as s:
            town = org.create_township(s, "T01", "城关镇")
            branch = org.create_branch(s, town.id, "B01", "一村党支部")
            for name in ("第一党小组", "第二党小组"):
                groups.create_group(s, branch.id, name)
            branch_id = branch.id
    finally:
        db.close()
    return branch_id


def bare_read(path: Path) -> int:
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_name(wb.sheet_names[0]).to_python(skip_empty_area=False)
    wb.close()
    return len(rows)


def raw_rows(plan: Any, branch: Branch) -> list[tuple[Any, ...]]:
    """The member rows the import writes, as plain tuples (what a raw executemany inserts): every column
    the product stores, the derived ones (pinyin sort key, initials) computed here, outside the timing."""
    now = datetime(2026, 11, 24, 8, 0, 0).isoformat(" ")
    out = []
    for row in plan.rows:
        p = row.payload
        info = idcard.parse(p.id_number, today=TODAY)
        d = asdict(p)
        out.append(
            (str(uuid.uuid4()), now, now, "bench", "bench", 0, None, 1, branch.township_id, branch.id,
             d["party_group_id"], d["name"], info.gender, d["ethnicity"], info.birth_date.isoformat(),
             info.number, d["education"], d["phone"], d["joined_on"].isoformat(),
             d["full_member_on"].isoformat() if d["full_member_on"] else None, str(d["status"]),
             str(d["discipline"]), int(d["is_flowing"]), "active", (d["branch_since"] or d["joined_on"]).isoformat(),
             None, d["notes"], d["occupation"], int(d["is_migrant_worker"]), int(d["is_hardship"]),
             collation.name_key(d["name"]), collation.name_initials(d["name"]))
        )  # fmt: skip
    return out


RAW_INSERT = (
    "INSERT INTO member (id, created_at, updated_at, created_by, updated_by, deleted, deleted_at, row_seq,"
    " township_id, branch_id, party_group_id, name, gender, ethnicity, birth_date, id_number, education,"
    " phone, joined_on, full_member_on, status, discipline, is_flowing, state, branch_since, left_on, notes,"
    " occupation, is_migrant_worker, is_hardship, name_key, name_initials)"
    " VALUES (" + ",".join("?" * 32) + ")"
)


def raw_write(path: Path, rows: list[tuple[Any, ...]]) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        with conn:
            conn.executemany(RAW_INSERT, rows)
    finally:
        conn.close()


def product_write(path: Path, branch_id: str, plan: Any) -> float:
    """Seconds for the write step alone: apply + commit (opening the database is not part of it)."""
    db = open_database(path)
    try:
        started = time.perf_counter()
        with db.transaction("bench") as s:
            result = apply_roster_import(s, branch_id, plan, today=TODAY)
        spent = time.perf_counter() - started
    finally:
        db.close()
    assert result.created == len(plan.rows)
    return spent


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def report(label: str, product: list[float], raw: list[float], goal: str) -> None:
    ratios = [p / r for p, r in zip(product, raw, strict=True)]
    print(
        f"{label}: product min {min(product):.3f} s / median {statistics.median(product):.3f} s; "
        f"raw min {min(raw):.3f} s / median {statistics.median(raw):.3f} s; "
        f"ratio product/raw min {min(ratios):.2f}× median {statistics.median(ratios):.2f}× ({goal})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-roster-import-") as tmp:
        work = Path(tmp)
        book = work / "roster.xlsx"
        write_roster(book, args.rows)
        seed = work / "seed.sqlite"
        branch_id = seed_database(seed)
        db = open_database(seed)
        try:
            with db.reader() as s:
                plan = plan_roster_import(s, branch_id, book, today=TODAY)
                branch = s.get(Branch, branch_id)
                assert branch is not None
                s.expunge(branch)
        finally:
            db.close()
        assert not plan.problems, plan.problems[:3]
        assert plan.count("create") == args.rows, plan.summary()

        preview, bare, preview_cpu, bare_cpu = [], [], [], []
        db = open_database(seed)
        try:
            for _ in range(args.runs):
                cpu = time.process_time()
                bare.append(timed(lambda: bare_read(book)))
                bare_cpu.append(time.process_time() - cpu)
                with db.reader() as s:
                    cpu = time.process_time()
                    preview.append(timed(lambda s=s: plan_roster_import(s, branch_id, book, today=TODAY)))
                    preview_cpu.append(time.process_time() - cpu)
        finally:
            db.close()
        report(f"preview of {args.rows:,} rows", preview, bare, "goal ≤ 2×")
        # CPU seconds of this process (both threads of the preview): steadier than wall time on a busy machine
        report(
            "  the same in CPU time",
            preview_cpu,
            bare_cpu,
            "the preview's sheet scan runs in a second thread",
        )

        rows = raw_rows(plan, branch)
        applied, raw = [], []
        for i in range(args.runs):
            raw_copy, product_copy = work / f"raw{i}.sqlite", work / f"product{i}.sqlite"
            for copy in (raw_copy, product_copy):
                shutil.copyfile(seed, copy)
            raw.append(timed(lambda raw_copy=raw_copy: raw_write(raw_copy, rows)))
            applied.append(product_write(product_copy, branch_id, plan))
        report(
            f"apply (write step) of {args.rows:,} rows", applied, raw, "goal: product ≤ 2× raw, speed ≥ 0.5×"
        )
        speed = [r / p for p, r in zip(applied, raw, strict=True)]
        print(
            f"  write speed: {args.rows / statistics.median(applied):,.0f} rows/s, "
            f"{statistics.median(speed):.2f}× raw executemany (min {min(speed):.2f}×)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this run: {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
