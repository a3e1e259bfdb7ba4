"""The member page (history, 发展党员 file, dues), the township pipeline table and the cost of counting
filed documents in the 3+7 catalog, on a demo township (~3,000 members).

Figures: median milliseconds of ``member_page`` over members of different branches, ``pipeline_table``
for the township, and ``evaluate`` for one branch-year with and without the 资料 counts (the filed
counts are one grouped query on top of the record counts).
Run: .venv/bin/python bench/bench_member_page_and_pipeline.py [--db PATH]   (without --db a township demo is generated)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from models import Branch, Member
from models.enums import MemberState
from services import demo
from services.db import Database, open_database
from services.handbook.engine import evaluate
from services.handbook.pack import load_pack
from services.handbook.period import year
from services.member_page import member_page
from services.pipeline import pipeline_table

TODAY = date(2026, 11, 24)
REPEAT = 7


def timed(fn: Callable[[], Any], repeat: int = REPEAT) -> tuple[float, Any]:
    """Median milliseconds over ``repeat`` runs, and the last result."""
    spent, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent), result


def run(db: Database) -> None:
    pack = load_pack()
    with db.reader() as s:
        ids = list(
            s.scalars(
                select(Member.id).where(Member.state == MemberState.ACTIVE).order_by(Member.id).limit(2000)
            )
        )
        sample = ids[:: max(1, len(ids) // 20)][:20]
        spent = []
        for member_id in sample:

            def page(member_id: str = member_id) -> object:
                return member_page(s, member_id, TODAY)

            spent.append(timed(page, 3)[0])
        print(
            f"member_page              {len(sample):>4} members  median {statistics.median(spent):7.1f} ms"
            f"  max {max(spent):7.1f} ms"
        )
        ms, rows = timed(lambda: pipeline_table(s))
        print(f"pipeline_table           {len(rows):>4} branches median {ms:7.1f} ms")
        branch = s.scalars(select(Branch.id).where(Branch.kind == "branch").order_by(Branch.code)).first()
        assert branch is not None
        period = year(TODAY.year)
        without, _ = timed(lambda: evaluate(s, pack, period, branch_ids=[branch], with_evidence=False), 3)
        with_ev, _ = timed(lambda: evaluate(s, pack, period, branch_ids=[branch]), 3)
        print(f"evaluate one branch-year without 资料 {without:7.1f} ms, with 资料 + filed {with_ev:7.1f} ms")
        town, _ = timed(lambda: evaluate(s, pack, period), 1)
        print(f"evaluate township-year with 资料 + filed counts {town:7.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    if args.db:
        db = open_database(args.db)
    else:
        folder = tempfile.mkdtemp(prefix="bench-member-page-")
        db = open_database(Path(folder) / "ledger.sqlite")
        started = time.perf_counter()
        demo.generate(db, "township", today=TODAY)
        print(f"demo township generated in {time.perf_counter() - started:.1f} s")
    try:
        run(db)
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
