"""`check`, `handbook validate|explain|catalog` from the command line: output, exit codes, JSON."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from main import main
from services.handbook.pack import default_pack_path
from tests.handbook.conftest import ALT_PACK, Kit


def run(db_path: Path, *args: str) -> int:
    return main(["--db", str(db_path), *args])


def test_check_exits_zero_with_only_warnings(
    kit: Kit, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kit.branch(full=3, committee=1)
    code = run(db_path, "check", "--period", "2026-07", "--as-of", "2026-08-01")
    out = capsys.readouterr().out
    assert code == 0
    assert (
        "[警告] LIFE-05「主题党日每月 1 次」 组织生活 2026-07：B01党支部2026年7月未开展主题党日活动。" in out
    )
    assert "不评星（星级按整年度评定" in out and "错误 0 条" in out


def test_check_exits_one_with_an_error(kit: Kit, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kit.branch("B01", full=3, committee=1)
    kit.branch("B02", full=2, committee=1)
    assert run(db_path, "check", "--period", "2026-07", "--as-of", "2026-08-01") == 1
    assert "[错误] ORG-01" in capsys.readouterr().out
    # Only the good branch: no error.
    assert run(db_path, "check", "--branch", "B01", "--period", "2026-07", "--as-of", "2026-08-01") == 0


def test_check_json(kit: Kit, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kit.branch("B02", full=2, committee=1)
    assert run(db_path, "check", "--period", "2026", "--as-of", "2027-01-05", "--json") == 1
    data = json.loads(capsys.readouterr().out)
    assert data["period"] == "2026" and data["has_errors"] is True
    assert data["pack"]["id"] == "default"
    org01 = [f for f in data["findings"] if f["rule_id"] == "ORG-01"]
    assert org01[0]["importance_label"] == "错误" and org01[0]["branch_code"] == "B02"
    assert org01[0]["key"].startswith("ORG-01|")
    branch = data["branches"][0]
    assert branch["code"] == "B02" and branch["basic_stars"]["基本组织"] is False
    assert {c["ledger"] for c in branch["completeness"]} >= {"组织生活台账"}


def test_check_with_another_pack(kit: Kit, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kit.branch(full=4, committee=1)
    assert run(db_path, "check", "--period", "2026-07", "--as-of", "2026-08-01", "--pack", str(ALT_PACK)) == 1
    assert "A-SIZE" in capsys.readouterr().out


def test_bad_period_and_bad_pack_are_user_errors(
    kit: Kit, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kit.branch(full=3, committee=1)
    assert run(db_path, "check", "--period", "2026-13") == 1
    assert "无法识别的期间：2026-13" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[pack\n", encoding="utf-8")
    assert run(db_path, "check", "--pack", str(bad)) == 1
    assert "bad.toml" in capsys.readouterr().err


def test_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["handbook", "validate", str(default_pack_path())]) == 0
    assert "手册包有效" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text(
        default_pack_path().read_text(encoding="utf-8").replace('type = "quorum"', 'type = "quorom"'), "utf-8"
    )
    assert main(["handbook", "validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：手册包") and "bad.toml" in err and "未知的规则类型“quorom”" in err


def test_explain_from_the_command_line(kit: Kit, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kit.branch(full=3, committee=1)
    base = [
        "handbook",
        "explain",
        "--branch",
        "B01",
        "--rule",
        "LIFE-05",
        "--period",
        "2026-07",
        "--as-of",
        "2026-08-01",
    ]
    assert run(db_path, *base, "--text", "七月防汛") == 0
    run(db_path, "check", "--period", "2026-07", "--as-of", "2026-08-01")
    out = capsys.readouterr().out
    assert "未开展主题党日活动。［已说明］" in out and "说明：七月防汛" in out
    assert run(db_path, *base, "--withdraw") == 0
    assert (
        run(
            db_path,
            "handbook",
            "explain",
            "--branch",
            "B01",
            "--rule",
            "LIFE-02",
            "--period",
            "2026-07",
            "--as-of",
            "2026-08-01",
            "--text",
            "x",
        )
        == 1
    )
    assert "没有规则 LIFE-02 的问题" in capsys.readouterr().err


def test_catalog_shows_which_evidence_is_present(
    kit: Kit, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unit = kit.branch(full=3, committee=1)
    kit.committee_elected_at_seven(unit)
    kit.meeting(unit, "committee", date(2026, 7, 3), attendees=unit.members[:2])
    assert run(db_path, "handbook", "catalog", "--branch", "B01", "--period", "2026") == 0
    out = capsys.readouterr().out
    assert "组织生活（组织生活台账）" in out
    assert "· 支委会记录  ✓ 1 条" in out and "· 党课记录  ✗ 0 条" in out


def test_ledger_rows_follow_the_pack(kit: Kit, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unit = kit.branch(full=3, probationary=1, committee=1)
    kit.committee_elected_at_seven(unit)
    kit.meeting(unit, "committee", date(2026, 7, 3), attendees=unit.members[:2])
    kit.meeting(unit, "theme_day", date(2025, 7, 3))  # another year: not in the 2026 ledger
    assert (
        run(db_path, "handbook", "ledger", "org_life", "--branch", "B01", "--period", "2026", "--json") == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["ledger"] == "组织生活台账"
    three = data["sections"][0]
    assert three["title"] == "三会一课" and three["headers"][:2] == ["日期", "类型"]
    assert three["rows"] == [["2026-07-03", "支委会", "议题", "", "", "2026-07-03"]]
    assert data["sections"][1]["rows"] == []  # 主题党日 of 2025 is not in 2026
    assert run(db_path, "handbook", "ledger", "team", "--branch", "B01", "--json") == 0
    roster = json.loads(capsys.readouterr().out)["sections"][0]
    assert [r[5] for r in roster["rows"]].count("预备党员") == 1
    assert run(db_path, "handbook", "ledger", "org_setup", "--branch", "B01", "--json") == 0
    seats = json.loads(capsys.readouterr().out)["sections"][0]["rows"]
    assert sorted(seats) == [
        ["党员B0100", "书记", "2020-01-01", ""],
        ["党员B0101", "组织委员", "2020-01-01", ""],
        ["党员B0102", "宣传委员", "2020-01-01", ""],
    ]
    assert run(db_path, "handbook", "ledger", "nope", "--branch", "B01") == 1
    assert "没有台账“nope”" in capsys.readouterr().err


def test_pack_chosen_for_this_computer_is_used_by_check(
    kit: Kit, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kit.branch(full=4, committee=1)
    assert main(["handbook", "use", str(ALT_PACK)]) == 0
    assert "测试用" in capsys.readouterr().out
    assert run(db_path, "check", "--period", "2026-07", "--as-of", "2026-08-01") == 1
    assert "A-SIZE" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text("[pack\n", encoding="utf-8")
    assert main(["handbook", "use", str(bad)]) == 1  # refused: the choice stays the county pack
    assert "bad.toml" in capsys.readouterr().err
    assert main(["handbook", "use"]) == 0
    assert str(ALT_PACK.resolve()) in capsys.readouterr().out
    assert main(["handbook", "use", "--default"]) == 0
    assert run(db_path, "check", "--period", "2026-07", "--as-of", "2026-08-01") == 0
    assert "A-SIZE" not in capsys.readouterr().out
