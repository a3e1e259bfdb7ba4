"""A county (or a city) built the way it is in life, for the 全县总览 figures at county and city scale.

N township databases are generated with ``demo`` (scale ``township``: 30 organisations; seeds 1…N,
codes T01…, ``--years`` of records, branch sizes times ``--member-scale``), each laptop's key is
registered at the county, each township exports a full package and the county imports it
(``services.sync``: the receiver clerks use). Then ``bench/bench_county_overview.py`` measures the
overview on the county database.

Shapes (#17): a county of ~735 branches / ~16,500 members is ``--towns 24 --member-scale 0.2``
(720 branches, ~16,000 members: the demo township has 30 organisations of ~110 members, the issue's
county ~61 branches of ~22 per township, so twice the townships at a fifth of the size); a city of
~3,500 branches / ~99,000 members would be ``--towns 117 --member-scale 0.25``, over an hour of
generation and import on a shared two-core machine; ``--copies 5`` instead copies the received
county five times in all inside the database (``replicate``: SQL INSERT … SELECT with rewritten
ids, 120 townships / 3,600 branches / ~80,000 members from the 24-township county) — the same
records five times, not new draws, which is what the overview's cost depends on (rows per table);
``--copy-since 2023-11-01`` leaves out the copies' attendance of meetings before the 36-month lapse
window (the bulk of a 10-year database, never read by a one-year overview) to fit a shared disk.

Cheap to repeat (the machine is shared): every township package is cached under ``--cache``
(default ``bench/.cache/county``, git-ignored) with its device key, so a second run or a second
database only imports; ``--snapshot`` keeps the filled county database itself (a copy of the SQLite
file, or ``pg_dump -Fc`` for PostgreSQL) and restores it on the next run instead of importing again.
The same cached packages fill a SQLite and a PostgreSQL county with the same contents.

Run: .venv/bin/python bench/bench_county_scale.py --county postgresql://…/ledger_county --towns 24 \
        --member-scale 0.2 --years 10 --snapshot [-- overview arguments, e.g. --runs 3]
(without arguments: 3 townships of 1 year into a temporary SQLite file, as ``make bench`` runs it).
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import select
from sqlalchemy.engine import make_url

from models import Township
from services import demo, org
from services.db import open_database
from services.sync.enrollment import register
from services.sync.exporter import export_package
from services.sync.receiver import import_package
from services.sync.signing import b64, public_raw

TODAY = date(2026, 11, 24)
CACHE = Path(__file__).resolve().parent / ".cache" / "county"


def township_package(cache: Path, i: int, years: int, scale: float) -> tuple[Path, Ed25519PrivateKey, str]:
    """The full package of generated township ``i`` (cached): its path, device key and township id."""
    code = f"T{i:02d}"
    folder = cache / f"y{years}-s{scale:g}" / code
    done = folder / "township_id"
    if done.exists():
        key = Ed25519PrivateKey.from_private_bytes((folder / "device.key").read_bytes())
        return folder / (folder / "package").read_text().strip(), key, done.read_text().strip()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    work = Path(tempfile.mkdtemp(prefix=f"bench_{code}_"))
    town = open_database(work / "town.sqlite")
    started = time.perf_counter()
    demo.generate(town, "township", seed=i, years=years, today=TODAY, member_scale=scale)
    with town.transaction("clerk") as s:
        t = s.scalars(select(Township)).one()
        org.update_township(s, t.id, code=code, name=f"{t.name[:-1]}{i}镇")
        town_id = t.id
    generated = time.perf_counter() - started
    key = Ed25519PrivateKey.generate()
    started = time.perf_counter()
    exported = export_package(town, folder, full=True, key=key, user="clerk")
    town.close()
    shutil.rmtree(work, ignore_errors=True)
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    (folder / "device.key").write_bytes(raw)
    (folder / "package").write_text(exported.path.name)
    done.write_text(town_id)  # last: marks the folder complete
    print(f"{code}: demo {generated:.0f} s, export {time.perf_counter() - started:.1f} s", flush=True)
    return exported.path, key, town_id


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else name


def _pg_args(url: str) -> tuple[list[str], str]:
    u = make_url(url)
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    return args, u.database or ""


def restore(url: str, snapshot: Path) -> None:
    """Put the snapshot back: a file copy (SQLite) or drop, create and ``pg_restore`` (PostgreSQL)."""
    if "://" not in url or url.startswith("sqlite"):
        path = Path(url.split("///", 1)[-1]) if "://" in url else Path(url)
        shutil.copyfile(snapshot, path)
        return
    args, name = _pg_args(url)
    subprocess.run([_pg_bin("dropdb"), *args, "--if-exists", name], check=True)
    subprocess.run([_pg_bin("createdb"), *args, name], check=True)
    subprocess.run([_pg_bin("pg_restore"), *args, "-d", name, "--no-owner", str(snapshot)], check=True)


def save(url: str, snapshot: Path) -> None:
    if "://" not in url or url.startswith("sqlite"):
        path = Path(url.split("///", 1)[-1]) if "://" in url else Path(url)
        shutil.copyfile(path, snapshot)
        return
    args, name = _pg_args(url)
    subprocess.run([_pg_bin("pg_dump"), *args, "-Fc", "-Z1", "-f", str(snapshot), name], check=True)


# Tables that are the county's own (sync, audit, settings): not copied by --copies.
_COUNTY_OWN = {
    "audit_head", "audit_log", "change_counter", "county_item", "county_outbox", "db_meta", "sync_conflict",
    "sync_device", "sync_enrollment", "sync_held", "sync_received", "user_account",
}  # fmt: skip


# The two big child tables, copied only for parents dated from ``since`` (see ``replicate``).
_RECENT_ONLY = {
    "attendance": ("meeting_id", "meeting", "held_on"),
    "training_attendance": ("session_id", "training_session", "held_on"),
}


def replicate(url: str, copies: int, since: date | None = None) -> int:
    """City scale without generating a hundred townships on a shared machine: every township record
    received so far is copied ``copies - 1`` more times inside the database (one INSERT … SELECT per
    table and copy), ids rewritten ``x<k>`` + the id's tail (x is not a hex digit: no clash) (ids and foreign keys alike, so each copy is
    a whole township under a new code ``C<k>T…``). The copies are the received townships' records,
    not new draws; audit, sync and settings tables are not copied. ``since``: attendance (of meetings and
    training sessions) is copied only for those held from that day — what a one-year overview reads (the
    year, and the 36-month lapse window) — which keeps a city on a shared disk. Returns rows written."""
    from sqlalchemy import String, text

    from models import Base

    db = open_database(url)
    written = 0
    with db.engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in _COUNTY_OWN:
                continue
            ids = {c.name for c in table.columns if c.primary_key or c.foreign_keys}
            if table.name == "attachment":
                ids.add("owner_id")
            for k in range(2, copies + 1):
                cols, exprs = [], []
                for c in table.columns:
                    q = f'"{c.name}"'
                    cols.append(q)
                    if c.name in ids and isinstance(c.type, String):
                        exprs.append(f"'x{k}' || substr({q}, 3)")
                    elif table.name == "township" and c.name in ("code", "name"):
                        exprs.append(f"'C{k}' || {q}")
                    else:
                        exprs.append(q)
                pk = next(c.name for c in table.primary_key)
                sql = (
                    f'INSERT INTO "{table.name}" ({", ".join(cols)}) SELECT {", ".join(exprs)} '
                    f'FROM "{table.name}" WHERE "{pk}" NOT LIKE \'x%\''
                )
                if since is not None and table.name in _RECENT_ONLY:
                    fk, parent, day = _RECENT_ONLY[table.name]
                    sql += (
                        f' AND "{fk}" IN (SELECT id FROM "{parent}" WHERE "{day}" >= \'{since.isoformat()}\')'
                    )
                written += conn.execute(text(sql)).rowcount or 0
    from services import dbstats

    dbstats.analyze(db.engine)
    db.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--county", default=None, help="county database (URL or SQLite path), empty")
    parser.add_argument("--towns", type=int, default=3)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--member-scale", type=float, default=1.0, help="branch sizes × this (0.05–1)")
    parser.add_argument("--first", type=int, default=1, help="first township number (to add more later)")
    parser.add_argument("--cache", type=Path, default=CACHE, help="township packages and snapshots")
    parser.add_argument("--snapshot", action="store_true", help="restore/keep the filled county database")
    parser.add_argument("--build-only", action="store_true", help="fill the county, do not run the overview")
    parser.add_argument(
        "--copies",
        type=int,
        default=1,
        help="city scale: copy every received township this many times in all",
    )
    parser.add_argument(
        "--copy-since",
        type=date.fromisoformat,
        default=None,
        help="--copies: attendance copied only for meetings from this day (YYYY-MM-DD)",
    )
    parser.add_argument(
        "overview", nargs=argparse.REMAINDER, help="-- arguments for bench_county_overview.py"
    )
    args = parser.parse_args()
    os.environ.setdefault("LEDGER_DATA_DIR", tempfile.mkdtemp(prefix="bench_county_data_"))
    if args.county is None:  # make bench: a small county in a temporary SQLite file
        args.county = str(Path(tempfile.mkdtemp(prefix="bench_county_scale_")) / "county.sqlite")
    dialect = "sqlite" if "://" not in args.county or args.county.startswith("sqlite") else "pg"
    tag = f"{dialect}-t{args.first}-{args.towns}-y{args.years}-s{args.member_scale:g}"
    snapshot = args.cache / f"county-{tag}.{'sqlite' if dialect == 'sqlite' else 'dump'}"
    city = snapshot.with_name(f"{snapshot.stem}-x{args.copies}{snapshot.suffix}")
    if args.copies > 1 and args.snapshot and city.exists():
        started = time.perf_counter()
        restore(args.county, city)
        print(f"city restored from {city} in {time.perf_counter() - started:.0f} s", flush=True)
    elif args.snapshot and snapshot.exists():
        started = time.perf_counter()
        restore(args.county, snapshot)
        print(f"county restored from {snapshot} in {time.perf_counter() - started:.0f} s", flush=True)
    else:
        county = open_database(args.county)
        imported_rows = 0
        import_seconds = 0.0
        for i in range(args.first, args.first + args.towns):
            path, key, town_id = township_package(args.cache, i, args.years, args.member_scale)
            register(county, b64(public_raw(key)), f"T{i:02d}", town_id, user="bench")
            started = time.perf_counter()
            result = import_package(county, path, user="bench")
            took = time.perf_counter() - started
            imported_rows += result.rows_written
            import_seconds += took
            print(
                f"T{i:02d}: import {result.status} {result.rows_written:,} rows in {took:.1f} s "
                f"({result.rows_written / took:,.0f} rows/s)",
                flush=True,
            )
        print(
            f"imported {imported_rows:,} rows in {import_seconds:.0f} s "
            f"({imported_rows / max(import_seconds, 1e-9):,.0f} rows/s)",
            flush=True,
        )
        county.close()
        if args.snapshot:
            snapshot.parent.mkdir(parents=True, exist_ok=True)
            save(args.county, snapshot)
            print(f"county kept in {snapshot}", flush=True)
    if args.copies > 1 and not (args.snapshot and city.exists()):
        started = time.perf_counter()
        rows = replicate(args.county, args.copies, since=args.copy_since)
        print(f"copied {rows:,} rows ({args.copies} copies in all) in {time.perf_counter() - started:.0f} s")
        if args.snapshot:
            save(args.county, city)
            print(f"city kept in {city}", flush=True)
    if args.build_only:
        return 0
    bench = Path(__file__).with_name("bench_county_overview.py")
    extra = [a for a in args.overview if a != "--"]
    return subprocess.call([sys.executable, str(bench), "--db", args.county, *extra])


if __name__ == "__main__":
    sys.exit(main())
