"""The headless command line: round trips through main.main and clear errors with exit code 1."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import main
from services import idcard
from tests.conftest import fresh_database


def run(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def town(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    fresh_database(db_path).close()  # an empty ledger, as `township add` would create
    assert run(db_path, capsys, "township", "add", "T01", "城关镇")[0] == 0
    assert (
        run(
            db_path,
            capsys,
            "branch",
            "add",
            "B01",
            "一村党支部",
            "--township",
            "T01",
            "--founded",
            "2000-01-01",
        )[0]
        == 0
    )
    return db_path


def test_township_branch_member_meeting_round_trip(town: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(town, capsys, "branch", "list", "--json")
    tree = json.loads(out)
    assert [(r["code"], r["name"], r["depth"]) for r in tree] == [
        ("T01", "城关镇", 0),
        ("B01", "一村党支部", 1),
    ]

    first = idcard.make("621027", date(1970, 1, 2), 13)
    second = idcard.make("621027", date(1982, 5, 6), 24)
    for name, number in (("张三", first), ("李四", second)):
        code, out, err = run(
            town,
            capsys,
            "member",
            "add",
            "--branch",
            "B01",
            "--name",
            name,
            "--id-number",
            number,
            "--joined",
            "2005.7.1",
            "--phone",
            "13800001111",
        )
        assert code == 0, err
    code, out, _ = run(town, capsys, "member", "list", "--branch", "B01", "--json")
    rows = json.loads(out)
    assert sorted(r["name"] for r in rows) == ["张三", "李四"]
    li = next(r for r in rows if r["name"] == "李四")
    assert (li["gender"], li["birth_date"], li["id_number"]) == ("female", "1982-05-06", second)

    code, out, err = run(
        town,
        capsys,
        "meeting",
        "add",
        "--branch",
        "B01",
        "--type",
        "congress",
        "--date",
        "2026-10-10",
        "--topics",
        "学习党章",
        "--leave",
        "李四:外出务工",
    )
    assert code == 0, err
    assert "应到 2 人" in out and "实到 1 人" in out and "不符合" in out
    code, out, _ = run(town, capsys, "meeting", "list", "--branch", "B01", "--year", "2026", "--json")
    (meeting,) = json.loads(out)
    assert (meeting["type"], meeting["held_on"], meeting["present"], meeting["expected"]) == (
        "congress",
        "2026-10-10",
        1,
        2,
    )
    code, out, _ = run(town, capsys, "meeting", "show", meeting["id"], "--json")
    shown = json.loads(out)
    assert {a["name"]: (a["status"], a["reason"]) for a in shown["attendance"]} == {
        "张三": ("present", ""),
        "李四": ("leave", "外出务工"),
    }
    assert shown["quorum_met"] is False
    code, out, _ = run(town, capsys, "meeting", "show", meeting["id"])
    assert code == 0
    assert "类型：支部党员大会" in out and "日期：2026-10-10" in out and "议题：学习党章" in out
    assert "到会：" in out and "李四\t请假\t外出务工" in out


def test_bad_id_number_exits_1_with_chinese_message_and_writes_nothing(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        town,
        capsys,
        "member",
        "add",
        "--branch",
        "B01",
        "--name",
        "王五",
        "--id-number",
        "110105194912310023",
        "--joined",
        "2005-07-01",
    )
    assert code == 1
    assert err.startswith("错误：") and "校验位错误" in err
    code, out, _ = run(town, capsys, "member", "list", "--json")
    assert json.loads(out) == []


def test_unknown_branch_and_bad_date_are_reported(town: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(town, capsys, "member", "list", "--branch", "B99")
    assert code == 1 and "找不到代码为 B99 的支部" in err
    number = idcard.make("621027", date(1970, 1, 2), 13)
    code, _, err = run(
        town,
        capsys,
        "member",
        "add",
        "--branch",
        "B01",
        "--name",
        "王五",
        "--id-number",
        number,
        "--joined",
        "去年",
    )
    assert code == 1 and "无法识别的日期：去年" in err


def test_meeting_with_unknown_leave_name_is_refused(town: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        town,
        capsys,
        "meeting",
        "add",
        "--branch",
        "B01",
        "--type",
        "congress",
        "--date",
        "2026-10-10",
        "--topics",
        "学习",
        "--leave",
        "无名氏:生病",
    )
    assert code == 1 and "无名氏 不在应到人员中" in err


def test_duplicate_township_code_is_refused(town: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(town, capsys, "township", "add", "T01", "又一个镇")
    assert code == 1 and "乡镇代码 T01 已存在" in err


def test_demo_small_then_refused_on_second_run(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(db_path, capsys, "demo", "--scale", "small", "--seed", "2", "--today", "2026-11-24")
    assert code == 0, err
    assert "已生成演示数据" in out and "党组织 3 个" in out
    code, out, _ = run(db_path, capsys, "member", "list", "--json")
    assert 50 <= len(json.loads(out)) <= 70
    code, _, err = run(db_path, capsys, "demo", "--scale", "small")
    assert code == 1 and "演示数据不会重复生成" in err
