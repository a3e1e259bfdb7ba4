"""A ledger's year and branch follow the records' history: a member who moved mid-year stays in the old
branch's booklet; a withdrawn 发展对象 leaves the later years; 整改中 can be set (GUI action and CLI)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from main import main
from models import Township
from services import development, rectification, transfers
from services.handbook.pack import Ledger, LedgerColumn, LedgerSection
from services.ledgers.actions import ACTIONS, Target
from services.ledgers.catalog import LISTINGS
from services.meetings import AttendanceInput, MeetingInput, create_meeting
from services.printing import sections
from services.printing.booklet import BookletOptions, build_branch_booklet
from tests.conftest import TODAY, Builder
from tests.printing import pdfcheck


def test_a_member_who_moved_mid_year_stays_in_the_old_branchs_booklet(build: Builder) -> None:
    old = build.branch("B01", "一村党支部")
    new = build.branch("B02", "二村党支部")
    mover = build.member(old.id, "王迁出", joined_on=date(2010, 7, 1))
    stayer = build.member(old.id, "李留守", joined_on=date(2010, 7, 1))
    with build.db.transaction("t") as s:
        create_meeting(
            s,
            old.id,
            MeetingInput(
                "congress",
                date(2026, 3, 1),
                "学习",
                attendance=[AttendanceInput(mover.id), AttendanceInput(stayer.id)],
            ),
            today=TODAY,
        )
        transfers.transfer_out(s, mover.id, date(2026, 6, 1), "二村党支部", today=TODAY)
        transfers.transfer_in(s, mover.id, new.id, date(2026, 6, 1), "一村党支部", today=TODAY)
    attendance = LedgerSection(
        title="出席登记",
        records="attendance",
        columns=[
            LedgerColumn(field="meeting.held_on", title="日期"),
            LedgerColumn(field="member_id", title="姓名"),
        ],
    )
    extra = [sections._REGISTRY["members.roster"], sections._REGISTRY["life.attendance"]]
    with build.db.reader() as s:
        rendered = build_branch_booklet(
            s,
            old.id,
            2026,
            BookletOptions(
                ledgers=[Ledger(id="org_life", name="组织生活台账", section=[attendance])],
                extra_sections=extra,
                include_forms=False,
            ),
        )
    pages = pdfcheck.texts(rendered.data)

    def page(mark: str) -> str:
        return pdfcheck.compact(pages[rendered.marks[mark] - 1])

    assert "2026-03-01王迁出" in page("sec.pack.org_life.0")  # the name, not a blank
    assert "王迁出" in page("sec.members.roster") and "转出2026-06-01" in page("sec.members.roster")
    assert "王迁出1100" in page("sec.life.attendance")  # 应参加 1, 出席 1, 请假 0, 缺席 0
    with build.db.reader() as s:  # the new branch's booklet lists the mover too, from the move on
        township = s.get(Township, old.township_id)
        assert township is not None
        new_data = sections.BookletData(s, new, township, 2026)
        assert [m.name for m in new_data.members] == ["王迁出"]
        old_data = sections.BookletData(s, old, township, 2026)
        moved = next(m for m in old_data.members if m.name == "王迁出")
        assert old_data.in_branch_on(moved, date(2026, 5, 31)) and not old_data.in_branch_on(
            moved, date(2026, 12, 31)
        )


def test_a_withdrawn_development_record_leaves_the_later_years(build: Builder) -> None:
    branch = build.branch()
    with build.db.transaction("t") as s:
        record = development.create_applicant(
            s,
            branch.id,
            development.ApplicantInput("赵申请", build.id_number(date(1998, 1, 2)), date(2024, 3, 1)),
            today=TODAY,
        )
        development.withdraw(s, record.id, date(2025, 5, 1), "本人申请撤回")
    listing = LISTINGS["development"]
    with build.db.reader() as s:
        years = {y: [r["name"] for r in listing.load(s, [branch.id], y)] for y in (2024, 2025, 2026)}
    assert years == {2024: ["赵申请"], 2025: ["赵申请"], 2026: []}


def test_a_problem_can_be_set_to_in_progress_from_the_form_and_the_command_line(
    build: Builder, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    branch = build.branch("B01")
    with build.db.transaction("t") as s:
        first = rectification.open_problem(
            s, branch.id, "台账", "会议记录不全", date(2026, 3, 1), date(2026, 12, 1)
        )
        second = rectification.open_problem(
            s, branch.id, "阵地", "缺公开栏", date(2026, 3, 1), date(2026, 12, 1)
        )
    start = next(a for a in ACTIONS["rectification"] if a.title == "开始整改")
    with build.db.transaction("t") as s:
        start.run(s, Target(branch.id, first.id), {})
    assert main(["--db", str(db_path), "problem", "start", second.id]) == 0
    assert "整改中" in capsys.readouterr().out
    listing = LISTINGS["rectification"]
    with build.db.reader() as s:
        shown = {r["description"]: listing.display(r, "status") for r in listing.load(s, [branch.id], 2026)}
    assert shown == {"会议记录不全": "整改中", "缺公开栏": "整改中"}
    with build.db.transaction("t") as s:
        rectification.close_problem(s, first.id, date(2026, 4, 1), "已补齐", today=TODAY)
    assert main(["--db", str(db_path), "problem", "start", first.id]) != 0
    assert "已销号" in capsys.readouterr().err
