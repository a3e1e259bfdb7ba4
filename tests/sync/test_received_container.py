"""Time bounds, container rules and messages on receipt: clocks, change numbers, files that are not
packages or are the wrong kind of file, malformed JSON, and database errors named for what they are."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from services.db import Database
from services.sync.ack import apply_ack, write_ack
from services.sync.errors import AckInvalid, SyncError
from services.sync.manifest import Manifest
from services.sync.package import OpenedPackage, read_package, write_package
from services.sync.receiver import import_package
from services.sync.signing import b64, key_id, public_raw
from tests.sync.conftest import Town, craft, snapshot


@dataclass
class Sender:
    town: Town
    opened: OpenedPackage
    usb: Path

    def rows(self) -> dict[str, list[dict[str, Any]]]:
        return {t: self.opened.dicts(t) for t in self.opened.rows if self.opened.rows[t]}

    def package(
        self, name: str, rows: dict[str, list[dict[str, Any]]] | None = None, **manifest: Any
    ) -> Path:
        def edit(m: Any) -> None:
            for k, v in manifest.items():
                setattr(m, k, v)

        return craft(self.opened, self.usb / f"{name}.ltpkg", self.town.key, rows=rows, edit=edit)

    def raw(self, name: str, table: str, lines: bytes) -> Path:
        """A validly signed package whose ``table`` entry holds ``lines`` exactly as given (what no JSON
        library would write: deep nesting, a BOM, numbers of thousands of digits)."""
        m = self.opened.manifest
        manifest = Manifest(**{k: v for k, v in m.__dict__.items() if k not in ("entries", "encryption")})
        manifest.tables = {table: {"rows": lines.count(b"\n"), "columns": m.tables[table]["columns"]}}
        manifest.attachments = []
        manifest.device_public_key = b64(public_raw(self.town.key))
        manifest.device_key_id = key_id(public_raw(self.town.key))
        path = self.usb / f"{name}.ltpkg"
        write_package(path, manifest, {f"data/{table}.jsonl": lines}, self.town.key)
        return path


@pytest.fixture
def sender(make_town: Callable[..., Town], county: Database, usb: Path) -> Iterator[Sender]:
    town = make_town("T01").enroll(county)
    with read_package(town.export(usb, full=True).path) as opened:
        yield Sender(town, opened, usb)


def refused(county: Database, path: Path, *phrases: str, absent: tuple[str, ...] = ("U 盘",)) -> str:
    before = snapshot(county)
    with pytest.raises(SyncError) as info:
        import_package(county, path)
    message = info.value.message
    for phrase in phrases:
        assert phrase in message, message
    for phrase in absent:
        assert phrase not in message, message
    assert snapshot(county) == before
    return message


# --- time ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "phrase"),
    [
        ("updated_at", "+1y", "晚于县里电脑的当前时间"),  # a township clock a year ahead
        ("created_at", "2099-01-01 00:00:00.000000", "晚于县里电脑的当前时间"),
        ("deleted_at", "2099-01-01 00:00:00.000000", "晚于县里电脑的当前时间"),
        ("created_at", "1970-01-01 00:00:00.000000", "早于 2000 年"),
        ("deleted_at", "1999-12-31 23:59:59.000000", "早于 2000 年"),
    ],
)
def test_a_timestamp_far_from_the_county_clock_is_refused_in_local_time(
    sender: Sender, county: Database, column: str, value: str, phrase: str
) -> None:
    from datetime import timedelta

    from models import utcnow

    if value == "+1y":
        value = (utcnow() + timedelta(days=366)).isoformat(sep=" ", timespec="microseconds")
    rows = sender.rows()
    member = rows["member"][0]
    member[column] = value
    if column == "deleted_at":
        member["deleted"] = True
    message = refused(county, sender.package(f"clock-{column}", rows), column, phrase, "本地时间", "时钟")
    assert member["id"] in message and "（UTC）" not in message


def test_a_package_exported_by_a_clock_a_year_ahead_is_refused_naming_both_times(
    sender: Sender, county: Database
) -> None:
    path = sender.package("ahead", created_at="2031-06-01T00:00:00Z")
    message = refused(county, path, "2031-06-01", "本地时间", "时钟可能不准")
    assert "2031-06-01T00:00:00Z" not in message  # shown in local time, labelled


@pytest.mark.parametrize(("seq_from", "seq_to"), [(1, 2**63 - 1), (2**62, 2**62 + 5), (2**63, 2**63 + 5)])
def test_an_absurd_range_of_change_numbers_is_refused_not_held(
    sender: Sender, county: Database, seq_from: int, seq_to: int
) -> None:
    path = sender.package(f"range-{seq_from}", seq_from=seq_from, seq_to=seq_to)
    with pytest.raises(SyncError) as info:
        import_package(county, path)
    assert "序号" in info.value.message and "U 盘" not in info.value.message
    from sqlalchemy import func, select

    from models import SyncHeld

    with county.reader() as s:
        assert s.scalar(select(func.count()).select_from(SyncHeld)) == 0


# --- files that are not packages ---------------------------------------------------------------


def test_a_package_given_to_sync_ack_is_named_as_a_package(
    sender: Sender, make_town: Callable[..., Town]
) -> None:
    town = sender.town
    with pytest.raises(AckInvalid) as info:
        apply_ack(town.db, sender.opened.path)
    assert "同步包" in info.value.message and "sync import" in info.value.message
    assert "损坏" not in info.value.message


def test_a_deeply_nested_acknowledgement_is_called_malformed(sender: Sender, tmp_path: Path) -> None:
    deep = tmp_path / "deep.ltack"
    deep.write_text('{"ack": ' + "[" * 100_000 + "]" * 100_000 + ', "signature": "x"}')
    with pytest.raises(AckInvalid) as info:
        apply_ack(sender.town.db, deep)
    assert "结构异常" in info.value.message and "U 盘" not in info.value.message


def test_an_acknowledgement_given_to_sync_import_is_named_as_one(sender: Sender, county: Database) -> None:
    result = import_package(county, sender.opened.path)
    ack = write_ack(county, result.device_id, sender.usb)
    renamed = ack.path.with_suffix(".ltpkg")  # even under a package's name
    ack.path.rename(renamed)
    refused(county, renamed, "回执", "sync ack", absent=("损坏", "U 盘"))


@pytest.mark.parametrize(
    ("lines", "phrases"),
    [
        (b"[" * 100_000 + b"]" * 100_000 + b"\n", ("结构异常", "恶意")),  # nesting past any parser
        (b"\xef\xbb\xbf" + b'["x"]\n', ("无效的 JSON",)),  # a BOM before the first row
        (b"[" + b"9" * 5000 + b"]\n", ("结构异常",)),  # a number too long to read
        (b"[NaN]\n[1e309]\n", ("列数",)),
        (b'["a"]\n["b"\n', ("无效的 JSON",)),  # a row cut short
    ],
)
def test_malformed_rows_are_named_as_a_malformed_file_not_a_usb_fault(
    sender: Sender, county: Database, lines: bytes, phrases: tuple[str, ...]
) -> None:
    refused(county, sender.raw("raw", "member", lines), *phrases)


def test_a_manifest_with_a_bom_is_refused_without_calling_it_a_usb_fault(
    sender: Sender, county: Database
) -> None:
    path = sender.package("bom-manifest")
    with zipfile.ZipFile(path) as src:
        items = [(i, src.read(i)) for i in src.infolist()]
        comment = src.comment
    with zipfile.ZipFile(path, "w") as out:
        out.comment = comment
        for info, body in items:
            out.writestr(info, b"\xef\xbb\xbf" + body if info.filename == "manifest.json" else body)
    refused(county, path, "清单")


def test_a_file_that_is_not_a_zip_or_is_cut_short_says_what_to_do(sender: Sender, county: Database) -> None:
    data = sender.opened.path.read_bytes()
    for name, body in (("text", "这不是同步包".encode() * 40), ("cut", data[: len(data) * 2 // 3])):
        path = sender.usb / f"{name}.ltpkg"
        path.write_bytes(body)
        refused(county, path, "重新导出", absent=())


# --- database errors ---------------------------------------------------------------------------


def test_each_kind_of_database_error_gets_its_own_message(sender: Sender, county: Database) -> None:
    """Oversized text, a bad date, a number out of range, a missing required value, a lock: none is
    called a uniqueness violation."""
    from sqlalchemy.exc import DBAPIError

    from services.sync.receiver import _db_error_message

    def message(detail: str) -> str:
        class Orig(Exception):
            pass

        exc = DBAPIError("INSERT", None, Orig(detail))
        return _db_error_message(sender.opened, exc)

    cases = {
        "value too long for type character varying(50)": "长度上限",
        'date/time field value out of range: "2026-02-31"': "无效的日期",
        "integer out of range": "超出范围的数值",
        'null value in column "name" of relation "member" violates not-null constraint': "必填项为空",
        "NOT NULL constraint failed: member.name": "必填项为空",
        "database is locked": "同时进行",
        "could not serialize access due to concurrent update": "同时进行",
        'invalid byte sequence for encoding "UTF8": 0x00': "无法保存的字符",
        "UNIQUE constraint failed: member.id": "唯一性约束",
        "FOREIGN KEY constraint failed": "外键约束",
        "database or disk is full": "磁盘空间",
    }
    for detail, phrase in cases.items():
        got = message(detail)
        assert phrase in got and "回滚" in got, (detail, got)
        if phrase != "唯一性约束":
            assert "唯一性" not in got, (detail, got)


def test_a_value_the_database_would_refuse_never_reaches_it(sender: Sender, county: Database) -> None:
    """What PostgreSQL refuses mid-COPY (NUL, a number past 32 bits) is refused before any write, named."""
    rows = sender.rows()
    rows["training_attendance"][0]["minutes"] = 2**31
    message = refused(county, sender.package("int32", rows), "training_attendance", "minutes", str(2**31))
    assert "数据库拒绝" not in message
    rows = sender.rows()
    rows["member"][0]["created_by"] = "clerk\x00"
    refused(county, sender.package("nul", rows), "member", "created_by", "U+0000")


def test_an_old_package_still_imports(sender: Sender, county: Database, tmp_path: Path) -> None:
    """Format version 1 (no generation) is still accepted, as the spec says."""

    def old(m: Any) -> None:
        m.format_version, m.generation, m.lineage = 1, "", []

    path = craft(sender.opened, tmp_path / "v1.ltpkg", sender.town.key, edit=old)
    assert import_package(county, path).status == "imported"


@pytest.mark.parametrize("column", [5, 3.5, "", "名 字", "a\x00"])
def test_a_manifest_naming_a_column_that_is_not_a_name_is_refused(
    sender: Sender, county: Database, column: Any
) -> None:
    def odd(m: Any) -> None:
        m.tables["member"]["columns"] = [*m.tables["member"]["columns"][:-1], column]

    path = craft(sender.opened, sender.usb / "odd-column.ltpkg", sender.town.key, edit=odd)
    refused(county, path, "列名")
