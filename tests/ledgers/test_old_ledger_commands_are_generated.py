"""The per-ledger commands clerks typed before (``fee pay --amount``, ``transfer in --from``,
``decision add --ordinary`` …) are generated from the ledgers' declared actions: same names and
options, errors naming the field in Chinese with the option, exit 1 and nothing written."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from main import main
from services import org
from tests.conftest import Builder


def run(db: Path, *args: str) -> int:
    return main(["--db", str(db), *args])


@pytest.fixture
def township(build: Builder, db_path: Path) -> Path:
    """An empty township database with one branch, B01 (built through the services)."""
    build.branch("B01", "一村党支部")
    return db_path


def _member(build: Builder) -> str:
    with build.db.reader() as s:
        b01 = org.branch_by_code(s, "B01").id
    return build.member(b01, "王五", joined_on=date(2000, 7, 1)).id


def _listed(db: Path, capsys: pytest.CaptureFixture[str], ledger: str) -> list[dict[str, str]]:
    capsys.readouterr()
    assert run(db, "ledger", "list", ledger, "--json") == 0
    rows: list[dict[str, str]] = json.loads(capsys.readouterr().out)
    return rows


def test_fee_set_and_pay_keep_their_options_and_find_the_month_by_member(
    township: Path, build: Builder, capsys: pytest.CaptureFixture[str]
) -> None:
    member = _member(build)
    assert run(township, "fee", "set", member, "--month", "2026-7", "--category", "farmer") == 0
    assert "2026-07 应交" in capsys.readouterr().out
    pay = ["fee", "pay", member, "--date", "2026-07-05"]
    assert run(township, *pay, "--month", "2026-08", "--amount", "1") == 1
    err = capsys.readouterr().err
    assert "月份（--month）" in err and "2026-08 还没有应交党费记录" in err
    assert run(township, *pay, "--month", "2026-07", "--amount", "一元") == 1
    assert "金额（元）（--amount）" in capsys.readouterr().err
    assert run(township, *pay, "--month", "2026-07") == 1  # the amount is required
    assert "金额（元）（--amount）：请填写金额（元）" in capsys.readouterr().err
    (row,) = _listed(township, capsys, "fees")
    assert (row["实交（元）"], row["交纳日期"]) == ("0.00", "")  # nothing written by the refused ones
    assert run(township, *pay, "--month", "2026-07", "--amount", "0.2", "--receipt", "R1") == 0
    assert capsys.readouterr().out.startswith("已保存：登记交纳")
    (row,) = _listed(township, capsys, "fees")
    assert (row["实交（元）"], row["收据号"], row["交纳日期"]) == ("0.20", "R1", "2026-07-05")


def test_commands_whose_options_the_declaration_lacked_now_come_from_it(
    township: Path, build: Builder, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(township, "decision", "add", "--branch", "B01", "--date", "2026-03-01") == 1
    assert "事项（--title）：请填写事项" in capsys.readouterr().err
    assert _listed(township, capsys, "decisions") == []
    assert (
        run(
            township,
            "decision",
            "add",
            "--branch",
            "B01",
            "--title",
            "修路",
            "--date",
            "2026-03-01",
            "--ordinary",
        )
        == 0
    )
    said = capsys.readouterr().out
    (row,) = _listed(township, capsys, "decisions")
    assert said == f"已保存：登记决策事项，编号 {row['id'][:8]}\n" and row["程序"] == "一般程序"
    member = _member(build)
    build.branch("B02", "二村党支部")
    moved = ["transfer", "in", member, "--branch", "B02", "--date", "2026-04-01", "--letter", "J-9"]
    assert run(township, *moved) == 1  # --from is required: named in Chinese, nothing written
    assert "转自党组织（--from）" in capsys.readouterr().err
    assert _listed(township, capsys, "transfers") == []
    assert run(township, *moved, "--from", "外县某支部") == 0
    (row,) = _listed(township, capsys, "transfers")
    assert (row["支部"], row["转入/转出"], row["转自/转往"], row["介绍信编号"]) == (
        "二村党支部",
        "转入",
        "外县某支部",
        "J-9",
    )


def test_a_generated_command_lists_its_old_options_in_help(
    township: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        run(township, "fee", "pay", "--help")
    shown = capsys.readouterr().out
    assert all(opt in shown for opt in ("--amount", "--date", "--receipt", "--month"))
    with pytest.raises(SystemExit):
        run(township, "dev", "admit", "--help")
    assert "--introducers" in capsys.readouterr().out


def test_every_bad_field_is_named_at_once(
    township: Path, build: Builder, capsys: pytest.CaptureFixture[str]
) -> None:
    member = _member(build)
    bad = ["fee", "pay", member, "--month", "2026-13", "--amount", "x", "--date", "昨天"]
    assert run(township, *bad) == 1
    err = capsys.readouterr().err
    assert all(name in err for name in ("月份（--month）", "金额（元）（--amount）", "交纳日期（--date）"))
    assert _listed(township, capsys, "fees") == []
