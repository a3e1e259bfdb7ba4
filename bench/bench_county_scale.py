"""A county built the way it is in life, for the 全县总览 and receiving figures at county scale.

N township databases are generated with ``demo`` (scale ``township``: ~30 branches, ~3,000
members; seeds 1…N, codes T01…TNN, ``--years`` of records), each laptop's key is registered at the
county, each township exports a full package and the county imports it (``services.sync``). Then
``bench/bench_county_overview.py`` is run on the county database for the overview figures.

Run: .venv/bin/python bench/bench_county_scale.py --county postgresql://…/ledger_county --towns 12 --years 2
(without arguments: 3 townships of 1 year into a temporary SQLite file, as ``make bench`` runs it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from models import Township
from services import demo, org
from services.db import open_database
from services.sync.enrollment import register
from services.sync.exporter import export_package
from services.sync.receiver import import_package
from services.sync.signing import b64, public_raw

TODAY = date(2026, 11, 24)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--county", default=None, help="county database (URL or SQLite path), empty")
    parser.add_argument("--towns", type=int, default=3)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--first", type=int, default=1, help="first township number (to add more later)")
    args = parser.parse_args()
    os.environ.setdefault("LEDGER_DATA_DIR", tempfile.mkdtemp(prefix="bench_county_data_"))
    work = Path(tempfile.mkdtemp(prefix="bench_county_scale_"))
    if args.county is None:  # make bench: a small county in a temporary SQLite file
        args.county = str(work / "county.sqlite")
    county = open_database(args.county)
    imported_rows = 0
    import_seconds = 0.0
    for i in range(args.first, args.first + args.towns):
        code = f"T{i:02d}"
        path = work / f"{code}.sqlite"
        town = open_database(path)
        started = time.perf_counter()
        demo.generate(town, "township", seed=i, years=args.years, today=TODAY)
        with town.transaction("clerk") as s:
            t = s.scalars(select(Township)).one()
            org.update_township(s, t.id, code=code, name=f"{t.name[:-1]}{i}镇")
            town_id = t.id
        generated = time.perf_counter() - started
        key = Ed25519PrivateKey.generate()
        register(county, b64(public_raw(key)), code, town_id, user="bench")
        out = work / code
        out.mkdir()
        started = time.perf_counter()
        exported = export_package(town, out, full=True, key=key, user="clerk")
        export_s = time.perf_counter() - started
        town.close()
        started = time.perf_counter()
        result = import_package(county, exported.path, user="bench")
        took = time.perf_counter() - started
        imported_rows += result.rows_written
        import_seconds += took
        print(
            f"{code}: demo {generated:.0f} s, export {export_s:.1f} s, import {result.status} "
            f"{result.rows_written:,} rows in {took:.1f} s ({result.rows_written / took:,.0f} rows/s)",
            flush=True,
        )
        path.unlink()
    print(
        f"imported {imported_rows:,} rows in {import_seconds:.0f} s ({imported_rows / max(import_seconds, 1e-9):,.0f} rows/s)"
    )
    county.close()
    bench = Path(__file__).with_name("bench_county_overview.py")
    return subprocess.call([sys.executable, str(bench), "--db", args.county])


if __name__ == "__main__":
    sys.exit(main())
