"""One activity, several kinds (组织生活会暨民主评议党员; 主题党日 with a 党员大会 or a 党课) counts for
every kind it was — in the checks, the listing, the Excel export and the booklet; kinds that exclude each
other are refused. A record typed in from paper (补录) carries the paper's date of record, and
timeliness is judged from it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models import Branch, Meeting
from services import meetings
from services.errors import ValidationError
from tests.handbook.conftest import LATER, Kit, Unit, of_rule

YEAR_END = date(2027, 1, 5)


def _record(kit: Kit, unit: Unit, data: meetings.MeetingInput, today: date = LATER) -> str:
    with kit.db.transaction("t") as s:
        return meetings.create_meeting(s, unit.branch.id, data, today=today).id


def test_life_meeting_combined_with_appraisal_counts_for_both(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    _record(
        kit,
        unit,
        meetings.MeetingInput(
            "life", date(2026, 12, 20), "组织生活会暨民主评议党员", also_types=["appraisal"]
        ),
    )
    result = kit.check("2026", YEAR_END)
    assert of_rule(result, "LIFE-06") == [] and of_rule(result, "LIFE-07") == []


def test_without_the_combination_the_appraisal_is_still_missing(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    _record(kit, unit, meetings.MeetingInput("life", date(2026, 12, 20), "组织生活会"))
    result = kit.check("2026", YEAR_END)
    assert of_rule(result, "LIFE-06") == [] and len(of_rule(result, "LIFE-07")) == 1


def test_theme_day_held_with_congress_and_lecture_counts_for_each(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    for month in (1, 2, 3):
        kit.meeting(unit, "theme_day", date(2026, month, 5))
    _record(
        kit,
        unit,
        meetings.MeetingInput(
            "theme_day",
            date(2026, 3, 20),
            "主题党日暨支部党员大会、党课",
            lecturer="书记",
            also_types=["congress", "lecture"],
        ),
    )
    q1 = kit.check("2026Q1", date(2026, 4, 2))
    assert of_rule(q1, "LIFE-01") == [] and of_rule(q1, "LIFE-04") == [] and of_rule(q1, "LIFE-05") == []
    # The quorum rule reads the combined meeting as a 党员大会 too (everyone present here).
    assert of_rule(q1, "LIFE-08") == []


def test_combined_meeting_quorum_is_judged_as_a_congress(kit: Kit) -> None:
    unit = kit.branch("B01", full=4)
    rows = [
        meetings.AttendanceInput(m.id, "absent" if i < 2 else "present") for i, m in enumerate(unit.members)
    ]
    _record(
        kit,
        unit,
        meetings.MeetingInput(
            "theme_day", date(2026, 3, 20), "主题党日暨党员大会", also_types=["congress"], attendance=rows
        ),
    )
    (f,) = of_rule(kit.check("2026Q1", date(2026, 4, 2)), "LIFE-08")
    assert "3月20日（2/4）" in f.message


@pytest.mark.parametrize(
    ("primary", "also", "words"),
    [
        ("committee", ["congress"], "支委会和支部党员大会是不同的会议"),
        ("congress", ["group"], "支部党员大会和党小组会是不同的会议"),
        ("other", ["lecture"], "“其他”会议不能与其他类型合并"),
        ("life", ["life"], "已是主要类型"),
        ("life", ["appraisal", "appraisal"], "重复"),
        ("life", ["holiday"], "未知的会议类型"),
    ],
)
def test_kinds_that_exclude_each_other_are_refused_and_nothing_written(
    kit: Kit, primary: str, also: list[str], words: str
) -> None:
    unit = kit.branch("B01", full=5)
    data = meetings.MeetingInput(primary, date(2026, 3, 20), "议题", lecturer="书记", also_types=also)
    with pytest.raises(ValidationError) as err:
        _record(kit, unit, data)
    assert err.value.field == "also_types" and words in err.value.message
    with kit.db.reader() as s:
        assert s.scalar(select(Meeting.id)) is None


def test_combined_meeting_shows_every_kind_in_listing_export_and_booklet(kit: Kit, tmp_path: Path) -> None:
    from services.excel.export import export_xlsx
    from services.printing.sections import BookletData, meeting_counts

    unit = kit.branch("B01", full=5)
    _record(
        kit,
        unit,
        meetings.MeetingInput(
            "life", date(2026, 12, 20), "组织生活会暨民主评议党员", also_types=["appraisal"]
        ),
    )
    with kit.db.reader() as s:
        (row,) = meetings.list_meetings(s, meetings.MeetingFilter([unit.branch.id], 2026, ["appraisal"]))
        assert row.type_label == "组织生活会暨民主评议党员"
        export_xlsx(s, "meetings", tmp_path / "m.xlsx", branch_ids=[unit.branch.id])
    sheet = load_workbook(tmp_path / "m.xlsx").active
    assert sheet is not None
    values = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert "组织生活会" in values and "民主评议党员" in values
    with kit.db.reader() as s:
        branch = s.get(Branch, unit.branch.id)
        assert branch is not None
        data = BookletData(s, branch, branch.township, 2026)
        (table,) = meeting_counts(data)
        cells = [[_text(c) for c in row] for row in table._cellvalues]  # type: ignore[attr-defined]
    by_kind = {row[0]: row[-1] for row in cells[1:]}
    # Counted under both kinds, once in the total.
    assert (by_kind["组织生活会"], by_kind["民主评议党员"], by_kind["合计（次）"]) == ("1", "1", "1")


def _text(cell: object) -> str:
    return cell.getPlainText() if hasattr(cell, "getPlainText") else str(cell)


def test_backfilled_record_is_judged_by_its_paper_date(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    today = date(2026, 11, 20)  # typed in from paper in November
    _record(
        kit,
        unit,
        meetings.MeetingInput(
            "congress", date(2026, 3, 10), "学习", recorded_on=date(2026, 3, 12), backfilled=True
        ),
        today=today,
    )
    late = _record(kit, unit, meetings.MeetingInput("congress", date(2026, 4, 10), "学习"), today=today)
    found = of_rule(kit.check("2026", YEAR_END), "LIFE-12")
    assert [f.record_ids for f in found] == [[late]]
    with kit.db.reader() as s:
        row = s.get(Meeting, late)
        assert row is not None and row.recorded_on == today and row.backfilled is False


@pytest.mark.parametrize(
    ("recorded_on", "backfilled", "words"),
    [
        (None, True, "补录的会议须填写纸质记录上的记录日期"),
        (date(2026, 3, 9), True, "记录日期不能早于会议日期"),
        (date(2028, 1, 1), False, "记录日期不能晚于今天"),
    ],
)
def test_bad_record_date_is_refused(kit: Kit, recorded_on: date | None, backfilled: bool, words: str) -> None:
    unit = kit.branch("B01", full=5)
    data = meetings.MeetingInput(
        "congress", date(2026, 3, 10), "学习", recorded_on=recorded_on, backfilled=backfilled
    )
    with pytest.raises(ValidationError) as err:
        _record(kit, unit, data)
    assert err.value.field == "recorded_on" and words in err.value.message


def test_late_entry_lists_a_meeting_of_several_kinds_once(kit: Kit) -> None:
    unit = kit.branch("B01", full=5)
    late = _record(
        kit,
        unit,
        meetings.MeetingInput(
            "congress", date(2026, 11, 12), "学习", lecturer="书记", also_types=["lecture"]
        ),
        today=date(2026, 11, 30),
    )
    found = of_rule(kit.check("2026", YEAR_END), "LIFE-12")
    assert [f.record_ids for f in found] == [[late]]
    assert found[0].message.count("11月12日") == 1
