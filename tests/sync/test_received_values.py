"""Every synced column, walked from the models: a value an entry form would refuse is refused on receipt
naming the table, the column and the value, with nothing written; lawful values still import."""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, String, Table, Time, select

from models import Member
from services import collation, textclean
from services.db import Database
from services.ledgers import kinds, schema
from services.sync.errors import PackageInvalid, PackageRejected
from services.sync.package import OpenedPackage, read_package
from services.sync.receiver import import_package
from services.sync.tables import synced_tables
from services.sync.values import enum_columns, list_columns
from tests.sync.conftest import Town, craft, snapshot

NEWER = "9.9.9"


@dataclass
class Sender:
    town: Town
    opened: OpenedPackage
    usb: Path

    def rows(self) -> dict[str, list[dict[str, Any]]]:
        return {t: self.opened.dicts(t) for t in self.opened.rows if self.opened.rows[t]}

    def package(self, rows: dict[str, list[dict[str, Any]]], name: str, **manifest: Any) -> Path:
        def edit(m: Any) -> None:
            m.app_version = NEWER
            for k, v in manifest.items():
                setattr(m, k, v)

        return craft(self.opened, self.usb / f"{name}.ltpkg", self.town.key, rows=rows, edit=edit)


@pytest.fixture
def sender(make_town: Callable[..., Town], county: Database, usb: Path) -> Iterator[Sender]:
    town = make_town("T01").enroll(county)
    with read_package(town.export(usb, full=True).path) as opened:
        yield Sender(town, opened, usb)


def _good(table: Table, col: Any, sample: dict[str, dict[str, Any]]) -> Any:
    """A lawful value of the column's kind (for tables the demo leaves empty)."""
    if col.primary_key:
        return str(uuid.uuid4())
    for fk in col.foreign_keys:
        parent = sample.get(fk.column.table.name)
        return parent["id"] if parent else str(uuid.uuid4())
    if col.name == "row_seq":
        return 1
    if col.name == "deleted_at":
        return None
    codes = enum_columns().get((table.name, col.name))
    if codes:
        return sorted(c for c in codes if c)[0]
    if isinstance(col.type, DateTime):
        return "2026-01-01 08:00:00.000000"
    if isinstance(col.type, Date):
        return "2026-01-01"
    if isinstance(col.type, Time):
        return "09:30:00.000000"
    if isinstance(col.type, Boolean):
        return False
    if isinstance(col.type, Integer):
        return 2026 if col.name == "year" else 0
    if col.name == "sha256":
        return "a" * 64
    if col.name == "owner_type":
        return "meeting"
    if schema.column_kind(table.name, col) is kinds.MONTH:
        return "2026-01"
    return "x"


def template_rows(opened: OpenedPackage) -> dict[str, dict[str, Any]]:
    """One row of every synced table: the demo's first, or one made of lawful values of each kind."""
    sample = {t: opened.dicts(t)[0] for t in opened.rows if opened.rows[t]}
    for table in synced_tables():
        if table.name not in sample:
            sample[table.name] = {c.name: _good(table, c, sample) for c in table.columns}
    return sample


def bad_values(table: Table, col: Any) -> list[Any]:
    """Values of the column's kind an entry form would refuse."""
    out: list[Any] = []
    if not col.nullable and not col.primary_key:
        out.append(None)
    t = col.type
    if isinstance(t, DateTime):
        out += [
            "2026-02-31 08:00:00.000000",  # impossible date
            "2026-01-01T08:00:00+08:00",  # with a time zone / not the canonical form
            "2026-01-01 24:00:00.000000",
            "9999-12-31 23:59:59.999999",  # far future
            "1899-12-31 00:00:00.000000",
            1767225600,  # a number where text belongs
        ]
    elif isinstance(t, Date):
        out += ["2026-02-31", "2026-2-1", "9999-12-31", "1899-12-31", "0000-01-01", 20260101]
    elif isinstance(t, Time):
        out += ["25:00:00.000000", "09:30", 930]
    elif isinstance(t, Boolean):
        out += ["yes", 1, 0.0]
    elif isinstance(t, Integer):
        limit = (1 << 63) if isinstance(t, BigInteger) else (1 << 31)
        out += [True, 1.5, math.nan, math.inf, limit, 1 << 70, -1, "12", [1]]
        if col.name == "year":
            out += [0, 99_999]
    elif isinstance(t, String):
        out += [42, ["x"], {"a": 1}]
        if t.length:
            out.append("x" * (t.length + 1))
        if textclean.policy_for(col.name) is None:  # not cleaned as text: ids, user names, hashes
            out += ["a\x00b", "\ud800", "a\x1bb"]
        key = (table.name, col.name)
        if key in enum_columns():
            out.append("zz_newer")
        if key in list_columns():
            out.append("lecture,zz_newer")
        if schema.column_kind(table.name, col) is kinds.MONTH:
            out += ["2026-13", "2026-1", "2026-00"]
        if table.name == "attachment" and col.name == "sha256":
            out += ["../../evil", "A" * 64]
    return out


def _token(value: Any) -> str:
    """What of the value the message must show."""
    text = repr(value)
    return text[:12]


def _refused(county: Database, path: Path) -> str:
    try:
        result = import_package(county, path)
    except (PackageRejected, PackageInvalid) as exc:
        return exc.message
    except Exception as exc:  # a crash is what this walk looks for
        return f"<not refused: crashed {type(exc).__name__}: {exc}>"[:300]
    return f"<not refused: {result.status} {result.message}>"


@pytest.mark.slow
def test_every_column_refuses_values_of_its_kind_an_entry_form_would_refuse(
    sender: Sender, county: Database
) -> None:
    sample = template_rows(sender.opened)
    before = snapshot(county)
    failures: list[str] = []
    walked = 0
    for table in synced_tables():
        for col in table.columns:
            if (table.name, col.name) in collation.DERIVED:
                continue  # recomputed from its source on receipt: the sender's value is never kept
            for n, value in enumerate(bad_values(table, col)):
                row = dict(sample[table.name]) | {col.name: value}
                path = sender.package({table.name: [row]}, f"{table.name}-{col.name}-{n}")
                message = _refused(county, path)
                path.unlink()
                walked += 1
                wanted = [table.name, col.name, _token(value)]
                if col.primary_key and not isinstance(value, str):  # not a row: named by its line
                    wanted = [table.name, "缺少 id"]
                missing = [w for w in wanted if w not in message]
                if col.name == "row_seq" and "序号" in message and table.name in message:
                    missing = []  # named as the row's change number
                if missing or "<not refused" in message:
                    failures.append(f"{table.name}.{col.name}={value!r:.40}: {message[:300]}")
                if "<not refused: imported" in message:  # later cases would only be duplicates
                    pytest.fail(f"{table.name}.{col.name}={value!r:.40} was imported: {message[:300]}")
    assert snapshot(county) == before  # no row, no change number
    from services.attachments import store_dir

    with county.reader() as s:
        folder = store_dir(s)
    assert not folder.exists() or not [f for f in folder.rglob("*") if f.is_file()]  # no file either
    assert walked > 1000
    assert not failures, f"{len(failures)} of {walked}:\n" + "\n".join(failures[:80])


def test_an_unknown_code_names_the_app_version_the_county_needs(sender: Sender, county: Database) -> None:
    sample = template_rows(sender.opened)
    for table, column in sorted(enum_columns() | list_columns()):
        row = dict(sample[table]) | {column: "zz_newer"}
        message = _refused(county, sender.package({table: [row]}, f"code-{table}-{column}"))
        assert "zz_newer" in message and NEWER in message and "升级" in message, (table, column, message)


def test_a_required_column_missing_from_an_older_package_is_named(sender: Sender, county: Database) -> None:
    sample = template_rows(sender.opened)
    from services.sync.tables import default_for

    for table in synced_tables():
        for col in table.columns:
            if col.primary_key or default_for(table, col.name)[0]:
                continue
            row = {k: v for k, v in sample[table.name].items() if k != col.name}
            message = _refused(county, sender.package({table.name: [row]}, f"miss-{table.name}-{col.name}"))
            assert "缺少必填的列" in message and col.name in message and table.name in message, message


def test_a_column_this_version_does_not_know_is_named(sender: Sender, county: Database) -> None:
    rows = sender.rows()
    for r in rows["member"]:
        r["star_rating"] = 5
    message = _refused(county, sender.package(rows, "extra"))
    assert "star_rating" in message and "member" in message and "升级" in message


def test_lawful_values_at_their_limits_still_import(sender: Sender, county: Database) -> None:
    rows = sender.rows()
    member = rows["member"][-1]
    member |= {
        "name": "名" * 50,  # exactly the column's length
        "notes": "备注\t第一行\n第二行",  # tab and line feed are lawful in free text
        "education": "",  # not recorded
        "occupation": "",
        "full_member_on": None,  # lawful empty optional fields
        "left_on": None,
        "party_group_id": None,
        "birth_date": "1900-01-01",  # the earliest date
        "is_migrant_worker": True,
        "is_hardship": False,
    }
    meeting = rows["meeting"][-1]
    meeting |= {"also_types": "lecture,theme_day" if meeting["type"] != "lecture" else "theme_day"}
    meeting |= {"start_time": "09:30:00.000000", "end_time": None}
    fee = rows["fee_due"][-1]
    fee |= {"paid_fen": 0, "income_fen": (1 << 63) - 1 - 0}  # the largest amount a BigInteger holds
    grade = rows["appraisal_grade"][-1]
    grade["follow_up"] = ""
    path = sender.package(rows, "lawful")
    result = import_package(county, path)
    assert result.status == "imported", result.message
    with county.reader() as s:
        got = s.get(Member, member["id"])
        assert got is not None and got.name == "名" * 50 and got.education == "" and got.left_on is None
        assert got.notes == "备注\t第一行\n第二行"


def test_a_package_of_the_previous_version_without_later_columns_imports_with_their_defaults(
    sender: Sender, county: Database
) -> None:
    """Columns added by later migrations (职业, 农民工, 困难党员) are filled with their defaults; a table
    added later (党小组成员) is simply absent."""
    later = ("occupation", "is_migrant_worker", "is_hardship")
    rows = sender.rows()
    rows.pop("party_group_membership", None)
    for r in rows["member"]:
        for c in later:
            r.pop(c, None)

    def older(m: Any) -> None:
        m.schema_revision = "0012_sync_blocks"
        for c in later:
            assert c not in m.tables["member"]["columns"]

    path = craft(sender.opened, sender.usb / "older.ltpkg", sender.town.key, rows=rows, edit=older)
    result = import_package(county, path)
    assert result.status == "imported", result.message
    with county.reader() as s:
        got = s.execute(select(Member.occupation, Member.is_migrant_worker, Member.is_hardship)).all()
    assert got and set(got) == {("", False, False)}


def test_a_huge_value_is_shortened_in_the_message(sender: Sender, county: Database) -> None:
    rows = sender.rows()
    rows["member"][-1]["name"] = ["名"] * 200_000
    message = _refused(county, sender.package(rows, "huge-list"))
    assert "member" in message and "name" in message and len(message) < 1000


def test_a_deeply_nested_value_is_refused_as_malformed_not_a_usb_fault(
    sender: Sender, county: Database
) -> None:
    for depth in (900, 5000):
        rows = sender.rows()
        nested: Any = "x"
        for _ in range(depth):
            nested = [nested]
        rows["member"][-1]["name"] = nested
        try:
            path = sender.package(rows, f"nested-{depth}")
        except RecursionError:  # json.dumps itself cannot write it: write the line by hand
            continue
        message = _refused(county, path)
        assert "U 盘" not in message and "<not refused" not in message, message


def test_json_numbers_too_long_to_read_are_refused_as_malformed(sender: Sender, county: Database) -> None:
    import sys

    rows = sender.rows()
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        rows["fee_due"][-1]["due_fen"] = int("9" * 5000)
        path = sender.package(rows, "long-number")
    finally:
        sys.set_int_max_str_digits(limit)
    message = _refused(county, path)
    assert "U 盘" not in message and "<not refused" not in message, message
    assert json.dumps(1) == "1"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("version", ["9" * 100_000, "1.0\x00\u202e", ""])
def test_an_unknown_code_from_a_sender_with_an_odd_version_string_gets_a_short_clear_message(
    sender: Sender, county: Database, version: str
) -> None:
    rows = sender.rows()
    rows["meeting"][-1]["type"] = "zz_newer"
    path = craft(
        sender.opened,
        sender.usb / "odd-version.ltpkg",
        sender.town.key,
        rows=rows,
        edit=lambda m: setattr(m, "app_version", version),
    )
    message = _refused(county, path)
    assert "zz_newer" in message and "升级" in message and len(message) < 600, message[:300]
    assert "\x00" not in message and "\u202e" not in message
