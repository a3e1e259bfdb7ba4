"""An export killed at any point leaves no plain rows beside the database or on the stick, and no
package under its real name that was not read back; the next start or export removes what is left."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import main
from services.db import open_database
from services.sync.fileio import spool_root
from tests.sync.conftest import Town

KILLED_EXPORT = """
import os, signal, sys
from pathlib import Path
from services.db import open_database
from services.sync import exporter

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[3] == "staged":
    exporter.write_package = die  # the plain rows are staged; the package not yet written
else:
    exporter.read_package = die  # the package is written; the read-back not yet done
exporter.export_package(open_database(sys.argv[1]), Path(sys.argv[2]), full=True, user="clerk")
"""


def _killed_export(t: Town, usb: Path, where: str) -> None:
    t.db.close()
    done = subprocess.run(
        [sys.executable, "-c", KILLED_EXPORT, str(t.folder / "ledger.sqlite"), str(usb), where],
        env=os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == -9, done.stderr.decode()
    t.db = open_database(t.folder / "ledger.sqlite")


def _staged() -> list[Path]:
    return [p for p in spool_root().iterdir() if p.name.startswith(".sync-export-")]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_killed_export_leaves_plain_rows_only_in_the_private_folder_until_the_next_export(
    make_town, usb: Path
) -> None:
    t = make_town("T01")
    _killed_export(t, usb, "staged")
    assert not [p for p in t.folder.iterdir() if p.name.startswith(".sync-export")]  # not beside the db
    assert list(usb.iterdir()) == []  # nothing on the stick
    [left] = _staged()
    assert any(left.glob("*.jsonl"))
    assert stat.S_IMODE(spool_root().stat().st_mode) == 0o700

    result = t.export(usb)
    assert _staged() == []
    assert [p.name for p in usb.iterdir()] == [result.path.name]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_package_killed_before_its_read_back_never_carries_a_package_name(
    make_town, usb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = make_town("T01")
    _killed_export(t, usb, "written")
    [left] = list(usb.iterdir())
    assert left.name.startswith(".") and left.suffix == ".unverified"  # the county does not take it
    assert not list(usb.glob("*.ltpkg"))

    result = t.export(usb)
    assert [p.name for p in usb.iterdir()] == [result.path.name]  # the unverified one is gone


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_the_next_start_removes_what_a_killed_export_staged(
    make_town, usb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = make_town("T01")
    t.export(usb)  # gives the file a device id: the start-up check runs on it
    _killed_export(t, usb, "staged")
    old_style = t.folder / ".sync-export-ihfxmr7r"  # where earlier versions staged, beside the db
    old_style.mkdir()
    (old_style / "member.jsonl").write_text('["620421197903030042"]\n', encoding="utf-8")
    assert _staged()
    t.db.close()
    assert main.main(["--db", str(t.folder / "ledger.sqlite"), "sync", "status"]) == 0
    capsys.readouterr()
    assert _staged() == [] and not old_style.exists()
    t.db = open_database(t.folder / "ledger.sqlite")
