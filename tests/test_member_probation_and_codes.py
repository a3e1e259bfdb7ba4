"""A full member without a 转正日期 is full from the end of the one-year probation (《中国共产党章程》
第七条：预备期为一年; ../shared/domain.md), whichever way he was entered (CLI, form's service, roster
import); the CLI's enum options take the Chinese labels and common words; the 党内统计年报 does not
count a blank 学历 in any band."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

import main
from models import Member
from services import committee, localtime, members
from services.dates import add_months
from services.db import Database
from services.errors import ValidationError
from services.excel.roster_import import apply_roster_import, plan_roster_import
from services.reports.statistics import statistics
from tests.conftest import TODAY, Builder
from tests.excel.conftest import write_book

# TODAY is 2026-11-24: 刘洋, who joined on 2025-06-01, ended his probation on 2026-06-01.
JOINED = date(2025, 6, 1)
PROBATION_END = date(2026, 6, 1)


def cli(db_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main.main(["--db", str(db_path), *argv])
    except SystemExit as exc:  # argparse refuses a bad option with exit 2
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def stored(db: Database, name: str) -> Member:
    with db.reader() as s:
        member = s.scalars(select(Member).where(Member.name == name)).one()
        s.expunge(member)
        return member


def count(db: Database) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(Member)) or 0)


def test_cli_member_without_status_is_full_from_the_end_of_probation_or_probationary_within_it(
    db_path: Path, db: Database, build: Builder, capsys: pytest.CaptureFixture[str]
) -> None:
    build.branch("B01")
    today = localtime.local_today()  # the CLI's today
    for name, joined in (("刘洋", add_months(today, -18)), ("新人", add_months(today, -3))):
        code, _out, err = cli(
            db_path, capsys, "member", "add", "--branch", "B01", "--name", name,
            "--id-number", build.id_number(), "--joined", joined.isoformat(),
        )  # fmt: skip
        assert code == 0, err
    liu, new = stored(db, "刘洋"), stored(db, "新人")
    assert (liu.status, liu.full_member_on) == ("full", add_months(today, -6))
    assert (new.status, new.full_member_on) == ("probationary", None)


def test_full_member_without_full_date_is_probationary_until_the_end_of_probation_in_rules_and_statistics(
    db: Database, build: Builder
) -> None:
    branch = build.branch("B01", members=6)
    data = members.MemberInput(name="刘洋", id_number=build.id_number(), joined_on=JOINED, status="full")
    with db.transaction("t") as s:
        liu = members.create_member(s, branch.id, data, today=TODAY)
        assert liu.full_member_on == PROBATION_END
    with db.reader() as s:
        # 预备党员 on 31 December 2025 in the 党内统计年报; full from 1 June 2026
        y2025 = statistics(s, 2025, today=TODAY)
        assert committee.full_members_on(s, branch.id, date(2025, 12, 1)) == 6
        assert committee.full_members_on(s, branch.id, date(2026, 6, 1)) == 7
    basic = {row[0]: row[1] for row in y2025.table("basic").matrix()}
    assert (basic["预备党员"], basic["正式党员"]) == (1, 6)
    # no committee seat inside his probation (预备党员 have no right to be elected)
    with pytest.raises(ValidationError), db.transaction("t") as s:
        committee.add_seat(s, branch.id, liu.id, "member", date(2025, 12, 1), today=TODAY)


def test_full_status_given_within_a_year_of_joining_without_full_date_is_refused_at_status(
    db: Database, build: Builder
) -> None:
    branch = build.branch("B01")
    data = members.MemberInput(
        name="王强", id_number=build.id_number(), joined_on=date(2026, 3, 1), status="full"
    )
    with pytest.raises(ValidationError) as err, db.transaction("t") as s:
        members.create_member(s, branch.id, data, today=TODAY)
    assert err.value.field == "status" and "预备期一年" in err.value.message
    assert "2027-03-01" in err.value.message
    assert count(db) == 0


def test_full_status_given_after_probation_without_full_date_stores_the_end_of_probation(
    db: Database, build: Builder
) -> None:
    branch = build.branch("B01")
    data = members.MemberInput(name="王强", id_number=build.id_number(), joined_on=JOINED, status="full")
    with db.transaction("t") as s:
        member = members.create_member(s, branch.id, data, today=TODAY)
        assert member.full_member_on == PROBATION_END
    with db.transaction("t") as s:  # a 转正日期 the clerk gives is kept
        given = members.member_input(members.get_member(s, member.id))
        given.full_member_on = date(2026, 7, 1)
        assert members.update_member(s, member.id, given, today=TODAY).full_member_on == date(2026, 7, 1)


def test_roster_import_blank_status_follows_the_probation_and_stores_its_end(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch("B01")
    path = write_book(
        tmp_path / "roster.xlsx",
        [
            ["姓名", "公民身份号码", "入党日期", "党员类别"],
            ["刘洋", build.id_number(), JOINED.isoformat(), None],
            ["新人", build.id_number(), "2026-03-01", None],
        ],
    )
    with db.reader() as s:
        plan = plan_roster_import(s, branch.id, path, today=TODAY)
    assert plan.problems == []
    with db.transaction("t") as s:
        apply_roster_import(s, branch.id, plan, today=TODAY)
    liu, new = stored(db, "刘洋"), stored(db, "新人")
    assert (liu.status, liu.full_member_on) == ("full", PROBATION_END)
    assert (new.status, new.full_member_on) == ("probationary", None)


def test_roster_import_full_status_within_a_year_without_full_date_is_a_problem(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch("B01")
    path = write_book(
        tmp_path / "roster.xlsx",
        [
            ["姓名", "公民身份号码", "入党日期", "党员类别"],
            ["新人", build.id_number(), "2026-03-01", "正式党员"],
        ],
    )
    with db.reader() as s:
        plan = plan_roster_import(s, branch.id, path, today=TODAY)
    assert any("预备期一年" in p.message for p in plan.problems), plan.problems


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("高中", "senior"),
        ("大学本科", "bachelor"),
        ("本科", "bachelor"),
        ("大专", "college"),
        ("中专", "vocational"),
        ("研究生", "master"),
        ("初中及以下", "junior"),
        ("bachelor", "bachelor"),
    ],
)
def test_cli_education_takes_chinese_labels_and_common_words(
    db_path: Path, db: Database, build: Builder, capsys: pytest.CaptureFixture[str], word: str, code: str
) -> None:
    build.branch("B01")
    result, _out, err = cli(
        db_path, capsys, "member", "add", "--branch", "B01", "--name", "赵六",
        "--id-number", build.id_number(), "--joined", "2005-07-01", "--education", word,
    )  # fmt: skip
    assert result == 0, err
    assert stored(db, "赵六").education == code


def test_cli_unknown_education_names_the_option_and_the_choices_and_writes_nothing(
    db_path: Path, db: Database, build: Builder, capsys: pytest.CaptureFixture[str]
) -> None:
    build.branch("B01")
    code, _out, err = cli(
        db_path, capsys, "member", "add", "--branch", "B01", "--name", "赵六",
        "--id-number", build.id_number(), "--joined", "2005-07-01", "--education", "文盲",
    )  # fmt: skip
    assert code == 2 and "学历" in err and "文盲" in err and "高中" in err and "大学本科" in err
    assert count(db) == 0
    _code, out, _err = cli(db_path, capsys, "member", "add", "--help")
    assert "大学本科" in out and "硕士研究生" in out


def test_cli_account_role_and_member_state_take_chinese_labels(
    db_path: Path, db: Database, build: Builder, capsys: pytest.CaptureFixture[str]
) -> None:
    build.branch("B01")
    code, out, err = cli(
        db_path, capsys, "member", "add", "--branch", "B01", "--name", "赵六",
        "--id-number", build.id_number(), "--joined", "2005-07-01", "--json",
    )  # fmt: skip
    assert code == 0, err
    member_id = json.loads(out)["id"]
    code, _out, err = cli(
        db_path, capsys, "member", "state", member_id, "--state", "已去世", "--date", "2026-01-05"
    )
    assert code == 0, err
    assert stored(db, "赵六").state == "deceased"
    # 已转出 goes through transfer out, not member state
    code, _out, err = cli(
        db_path, capsys, "member", "state", member_id, "--state", "已转出", "--date", "2026-01-05"
    )
    assert code == 2 and "状态" in err


def test_statistics_do_not_count_a_blank_education_and_name_the_member(db: Database, build: Builder) -> None:
    branch = build.branch("B01")
    for name, education, joined in (("有学历", "junior", date(2005, 7, 1)), ("无学历", "", date(2025, 3, 1))):
        data = members.MemberInput(
            name=name,
            id_number=build.id_number(),
            joined_on=joined,
            status="probationary" if joined.year == 2025 else "full",
            education=education,
            occupation="farmer",
        )
        with db.transaction("t") as s:
            members.create_member(s, branch.id, data, today=TODAY)
    with db.reader() as s:
        report = statistics(s, 2025, today=TODAY)
    rows = {row[0]: row[1] for row in report.table("education").matrix()}
    assert (rows["党员总数"], rows["初中及以下"]) == (2, 1)
    failure = next(f for f in report.failures if f.table == "党员学历")
    assert failure.members == ("一村党支部 无学历",)
    assert "按学历分档合计" in failure.message and "无法统计" in failure.message
    assert any("无学历" in u and "学历" in u for u in report.uncountable)
    # the 发展党员 table: the member admitted in 2025 is not counted 初中及以下学历 either
    admitted = [f for f in report.failures if "无学历" in " ".join(f.members) and f.table != "党员学历"]
    assert admitted and all("education" not in f.message for f in report.failures)
