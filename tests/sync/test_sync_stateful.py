"""Random life of two townships, each on up to two laptops, and a county (SQLite, and PostgreSQL when
``LEDGER_TEST_PG_URL`` is set): clerk edits across the ledgers (members, meetings with attendance,
dues and payments, party groups, development records, photos, soft deletes), a database file copied
to a second laptop, a reinstalled laptop re-enrolled at the county (its old key revoked), backups and
restores on every side (also an old backup after newer exports), exports, lost and re-sent USB
sticks, imports in any order, acknowledgements applied or lost.

Invariant: after a final round (the county decides every pending laptop; each laptop exports what
is not acknowledged, then everything; the county imports; the acknowledgements come back), every
live row of every laptop is at the county as it is on that laptop, or the county lists a conflict
for it; where the county holds a row, its version is never older than a laptop's (never
"older wins"); a row the county has for a township that no laptop of it has any more is listed;
and no package of one township ever changes a row of the other.

Each laptop has its own user-data folder (keys, generation marks); the county has its own.
``LEDGER_STATEFUL_EXAMPLES`` / ``LEDGER_STATEFUL_STEPS`` run many more examples (default 5 × 14).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from models import Attachment, Branch, DevelopmentRecord, Meeting, Member, PartyGroup, SyncConflict, Township
from services import attachments, backup, development, fees, groups, meetings, members, talks
from services.db import Database, open_database, to_url
from services.errors import NotFound, ValidationError
from services.sync import enrollment, keys, state
from services.sync.ack import apply_ack, write_ack
from services.sync.errors import SyncError
from services.sync.receiver import import_package, release_enrolled
from services.sync.signing import b64, key_id, public_raw
from tests.conftest import Builder, fresh_database
from tests.sync.conftest import TODAY, content

TOWNS = ("T01", "T02")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
EXAMPLES = int(os.environ.get("LEDGER_STATEFUL_EXAMPLES", "5"))
STEPS = int(os.environ.get("LEDGER_STATEFUL_STEPS", "14"))
EDITS = (
    "member_phone",
    "add_member",
    "delete_member",
    "add_meeting",
    "edit_meeting",
    "delete_meeting",
    "fee",
    "grade",
    "group",
    "applicant",
    "photo",
    "remove_photo",
)


@dataclass
class Laptop:
    """One township laptop: its database file, signing key and user-data folder."""

    name: str
    code: str
    db: Database
    key: Ed25519PrivateKey
    home: Path  # the user-data folder (LEDGER_DATA_DIR on this laptop)
    builder: Builder
    backups: list[Path] = field(default_factory=list)
    replaces: str = ""  # after a reinstall: the fingerprint of the key this laptop had before

    @property
    def fingerprint(self) -> str:
        return key_id(public_raw(self.key))

    @property
    def path(self) -> Path:
        assert self.db.path is not None
        return self.db.path


class SyncLife(RuleBasedStateMachine):
    """Laptops, sticks and a county; ``make_county`` gives a fresh county database (and its dropper)."""

    make_county: Callable[[Path], tuple[Database, Callable[[], None]]]

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="sync-life-"))
        self.saved_env = os.environ.get("LEDGER_DATA_DIR")
        self.county_home = self.root / "county-home"
        with self.on(self.county_home):
            self.county, self.drop_county = self.make_county(self.root / "county")
        self.laptops: dict[str, Laptop] = {}
        self.ids: dict[str, set[str]] = {c: set() for c in TOWNS}
        self.sticks: list[tuple[str, Path]] = []
        self.acks: list[tuple[str, Path]] = []
        self.county_backups: list[Path] = []
        self.counter = itertools.count(1)
        self.refusal = ""  # the county's words for the last package it refused
        self.county_key_file = self.root / "county-key.json"
        self.photo = self.root / "活动照片.png"
        self.photo.write_bytes(PNG)

    # --- machines ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def on(self, home: Path) -> Iterator[None]:
        """Run as that machine: its user-data folder (keys, generation marks, PostgreSQL attachments)."""
        before = os.environ.get("LEDGER_DATA_DIR")
        os.environ["LEDGER_DATA_DIR"] = str(home)
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("LEDGER_DATA_DIR", None)
            else:
                os.environ["LEDGER_DATA_DIR"] = before

    def _open_laptop(self, name: str, code: str, path: Path, key: Ed25519PrivateKey, seq: int) -> Laptop:
        home = self.root / "homes" / f"{name}-{next(self.counter)}"
        with self.on(home):
            db = open_database(path)
            state.check_on_open(db)  # what the app and the CLI do at start
        b = Builder(db)
        b._seq = seq
        with db.reader() as s:
            b.township_id = s.scalars(select(Township.id)).one()
        return Laptop(name=name, code=code, db=db, key=key, home=home, builder=b)

    @initialize()
    def set_up(self) -> None:
        # The county sets up first: its key file names this county database; townships pin it.
        with self.on(self.county_home):
            keys.county_generate(self.county_key_file, db=self.county)
        for n, code in enumerate(TOWNS):
            folder = self.root / f"{code}-a"
            db = fresh_database(folder / "ledger.sqlite")
            b = Builder(db)
            b._seq = 1000 * (n + 1)
            b.township(code, f"{code}镇")
            b.branch("B01", f"{code}一村党支部", members=3)
            keys.county_set(db, self.county_key_file)
            db.close()
            laptop = self._open_laptop(
                f"{code}-a", code, folder / "ledger.sqlite", Ed25519PrivateKey.generate(), b._seq
            )
            with self.on(self.county_home):
                with laptop.db.reader() as s:
                    town_id = s.scalars(select(Township.id)).one()
                enrollment.register(self.county, b64(public_raw(laptop.key)), code, town_id, user="县管理员")
            self.laptops[laptop.name] = laptop
            self._note_ids(laptop)

    # --- helpers -------------------------------------------------------------------------------

    def _note_ids(self, laptop: Laptop) -> None:
        self.ids[laptop.code] |= {i for rows in content(laptop.db).values() for i in rows}

    def _laptop(self, pick: int) -> Laptop:
        names = sorted(self.laptops)
        return self.laptops[names[pick % len(names)]]

    def _live(self, laptop: Laptop, model: Any, pick: int) -> Any:
        with laptop.db.reader() as s:
            ids = list(s.scalars(select(model.id).where(model.deleted.is_(False)).order_by(model.id)))
        return ids[pick % len(ids)] if ids else None

    def _branch(self, laptop: Laptop) -> str:
        with laptop.db.reader() as s:
            return str(s.scalars(select(Branch.id).where(Branch.kind == "branch")).first())

    def _import(self, code: str, path: Path) -> Any:
        with self.on(self.county_home):
            return self._guarded(code, lambda: import_package(self.county, path))

    def _guarded(self, code: str, action: Callable[[], Any]) -> Any:
        """Run a county import; assert it changed no row of the other township."""
        other = next(c for c in TOWNS if c != code)
        for laptop in self.laptops.values():
            if laptop.code == other:
                self._note_ids(laptop)

        def theirs() -> dict[str, dict[str, Any]]:
            return {
                t: {i: r for i, r in rows.items() if i in self.ids[other]}
                for t, rows in content(self.county).items()
            }

        before = theirs()
        try:
            result = action()
        except SyncError as exc:
            self.refusal = str(exc)
            result = None
        assert theirs() == before, f"a package of {code} changed rows of {other}"
        return result

    def _ack(self, laptop_name: str, result: Any) -> None:
        for r in [result, *getattr(result, "released", [])]:
            if r is not None and r.status in ("imported", "duplicate", "held"):
                folder = self.root / "acks" / str(next(self.counter))
                folder.mkdir(parents=True)
                with self.on(self.county_home):
                    self.acks.append((laptop_name, write_ack(self.county, r.device_id, folder).path))

    # --- clerk edits ---------------------------------------------------------------------------

    @rule(
        pick=st.integers(0, 9),
        work=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 9)), min_size=1, max_size=4),
    )
    def edit(self, pick: int, work: list[tuple[str, int]]) -> None:
        """A clerk's session on one laptop: a few saves, each through the service the screen uses
        (one refused by its entry rules changes nothing)."""
        laptop = self._laptop(pick)
        for kind, which in work:
            n = next(self.counter)
            with self.on(laptop.home), contextlib.suppress(ValidationError, NotFound):
                getattr(self, f"_{kind}")(laptop, which, n)
        self._note_ids(laptop)

    def _member_phone(self, laptop: Laptop, which: int, n: int) -> None:
        member_id = self._live(laptop, Member, which)
        with laptop.db.transaction("clerk") as s:
            data = members.member_input(members.get_member(s, member_id))
            members.update_member(s, member_id, replace(data, phone=f"139{n:08d}"), today=TODAY)

    def _add_member(self, laptop: Laptop, which: int, n: int) -> None:
        laptop.builder.db = laptop.db
        laptop.builder.member(self._branch(laptop), f"新党员{n}", birth=date(1970, 1, 1) + timedelta(days=n))

    def _delete_member(self, laptop: Laptop, which: int, n: int) -> None:
        with laptop.db.reader() as s:
            live = s.scalar(select(Member.id).where(Member.deleted.is_(False)).limit(3).offset(2))
        if live is None:
            return  # keep a few members: meetings need people
        with laptop.db.transaction("clerk") as s:
            members.delete_member(s, self._live(laptop, Member, which))

    def _add_meeting(self, laptop: Laptop, which: int, n: int) -> None:
        kind = ("congress", "lecture", "theme_day")[which % 3]
        data = meetings.MeetingInput(
            type=kind, held_on=TODAY - timedelta(days=n), topics=f"学习会议精神{n}", lecturer="王书记"
        )
        with laptop.db.transaction("clerk") as s:
            meetings.create_meeting(s, self._branch(laptop), data, today=TODAY)

    def _edit_meeting(self, laptop: Laptop, which: int, n: int) -> None:
        meeting_id = self._live(laptop, Meeting, which)
        if meeting_id is None:
            return
        with laptop.db.transaction("clerk") as s:
            m = meetings.get_meeting(s, meeting_id)
            people = [a.member_id for a in m.attendance if not a.deleted]
            entries = [
                meetings.AttendanceInput(
                    p,
                    "leave" if i == which % max(len(people), 1) else "present",
                    "事假" if i == which % max(len(people), 1) else "",
                )
                for i, p in enumerate(people)
            ]
            data = meetings.MeetingInput(
                type=m.type, held_on=m.held_on, topics=f"{m.topics}（修改{n}）", attendance=entries
            )
            meetings.update_meeting(s, meeting_id, data, today=TODAY)

    def _delete_meeting(self, laptop: Laptop, which: int, n: int) -> None:
        meeting_id = self._live(laptop, Meeting, which)
        if meeting_id is not None:
            with laptop.db.transaction("clerk") as s:
                meetings.delete_meeting(s, meeting_id)

    def _fee(self, laptop: Laptop, which: int, n: int) -> None:
        member_id = self._live(laptop, Member, which)
        month = ("2026-09", "2026-10")[which % 2]
        with laptop.db.transaction("clerk") as s:
            fees.set_due(s, member_id, month, "farmer")
            fees.record_payment(s, member_id, month, 200 + n, date(2026, 11, 1), f"NO{n}", today=TODAY)

    def _grade(self, laptop: Laptop, which: int, n: int) -> None:
        member_id = self._live(laptop, Member, which)
        grade = ("excellent", "qualified", "basic")[n % 3]
        with laptop.db.transaction("clerk") as s:
            talks.record_grade(s, member_id, 2025, grade, notes=f"评议{n}", today=TODAY)

    def _group(self, laptop: Laptop, which: int, n: int) -> None:
        group_id = self._live(laptop, PartyGroup, which)
        with laptop.db.transaction("clerk") as s:
            if group_id is None or which % 3 == 0:
                groups.create_group(
                    s, self._branch(laptop), f"第{n}党小组", founded_on=date(2020, 1, 1), today=TODAY
                )
            else:
                groups.rename_group(s, group_id, f"第{n}党小组")

    def _applicant(self, laptop: Laptop, which: int, n: int) -> None:
        record_id = self._live(laptop, DevelopmentRecord, which)
        with laptop.db.transaction("clerk") as s:
            if record_id is None or which % 2 == 0:
                data = development.ApplicantInput(
                    name=f"申请人{n}",
                    id_number=laptop.builder.id_number(date(1995, 1, 1) + timedelta(days=n)),
                    applied_on=date(2026, 1, 1) + timedelta(days=n % 200),
                )
                development.create_applicant(s, self._branch(laptop), data, today=TODAY)
            else:
                development.record_talk(s, record_id, date(2026, 10, 1), today=TODAY)

    def _photo(self, laptop: Laptop, which: int, n: int) -> None:
        meeting_id = self._live(laptop, Meeting, which)
        if meeting_id is not None:
            with laptop.db.transaction("clerk") as s:
                attachments.store_file(s, "meeting", meeting_id, self.photo, kind="photo", caption=f"照片{n}")

    def _remove_photo(self, laptop: Laptop, which: int, n: int) -> None:
        attachment_id = self._live(laptop, Attachment, which)
        if attachment_id is not None:
            with laptop.db.transaction("clerk") as s:
                attachments.remove_attachment(s, attachment_id)

    # --- laptops -------------------------------------------------------------------------------

    @precondition(lambda self: len(self.laptops) < 4)
    @rule(pick=st.integers(0, 9), approve_now=st.booleans())
    def copy_to_second_laptop(self, pick: int, approve_now: bool) -> None:
        """The township's database file (and its photos) copied to another laptop, both in use."""
        source = self._laptop(pick)
        name = f"{source.code}-b"
        if name in self.laptops:
            return
        folder = self.root / f"{name}-{next(self.counter)}"
        folder.mkdir()
        with source.db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(source.path, folder / "ledger.sqlite")
        if (source.path.parent / "attachments").is_dir():
            shutil.copytree(source.path.parent / "attachments", folder / "attachments")
        laptop = self._open_laptop(
            name,
            source.code,
            folder / "ledger.sqlite",
            Ed25519PrivateKey.generate(),
            source.builder._seq + 500,
        )
        self.laptops[name] = laptop
        if approve_now:  # registered at the county in advance, as a second laptop of the township
            with self.on(self.county_home), laptop.db.reader() as s:
                town_id = s.scalars(select(Township.id)).one()
                enrollment.register(
                    self.county, b64(public_raw(laptop.key)), laptop.code, town_id, user="县管理员"
                )

    @rule(pick=st.integers(0, 9), from_backup=st.booleans())
    def reinstall(self, pick: int, from_backup: bool) -> None:
        """The system reinstalled: a new key and an empty user-data folder; the ledger file is kept
        on the data drive, or (from_backup) put back from the laptop's newest backup as a new file."""
        laptop = self._laptop(pick)
        if laptop.replaces:
            return  # the county has not re-registered the last reinstall yet
        old_fp = laptop.fingerprint
        path = laptop.path
        laptop.db.close()
        if from_backup and laptop.backups:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            shutil.copyfile(laptop.backups[-1], path)
        fresh = self._open_laptop(
            laptop.name, laptop.code, path, Ed25519PrivateKey.generate(), laptop.builder._seq + 50
        )
        fresh.backups = laptop.backups
        fresh.replaces = old_fp
        self.laptops[laptop.name] = fresh

    @rule(in_advance=st.booleans())
    def county_decides(self, in_advance: bool) -> None:
        self._county_decides(in_advance)

    def _county_decides(self, in_advance: bool) -> None:
        """The county re-registers reinstalled laptops (old key revoked) and approves second laptops."""
        with self.on(self.county_home):
            known = {d.key_id: d for d in enrollment.list_devices(self.county)}
            for laptop in self.laptops.values():
                fp = laptop.fingerprint
                if laptop.replaces and laptop.replaces not in known:
                    laptop.replaces = ""  # the old key never reached the county: a laptop like any other
                if laptop.replaces:
                    if fp not in known and in_advance:
                        with laptop.db.reader() as s:
                            town_id = s.scalars(select(Township.id)).one()
                        enrollment.register(self.county, b64(public_raw(laptop.key)), laptop.code, town_id)
                        enrollment.revoke(self.county, laptop.replaces, user="县管理员")
                    elif fp in known:
                        enrollment.replace(self.county, laptop.replaces, fp, user="县管理员")
                    else:
                        continue
                    laptop.replaces = ""
                elif fp in known and known[fp].status == "pending":
                    enrollment.approve_additional(self.county, fp, user="县管理员")
                elif fp not in known and in_advance:
                    with laptop.db.reader() as s:
                        town_id = s.scalars(select(Township.id)).one()
                    enrollment.register(self.county, b64(public_raw(laptop.key)), laptop.code, town_id)
                else:
                    continue
                for result in (
                    self._guarded(laptop.code, lambda fp=fp: release_enrolled(self.county, fp)) or []
                ):
                    self._ack(laptop.name, result)

    # --- sticks and acknowledgements ----------------------------------------------------------

    @rule(pick=st.integers(0, 9), full=st.booleans())
    def export(self, pick: int, full: bool) -> None:
        laptop = self._laptop(pick)
        usb = self.root / "usb" / str(next(self.counter))
        usb.mkdir(parents=True)
        with self.on(laptop.home), contextlib.suppress(SyncError):  # nothing to send
            self.sticks.append((laptop.name, _export(laptop, usb, full)))

    @precondition(lambda self: self.sticks)
    @rule(pick=st.integers(0, 50), keep=st.booleans())
    def import_stick(self, pick: int, keep: bool) -> None:
        name, path = self.sticks[pick % len(self.sticks)]
        if not keep:
            self.sticks.remove((name, path))
        code = name.split("-")[0]
        self._ack(name, self._import(code, path))

    @precondition(lambda self: self.sticks)
    @rule(pick=st.integers(0, 50))
    def lose_stick(self, pick: int) -> None:
        self.sticks.pop(pick % len(self.sticks))

    @precondition(lambda self: self.acks)
    @rule(pick=st.integers(0, 50), lose=st.booleans())
    def take_ack(self, pick: int, lose: bool) -> None:
        name, path = self.acks.pop(pick % len(self.acks))
        if not lose:
            laptop = self.laptops[name]
            with self.on(laptop.home), contextlib.suppress(SyncError):  # another generation, superseded
                apply_ack(laptop.db, path)

    # --- backups -------------------------------------------------------------------------------

    @rule(pick=st.integers(0, 9))
    def back_up_laptop(self, pick: int) -> None:
        laptop = self._laptop(pick)
        target = self.root / "backups" / laptop.name / f"{next(self.counter)}.sqlite"
        target.parent.mkdir(parents=True, exist_ok=True)
        with self.on(laptop.home):
            laptop.backups.append(backup.backup_to(laptop.db, target))

    @rule(pick=st.integers(0, 9), which=st.integers(0, 50), oldest=st.booleans())
    def restore_laptop(self, pick: int, which: int, oldest: bool) -> None:
        """Restore a backup of this township (possibly the oldest, possibly the other laptop's)."""
        laptop = self._laptop(pick)
        choices = [p for lp in self.laptops.values() if lp.code == laptop.code for p in lp.backups]
        if not choices:
            return
        path = min(choices, key=lambda p: int(p.stem)) if oldest else choices[which % len(choices)]
        with self.on(laptop.home):
            backup.restore(laptop.db, path)

    @precondition(lambda self: self.county.path is not None)
    @rule()
    def back_up_county(self) -> None:
        target = self.root / "backups" / "county" / f"{next(self.counter)}.sqlite"
        target.parent.mkdir(parents=True, exist_ok=True)
        with self.on(self.county_home):
            self.county_backups.append(backup.backup_to(self.county, target))

    @precondition(lambda self: self.county_backups)
    @rule(pick=st.integers(0, 50))
    def restore_county(self, pick: int) -> None:
        with self.on(self.county_home):
            backup.restore(self.county, self.county_backups[pick % len(self.county_backups)])

    # --- the property ----------------------------------------------------------------------------

    @invariant()
    def townships_never_share_rows(self) -> None:
        assert not (self.ids["T01"] & self.ids["T02"])

    def teardown(self) -> None:
        try:
            if self.laptops:
                self._final_round()
        finally:
            for laptop in self.laptops.values():
                laptop.db.close()
            self.county.close()
            self.drop_county()
            if self.saved_env is None:
                os.environ.pop("LEDGER_DATA_DIR", None)
            else:
                os.environ["LEDGER_DATA_DIR"] = self.saved_env
            shutil.rmtree(self.root, ignore_errors=True)

    def _final_round(self) -> None:
        for laptop in list(self.laptops.values()):
            self._send_all(laptop)  # a reinstalled or copied laptop shows up at the county
        self._county_decides(in_advance=False)
        for laptop in self.laptops.values():
            self._send_all(laptop)
        self._check_county()

    def _send_all(self, laptop: Laptop) -> None:
        usb = self.root / "final" / str(next(self.counter))
        usb.mkdir(parents=True)
        for full in (False, True):
            try:
                with self.on(laptop.home):
                    path = _export(laptop, usb, full)
            except SyncError:
                continue
            result = self._import(laptop.code, path)
            assert result is not None, f"final package of {laptop.name} refused: {self.refusal}"
            if result.status == "pending":
                continue
            # An increment may wait for numbers the county lost (restored): its acknowledgement asks
            # for them again, and the full package that follows must be taken.
            wanted = ("imported", "duplicate", "held") if not full else ("imported", "duplicate")
            assert result.status in wanted, f"{laptop.name}: {result.status} {result.message}"
            with self.on(self.county_home):
                ack = write_ack(self.county, result.device_id, usb)
            with self.on(laptop.home):
                apply_ack(laptop.db, ack.path)

    def _check_county(self) -> None:
        county = content(self.county)
        with self.county.reader() as s:
            disputed: set[str] = set()
            for row_id, winner, loser in s.execute(
                select(SyncConflict.row_id, SyncConflict.winner_json, SyncConflict.loser_json)
            ):
                # a row listed, and the ids of both versions (a natural key entered twice: two ids)
                disputed |= {row_id, json.loads(winner).get("id"), json.loads(loser).get("id")}
        for code in TOWNS:
            versions: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
            for laptop in (lp for lp in self.laptops.values() if lp.code == code):
                for table, rows in content(laptop.db).items():
                    for row_id, row in rows.items():
                        versions.setdefault((table, row_id), []).append((laptop.name, row))
            for (table, row_id), held in versions.items():
                at_county = county[table].get(row_id)
                if at_county is None:
                    assert row_id in disputed, f"{held[0][0]} {table} {row_id}: never reached the county"
                    continue
                for name, row in held:  # never older wins
                    assert at_county["updated_at"] >= row["updated_at"], (
                        f"{name} {table} {row_id}: the county keeps {at_county!r}, older than {row!r}"
                    )
                # the county holds a laptop's version (a newer one made on a sibling laptop that had
                # seen it supersedes the older), or it lists the row for a person to decide
                if row_id not in disputed and all(row != at_county for _n, row in held):
                    raise AssertionError(
                        f"{table} {row_id}: county {at_county!r} is no laptop's version "
                        f"({[n for n, _r in held]}: {[r for _n, r in held]!r}), and no conflict listed"
                    )
            # nothing no laptop of the township has any more stays at the county unmentioned
            for table, rows in county.items():
                for row_id, row in rows.items():
                    if row_id in self.ids[code] and (table, row_id) not in versions and not row["deleted"]:
                        assert row_id in disputed, f"{code} {table} {row_id}: at the county only, not listed"


def _export(laptop: Laptop, usb: Path, full: bool) -> Path:
    from services.sync.exporter import export_package

    return export_package(laptop.db, usb, full=full, key=laptop.key, user="clerk").path


# --- the county databases ------------------------------------------------------------------------


def _sqlite_county(folder: Path) -> tuple[Database, Callable[[], None]]:
    return fresh_database(folder / "county.sqlite"), lambda: None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def county_maker(request: pytest.FixtureRequest) -> Callable[[Path], tuple[Database, Callable[[], None]]]:
    """A fresh county database per example: a SQLite file, or a PostgreSQL database copied from the
    migrated template (dropped when the example ends)."""
    if request.param == "sqlite":
        return _sqlite_county
    template: str = request.getfixturevalue("pg_template")
    admin = to_url(os.environ["LEDGER_TEST_PG_URL"])

    def make(folder: Path) -> tuple[Database, Callable[[], None]]:
        name = f"ledger_life_{uuid.uuid4().hex[:12]}"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

        def drop() -> None:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()

        return open_database(make_url(admin).set(database=name).render_as_string(hide_password=False)), drop

    return make


def test_random_life_of_two_townships_on_two_laptops_each(
    county_maker: Callable[[Path], tuple[Database, Callable[[], None]]],
) -> None:
    machine = type("Life", (SyncLife,), {"make_county": staticmethod(county_maker)})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: each step copies files
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            print_blob=True,
        ),
    )
