"""Data in is data out: what a clerk enters is cleaned once on entry and survives every output."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from sqlalchemy import select

import main
from models import Meeting, Member
from services import meetings, members, textclean
from services.db import Database
from services.excel import export as export_mod
from services.excel.errors import ExcelFileError
from services.excel.export import ExportColumn, ExportTable, export_xlsx, write_xlsx
from services.excel.meeting_import import plan_meeting_import
from services.excel.roster_import import apply_roster_import, plan_roster_import
from services.excel.templates import write_template
from tests.conftest import TODAY, Builder
from tests.excel.conftest import ROSTER_HEADER, person, write_book


def _meeting(db: Database, branch_id: str, **text: str) -> str:
    data = meetings.MeetingInput(
        type="congress", held_on=date(2026, 10, 10), topics=text.pop("topics", "学习")
    )
    for key, value in text.items():
        setattr(data, key, value)
    with db.transaction("t") as s:
        return meetings.create_meeting(s, branch_id, data, today=TODAY).id


def _cells(path: Path, sheet: str) -> list[list[object]]:
    wb = CalamineWorkbook.from_path(str(path))
    return wb.get_sheet_by_name(sheet).to_python()  # type: ignore[no-any-return]


# --- 1. control characters -------------------------------------------------------------------------


def test_word_line_break_in_minutes_is_stored_as_newline_and_every_export_works(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch("B01", members=3)
    meeting_id = _meeting(db, branch.id, minutes="第一段\x0b第二段\x00\x07", place="村部\x1b会议室")
    with db.reader() as s:
        stored = s.get(Meeting, meeting_id)
        assert stored is not None
        assert stored.minutes == "第一段\n第二段" and stored.place == "村部会议室"
        for what in ("meetings", "attendance", "members"):
            export_xlsx(s, what, tmp_path / f"{what}.xlsx")
    rows = _cells(tmp_path / "meetings.xlsx", "会议记录")
    assert any("第一段\n第二段" in [str(v) for v in r] for r in rows)


def test_member_form_values_are_cleaned_before_validation(db: Database, build: Builder) -> None:
    branch = build.branch("B01")
    data = members.MemberInput(name="\u200b\ufeff", id_number=person(31), joined_on=date(2005, 7, 1))
    with pytest.raises(members.ValidationError) as err, db.transaction("t") as s:
        members.create_member(s, branch.id, data, today=TODAY)
    assert err.value.field == "name"


def test_stored_control_characters_from_before_do_not_break_an_export(tmp_path: Path) -> None:
    # data written before cleaning existed (or by a bulk tool) is defended on the way out
    path = tmp_path / "old.xlsx"
    write_xlsx(ExportTable("旧数据", [ExportColumn("备注")], [["a\x0bb\x01c"], ["_x000D_ 字面"]]), path)
    assert [r[0] for r in _cells(path, "旧数据")[1:]] == ["a\nbc", "_x000D_ 字面"]


def test_cli_meeting_add_with_control_characters_and_json_output(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["township", "add", "T01", "城关镇"], ["branch", "add", "B01", "一村", "--township", "T01"]):
        assert main.main(["--db", str(db_path), *argv]) == 0
    number = person(33)
    assert (
        main.main(
            [
                "--db",
                str(db_path),
                "member",
                "add",
                "--branch",
                "B01",
                "--name",
                "张\u200b三",
                "--id-number",
                number,
                "--joined",
                "2005-07-01",
            ]
        )
        == 0
    )
    code = main.main(
        [
            "--db",
            str(db_path),
            "meeting",
            "add",
            "--branch",
            "B01",
            "--type",
            "congress",
            "--date",
            "2026-10-10",
            "--topics",
            "学\x0b习",
            "--minutes",
            "甲\x0b乙\x08",
            "--leave",
            "张三:生病",
            "--force",  # the only member on leave: nobody present, confirmed as on the paper record
        ]
    )
    assert code == 0
    capsys.readouterr()
    assert main.main(["--db", str(db_path), "meeting", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed and "\x0b" not in json.dumps(listed, ensure_ascii=False)


def test_import_preview_says_what_was_removed(db: Database, build: Builder, tmp_path: Path) -> None:
    branch = build.branch("B01")
    path = write_book(
        tmp_path / "r.xlsx",
        [
            [*ROSTER_HEADER, "备注"],
            ["张\u200b三", person(35), "2005-07-01", "", "", "", "上午：开会_x000B_下午：学习"],
        ],
    )
    with db.transaction("t") as s:
        plan = plan_roster_import(s, branch.id, path, today=TODAY)
        assert plan.ok
        messages = " ".join(n.message for n in plan.notices)
        assert "零宽空格" in messages and "换行" in messages
        apply_roster_import(s, branch.id, plan, today=TODAY)
    with db.reader() as s:
        m = s.scalars(select(Member)).one()
    # identifying text without invisible characters; free text keeps its full-width colon
    assert m.name == "张三"
    assert m.notes == "上午：开会\n下午：学习"


# --- 2. output limits ------------------------------------------------------------------------------


def test_minutes_longer_than_an_excel_cell_continue_in_the_next_column(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch("B01", members=2)
    minutes = "".join(chr(0x4E00 + i % 500) for i in range(43_205))
    _meeting(db, branch.id, minutes=minutes)
    with db.reader() as s:
        export_xlsx(s, "meetings", tmp_path / "m.xlsx")
    rows = _cells(tmp_path / "m.xlsx", "会议记录")
    header = [str(h) for h in rows[0]]
    first = header.index("会议记录")
    assert header[first + 1] == "会议记录（续1）"
    assert str(rows[1][first]) + str(rows[1][first + 1]) == minutes


def test_rows_beyond_a_sheet_continue_in_the_next_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_mod, "SHEET_ROWS_MAX", 4)  # the real limit, 1,048,576, scaled down
    path = tmp_path / "many.xlsx"
    n = write_xlsx(ExportTable("名单", [ExportColumn("序号")], [[i] for i in range(7)]), path)
    assert n == 7
    got = [r[0] for r in _cells(path, "名单")[1:]] + [r[0] for r in _cells(path, "名单（2）")[1:]]
    got += [r[0] for r in _cells(path, "名单（3）")[1:]]
    assert [int(v) for v in got] == list(range(7))  # type: ignore[call-overload]


def test_read_back_compares_content_not_only_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = export_mod._read_back

    def damaged(path: Path, sheet: str) -> list[list[object]]:
        data = real(path, sheet)
        data[1][0] = "被截断"
        return data

    monkeypatch.setattr(export_mod, "_read_back", damaged)
    path = tmp_path / "x.xlsx"
    with pytest.raises(ExcelFileError, match="第 2 行 A 列"):
        write_xlsx(ExportTable("表", [ExportColumn("内容")], [["完整的内容"]]), path)
    assert not path.exists()


# --- full disk -------------------------------------------------------------------------------------


def _full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import zipfile

    def no_space(*_a: object, **_k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", no_space)


def test_full_disk_during_export_gives_a_message_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _full_disk(monkeypatch)
    path = tmp_path / "out.xlsx"
    with pytest.raises(ExcelFileError, match="磁盘空间已满"):
        write_xlsx(ExportTable("表", [ExportColumn("内容")], [["x"]]), path)
    assert list(tmp_path.iterdir()) == []


def test_full_disk_during_template_gives_a_message_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _full_disk(monkeypatch)
    with pytest.raises(ExcelFileError, match="磁盘空间已满"):
        write_template("roster", tmp_path / "模板.xlsx")
    assert list(tmp_path.iterdir()) == []


# --- 3. text-like columns --------------------------------------------------------------------------


def test_landline_that_lost_its_leading_zero_is_found_by_the_dry_run(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch("B01")
    path = write_book(
        tmp_path / "r.xlsx",
        [
            ROSTER_HEADER,
            ["张三", person(41), "2005-07-01", "", "", 9318123456],
            ["李四", person(43), "2005-07-01", "", "", 13800138000],
        ],
    )
    with db.reader() as s:
        plan = plan_roster_import(s, branch.id, path, today=TODAY)
    assert [(p.row, p.column) for p in plan.problems] == [(2, "F")]
    assert "开头的 0" in plan.problems[0].message and "09318123456" in plan.problems[0].message


def test_template_phone_column_is_text(tmp_path: Path) -> None:
    import openpyxl

    path = write_template("roster", tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(path).worksheets[0]
    col = next(c.column for c in ws[1] if c.value == "联系电话")
    assert ws.cell(2, col).number_format == "@"


# --- 4. invisible and variant characters -----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("买买提•艾力", "买买提·艾力"),
        ("买买提・艾力", "买买提·艾力"),
        ("买买提．艾力", "买买提·艾力"),
        ("\ufeff张三\u200b", "张三"),
        ("ＡＢＣ张三", "ABC张三"),
    ],
)
def test_names_are_normalised_on_entry(db: Database, build: Builder, typed: str, stored: str) -> None:
    branch = build.branch("B01")
    member = build.member(branch.id, typed)
    assert member.name == stored
    with db.reader() as s:
        assert [r.name for r in members.roster(s, [branch.id], search=stored)] == [stored]


def test_reimport_of_identical_looking_names_reports_no_change(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch("B01")
    rows = [[*ROSTER_HEADER, "备注"], ["张三", person(45), "2005-07-01", "", "", "", "备注：无"]]
    with db.transaction("t") as s:
        apply_roster_import(
            s,
            branch.id,
            plan_roster_import(s, branch.id, write_book(tmp_path / "a.xlsx", rows), today=TODAY),
            today=TODAY,
        )
    rows[1][0] = "张\u200b三\ufeff"
    with db.reader() as s:
        plan = plan_roster_import(s, branch.id, write_book(tmp_path / "b.xlsx", rows), today=TODAY)
    assert [r.action for r in plan.rows] == ["unchanged"]


def test_free_text_keeps_full_width_punctuation() -> None:
    assert textclean.clean("时间：上午，地点：村部", textclean.FREE) == "时间：上午，地点：村部"


def test_meeting_import_leave_name_with_zero_width_space_matches_the_member(
    db: Database, build: Builder, tmp_path: Path
) -> None:
    branch = build.branch("B01")
    build.member(branch.id, "李四")
    path = write_book(
        tmp_path / "m.xlsx",
        [["会议序号", "会议日期", "会议类型", "议题"], [1, "2026-10-10", "支部党员大会", "学习"]],
        sheet="会议",
        extra_sheets={
            "出席情况": [["会议序号", "姓名", "出席情况", "原因"], [1, "李\u200b四", "请假", "生病"]]
        },
    )
    with db.reader() as s:
        plan = plan_meeting_import(s, branch.id, path, today=TODAY)
    assert plan.ok, [p.describe() for p in plan.problems]


# --- 8. small ones ---------------------------------------------------------------------------------


def test_empty_audit_list_says_so(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["--db", str(db_path), "audit", "list", "--user", "nobody"]) == 0
    out = capsys.readouterr().out
    assert "没有符合条件的操作日志" in out and "1–0" not in out


def test_output_piped_into_head_ends_quietly(db_path: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(main.__file__).resolve().parent
    script = (
        f"import sys; sys.path.insert(0, {str(root)!r}); import main, services.cli.audit as a\n"
        "def flood(args, ctx):\n"
        "    for i in range(200000):\n"
        "        print('行', i)\n"
        "    return 0\n"
        "a.audit_list = flood\n"
        f"sys.exit(main.main(['--db', {str(db_path)!r}, 'audit', 'list']))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()
    _out, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_cli_leave_name_with_invisible_characters_and_full_width_colon_matches(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ["township", "add", "T01", "城关镇"],
        ["branch", "add", "B01", "一村", "--township", "T01", "--founded", "2000-01-01"],
        [
            "member",
            "add",
            "--branch",
            "B01",
            "--name",
            "阿依古丽・买买提",
            "--id-number",
            person(61),
            "--joined",
            "2005-07-01",
        ],
    ):
        assert main.main(["--db", str(db_path), *argv]) == 0
    code = main.main(
        [
            "--db",
            str(db_path),
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
            "阿依古丽•买买提\u200b：外出务工",
            "--force",  # the only member on leave: nobody present, confirmed as on the paper record
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "实到 0 人" in capsys.readouterr().out


def test_roster_search_finds_a_name_typed_with_a_different_dot(db: Database, build: Builder) -> None:
    branch = build.branch("B01")
    build.member(branch.id, "买买提·艾力")
    with db.reader() as s:
        assert [r.name for r in members.roster(s, [branch.id], search="买买提・艾力")] == ["买买提·艾力"]


def test_text_longer_than_its_column_is_refused_at_the_field_and_nothing_written(
    db: Database, build: Builder
) -> None:
    branch = build.branch("B01")
    data = members.MemberInput(
        name="王五", id_number=person(63), joined_on=date(2005, 7, 1), notes="长" * 501
    )
    with pytest.raises(members.ValidationError) as err, db.transaction("t") as s:
        members.create_member(s, branch.id, data, today=TODAY)
    assert err.value.field == "notes" and "备注过长：501 个字，最多 500 个字" in err.value.message
    with db.reader() as s:
        assert s.scalars(select(Member).where(Member.name == "王五")).all() == []


def test_full_disk_while_storing_an_attachment_gives_a_message_and_leaves_no_part_file(
    db: Database, build: Builder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from models import Attachment
    from services import attachments
    from services.errors import LedgerError

    branch = build.branch("B01", members=2)
    meeting_id = _meeting(db, branch.id)
    photo = tmp_path / "现场.png"
    photo.write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
        b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
    )

    def no_space(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(attachments.os, "fsync", no_space)
    with pytest.raises(LedgerError, match="磁盘空间已满"), db.transaction("t") as s:
        store = attachments.store_dir(s)
        attachments.store_file(s, "meeting", meeting_id, photo)
    leftovers = [p for p in store.rglob("*") if p.is_file()] if store.exists() else []
    assert leftovers == []
    with db.reader() as s:
        assert s.scalars(select(Attachment)).all() == []


def test_invisible_only_topic_and_leave_reason_are_refused(db: Database, build: Builder) -> None:
    branch = build.branch("B01")
    member = build.member(branch.id, "张三")
    bad = meetings.MeetingInput(type="congress", held_on=date(2026, 10, 10), topics="\u200b\ufeff")
    with pytest.raises(meetings.ValidationError) as err, db.transaction("t") as s:
        meetings.create_meeting(s, branch.id, bad, today=TODAY)
    assert err.value.field == "topics"
    leave = meetings.MeetingInput(
        type="congress",
        held_on=date(2026, 10, 10),
        topics="学习",
        attendance=[meetings.AttendanceInput(member.id, "leave", "\u200b\x07")],
    )
    with pytest.raises(meetings.ValidationError, match="请假须填写原因"), db.transaction("t") as s:
        meetings.create_meeting(s, branch.id, leave, today=TODAY)


def test_official_names_keep_their_full_width_brackets_while_letters_become_ascii() -> None:

    assert textclean.clean_key("二村党支部（社区）", person=True) == "二村党支部（社区）"
    assert textclean.clean_key("第一党小组：东片", person=True) == "第一党小组：东片"
    assert textclean.clean_key("Ｂ０１", person=False) == "B01"


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40), person=st.booleans())
def test_cleaning_identifying_text_twice_changes_nothing(text: str, person: bool) -> None:

    once = textclean.clean_key(text, person=person)
    assert textclean.clean_key(once, person=person) == once


def test_a_spacing_accent_next_to_a_letter_is_cleaned_the_same_on_reimport() -> None:

    name = '张n\x98K%ø´±¹\x0e\r\x1a"\x92R❤️\x04'
    once = textclean.clean_key(name, person=True)
    assert textclean.clean_key(once, person=True) == once
