"""What a clerk reads on the command line: argparse's own errors in Chinese naming the argument (exit 2),
a confirmation with the name and a short id after each add, the short id accepted wherever an id is,
an ambiguous one refused, and the listings showing what a clerk sorts by (domain, party group)."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import pytest

import main
from services import idcard
from tests.cli_ids import printed_id
from tests.conftest import fresh_database


def run(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main.main(["--db", str(db), *argv])
    except SystemExit as exc:  # argparse exits on bad arguments
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def ok(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(db, capsys, *argv)
    assert code == 0, err
    return out


@pytest.fixture
def town(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    fresh_database(db_path).close()
    ok(db_path, capsys, "township", "add", "T01", "城关镇")
    ok(db_path, capsys, "branch", "add", "B01", "一村党支部", "--township", "T01", "--founded", "2000-01-01")
    ok(db_path, capsys, "branch", "add", "B02", "镇机关党支部", "--township", "T01", "--domain", "organ")
    return db_path


def add_member(db: Path, capsys: pytest.CaptureFixture[str], name: str, seq: int) -> str:
    number = idcard.make("621027", date(1975, 3, 4), seq)
    out = ok(db, capsys, "member", "add", "--branch", "B01", "--name", name, "--id-number", number, "--joined", "2000-07-01")  # fmt: skip
    return out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["meeting", "show"], ["缺少必需的参数：id"]),
        (["meeting", "list", "--year", "abc"], ["参数 --year", "'abc'", "整数"]),
        (["meeting", "list", "--year"], ["参数 --year", "须跟一个值"]),
        (
            ["member", "state", "x", "--state", "gone", "--date", "today"],
            ["参数 --state", "gone", "可选", "已去世"],
        ),
        (["meeting"], ["请给出子命令", "add", "list"]),
        (["nosuch"], ["参数 COMMAND", "'nosuch'"]),
        (["member", "list", "--bogus"], ["无法识别的参数：--bogus"]),
    ],
)
def test_bad_arguments_are_explained_in_chinese_naming_the_argument_with_exit_2(
    town: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    code, out, err = run(town, capsys, *argv)
    assert code == 2 and not out
    assert err.startswith("用法：main.py"), err
    assert "错误：" in err and all(w in err for w in words), err
    for english in ("usage:", "error:", "invalid", "required", "expected", "choose from"):
        assert english not in err


def test_help_is_in_chinese(town: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(town, capsys, "meeting", "show", "--help")
    assert code == 0 and out.startswith("用法：main.py meeting show")
    assert "显示本帮助并退出" in out and "show this help" not in out


def test_top_level_help_explains_help_and_version_in_chinese(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(town, capsys, "--help")
    assert code == 0 and "显示本帮助并退出" in out and "显示版本号并退出" in out
    assert "show program's version" not in out and "show this help" not in out


def test_member_add_confirms_with_the_name_status_and_a_short_id_that_later_commands_accept(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = add_member(town, capsys, "张一", 1)
    assert out.startswith("已登记党员 张一（正式党员，一村党支部），编号 ")
    short = printed_id(out)
    listed = json.loads(ok(town, capsys, "member", "list", "--json"))
    assert listed[0]["id"].startswith(short)
    assert "张一：已去世" in ok(
        town, capsys, "member", "state", short, "--state", "deceased", "--date", "2026-01-02"
    )


def test_meeting_add_confirms_the_kind_and_date_and_show_takes_the_short_id(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i, name in enumerate(("张一", "王二", "李三"), start=1):
        add_member(town, capsys, name, i)
    out = ok(town, capsys, "meeting", "add", "--branch", "B01", "--type", "congress", "--date", "2026-10-12", "--topics", "学习党章", "--leave", "王二：外出务工")  # fmt: skip
    assert out.startswith("已保存 2026-10-12 支部党员大会，编号 ")
    short = printed_id(out)
    shown = ok(town, capsys, "meeting", "show", short)
    assert "议题：学习党章" in shown and "王二\t请假\t外出务工" in shown
    as_json = json.loads(ok(town, capsys, "meeting", "add", "--branch", "B01", "--type", "lecture", "--date", "2026-10-13", "--topics", "党课", "--lecturer", "张一", "--json"))  # fmt: skip
    assert len(as_json["id"]) == 36


def test_an_id_prefix_two_records_share_is_refused_and_nothing_changes(
    town: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = iter(range(1, 100))
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(f"abcdef01-0000-4000-8000-{next(counter):012d}"))
    add_member(town, capsys, "张一", 1)
    add_member(town, capsys, "王二", 3)
    monkeypatch.undo()
    code, out, err = run(town, capsys, "member", "delete", "abcdef01")
    assert code == 1 and not out
    assert "abcdef01 对应不止一条记录" in err and "多写几位" in err
    assert len(json.loads(ok(town, capsys, "member", "list", "--json"))) == 2
    first = next(
        m["id"] for m in json.loads(ok(town, capsys, "member", "list", "--json")) if m["name"] == "张一"
    )
    ok(town, capsys, "member", "delete", first)  # the whole id always works
    assert [m["name"] for m in json.loads(ok(town, capsys, "member", "list", "--json"))] == ["王二"]


def test_a_leave_given_by_short_member_id_marks_that_member(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    short = printed_id(add_member(town, capsys, "孙八", 1))
    add_member(town, capsys, "孙八", 3)
    add_member(town, capsys, "赵四", 5)
    out = ok(town, capsys, "meeting", "add", "--branch", "B01", "--type", "congress", "--date", "2026-10-12", "--topics", "学习", "--leave", f"{short}:病")  # fmt: skip
    shown = json.loads(ok(town, capsys, "meeting", "show", printed_id(out), "--json"))
    assert sorted(a["status"] for a in shown["attendance"] if a["name"] == "孙八") == ["leave", "present"]


def test_branch_list_shows_kind_and_domain(town: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ok(town, capsys, "branch", "list").splitlines()
    assert any(line.strip().startswith("B01\t一村党支部\t党支部\t农村") for line in lines), lines
    assert any("B02\t镇机关党支部\t党支部\t机关" in line for line in lines), lines
    rows = json.loads(ok(town, capsys, "branch", "list", "--json"))
    assert {r["code"]: r["domain"] for r in rows if r["code"]} == {"T01": "", "B01": "rural", "B02": "organ"}


def test_meeting_list_shows_the_party_group_of_a_group_meeting(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_member(town, capsys, "张一", 1)
    out = ok(town, capsys, "group", "add", "--branch", "B01", "--name", "第一党小组", "--leader", "张一")
    assert "成立日期未登记" in out and "group founded" in out
    ok(town, capsys, "meeting", "add", "--branch", "B01", "--type", "group", "--group", "第一党小组", "--date", "2019-03-05", "--topics", "学习")  # fmt: skip
    listing = ok(town, capsys, "meeting", "list", "--branch", "B01")
    assert "2019-03-05\t党小组会（第一党小组）\t到会 1/1\t学习\t" in listing


def test_an_observer_without_a_unit_is_refused_and_a_full_width_colon_is_understood(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_member(town, capsys, "张一", 1)
    base = [
        "meeting",
        "add",
        "--branch",
        "B01",
        "--type",
        "congress",
        "--date",
        "2026-10-12",
        "--topics",
        "学习",
    ]
    code, out, err = run(town, capsys, *base, "--observer", "戚九")
    assert code == 1 and not out and "列席人员戚九" in err and "单位或职务" in err
    out = ok(town, capsys, *base, "--observer", "戚九：驻村第一书记")
    assert "列席：戚九（驻村第一书记）" in out


def test_the_recycle_bin_restores_by_the_short_id_it_lists_without_naming_the_table(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    short = printed_id(add_member(town, capsys, "张一", 1))
    ok(town, capsys, "member", "delete", short)
    listed = ok(town, capsys, "recycle", "list")
    assert f"member\t{short}\t党员\t" in listed
    assert "已恢复党员" in ok(town, capsys, "recycle", "restore", short)
    assert [m["name"] for m in json.loads(ok(town, capsys, "member", "list", "--json"))] == ["张一"]
    code, out, err = run(town, capsys, "recycle", "restore", short)
    assert code == 1 and not out and "回收站里找不到编号" in err


def test_a_members_name_works_where_a_member_id_is_taken_unless_two_share_it(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_member(town, capsys, "张一", 1)
    assert "2026-10 应交" in ok(
        town, capsys, "fee", "set", "张一", "--month", "2026-10", "--category", "farmer"
    )
    add_member(town, capsys, "张一", 3)
    code, out, err = run(town, capsys, "fee", "set", "张一", "--month", "2026-11", "--category", "farmer")
    assert code == 1 and not out and "有 2 名党员叫「张一」" in err and "党员编号" in err


def test_a_meeting_type_may_be_given_as_clerks_say_it(town: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add_member(town, capsys, "张一", 1)
    out = ok(town, capsys, "meeting", "add", "--branch", "B01", "--type", "党员大会", "--date", "2026-11-20", "--topics", "学习")  # fmt: skip
    assert out.startswith("已保存 2026-11-20 支部党员大会")
    code, _out, err = run(town, capsys, "meeting", "list", "--type", "会")  # 支部党员大会、支委会、党小组会 …
    assert code == 2 and "无法识别“会”" in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["report", "stats", "--year", "2099"], "错误：年度：2099年还没有结束"),
        (["report", "month", "--period", "2099-01"], "错误：期间：2099年1月还没有到"),
        (["report", "month", "--period", "2026/11/3"], "错误：期间：无法识别的月份"),
        (["report", "quarter", "--period", "2026-09"], "错误：期间：无法识别的季度"),
    ],
)
def test_a_refused_period_names_the_field_once_in_chinese(
    town: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    code, out, err = run(town, capsys, *argv)
    assert code == 1 and not out
    assert words in err, err
    assert "year" not in err and "period" not in err


def test_check_takes_year_as_other_commands_do(town: Path, capsys: pytest.CaptureFixture[str]) -> None:
    by_period = run(town, capsys, "check", "--period", "2025", "--as-of", "2026-01-10")
    assert run(town, capsys, "check", "--year", "2025", "--as-of", "2026-01-10") == by_period
    assert by_period[1]
    code, out, err = run(town, capsys, "check", "--year", "25x")
    assert code == 2 and not out and "参数 --year" in err and "年份" in err
    code, out, err = run(town, capsys, "check", "--year", "2025", "--period", "2025")
    assert code == 2 and not out and "不能与参数" in err


def test_fee_arrears_with_nobody_in_arrears_says_so(town: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(town, capsys, "fee", "arrears", "--month", "2026-10")
    assert code == 0 and out.startswith("无") and "连续未交党费" in out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["account", "list"], "无账号"),
        (["dev", "list"], "无发展党员记录"),
        (["group", "list", "--branch", "B01"], "无：B01 没有现有的党小组"),
        (["committee", "list", "--branch", "B01"], "无：B01 没有支委任职记录"),
        (["committee", "terms", "--branch", "B01"], "无：B01 没有任期记录"),
        (["decision", "list"], "无决策事项"),
        (["problem", "overdue"], "无逾期未整改的问题"),
        (["training", "hours", "--year", "2026"], "无：2026 年没有可统计学时的党员"),
        (["ledger", "list", "talks", "--year", "2026"], "无谈心谈话记录（2026 年）"),
    ],
)
def test_an_empty_listing_says_there_is_none(
    town: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    code, out, err = run(town, capsys, *argv)
    assert code == 0, err
    assert out.startswith(words), out
