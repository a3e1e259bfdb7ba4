"""A county database filled the way a county desk is: three generated townships (demo data, seeds
1–3, codes T01–T03) export packages from their own databases and the county receives the USB folder.

What the folder brings: T01 — a full package and a later one whose predecessor never arrived (held,
a gap; the predecessor went to a county database since lost, modelled by a scratch county that
acknowledged it); T02 — two enrolled laptops (the second a copy of the first's file) that changed
the same member's phone (one conflict); T03 — a laptop nobody enrolled yet (待登记).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from models import Member
from services import members
from services.county.receive import FolderReceipt
from services.county.receive import receive as receive_usb
from services.db import Database, open_database
from services.sync import state
from services.sync.ack import apply_ack
from tests.gui.conftest import app, boxes  # noqa: F401  (the GUI tests' fixtures)
from tests.sync.conftest import (  # noqa: F401  (fixtures shared with the sync tests)
    Town,
    town_templates,
)


def edit_phone(db: Database, member_id: str, phone: str) -> None:
    """The clerk edits a member's phone through the member service (as the form does)."""
    with db.transaction("clerk") as s:
        m = members.get_member(s, member_id)
        members.update_member(s, member_id, replace(members.member_input(m), phone=phone))


def first_member(db: Database) -> str:
    with db.reader() as s:
        member_id = s.scalars(select(Member.id).where(Member.status == "full").order_by(Member.id)).first()
    assert member_id is not None
    return member_id


@dataclass
class Desk:
    """The county database after receiving ``usb``, and the townships that filled it."""

    db: Database
    usb: Path
    receipt: FolderReceipt
    t01: Town
    t02a: Town
    t02b: Town
    t03: Town
    conflict_member: str


TownFactory = Callable[[str, int], Town]


def town_factory(templates: Callable[[str, int], Path], root: Path, opened: list[Database]) -> TownFactory:
    """Townships from the session's demo templates (``tests.sync.conftest.town_templates``)."""

    def make(code: str, seed: int) -> Town:
        folder = root / f"town-{code}-{seed}"
        folder.mkdir()
        shutil.copyfile(templates(code, seed), folder / "ledger.sqlite")
        db = open_database(folder / "ledger.sqlite")
        opened.append(db)
        return Town(code=code, db=db, key=Ed25519PrivateKey.generate(), folder=folder)

    return make


def build_desk(
    county: Database, make: TownFactory, tmp: Path, opened: list[Database], *, receive: bool = True
) -> Desk:
    """Fill ``county`` (see the module docstring); ``receive=False`` leaves the last USB folder
    unreceived (the county then holds only T02's first visit)."""
    usb = tmp / "usb"
    usb.mkdir()
    scratch_dir = tmp / "lost-county"
    scratch_dir.mkdir()
    lost = open_database(scratch_dir / "county.sqlite")  # a county database that was lost later
    try:
        # T01: p1 and p2 reached the lost county (it acknowledged p2); only p1 and p3 reach this one.
        t01 = make("T01", 1).enroll(county).enroll(lost)
        p1 = t01.export(usb)
        shutil.copy(p1.path, scratch_dir)
        m01 = first_member(t01.db)
        edit_phone(t01.db, m01, "13900000001")
        p2 = t01.export(scratch_dir)
        got = receive_usb(lost, scratch_dir)
        acks = sorted(scratch_dir.glob("*.ltack"))
        assert acks, (
            f"the lost county wrote no acknowledgement: {[(r.status, r.message) for r in got.results]}"
        )
        apply_ack(t01.db, acks[-1], user="clerk")
        with t01.db.reader() as s:
            assert state.acked_seq(s) == p2.seq_to
        edit_phone(t01.db, m01, "13900000002")
        t01.export(usb)  # p3: held at this county, waiting for p2's changes
    finally:
        lost.close()

    # T02: laptop A sends everything; the file is copied to laptop B (its own device id on opening);
    # both change the same member's phone, B later.
    t02a = make("T02", 2).enroll(county)
    first = tmp / "first-visit"
    first.mkdir()
    t02a.export(first)
    receive_usb(county, first)
    apply_ack(t02a.db, next(first.glob("*.ltack")), user="clerk")
    b_dir = tmp / "laptop-b"
    b_dir.mkdir()
    shutil.copyfile(t02a.folder / "ledger.sqlite", b_dir / "ledger.sqlite")
    b_db = open_database(b_dir / "ledger.sqlite")
    opened.append(b_db)
    state.check_on_open(b_db)  # a copied file: another laptop, its own device id
    t02b = Town("T02", b_db, Ed25519PrivateKey.generate(), b_dir).enroll(county)
    member = first_member(t02a.db)
    edit_phone(t02a.db, member, "13800000001")
    edit_phone(t02b.db, member, "13800000002")
    t02a.export(usb)
    t02b.export(usb, full=True)

    # T03: a laptop the county has not enrolled.
    t03 = make("T03", 3)
    t03.export(usb)

    receipt = receive_usb(county, usb) if receive else FolderReceipt(usb)
    return Desk(county, usb, receipt, t01, t02a, t02b, t03, member)


@contextmanager
def _desk(
    templates: Callable[[str, int], Path], root: Path, *, receive: bool = True, county: Database | None = None
) -> Iterator[Desk]:
    """``county``: a given (PostgreSQL) database; default a new SQLite file under ``root``."""
    opened: list[Database] = []
    if county is None:
        folder = root / "county"
        folder.mkdir()
        county = open_database(folder / "county.sqlite")
        opened.append(county)
    try:
        yield build_desk(county, town_factory(templates, root, opened), root, opened, receive=receive)
    finally:
        for db in opened:
            db.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    """The county desk on SQLite (the module's shared one) and on PostgreSQL (built for the test)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("shared_desk")
        return
    pg = request.getfixturevalue("pg_database")
    with _desk(request.getfixturevalue("town_templates"), tmp_path, county=pg) as built:
        yield built


@pytest.fixture
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    """A county desk of this test's own (for tests that change it)."""
    with _desk(request.getfixturevalue("town_templates"), tmp_path) as built:
        yield built


@pytest.fixture
def desk_unreceived(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    """The county before the USB folder is received (it holds T02's first visit only)."""
    with _desk(request.getfixturevalue("town_templates"), tmp_path, receive=False) as built:
        yield built


@pytest.fixture(scope="module")
def shared_desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """One county desk for the tests of a module that only look (built with its own data folder)."""
    root = tmp_path_factory.mktemp("shared-desk")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEDGER_DATA_DIR", str(root / "userdata"))
        with _desk(request.getfixturevalue("town_templates"), root) as built:
            yield built
