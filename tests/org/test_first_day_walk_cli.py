"""The first-day walk as a command-line script on an EMPTY database: township, two branches, roster
import, committee, party groups, three meetings with a 列席 guest and a 请假; then the month's check has
no ORG-01…04 finding, the booklet prints the committee and the guest, and a sync package exports."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

import main
from tests.org.test_first_day_walk_gui import ORGAN, VILLAGE, roster_book
from tests.printing.pdfcheck import texts

TODAY = date.today()
DAY = TODAY - timedelta(days=1) if TODAY.day > 1 else TODAY
SEATED = (TODAY - timedelta(days=60)).isoformat()


def cli(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    assert code == 0, f"{argv}: {err}"
    return out


def test_first_day_walk_from_the_command_line(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert json.loads(cli(db_path, capsys, "branch", "list", "--json")) == []  # empty: no demo
    cli(db_path, capsys, "township", "add", "620421101", "城关镇")
    cli(
        db_path,
        capsys,
        "branch",
        "add",
        "B01",
        "红旗村党支部",
        "--township",
        "620421101",
        "--domain",
        "rural",
        "--founded",
        "2000-01-01",
    )
    cli(
        db_path,
        capsys,
        "branch",
        "add",
        "B02",
        "镇机关党支部",
        "--township",
        "620421101",
        "--domain",
        "organ",
        "--founded",
        "2000-01-01",
    )
    cli(
        db_path,
        capsys,
        "import-roster",
        str(roster_book(tmp_path / "v.xlsx", VILLAGE, 1, 1)),
        "--branch",
        "B01",
    )
    cli(
        db_path, capsys, "import-roster", str(roster_book(tmp_path / "o.xlsx", ORGAN, 101)), "--branch", "B02"
    )

    for name, role in (("张国强", "secretary"), ("王秀兰", "organization"), ("李建军", "propaganda")):
        cli(
            db_path,
            capsys,
            "committee",
            "seat",
            "add",
            "--branch",
            "B01",
            "--member",
            name,
            "--role",
            role,
            "--from",
            SEATED,
        )
    cli(
        db_path,
        capsys,
        "committee",
        "seat",
        "add",
        "--branch",
        "B02",
        "--member",
        "吴文静",
        "--role",
        "secretary",
        "--from",
        SEATED,
    )
    listed = json.loads(cli(db_path, capsys, "committee", "list", "--branch", "B01", "--json"))
    assert [r["role_label"] for r in listed] == ["书记", "组织委员", "宣传委员"]

    cli(db_path, capsys, "group", "add", "--branch", "B01", "--name", "第一党小组", "--leader", VILLAGE[0])
    cli(db_path, capsys, "group", "add", "--branch", "B01", "--name", "第二党小组", "--leader", VILLAGE[4])
    cli(db_path, capsys, "group", "assign", "--branch", "B01", "--group", "第一党小组", *VILLAGE[:4])
    cli(db_path, capsys, "group", "assign", "--branch", "B01", "--group", "第二党小组", *VILLAGE[4:])

    day = DAY.isoformat()
    out = cli(
        db_path,
        capsys,
        "meeting",
        "add",
        "--branch",
        "B01",
        "--type",
        "committee",
        "--date",
        day,
        "--topics",
        "研究发展党员工作",
        "--leave",
        "李建军:外出开会",
        "--observer",
        "戚九:驻村第一书记",
    )
    assert "应到 3 人" in out and "列席：戚九（驻村第一书记）" in out
    cli(
        db_path,
        capsys,
        "meeting",
        "add",
        "--branch",
        "B01",
        "--type",
        "group",
        "--group",
        "第一党小组",
        "--date",
        day,
        "--topics",
        "学习党章",
    )
    for branch in ("B01", "B02"):
        cli(
            db_path,
            capsys,
            "meeting",
            "add",
            "--branch",
            branch,
            "--type",
            "congress",
            "--date",
            day,
            "--topics",
            "学习贯彻全会精神",
        )

    for branch in ("B01", "B02"):
        main.main(
            [
                "--db",
                str(db_path),
                "check",
                "--branch",
                branch,
                "--period",
                DAY.strftime("%Y-%m"),
                "--as-of",
                TODAY.isoformat(),
                "--json",
            ]
        )
        report = json.loads(capsys.readouterr()[0])
        rules = {f["rule_id"] for f in report["findings"]}
        assert not rules & {"ORG-01", "ORG-02", "ORG-03", "ORG-04"}, rules

    pdf = tmp_path / "booklet.pdf"
    cli(db_path, capsys, "print-archive", "--branch", "B01", "--year", str(DAY.year), str(pdf))
    flat = "".join(texts(pdf)).replace(" ", "").replace("\n", "")
    assert (
        "支部委员会" in flat and "组织委员" in flat and "列席人员" in flat and "戚九（驻村第一书记）" in flat
    )

    usb = tmp_path / "usb"
    usb.mkdir()
    exported = json.loads(cli(db_path, capsys, "sync", "export", str(usb), "--json"))
    assert Path(exported["file"]).is_file()
    assert exported["rows"]["committee_seat"] == 4 and exported["rows"]["meeting_guest"] == 1
