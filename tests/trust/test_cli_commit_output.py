"""Nothing the command line prints says "saved" before the commit has returned.

Two checks: every module in services/cli prints only after its write transaction (checked on the
source, so a new command cannot slip back), and every writing command, killed at the moment of its
commit, has printed nothing — while the same command run normally does print its result.
"""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

import main
from services import cli, development, idcard, rectification
from services.db import Database
from tests.conftest import Builder
from tests.trust.conftest import add_meeting

CLI_DIR = Path(cli.__file__).parent
_OUTPUT_CALLS = {"print", "emit", "sys.stdout.write", "json.dump", "sys.stdout.writelines"}


def _prints_inside_transactions(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.With):
            continue
        head = " ".join(ast.unparse(item.context_expr) for item in node.items)
        if "transaction(" not in head and ".begin(" not in head:
            continue
        for inner in node.body:
            for sub in ast.walk(inner):
                if isinstance(sub, ast.Call) and ast.unparse(sub.func) in _OUTPUT_CALLS:
                    found.append(f"{path.name}:{sub.lineno} {ast.unparse(sub)[:60]}")
    return found


def test_no_cli_module_prints_inside_a_write_transaction() -> None:
    modules = sorted(CLI_DIR.glob("*.py"))
    assert len(modules) > 10
    offending = [hit for path in modules for hit in _prints_inside_transactions(path)]
    assert offending == []


class _KilledAtCommit(BaseException):
    """Stands for SIGKILL arriving while the commit is being written (not caught by main)."""


def _writing_commands(db: Database, build: Builder, tmp_path: Path) -> list[list[str]]:
    branch = build.branch(members=2)
    member_id, gone_id, moving_id = (build.member(branch.id, name).id for name in ("赵四", "周五", "吴六"))
    meeting_id = add_meeting(db, branch.id)
    with db.transaction("test") as s:
        applicant = development.create_applicant(
            s,
            branch.id,
            development.ApplicantInput("钱七", build.id_number(date(1995, 3, 3)), date(2026, 1, 5), ""),
        )
        problem = rectification.open_problem(
            s, branch.id, "台账", "记录不全", date(2026, 9, 1), date(2026, 12, 1)
        )
    photo = tmp_path / "合影.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 200)
    new_number = idcard.make("620421", date(1970, 2, 2), 501)
    applicant_number = idcard.make("620421", date(1996, 4, 4), 503)
    return [
        ["township", "add", "T02", "新镇"],
        ["branch", "add", "B02", "二村党支部", "--township", "T01"],
        ["group", "add", "第一党小组", "--branch", "B01"],
        ["member", "add", "--branch", "B01", "--name", "王五", "--id-number", new_number, "--joined", "2005-07-01"],
        ["member", "state", member_id, "--state", "deceased", "--date", "2026-01-01"],
        ["member", "delete", gone_id],
        ["meeting", "add", "--branch", "B01", "--type", "congress", "--date", "2026-10-11", "--topics", "学习"],
        ["attach", "add", meeting_id, str(photo)],
        ["meeting", "delete", meeting_id],
        ["dev", "apply", "--branch", "B01", "--name", "孙八", "--id-number", applicant_number, "--applied", "2026-01-01"],
        ["dev", "talk", applicant.id, "--date", "2026-01-20"],
        ["fee", "set", moving_id, "--month", "2026-10", "--category", "farmer"],
        ["fund", "add", "--branch", "B01", "--date", "2026-10-01", "--direction", "income", "--category", "党费返还", "--amount", "100"],
        ["training", "add", "--branch", "B01", "--title", "学习", "--date", "2026-10-01", "--hours", "2"],
        ["decision", "add", "--branch", "B01", "--title", "修路", "--date", "2026-10-01"],
        ["venue", "check", "--branch", "B01", "--item", "site", "--date", "2026-10-01", "--met"],
        ["problem", "add", "--branch", "B01", "--category", "组织生活", "--description", "会议记录不全", "--found", "2026-10-01", "--deadline", "2026-12-01"],
        ["problem", "weak", "--branch", "B01", "--date", "2026-10-01", "--reason", "班子不全"],
        ["problem", "start", problem.id],
        ["ledger", "do", "funds", "登记收支", "--branch", "B01", "--on", "2026-10-02", "--direction", "支出", "--category", "活动", "--amount-fen", "12.5"],
        ["transfer", "out", moving_id, "--date", "2026-10-01", "--to", "外县某支部"],
    ]  # fmt: skip


def test_every_writing_command_killed_at_commit_has_printed_nothing(
    db: Database,
    db_path: Path,
    build: Builder,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    commands = _writing_commands(db, build, tmp_path)
    capsys.readouterr()
    for argv in commands:
        listener_args = (Session, "before_commit", _die)
        event.listen(*listener_args)
        try:
            with pytest.raises(_KilledAtCommit):  # the command reached its commit
                main.main(["--db", str(db_path), *argv])
        finally:
            event.remove(*listener_args)
        out, _err = capsys.readouterr()
        assert out == "", f"{' '.join(argv[:2])} printed before its commit: {out!r}"
        # The same command, not killed, does report its result (after the commit).
        code = main.main(["--db", str(db_path), *argv])
        out, err = capsys.readouterr()
        assert code == 0, f"{' '.join(argv[:2])}: {err}"
        assert out.strip(), f"{' '.join(argv[:2])} printed nothing when it succeeded"


def _die(_session: Session) -> None:
    raise _KilledAtCommit


def test_output_written_inside_a_transaction_appears_only_after_commit(
    db: Database, build: Builder, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    build.township()
    with cli.OutputGate(sys.stdout).installed() as gate:
        db.around_transaction = gate.transaction
        try:
            with db.transaction("test"):
                print("已保存")
                assert capsys.readouterr().out == ""  # held while the transaction is open
            assert capsys.readouterr().out == "已保存\n"
            with pytest.raises(RuntimeError), db.transaction("test"):
                print("不该出现")
                raise RuntimeError
            print("事务外")
        finally:
            db.around_transaction = None
    assert capsys.readouterr().out == "事务外\n"
