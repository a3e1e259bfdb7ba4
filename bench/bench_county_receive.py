"""County desk benchmark: ``receive_folder`` over a folder holding several townships' packages (demo
townships with different seeds and codes, exported through the sync service, encrypted for the county
key) against a raw ``executemany`` of the same rows into the same schema, same run, SQLite and
PostgreSQL. Each side is run ``--runs`` times on a fresh database; min and median are reported.

    python bench/bench_county_receive.py [--townships 4] [--scale small] [--runs 3] [--pg postgresql://…]

The receive time includes reading, decrypting and verifying each package, the checks of the receiver
and writing the acknowledgements; the raw baseline is only the INSERTs of rows parsed beforehand,
**one transaction per package** (the receiver commits each package durably, so one bad package never
spoils the others), on a database opened like the app's (WAL, ``synchronous=FULL``). The former
baseline — every package in ONE transaction, one commit for the folder — is still run and printed
beside it. CPU seconds of this process are printed too (see bench_sync.py). SQLite, 2026-11-30
(docs/sync-package.md): before round 4, ratio min 0.27 / median 0.31 (CPU 0.37; the old
one-transaction baseline gave 0.13); after, min 0.32 / median 0.43 (CPU 0.39–0.42).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.engine import make_url

from models import DbMeta, Township
from services import demo, demo_marker, org
from services.county.mode import init_county
from services.county.receive import receive_folder
from services.db import Database, open_database, to_url
from services.sync import keys
from services.sync.crypto import load_county_key
from services.sync.enrollment import register
from services.sync.exporter import export_package
from services.sync.package import read_package
from services.sync.signing import b64, public_raw
from services.sync.tables import table_by_name


def townships(work: Path, count: int, scale: str, key_file: Path) -> list[tuple[str, str, str]]:
    """Generate ``count`` township databases and export each (full) into ``work/usb``."""
    usb = work / "usb"
    usb.mkdir()
    enroll = []
    for k in range(1, count + 1):
        db = open_database(work / f"town{k}.sqlite")
        demo.generate(db, scale, seed=k, years=2)
        with db.transaction("clerk") as s:
            town = s.scalars(select(Township)).one()
            org.update_township(s, town.id, code=f"T{k:02d}", name=f"第{k}镇")
            town_id = town.id
        with db.engine.begin() as conn:  # stands in for a real township (a demo may not reach the county)
            conn.execute(delete(DbMeta).where(DbMeta.key == demo_marker.KEY))
        keys.county_set(db, key_file)
        key = Ed25519PrivateKey.generate()
        r = export_package(db, usb, full=True, key=key, user="clerk")
        print(f"  township T{k:02d}: {r.total_rows:,} rows, {r.size:,} bytes", flush=True)
        enroll.append((b64(public_raw(key)), f"T{k:02d}", town_id))
        db.close()
    return enroll


def raw_insert(db: Database, packages: list[Path], *, per_package: bool = True) -> tuple[int, float, float]:
    """INSERT the packages' rows (parsed beforehand, not timed) with ``executemany``.

    ``per_package``: one transaction (one durable commit) per package, as the receiver commits each
    package — the fair baseline; otherwise every package in ONE transaction (one commit for the
    folder: what the bench compared against before, which no receiver that keeps one bad package
    from spoiling the others can do). Both on a database opened by ``open_database``: the app's
    pragmas (WAL, ``synchronous=FULL``)."""
    key = load_county_key()
    prepared = []
    for path in packages:
        opened = read_package(path, county_key=key)
        prepared.append(
            [
                (t, opened.columns(t), [tuple(r) for r in opened.rows[t]])
                for t in table_by_name()
                if opened.rows.get(t)
            ]
        )
    rows = 0
    started, cpu = time.perf_counter(), time.process_time()
    groups = prepared if per_package else [[part for package in prepared for part in package]]
    for group in groups:
        with db.engine.begin() as conn:
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            for table, cols, data in group:
                names = ", ".join(f'"{c}"' for c in cols)
                conn.exec_driver_sql(
                    f'INSERT INTO "{table}" ({names}) VALUES ({", ".join([mark] * len(cols))})', data
                )
                rows += len(data)
    return rows, time.perf_counter() - started, time.process_time() - cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--townships", type=int, default=4)
    ap.add_argument("--scale", default="small")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pg", default=os.environ.get("LEDGER_TEST_PG_URL"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-county-"))
    os.environ["LEDGER_DATA_DIR"] = str(work / "userdata")
    key_file = work / "county-key.json"
    seed_db = open_database(work / "county-seed.sqlite")
    init_county(seed_db, key_file=key_file)
    seed_db.close()
    enroll = townships(work, args.townships, args.scale, key_file)
    packages = sorted((work / "usb").glob("*.ltpkg"))

    def fresh(kind: str, label: str) -> Database:
        if kind == "sqlite":
            path = work / f"{label}.sqlite"
            for p in work.glob(f"{label}.sqlite*"):
                p.unlink()
            return open_database(path)
        admin = to_url(args.pg)
        name = f"{make_url(admin).database or 'ledger'}_county_{label}"  # the server is shared
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return open_database(make_url(admin).set(database=name).render_as_string(hide_password=False))

    try:
        _measure(args, work, packages, enroll, fresh)
    finally:  # the bench leaves nothing behind (the disk is shared): its folder and its databases
        shutil.rmtree(work, ignore_errors=True)
        if args.pg:
            engine = create_engine(to_url(args.pg), isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                for run in range(args.runs):
                    for label in (f"raw{run}", f"recv{run}"):
                        name = f"{make_url(to_url(args.pg)).database or 'ledger'}_county_{label}"
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()
    return 0


def _measure(
    args: argparse.Namespace,
    work: Path,
    packages: list[Path],
    enroll: list[tuple[str, str, str]],
    fresh: Callable[[str, str], Database],
) -> None:
    for kind in ["sqlite"] + (["postgresql"] if args.pg else []):
        raw_t, one_t, rec_t, rows = [], [], [], 0
        raw_c, rec_c = [], []
        for run in range(args.runs):
            db = fresh(kind, f"raw{run}")
            rows, t, c = raw_insert(db, packages)
            raw_t.append(t)
            raw_c.append(c)
            db.close()
            db = fresh(kind, f"raw{run}")
            _rows, t, _c = raw_insert(db, packages, per_package=False)
            one_t.append(t)
            db.close()
            db = fresh(kind, f"recv{run}")
            init_county(db)
            for pub, code, town_id in enroll:
                register(db, pub, code, town_id, user="bench")
            folder = work / f"usb-{kind}-{run}"
            folder.mkdir()
            for p in packages:
                (folder / p.name).write_bytes(p.read_bytes())
            started, cpu = time.perf_counter(), time.process_time()
            results = receive_folder(db, folder, user="bench")
            rec_t.append(time.perf_counter() - started)
            rec_c.append(time.process_time() - cpu)
            assert all(r.status == "imported" for r in results), [r.message for r in results]
            assert sum(r.rows for r in results) == rows
            db.close()
        ratios = [r / v for r, v in zip(raw_t, rec_t, strict=True)]  # each run against its own raw
        print(
            f"{kind}: {len(packages)} townships, {rows:,} rows; receive_folder min {min(rec_t):.2f} s / median "
            f"{statistics.median(rec_t):.2f} s = {rows / min(rec_t):,.0f} rows/s; raw executemany, one commit per "
            f"package, min {min(raw_t):.2f} s / median {statistics.median(raw_t):.2f} s = "
            f"{rows / min(raw_t):,.0f} rows/s; ratio min {min(ratios):.2f} / median {statistics.median(ratios):.2f}; "
            f"(raw in ONE transaction for the folder: min {min(one_t):.2f} s, ratio min/min "
            f"{min(one_t) / min(rec_t):.2f}); CPU of this process (SQLite: all the work; PostgreSQL: the "
            f"client's) receive min {min(rec_c):.2f} s against raw {min(raw_c):.2f} s, ratio "
            f"{min(raw_c) / min(rec_c):.2f}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
            flush=True,
        )


if __name__ == "__main__":
    raise SystemExit(main())
