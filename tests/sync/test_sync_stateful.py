"""Random life of two townships and a county: edits, backups and restores on every side, exports,
lost and re-sent USB sticks, imports in any order, acknowledgements applied or lost.

Invariant: after a final round (export, import, acknowledgement, then a full export and import),
every live row of each township is at the county as it is on the township, or the county lists a
conflict for it; and no package of one township ever changes a row of the other.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import select

from models import Member, SyncConflict
from services import backup
from services.db import Database
from services.sync import keys
from services.sync.ack import apply_ack, write_ack
from services.sync.errors import SyncError
from services.sync.receiver import import_package
from tests.conftest import Builder, fresh_database
from tests.sync.conftest import Town, content

TOWNS = ("T01", "T02")


class SyncLife(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="sync-life-"))
        self.saved_env = os.environ.get("LEDGER_DATA_DIR")
        os.environ["LEDGER_DATA_DIR"] = str(self.root / "userdata")
        self.county = fresh_database(self.root / "county" / "county.sqlite")
        self.towns: dict[str, Town] = {}
        self.ids: dict[str, set[str]] = {}
        self.builders: dict[str, tuple[Builder, str]] = {}
        self.sticks: list[tuple[str, Path]] = []
        self.acks: list[tuple[str, Path]] = []
        self.town_backups: dict[str, list[Path]] = {c: [] for c in TOWNS}
        self.county_backups: list[Path] = []
        self.counter = itertools.count(1)

    @initialize()
    def set_up(self) -> None:
        # The county sets up first: its key file names this county database; townships pin it.
        bundle = self.root / "county-key.json"
        keys.county_generate(bundle, db=self.county)
        for code in TOWNS:
            folder = self.root / code
            folder.mkdir()
            db = fresh_database(folder / "ledger.sqlite")
            b = Builder(db)
            b._seq = 100 if code == "T01" else 300
            b.township(code, f"{code}镇")
            branch = b.branch("B01", f"{code}一村党支部", members=2)
            town = Town(code=code, db=db, key=Ed25519PrivateKey.generate(), folder=folder)
            town.enroll(self.county)
            keys.county_set(db, bundle)
            self.towns[code] = town
            self.builders[code] = (b, branch.id)
            self.ids[code] = self._ids(db)

    # --- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _ids(db: Database) -> set[str]:
        return {i for rows in content(db).values() for i in rows}

    def _members(self, code: str) -> list[str]:
        with self.towns[code].db.reader() as s:
            return list(s.scalars(select(Member.id).where(Member.deleted.is_(False)).order_by(Member.id)))

    def _import(self, code: str, path: Path) -> Any:
        other = next(c for c in TOWNS if c != code)
        before = {
            t: {i: r for i, r in rows.items() if i in self.ids[other]}
            for t, rows in content(self.county).items()
        }
        try:
            result = import_package(self.county, path)
        except SyncError:
            result = None
        after = {
            t: {i: r for i, r in rows.items() if i in self.ids[other]}
            for t, rows in content(self.county).items()
        }
        assert before == after, f"a package of {code} changed rows of {other}"
        return result

    # --- rules ---------------------------------------------------------------------------------

    @rule(code=st.sampled_from(TOWNS), which=st.integers(0, 5))
    def edit_member(self, code: str, which: int) -> None:
        ids = self._members(code)
        with self.towns[code].db.transaction("clerk") as s:
            m = s.get(Member, ids[which % len(ids)])
            assert m is not None
            m.phone = f"1{next(self.counter):010d}"

    @rule(code=st.sampled_from(TOWNS))
    def add_member(self, code: str) -> None:
        b, branch_id = self.builders[code]
        b.db = self.towns[code].db
        n = next(self.counter)
        member = b.member(branch_id, f"新党员{n}", birth=date(1970, 1, 1) + timedelta(days=n))
        self.ids[code].add(member.id)

    @rule(code=st.sampled_from(TOWNS), full=st.booleans())
    def export(self, code: str, full: bool) -> None:
        usb = self.root / "usb" / str(next(self.counter))
        usb.mkdir(parents=True)
        with contextlib.suppress(SyncError):  # nothing to send
            self.sticks.append((code, self.towns[code].export(usb, full=full).path))

    @precondition(lambda self: self.sticks)
    @rule(pick=st.integers(0, 50), keep=st.booleans())
    def import_stick(self, pick: int, keep: bool) -> None:
        code, path = self.sticks[pick % len(self.sticks)]
        if not keep:
            self.sticks.remove((code, path))
        result = self._import(code, path)
        if result is not None and result.status in ("imported", "duplicate", "held"):
            folder = self.root / "acks" / str(next(self.counter))
            folder.mkdir(parents=True)
            self.acks.append((code, write_ack(self.county, result.device_id, folder).path))

    @precondition(lambda self: self.sticks)
    @rule(pick=st.integers(0, 50))
    def lose_stick(self, pick: int) -> None:
        self.sticks.pop(pick % len(self.sticks))

    @precondition(lambda self: self.acks)
    @rule(pick=st.integers(0, 50), lose=st.booleans())
    def take_ack(self, pick: int, lose: bool) -> None:
        code, path = self.acks.pop(pick % len(self.acks))
        if not lose:
            with contextlib.suppress(SyncError):  # from an older generation, or superseded
                apply_ack(self.towns[code].db, path)

    @rule(code=st.sampled_from(TOWNS))
    def back_up_town(self, code: str) -> None:
        target = self.root / "backups" / code / f"{next(self.counter)}.sqlite"
        target.parent.mkdir(parents=True, exist_ok=True)
        self.town_backups[code].append(backup.backup_to(self.towns[code].db, target))

    @precondition(lambda self: any(self.town_backups.values()))
    @rule(pick=st.integers(0, 50))
    def restore_town(self, pick: int) -> None:
        choices = [(c, p) for c, ps in self.town_backups.items() for p in ps]
        code, path = choices[pick % len(choices)]
        backup.restore(self.towns[code].db, path)

    @rule()
    def back_up_county(self) -> None:
        target = self.root / "backups" / "county" / f"{next(self.counter)}.sqlite"
        target.parent.mkdir(parents=True, exist_ok=True)
        self.county_backups.append(backup.backup_to(self.county, target))

    @precondition(lambda self: self.county_backups)
    @rule(pick=st.integers(0, 50))
    def restore_county(self, pick: int) -> None:
        backup.restore(self.county, self.county_backups[pick % len(self.county_backups)])

    # --- the property ----------------------------------------------------------------------------

    @invariant()
    def townships_never_share_rows(self) -> None:
        if self.ids:
            assert not (self.ids["T01"] & self.ids["T02"])

    def teardown(self) -> None:
        try:
            if self.towns:
                self._final_round()
        finally:
            for town in self.towns.values():
                town.db.close()
            self.county.close()
            if self.saved_env is None:
                os.environ.pop("LEDGER_DATA_DIR", None)
            else:
                os.environ["LEDGER_DATA_DIR"] = self.saved_env
            shutil.rmtree(self.root, ignore_errors=True)

    def _final_round(self) -> None:
        for code, town in self.towns.items():
            usb = self.root / "final" / code
            usb.mkdir(parents=True)
            for full in (False, True):
                try:
                    path = town.export(usb, full=full).path
                except SyncError:
                    continue
                result = self._import(code, path)
                assert result is not None, f"final package of {code} refused"
                ack = write_ack(self.county, result.device_id, usb)
                apply_ack(town.db, ack.path)
        county = content(self.county)
        with self.county.reader() as s:
            disputed = set(s.scalars(select(SyncConflict.row_id)))
        for code, town in self.towns.items():
            live = content(town.db)
            for table, rows in live.items():
                for row_id, row in rows.items():
                    at_county = county[table].get(row_id)
                    assert at_county == row or row_id in disputed, (
                        f"{code} {table} {row_id}: county {at_county!r} != township {row!r}, no conflict listed"
                    )
                # and nothing the township no longer has stays at the county unmentioned
                for row_id, row in county[table].items():
                    if row_id in self.ids[code] and row_id not in rows and not row["deleted"]:
                        assert row_id in disputed, f"{code} {table} {row_id}: at the county only, not listed"


TestSyncLife = SyncLife.TestCase
TestSyncLife.settings = settings(
    max_examples=6,
    stateful_step_count=12,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: each step copies databases
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
