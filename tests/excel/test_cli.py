"""The command line: exit codes 0 imported, 1 problems (nothing written), 2 unusable file/arguments."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

import main
from services import members
from services.db import Database
from tests.conftest import Builder
from tests.excel.conftest import ROSTER_HEADER, person

Book = Callable[..., Path]


@pytest.fixture
def run(db_path: Path, db: Database, build: Builder) -> Callable[..., int]:
    build.branch("B01", "一村党支部", members=3)

    def invoke(*args: str) -> int:
        return main.main(
            [
                "--db",
                str(db_path),
                *args,
                *(["--today", "2026-11-24"] if args[0].startswith("import") else []),
            ]
        )

    return invoke


def count(db: Database) -> int:
    with db.reader() as s:
        return len(members.roster(s))


def test_dry_run_lists_problems_and_writes_nothing(run, db: Database, book: Book, capsys) -> None:  # type: ignore[no-untyped-def]
    path = book([ROSTER_HEADER, ["张三", person(101), "2005-07-01"], ["李四", "6.21027E+17", "2005-07-01"]])
    assert run("import-roster", str(path), "--branch", "B01", "--dry-run") == 1
    out = capsys.readouterr().out
    assert "第 3 行 B 列（公民身份号码）" in out and "文本" in out
    assert count(db) == 3


def test_json_output_and_exit_codes(run, db: Database, book: Book, capsys) -> None:  # type: ignore[no-untyped-def]
    path = book([ROSTER_HEADER, ["张三", person(101), "2005-07-01"], ["李四", "123", "2005-07-01"]])
    assert run("import-roster", str(path), "--branch", "B01", "--json") == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "problems"
    assert [(p["row"], p["column"]) for p in data["plan"]["problems"]] == [(3, "B")]
    assert count(db) == 3
    assert run("import-roster", str(path), "--branch", "B01", "--valid-only", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "imported" and data["result"]["created"] == 1
    assert count(db) == 4


def test_unusable_file_and_unknown_branch_exit_2(run, book: Book, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "x.xlsx"
    bad.write_text("姓名,身份证号\n", encoding="utf-8")
    assert run("import-roster", str(bad), "--branch", "B01") == 2
    assert "CSV" in capsys.readouterr().err
    good = book([ROSTER_HEADER, ["张三", person(101), "2005-07-01"]])
    assert run("import-roster", str(good), "--branch", "NOPE") == 2
    assert run("import-roster", str(tmp_path / "missing.xlsx"), "--branch", "B01") == 2


def test_updates_need_confirmation(run, db: Database, book: Book, capsys) -> None:  # type: ignore[no-untyped-def]
    with db.reader() as s:
        first = members.roster(s)[0]
    path = book(
        [
            ["姓名", "公民身份号码", "入党日期", "联系电话"],
            [first.name, first.id_number, "2005-07-01", "13900001111"],
        ]
    )
    assert run("import-roster", str(path), "--branch", "B01") == 0
    assert "联系电话：（空） → 13900001111" in capsys.readouterr().out
    with db.reader() as s:
        assert members.get_member(s, first.id).phone == ""
    assert run("import-roster", str(path), "--branch", "B01", "--confirm-updates") == 0
    with db.reader() as s:
        assert members.get_member(s, first.id).phone == "13900001111"


def test_templates_and_exports_from_the_command_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("template", "roster", str(tmp_path / "t.xlsx")) == 0
    assert run("template", "meetings", str(tmp_path / "m.xlsx")) == 0
    for what in ("members", "meetings", "attendance", "committee", "party-groups", "branches"):
        out = tmp_path / f"{what}.xlsx"
        assert run("export-xlsx", what, str(out), "--branch", "B01", "--year", "2026") == 0
        assert CalamineWorkbook.from_path(str(out)).sheet_names
    assert run("export-xlsx", "members", str(tmp_path / "no-such-dir" / "x.xlsx")) == 2
    assert run("export-xlsx", "no-such-table", str(tmp_path / "x.xlsx")) == 2
    assert run("export-xlsx", "list") == 0


def test_import_meetings_command(run, book: Book, capsys) -> None:  # type: ignore[no-untyped-def]
    path = book([["会议日期", "会议类型", "议题"], ["2026-10-10", "支部党员大会", "学习党章"]], sheet="会议")
    assert run("import-meetings", str(path), "--branch", "B01") == 0
    assert "新增 1 条" in capsys.readouterr().out
