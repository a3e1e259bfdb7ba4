"""Attachments on receipt: only files a row refers to, every referenced file accounted for, the stored
suffix from the content, bounds at their limit, nothing left behind by a refused or failed import."""

from __future__ import annotations

import hashlib
import os
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models import Attachment
from services.attachments import store_dir
from services.db import Database
from services.sync import package, receiver
from services.sync.errors import PackageInvalid, PackageRejected
from services.sync.package import OpenedPackage, read_package
from services.sync.receiver import import_package
from tests.sync.conftest import Town, craft, snapshot

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 40
PDF = b"%PDF-1.7\n" + b"\0" * 40
EXE = b"MZ\x90\x00" + b"\0" * 40
SCRIPT = b"@echo off\r\nformat c:\r\n"


@dataclass
class Sender:
    town: Town
    opened: OpenedPackage
    usb: Path

    def package(self, files: dict[str, tuple[bytes, str]], name: str, **extra: Any) -> Path:
        """The township's package with one attachment row per file (``sha: (bytes, filename)``) owned
        by a meeting, the files put in the package unless ``extra`` says otherwise."""
        rows = {t: self.opened.dicts(t) for t in self.opened.rows if self.opened.rows[t]}
        meeting = rows["meeting"][0]
        prefix = extra.pop("id_prefix", "0a0a0a0a")
        rows["attachment"] = [
            _row(meeting, n, _sha(data), filename, prefix)
            for n, (data, filename) in enumerate(files.values())
        ]
        rows["attachment"] += extra.pop("rows", [])
        blobs: dict[str, bytes] = extra.pop("blobs", {_sha(d): d for d, _f in files.values()})
        self.opened.blobs = dict(blobs)

        def edit(m: Any) -> None:
            m.attachments = sorted(blobs)
            for k, v in extra.items():
                setattr(m, k, v)

        return craft(self.opened, self.usb / f"{name}.ltpkg", self.town.key, rows=rows, edit=edit)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _row(meeting: dict[str, Any], n: int, sha: str, filename: str, prefix: str) -> dict[str, Any]:
    return {
        **{k: meeting[k] for k in ("created_at", "updated_at", "created_by", "updated_by")},
        "id": f"{prefix}-0000-4000-8000-{n:012d}",
        "deleted": False,
        "deleted_at": None,
        "row_seq": 1,
        "owner_type": "meeting",
        "owner_id": meeting["id"],
        "kind": "document",
        "sha256": sha,
        "filename": filename,
        "mime": "application/octet-stream",
        "size": 0,
        "caption": "",
    }


@pytest.fixture
def sender(make_town: Callable[..., Town], county: Database, usb: Path) -> Iterator[Sender]:
    town = make_town("T01").enroll(county)
    with read_package(town.export(usb, full=True).path) as opened:
        yield Sender(town, opened, usb)


def stored(county: Database) -> list[Path]:
    """Every file under the county's attachment store (staging folders and partial files included)."""
    with county.reader() as s:
        folder = store_dir(s)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def refused(county: Database, path: Path, *phrases: str) -> str:
    before, files = snapshot(county), stored(county)
    with pytest.raises((PackageRejected, PackageInvalid)) as info:
        import_package(county, path)
    message = str(getattr(info.value, "message", info.value))
    for phrase in phrases:
        assert phrase in message, message
    assert snapshot(county) == before and stored(county) == files
    return message


def test_the_stored_suffix_comes_from_the_content_never_from_the_file_name(
    sender: Sender, county: Database
) -> None:
    files = {
        "png": (PNG, "签到表.bat"),
        "jpeg": (JPEG, "照片.exe"),
        "pdf": (PDF, "通知.pdf.lnk"),
        "exe": (EXE, "会议照片.jpg"),
        "script": (SCRIPT, "说明.cmd"),
    }
    result = import_package(county, sender.package(files, "suffixes"))
    assert result.status == "imported", result.message
    by_sha = {p.name.split(".")[0]: p.suffix for p in stored(county)}
    assert by_sha == {
        _sha(PNG): ".png",
        _sha(JPEG): ".jpg",
        _sha(PDF): ".pdf",
        _sha(EXE): ".bin",
        _sha(SCRIPT): ".bin",
    }
    from services.attachments import blob_path

    with county.reader() as s:
        for row in s.scalars(select(Attachment)):
            found = blob_path(s, row.sha256, row.filename)
            assert found.is_file() and found.suffix in (".png", ".jpg", ".pdf", ".bin")


def test_a_file_no_row_refers_to_is_refused(sender: Sender, county: Database) -> None:
    loose = {_sha(PNG): PNG, _sha(b"loose"): b"loose"}
    refused(county, sender.package({"png": (PNG, "a.png")}, "loose", blobs=loose), "没有任何附件记录引用")


def test_a_referenced_file_neither_sent_nor_declared_lost_is_refused(
    sender: Sender, county: Database
) -> None:
    path = sender.package({"png": (PNG, "a.png")}, "absent", blobs={})
    message = refused(county, path, "既不在包中", _sha(PNG)[:12])
    assert "重新导出" in message
    # the same file declared lost on the laptop (`missing_attachments`): the row is imported, listed
    lost = sender.package({"png": (PNG, "a.png")}, "lost", blobs={}, missing_attachments=[_sha(PNG)])
    assert import_package(county, lost).status == "imported"
    assert stored(county) == []


def test_a_file_whose_bytes_do_not_match_its_name_is_refused(sender: Sender, county: Database) -> None:
    path = sender.package({"png": (PNG, "a.png")}, "mismatch", blobs={_sha(PNG): JPEG})
    refused(county, path, "校验值不符")


def test_the_same_entry_twice_is_refused(sender: Sender, county: Database) -> None:
    path = sender.package({"png": (PNG, "a.png")}, "twice")
    with zipfile.ZipFile(path, "a") as zf, pytest.warns(UserWarning):
        zf.writestr(f"attachments/{_sha(PNG)}", PNG)
    refused(county, path, "出现了两次")


@pytest.mark.parametrize(
    "name",
    [
        "attachments\\..\\..\\evil.bat",
        "attachments/../../evil.bat",
        "/attachments/" + "a" * 64,
        "attachments/" + "a" * 63 + "\uff41",  # a full-width letter that looks like a hex digit
        "attachments/" + "A" * 64,
        "attachments/" + "a" * 64 + "/../x",
        "attachments/" + "a" * 64 + ".bat",
        "data/member.jsonl\u2215..",  # a division slash that looks like a folder separator
        "C:evil.bat",
    ],
)
def test_an_entry_name_that_could_escape_the_store_is_refused_before_reading(
    sender: Sender, county: Database, tmp_path: Path, name: str
) -> None:
    path = sender.package({}, "escape")
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(name, EXE)
    refused(county, path)
    assert not list(tmp_path.rglob("evil.bat"))


@pytest.mark.parametrize("over", [0, 1])
def test_the_count_and_size_bounds_hold_at_their_limit_and_refuse_one_more(
    sender: Sender, county: Database, monkeypatch: pytest.MonkeyPatch, over: int
) -> None:
    files = {str(n): (PNG + bytes([n]), f"{n}.png") for n in range(3 + over)}
    monkeypatch.setattr(package, "MAX_ATTACHMENTS", 3)
    monkeypatch.setattr(receiver, "MAX_ATTACHMENTS", 3)
    path = sender.package(files, f"count-{over}")
    if over:
        refused(county, path, "超过每个包的上限")
    else:
        assert import_package(county, path).status == "imported"
        assert len(stored(county)) == 3


@pytest.mark.parametrize("over", [0, 1])
def test_one_file_at_the_size_limit_is_taken_and_one_byte_more_refused(
    sender: Sender, county: Database, monkeypatch: pytest.MonkeyPatch, over: int
) -> None:
    data = PNG + b"\1" * (1000 - len(PNG) + over)
    monkeypatch.setattr(package, "MAX_ATTACHMENT_FILE", 1000)
    path = sender.package({"big": (data, "big.png")}, f"size-{over}")
    if over:
        refused(county, path, "单个附件的上限")
    else:
        assert import_package(county, path).status == "imported"


def test_a_crash_in_the_commit_leaves_no_file_and_the_package_imports_later(
    sender: Sender, county: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.orm import SessionTransaction

    path = sender.package({"png": (PNG, "a.png"), "pdf": (PDF, "b.pdf")}, "crash")
    before = snapshot(county)
    real_commit = SessionTransaction.commit

    armed: list[bool] = []
    real_record = receiver._record

    def record(*args: Any, **kwargs: Any) -> None:  # the import's last write: its commit comes next
        real_record(*args, **kwargs)
        armed.append(True)

    def power_cut(self: SessionTransaction, *args: Any, **kwargs: Any) -> Any:
        if armed:
            armed.clear()
            raise OSError("模拟断电")
        return real_commit(self, *args, **kwargs)

    monkeypatch.setattr(receiver, "_record", record)
    monkeypatch.setattr(SessionTransaction, "commit", power_cut)
    with pytest.raises(OSError, match="模拟断电"):
        import_package(county, path)
    monkeypatch.setattr(SessionTransaction, "commit", real_commit)
    assert snapshot(county) == before and stored(county) == []
    assert import_package(county, path).status == "imported"
    assert sorted(p.suffix for p in stored(county)) == [".pdf", ".png"]


def test_staging_left_by_a_killed_import_is_swept_by_the_next_one(sender: Sender, county: Database) -> None:
    with county.reader() as s:
        folder = store_dir(s)
    stale_dir = folder / ".incoming" / "ltpkg-killed"
    stale_dir.mkdir(parents=True)
    (stale_dir / ("b" * 64)).write_bytes(EXE)
    part = folder / "bb" / f"{'b' * 64}.bin.deadbeef.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(EXE)
    fresh = folder / ".incoming" / "ltpkg-running"  # another import under way: left alone
    fresh.mkdir()
    old = time.time() - 2 * 86400
    for p in (stale_dir / ("b" * 64), stale_dir, part):
        os.utime(p, (old, old))
    assert import_package(county, sender.package({"png": (PNG, "a.png")}, "after-crash")).status == "imported"
    assert not stale_dir.exists() and not part.exists() and fresh.exists()


def test_a_row_pointing_at_a_file_already_at_the_county_but_not_sent_is_refused(
    make_town: Callable[..., Town], county: Database, usb: Path, sender: Sender
) -> None:
    """T01's photo is at the county; a T02 package with a row naming its hash, without the bytes,
    does not get to show it as its own."""
    assert import_package(county, sender.package({"png": (PNG, "a.png")}, "t01")).status == "imported"
    other = make_town("T02", seed=2).enroll(county)
    with read_package(other.export(usb, full=True).path) as opened:
        thief = Sender(other, opened, usb)
        refused(
            county,
            thief.package({"png": (PNG, "偷来的.png")}, "t02", blobs={}, id_prefix="0b0b0b0b"),
            "既不在包中",
        )


def test_a_file_damaged_in_the_county_store_is_repaired_by_the_next_copy(
    sender: Sender, county: Database
) -> None:
    assert import_package(county, sender.package({"png": (PNG, "a.png")}, "first")).status == "imported"
    [kept] = stored(county)
    kept.write_bytes(b"damaged on the county disk")
    top = sender.opened.manifest.seq_to
    again = sender.package({"png": (PNG, "a.png")}, "again", seq_from=top + 1, seq_to=top + 1)
    assert import_package(county, again).status == "imported"
    assert kept.read_bytes() == PNG
