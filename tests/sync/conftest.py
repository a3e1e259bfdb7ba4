"""Fixtures for sync tests: township databases with demo data, county databases (SQLite and PostgreSQL),
device keys, and a helper that crafts validly signed but malicious packages."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, select, text

from models import Base, DbMeta, Township
from services import demo, demo_marker
from services.db import Database, open_database
from services.sync import state
from services.sync.crypto import Sealer
from services.sync.exporter import ExportResult, export_package
from services.sync.manifest import Manifest
from services.sync.package import OpenedPackage, write_package
from services.sync.tables import comparable, encode_row, synced_tables
from tests.conftest import fresh_database

TODAY = date(2026, 11, 24)


@dataclass
class Town:
    code: str
    db: Database
    key: Ed25519PrivateKey
    folder: Path

    def export(self, outdir: Path, *, full: bool = False) -> ExportResult:
        return export_package(self.db, outdir, full=full, key=self.key, user="clerk")

    def enroll(self, county: Database) -> Town:
        """The county registers this laptop's key for its township (fingerprint compared by phone)."""
        from services.sync.enrollment import register
        from services.sync.signing import b64, public_raw

        with self.db.reader() as s:
            town = s.scalars(select(Township)).one()
            code, town_id = town.code, town.id
        register(county, b64(public_raw(self.key)), code, town_id, user="county-admin")
        return self


@pytest.fixture(scope="session")
def town_templates(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, int], Path]:
    """Demo township databases built once per session (code, seed) and copied for each test."""
    made: dict[tuple[str, int], Path] = {}

    def template(code: str, seed: int) -> Path:
        if (code, seed) not in made:
            path = tmp_path_factory.mktemp("template") / "ledger.sqlite"
            db = fresh_database(path)
            demo.generate(db, "small", seed=seed, years=1, today=TODAY)
            with db.transaction("clerk") as s:
                town = s.scalars(select(Township)).one()
                town.code = code
            with db.engine.begin() as conn:  # stands in for a real township: not marked as a demo
                conn.execute(delete(DbMeta).where(DbMeta.key == demo_marker.KEY))
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            db.close()
            made[(code, seed)] = path
        return made[(code, seed)]

    return template


@pytest.fixture
def make_town(tmp_path: Path, town_templates: Callable[[str, int], Path]) -> Iterator[Callable[..., Town]]:
    opened: list[Database] = []

    def make(code: str = "T01", seed: int = 1, *, data: bool = True) -> Town:
        folder = tmp_path / f"town-{code}-{seed}"
        folder.mkdir()
        if data:
            shutil.copyfile(town_templates(code, seed), folder / "ledger.sqlite")
            db = open_database(folder / "ledger.sqlite")
        else:
            db = fresh_database(folder / "ledger.sqlite")
        opened.append(db)
        return Town(code=code, db=db, key=Ed25519PrivateKey.generate(), folder=folder)

    yield make
    for db in opened:
        db.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def county(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "postgres":
        yield request.getfixturevalue("pg_database")
        return
    folder = tmp_path / "county"
    folder.mkdir()
    db = fresh_database(folder / "county.sqlite")
    yield db
    db.close()


@pytest.fixture
def county_sqlite(tmp_path: Path) -> Iterator[Database]:
    folder = tmp_path / "county-sqlite"
    folder.mkdir()
    db = fresh_database(folder / "county.sqlite")
    yield db
    db.close()


@pytest.fixture
def usb(tmp_path: Path) -> Path:
    path = tmp_path / "usb"
    path.mkdir()
    return path


def content(db: Database) -> dict[str, dict[str, dict[str, Any]]]:
    """Every synced row by table and id, comparable across databases (no local change numbers)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    with db.reader() as s:
        for table in synced_tables():
            rows = {r["id"]: comparable(encode_row(table, r)) for r in s.execute(select(table)).mappings()}
            out[table.name] = rows
    return out


def snapshot(db: Database) -> dict[str, Any]:
    """Row counts of every table plus the change counter: equal snapshots mean nothing was written."""
    with db.reader() as s:
        counts = {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
        counts["change_counter.value"] = s.execute(text("SELECT value FROM change_counter")).scalar()
    return counts


def craft(
    opened: OpenedPackage,
    path: Path,
    key: Ed25519PrivateKey,
    *,
    rows: dict[str, list[dict[str, Any]]] | None = None,
    edit: Callable[[Manifest], None] | None = None,
    sealer: Sealer | None = None,
) -> Path:
    """Re-sign ``opened`` (optionally with other rows or manifest fields, or encrypted with ``sealer``)
    as a new, valid package."""
    m = opened.manifest
    new_rows = {t: opened.dicts(t) for t in opened.rows} if rows is None else rows
    manifest = Manifest(**{k: v for k, v in m.__dict__.items() if k not in ("entries", "encryption")})

    def columns(t: str, r: list[dict[str, Any]]) -> list[str]:
        known = [c for c in (m.tables[t]["columns"] if t in m.tables else []) if c in r[0]]
        return known + sorted(set(r[0]) - set(known))

    manifest.tables = {t: {"rows": len(r), "columns": columns(t, r)} for t, r in new_rows.items() if r}
    if edit:
        edit(manifest)
    payload: dict[str, bytes | Path] = {
        f"data/{t}.jsonl": (
            "\n".join(
                json.dumps([x.get(c) for c in manifest.tables[t]["columns"]], ensure_ascii=False) for x in r
            )
            + "\n"
        ).encode("utf-8", "surrogatepass")  # a lone surrogate travels as an attacker would write it
        for t, r in new_rows.items()
        if r
    }
    for sha, blob in opened.blobs.items():
        payload[f"attachments/{sha}"] = blob
    from services.sync.signing import b64, key_id, public_raw

    manifest.device_public_key = b64(public_raw(key))
    manifest.device_key_id = key_id(public_raw(key))
    write_package(path, manifest, payload, key, sealer)
    return path


def resign(path: Path, key: Ed25519PrivateKey) -> None:
    """Sign a hand-modified archive again, as an attacker holding the device key could."""
    import hashlib

    from services.sync.package import COMMENT_LEN, FILE_SIG_CONTEXT, SIG_PREFIX
    from services.sync.signing import b64

    data = bytearray(path.read_bytes())
    digest = hashlib.sha256(bytes(data[:-COMMENT_LEN])).digest()
    data[-COMMENT_LEN:] = SIG_PREFIX + b64(key.sign(FILE_SIG_CONTEXT + digest)).encode()
    path.write_bytes(bytes(data))


def set_device(db: Database, device_id: str) -> None:
    with db.transaction() as s:
        state.put(s, state.DEVICE_ID, device_id)


def touch_member(db: Database, member_id: str, **values: Any) -> None:
    from models import Member

    with db.transaction("clerk") as s:
        member = s.get(Member, member_id)
        assert member is not None
        for k, v in values.items():
            setattr(member, k, v)
