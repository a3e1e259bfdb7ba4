"""Command-line arguments as clerks type them: options and positionals in any order, global options after
the command, and branch codes qualified by township (T01/B101) wherever --branch is taken."""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

import main
from services import cli, idcard, meetings, org
from services.db import Database, open_database
from tests.cli_ids import printed_id
from tests.conftest import TODAY, Builder


def run(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def leaf_parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [(path, parser)]
    out = []
    for sub in subs:
        for name, child in sub.choices.items():
            out += leaf_parsers(child, (*path, name))
    return out


def sample(action: argparse.Action) -> str:
    if action.choices:
        return str(next(iter(action.choices)))
    if action.type is int:
        return "2025"
    return "x-2025"


def test_every_command_accepts_its_options_before_after_and_between_positionals() -> None:
    parser, sub = main._parser()
    cli.register_every(sub)  # every command for real (a run registers only the one it names)
    checked = 0
    for path, leaf in leaf_parsers(parser):
        positionals = [a for a in leaf._actions if not a.option_strings and a.nargs in (None, "?")]
        valued = [
            a
            for a in leaf._actions
            if a.option_strings
            and a.nargs is None
            and not a.const
            and a.help != argparse.SUPPRESS
            and (a.type in (None, str, int) and not a.required)
        ]
        if not positionals or not valued:
            continue
        option = valued[0]
        flag = [option.option_strings[-1], sample(option)]
        required = [
            w
            for a in leaf._actions
            if a.option_strings and a.required
            for w in (a.option_strings[-1], sample(a))
        ]
        words = [sample(a) for a in positionals]
        usual = words + flag + required  # the order argparse always accepted
        try:
            expected = vars(parser.parse_known_args([*path, *usual])[0])
        except SystemExit:
            continue  # a sample value its type refuses (an existing file, a date): not about order
        for order in (
            flag + words + required,
            words[:1] + flag + words[1:] + required,
            required + flag + words,
        ):
            got = vars(parser.parse_known_args([*path, *order])[0])
            assert got == expected, f"{' '.join((*path, *order))}: {got} != {expected}"
        assert expected[option.dest] == (2025 if option.type is int else sample(option))
        checked += 1
    assert checked >= 10


def test_export_with_year_before_the_output_path(
    db: Database, build: Builder, db_path: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    branch = build.branch(members=3)
    with db.transaction("test") as s:
        for day in (date(2024, 6, 1), date(2025, 6, 1)):
            meetings.create_meeting(s, branch.id, meetings.MeetingInput("congress", day, "议题"), TODAY)
    out = tmp_path / "出席.xlsx"
    code, stdout, err = run(db_path, capsys, "export-xlsx", "attendance", "--year", "2025", str(out))
    assert code == 0, err
    assert "已导出 3 行" in stdout
    rows = list(openpyxl.load_workbook(out, read_only=True).active.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 3 and {r[0].year for r in rows} == {2025}


def test_global_options_may_follow_the_command(
    db: Database, build: Builder, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build.branch("B01", members=2)
    db.close()
    code = main.main(["member", "list", "--branch", "B01", "--db", str(db_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.count("党员B01") == 2


def test_unknown_words_are_still_refused(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main.main(["--db", str(db_path), "member", "list", "多余的词"])
    assert exc.value.code == 2
    assert "多余的词" in capsys.readouterr().err


@pytest.fixture
def county(db: Database, build: Builder) -> Database:
    """Two townships that both have a B101, and a B201 only in the second."""
    build.township("T01", "城关镇")
    build.branch("B101", "一村党支部", members=2)
    build.township("T02", "河口镇")
    build.branch("B101", "河口一村党支部", members=3)
    build.branch("B201", "河口二村党支部", members=1)
    return db


def test_township_qualified_code_picks_that_townships_branch(county: Database) -> None:
    with county.reader() as s:
        assert org.branch_by_code(s, "T01/B101").name == "一村党支部"
        assert org.branch_by_code(s, " T02 / B101 ").name == "河口一村党支部"
        assert org.branch_by_code(s, "B201").name == "河口二村党支部"  # unique: the bare code is enough


def test_ambiguous_bare_code_is_refused_with_the_choices(county: Database) -> None:
    from services.errors import NotFound, ValidationError

    with county.reader() as s:
        with pytest.raises(ValidationError) as exc:
            org.branch_by_code(s, "B101")
        assert exc.value.field == "branch"
        assert "T01/B101" in exc.value.message and "T02/B101" in exc.value.message
        with pytest.raises(NotFound, match="乡镇 T01 中"):
            org.branch_by_code(s, "T01/B201")
        with pytest.raises(ValidationError, match="不完整"):
            org.branch_by_code(s, "/B101")


def test_cli_branch_option_takes_qualified_codes_and_names_the_choices(
    county: Database, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    county.close()
    code, out, err = run(db_path, capsys, "member", "list", "--branch", "T02/B101")
    assert code == 0, err
    assert out.count("党员B101") == 3
    code, out, err = run(db_path, capsys, "member", "list", "--branch", "B101")
    assert code == 1
    assert "T01/B101" in err and "T02/B101" in err and not out
    code, out, err = run(
        db_path,
        capsys,
        "meeting",
        "add",
        "--branch",
        "B101",
        "--type",
        "congress",
        "--date",
        "2026-10-10",
        "--topics",
        "学习",
    )
    assert code == 1 and "T02/B101" in err
    code, out, err = run(
        db_path,
        capsys,
        "meeting",
        "list",
        "--branch",
        "T01/B101",
        "--year",
        "2026",
    )
    assert code == 0, err


def test_coded_options_take_the_chinese_label_as_well_as_the_code(
    db: Database, build: Builder, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build.township("T01", "城关镇")
    db.close()
    code, _out, err = run(
        db_path, capsys, "branch", "add", "B1", "一村党支部", "--township", "T01", "--domain", "农村"
    )
    assert code == 0, err
    code, _out, err = run(
        db_path, capsys, "branch", "add", "B2", "二村", "--township", "T01", "--domain", "rural"
    )
    assert code == 0, err
    again = open_database(db_path)
    with again.reader() as s:
        assert org.branch_by_code(s, "B1").domain == org.branch_by_code(s, "B2").domain == "rural"
    again.close()
    with pytest.raises(SystemExit) as exc:
        main.main(
            ["--db", str(db_path), "branch", "add", "B3", "三村", "--township", "T01", "--domain", "乡下"]
        )
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "乡下" in err and "rural=农村" in err


def test_a_date_the_cli_cannot_read_names_its_field(
    db: Database, build: Builder, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build.branch("B01", members=2)
    db.close()
    code, out, err = run(
        db_path,
        capsys,
        "meeting",
        "add",
        "--branch",
        "B01",
        "--type",
        "committee",
        "--date",
        "2026-13-45",
        "--topics",
        "议题",
    )
    assert code == 1 and not out
    assert err.startswith("错误：日期：无法识别的日期：2026-13-45")
    code, out, err = run(
        db_path,
        capsys,
        "meeting",
        "add",
        "--branch",
        "B01",
        "--type",
        "支委会",
        "--date",
        "2026-10-10",
        "--time",
        "9点半",
        "--topics",
        "议题",
    )
    assert code == 1 and "开始时间：无法识别的时间" in err
    code, out, err = run(db_path, capsys, "meeting", "list", "--branch", "B01", "--json")
    assert code == 0 and json.loads(out) == []


def test_leave_for_a_name_two_members_share_is_refused_and_the_member_id_works(
    db: Database, build: Builder, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    branch = build.branch("B01", members=2)
    first = build.member(branch.id, "孙八")
    build.member(branch.id, "孙八")
    db.close()
    base = [
        "meeting",
        "add",
        "--branch",
        "B01",
        "--type",
        "congress",
        "--date",
        "2026-09-12",
        "--topics",
        "讨论",
    ]
    code, out, err = run(db_path, capsys, *base, "--leave", "孙八:病")
    assert code == 1 and not out
    assert "2 名「孙八」" in err and "党员编号" in err  # never both marked on leave
    code, out, err = run(db_path, capsys, *base, "--leave", f"{first.id}:病")
    assert code == 0, err
    shown = json.loads(run(db_path, capsys, "meeting", "show", printed_id(out), "--json")[1])
    assert sorted(a["status"] for a in shown["attendance"] if a["name"] == "孙八") == ["leave", "present"]


def test_a_meeting_that_can_never_be_saved_says_why_before_asking_to_confirm(
    db: Database, build: Builder, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build.branch("B01", members=2, founded_on=date(2000, 1, 1))
    db.close()
    code, _out, err = run(
        db_path, capsys, "meeting", "add", "--branch", "B01", "--type", "congress", "--date", "1990-01-10",
        "--topics", "很早",
    )  # fmt: skip
    assert code == 1 and "早于支部成立日期" in err and "--force" not in err


def test_member_added_without_a_status_is_probationary_within_the_year_of_probation(
    db: Database, build: Builder, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from services import localtime

    build.branch("B01", members=0)
    db.close()
    today = localtime.local_today()
    recent = today.replace(year=today.year - 1) + timedelta(days=30)
    for name, joined, number in (("新党员", recent, idcard.make("620421", date(1996, 1, 1), 5)),
                                 ("老党员", date(2005, 7, 1), idcard.make("620421", date(1970, 1, 1), 7))):  # fmt: skip
        code, _out, err = run(
            db_path, capsys, "member", "add", "--branch", "B01", "--name", name, "--id-number", number,
            "--joined", joined.isoformat(),
        )  # fmt: skip
        assert code == 0, err
    listed = json.loads(run(db_path, capsys, "member", "list", "--branch", "B01", "--json")[1])
    assert {r["name"]: r["status"] for r in listed} == {"新党员": "probationary", "老党员": "full"}


def test_a_check_of_a_period_that_has_not_begun_is_refused(
    db: Database, build: Builder, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build.branch("B01", members=3)
    db.close()
    code, out, err = run(db_path, capsys, "check", "--period", "2027", "--as-of", "2026-11-30")
    assert code == 1 and not out and "2027 还没有开始" in err
    code, out, err = run(db_path, capsys, "check", "--period", "2026-12", "--as-of", "2026-11-30")
    assert code == 1 and "还没有开始" in err
