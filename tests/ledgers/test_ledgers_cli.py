"""The other ledgers from the command line: each command writes through the services, errors exit 1."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from main import main
from services import idcard
from tests.cli_ids import printed_id
from tests.conftest import fresh_database


def run(db: Path, *args: str) -> int:
    return main(["--db", str(db), *args])


@pytest.fixture
def township(tmp_path: Path) -> Path:
    db = tmp_path / "cli.sqlite"
    fresh_database(db).close()
    assert run(db, "township", "add", "T01", "测试镇") == 0
    assert run(db, "branch", "add", "B01", "一村党支部", "--township", "T01", "--founded", "2000-01-01") == 0
    return db


def test_pipeline_from_apply_to_member(township: Path, capsys: pytest.CaptureFixture[str]) -> None:
    intro = []
    for seq in (1, 3):
        number = idcard.make("620421", date(1970, 1, 1), seq)
        assert (
            run(
                township,
                "member",
                "add",
                "--branch",
                "B01",
                "--name",
                f"介绍人{seq}",
                "--id-number",
                number,
                "--joined",
                "2000-07-01",
            )
            == 0
        )
        intro.append(printed_id(capsys.readouterr().out))
    number = idcard.make("620421", date(2000, 1, 1), 11)
    assert (
        run(
            township,
            "dev",
            "apply",
            "--branch",
            "B01",
            "--name",
            "王小明",
            "--id-number",
            number,
            "--applied",
            "2023-01-05",
        )
        == 0
    )
    rid = printed_id(capsys.readouterr().out)
    for step, day in (("talk", "2023-01-20"), ("activist", "2023-02-01"), ("candidate", "2024-02-01")):
        assert run(township, "dev", step, rid, "--date", day) == 0
    assert (
        run(township, "dev", "training", rid, "--days", "3", "--hours", "24", "--review", "2024-03-01") == 0
    )
    assert run(township, "dev", "publicity", rid, "--from", "2024-05-06", "--to", "2024-05-10") == 0
    assert "5 个工作日" in capsys.readouterr().out
    assert run(township, "dev", "admit", rid, "--date", "2024-06-01", "--introducers", *intro) == 0
    assert run(township, "dev", "approve", rid, "--date", "2024-07-01") == 0
    assert run(township, "dev", "oath", rid, "--date", "2024-07-10") == 0
    capsys.readouterr()
    assert run(township, "member", "list", "--json") == 0
    people = {m["name"]: m for m in json.loads(capsys.readouterr().out)}
    assert people["王小明"]["status"] == "probationary"
    assert run(township, "dev", "list", "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert [i["code"] for i in listing["issues"]] == ["conversion"]  # admitted 2024-06: probation overdue


def test_bad_step_order_exits_1_with_message(township: Path, capsys: pytest.CaptureFixture[str]) -> None:
    number = idcard.make("620421", date(2000, 1, 1), 11)
    run(
        township,
        "dev",
        "apply",
        "--branch",
        "B01",
        "--name",
        "王小明",
        "--id-number",
        number,
        "--applied",
        "2023-01-05",
    )
    rid = printed_id(capsys.readouterr().out)
    assert run(township, "dev", "candidate", rid, "--date", "2024-01-01") == 1
    assert "不能进行这一步" in capsys.readouterr().err


def test_fund_and_venue_and_problem(township: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(
            township,
            "fund",
            "add",
            "--branch",
            "B01",
            "--date",
            "2026-01-05",
            "--direction",
            "income",
            "--category",
            "活动经费",
            "--amount",
            "3000",
        )
        == 0
    )
    assert (
        run(
            township,
            "fund",
            "add",
            "--branch",
            "B01",
            "--date",
            "2026-02-05",
            "--direction",
            "expense",
            "--category",
            "资料",
            "--amount",
            "12.34",
        )
        == 0
    )
    capsys.readouterr()
    assert run(township, "fund", "balance", "--branch", "B01") == 0
    assert "2987.66" in capsys.readouterr().out
    assert (
        run(township, "venue", "check", "--branch", "B01", "--item", "library", "--date", "2026-03-01") == 0
    )
    assert (
        run(
            township,
            "problem",
            "add",
            "--branch",
            "B01",
            "--category",
            "对标不准",
            "--description",
            "记录不全",
            "--found",
            "2026-01-01",
            "--deadline",
            "2026-02-01",
        )
        == 0
    )
    capsys.readouterr()
    assert run(township, "problem", "overdue", "--json") == 1
    assert json.loads(capsys.readouterr().out)[0]["category"] == "对标不准"


def test_member_deceased_leaves_roster_keeps_history(
    township: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    number = idcard.make("620421", date(1940, 1, 1), 11)
    run(
        township,
        "member",
        "add",
        "--branch",
        "B01",
        "--name",
        "老党员",
        "--id-number",
        number,
        "--joined",
        "1965-07-01",
    )
    member_id = printed_id(capsys.readouterr().out)
    assert run(township, "member", "state", member_id, "--state", "deceased", "--date", "2099-01-01") == 1
    assert "不能晚于今天" in capsys.readouterr().err
    assert run(township, "member", "state", member_id, "--state", "deceased", "--date", "2026-03-02") == 0
    capsys.readouterr()
    run(township, "member", "list", "--json")
    assert json.loads(capsys.readouterr().out) == []
    run(township, "transfer", "history", member_id)
    assert "去世" in capsys.readouterr().out


def test_a_ledger_listing_shows_short_ids_and_says_when_it_is_empty(
    township: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(township, "ledger", "list", "funds", "--year", "2026") == 0
    assert "无活动经费记录（2026 年）" in capsys.readouterr().out
    add = ["fund", "add", "--branch", "B01", "--date", "2026-01-05", "--direction", "income"]
    assert run(township, *add, "--category", "活动经费", "--amount", "3000") == 0
    short = printed_id(capsys.readouterr().out)
    assert run(township, "ledger", "list", "funds", "--year", "2026") == 0
    header, line = capsys.readouterr().out.splitlines()
    assert header.startswith("编号\t") and line.split("\t")[0] == short  # 8 characters, as printed on saving
    assert run(township, "ledger", "list", "funds", "--year", "2026", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["id"].startswith(short)  # scripts keep the full id
