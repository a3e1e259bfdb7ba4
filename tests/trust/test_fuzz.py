"""Fuzzing (hypothesis): what a clerk types and every file the app reads raise nothing but the
app's own errors (``LedgerError`` subclasses with a Chinese message) — never a crash."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services import backup, dates, idcard, org
from services.cli import parse_date as cli_parse_date
from services.db import Database
from services.errors import LedgerError, ValidationError
from services.excel import templates
from services.sync import exporter
from tests.conftest import fresh_database

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
TODAY = date(2026, 11, 24)
ID_CHARS = st.sampled_from("0123456789Xx ０１２３４５６７８９-")


@FUZZ
@given(
    st.one_of(
        st.text(max_size=30),
        st.text(ID_CHARS, min_size=15, max_size=20),
        st.builds(
            lambda birth, seq, cut: idcard.make("620421", birth, seq)[:cut],
            st.dates(date(1890, 1, 1), date(2030, 1, 1)),
            st.integers(1, 999),
            st.sampled_from([18, 18, 18, 17, 10]),
        ),
    )
)
def test_id_number_parse_raises_only_validation_errors(raw: str) -> None:
    try:
        info = idcard.parse(raw, today=TODAY)
    except ValidationError as exc:
        assert exc.field == "id_number" and exc.message
    else:
        assert len(info.number) == 18 and info.birth_date <= TODAY


@FUZZ
@given(
    st.one_of(
        st.text(max_size=20),
        st.from_regex(r"\A\d{1,5}[-./年]\d{1,3}[-./月]\d{1,3}日?\Z"),
        st.from_regex(r"\A\d{8}\Z"),
    )
)
def test_date_parsing_returns_a_date_or_none_and_the_cli_says_why(text: str) -> None:
    value = dates.parse_date(text)
    assert value is None or isinstance(value, date)
    try:
        assert cli_parse_date(text) == value
    except ValidationError as exc:
        assert value is None and "无法识别的日期" in exc.message


# --- loaders of files the app reads -----------------------------------------------------------


def _mutations() -> st.SearchStrategy[tuple[list[tuple[int, int]], float]]:
    """Byte flips at relative positions, and how much of the file survives (1.0 = all)."""
    flips = st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(1, 255)), max_size=8)
    return st.tuples(flips, st.sampled_from([1.0, 1.0, 0.99, 0.5, 0.1, 0.0]))


def _mutate(data: bytes, flips: list[tuple[int, int]], keep: float) -> bytes:
    out = bytearray(data[: int(len(data) * keep)])
    for pos, xor in flips:
        if out:
            out[pos % len(out)] ^= xor
    return bytes(out)


@pytest.fixture(scope="module")
def sample_db() -> Iterator[Database]:
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_database(Path(tmp) / "ledger.sqlite")
        with db.transaction("fuzz") as s:
            t = org.create_township(s, "T01", "城关镇")
            org.create_branch(s, t.id, "B01", "一村党支部", founded_on=date(2000, 1, 1), today=TODAY)
        yield db
        db.close()


def _check_loader(load: Callable[[Path], object], data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        try:
            load(path)
        except LedgerError as exc:
            assert exc.message.strip()


@pytest.fixture(scope="module")
def backup_bytes(sample_db: Database) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return backup.backup_to(sample_db, Path(tmp) / "b.sqlite").read_bytes()


@FUZZ
@given(st.binary(max_size=4096), _mutations())
def test_backup_loader_raises_only_backup_errors(backup_bytes: bytes, junk: bytes, mutation: tuple) -> None:
    _check_loader(backup.inspect_backup, junk, ".sqlite")
    _check_loader(backup.inspect_backup, _mutate(backup_bytes, *mutation), ".sqlite")


@pytest.fixture(scope="module")
def roster_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return templates.write_template("roster", Path(tmp) / "花名册.xlsx").read_bytes()


@FUZZ
@given(st.binary(max_size=4096), _mutations())
def test_xlsx_roster_import_raises_only_app_errors(
    sample_db: Database, roster_bytes: bytes, junk: bytes, mutation: tuple
) -> None:
    from services.excel.roster_import import plan_roster_import

    with sample_db.reader() as s:
        branch = org.branch_by_code(s, "B01")

        def load(path: Path) -> object:
            return plan_roster_import(s, branch.id, path, today=TODAY)

        _check_loader(load, junk, ".xlsx")
        _check_loader(load, _mutate(roster_bytes, *mutation), ".xlsx")


@pytest.fixture(scope="module")
def package_bytes(sample_db: Database) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEDGER_DATA_DIR", str(Path(tmp) / "userdata"))  # module scope: set it here too
        result = exporter.export_package(sample_db, Path(tmp), full=True, key=Ed25519PrivateKey.generate())
        return Path(result.path).read_bytes()


@FUZZ
@given(st.binary(max_size=4096), _mutations())
def test_sync_package_reader_raises_only_app_errors(
    package_bytes: bytes, junk: bytes, mutation: tuple
) -> None:
    from services.sync.package import read_package

    _check_loader(read_package, junk, ".zip")
    _check_loader(read_package, _mutate(package_bytes, *mutation), ".zip")
