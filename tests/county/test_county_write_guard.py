"""A county database holds the townships' records as their packages brought them: every command that
would add, change, move or delete a township record is refused on it (CLI as well as GUI), with a
Chinese message naming what was refused, and nothing is written. Receiving packages still writes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

import main
from models import Branch, Meeting, Member, Township
from services import idcard
from services.county.mode import township_write_refusal
from services.db import current_seq, open_database
from tests.county.conftest import Desk


def run(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(path: Path) -> tuple[int, int, int, int, int]:
    db = open_database(path)
    try:
        with db.reader() as s:
            return (
                current_seq(s),
                *(
                    s.scalar(select(func.count()).select_from(m)) or 0
                    for m in (Member, Meeting, Township, Branch)
                ),
            )
    finally:
        db.close()


def test_every_township_record_command_is_refused_on_a_county_database(
    desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    path = desk.db.path
    assert path is not None
    with desk.db.reader() as s:
        branch = s.scalars(select(Branch).where(Branch.deleted.is_(False)).order_by(Branch.code)).first()
        assert branch is not None
        township = s.get(Township, branch.township_id)
        assert township is not None
        member = s.scalars(
            select(Member).where(Member.branch_id == branch.id, Member.deleted.is_(False))
        ).first()
        meeting = s.scalars(select(Meeting).where(Meeting.deleted.is_(False))).first()
        assert member is not None and meeting is not None
        where = f"{township.code}/{branch.code}"
        member_id, meeting_id = member.id, meeting.id
    before = snapshot(path)
    commands = {
        "新增“党员”": (
            "member add --branch",
            where,
            "--name",
            "孙八",
            "--id-number",
            idcard.make("620421", date(1980, 5, 17), 3),
            "--joined",
            "2010-07-01",
        ),
        "“党员”": ("member state", member_id, "--state", "left", "--date", "2026-01-05"),
        "删除“党员”": ("member delete", member_id),
        "新增“会议": (
            "meeting add --branch",
            where,
            "--type",
            "committee",
            "--date",
            "2026-03-01",
            "--topics",
            "学习",
        ),
        "删除“会议": ("meeting delete", meeting_id),
        "新增“乡镇": ("township add", "T09", "新乡镇"),
        "新增“党组织": ("branch add --township", township.code, "B99", "新支部"),
        "生成演示数据": ("demo --scale small --quiet",),
        "修改“乡镇": ("township edit", township.code, "--name", "改名镇"),
        "修改“党组织": ("branch edit", where, "--name", "改名支部"),
        "新增“党小组": ("group add --branch", where, "--name", "第九党小组"),
    }
    for named, (head, *rest) in commands.items():
        code, out, err = run(path, capsys, *head.split(), *rest)
        assert code != 0, f"{head} was accepted on the county database: {out}"
        assert "县级接收数据库" in err and "不能在这里" in err and named in err, err
        assert "已保存" not in out and "saved" not in out.lower()
    assert snapshot(path) == before


def test_refusal_message_names_the_action_and_says_where_to_correct() -> None:
    message = township_write_refusal("修改“党员”记录")
    assert "不能在这里修改“党员”记录" in message and "乡镇" in message and "重新报送" in message


def test_receiving_and_resolving_still_write_on_a_guarded_county(
    desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    """The guard comes with opening: the CLI's own receipt and conflict decision still write."""
    path = desk.db.path
    assert path is not None
    code, _out, err = run(path, capsys, "sync", "conflicts", "resolve", "1", "--keep", "other")
    assert code == 0, err
    _code, _out, err = run(path, capsys, "county", "receive", str(desk.usb))
    assert "县级接收数据库" not in err and "Traceback" not in err
