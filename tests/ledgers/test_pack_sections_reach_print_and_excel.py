"""The pack's ledger sections, read by one reader and fed the pack in use, reach the booklet and Excel;
months are normalised on entry; money is exact; arrears follow the pack's lapse rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from alembic import command
from sqlalchemy import select, text

from main import main
from models import FeeDue
from services import fees
from services.db import Database, alembic_config
from services.errors import ValidationError
from services.excel.export import export_xlsx
from services.handbook.pack import (
    Ledger,
    LedgerColumn,
    LedgerSection,
    PackError,
    PackHolder,
    default_pack_path,
    load_pack,
    parse_pack,
)
from services.ledgers.values import Money, Month
from services.meetings import AttendanceInput, MeetingInput, create_meeting
from services.printing.booklet import BookletOptions, build_branch_booklet
from tests.conftest import TODAY, Builder
from tests.printing import pdfcheck


def _dues(build: Builder) -> tuple[str, str]:
    branch = build.branch(members=0)
    member = build.member(branch.id, joined_on=date(2020, 1, 1))
    with build.db.transaction("t") as s:
        for month in ("2024-03", "2026-01", "2026-02"):
            fees.set_due(s, member.id, month, "farmer")
        fees.record_payment(s, member.id, "2024-03", 50, date(2024, 3, 9), today=TODAY)
        fees.record_payment(s, member.id, "2026-01", 1250, date(2026, 1, 9), today=TODAY)
    return branch.id, member.id


def _renamed_pack(tmp_path: Path) -> Path:
    """The default pack with the 保障落实台账 and its 党费 section renamed, chosen on this computer."""
    body = default_pack_path().read_text(encoding="utf-8")
    assert 'name = "保障落实台账"' in body and 'title = "党费收缴"' in body
    body = body.replace('name = "保障落实台账"', 'name = "保障落实台账（省定）"')
    body = body.replace('title = "党费收缴"', 'title = "党费收缴明细（省定）"')
    path = tmp_path / "province.toml"
    path.write_text(body, encoding="utf-8")
    PackHolder(load_pack(path), path).remember()
    return path


def test_a_chosen_pack_that_renames_a_section_reaches_the_booklet_and_the_excel_export(
    build: Builder, tmp_path: Path
) -> None:
    branch_id, _ = _dues(build)
    _renamed_pack(tmp_path)
    with build.db.reader() as s:
        rendered = build_branch_booklet(s, branch_id, 2026, BookletOptions(include_forms=False))
        report = export_xlsx(
            s, "ledger-support", tmp_path / "support.xlsx", branch_ids=[branch_id], year=2026
        )
    titles = [t for _lvl, t, _f, _l in pdfcheck.catalog(pdfcheck.texts(rendered.data))]
    assert "保障落实台账（省定）" in titles and "党费收缴明细（省定）" in titles
    book = openpyxl.load_workbook(report.path)
    assert "党费收缴明细（省定）" in book.sheetnames


def test_excel_ledger_keeps_to_the_year_and_writes_exact_yuan(build: Builder, tmp_path: Path) -> None:
    branch_id, _ = _dues(build)
    with build.db.reader() as s:
        report = export_xlsx(
            s, "ledger-support", tmp_path / "support.xlsx", branch_ids=[branch_id], year=2026
        )
    sheet = openpyxl.load_workbook(report.path)["党费收缴"]
    rows = list(sheet.iter_rows(values_only=True))
    months = [r[0] for r in rows[1:]]
    assert months == ["2026-01", "2026-02"]  # 2024 dues stay out of 2026
    money = [c for c in sheet[2] if isinstance(c.value, int | float) and c.value == 12.5]
    assert money and money[0].number_format == "0.00"  # 12.50 yuan, shown with two decimals


def test_descending_order_and_parent_fields_print_and_export(build: Builder, tmp_path: Path) -> None:
    branch = build.branch(members=0)
    a = build.member(branch.id, "张三")
    with build.db.transaction("t") as s:
        for day, kind in (
            (date(2026, 3, 1), "congress"),
            (date(2026, 6, 1), "congress"),
            (date(2026, 7, 1), "theme_day"),
        ):
            create_meeting(
                s, branch.id, MeetingInput(kind, day, "学习", attendance=[AttendanceInput(a.id)]), today=TODAY
            )
    section = LedgerSection(
        title="党员大会出席",
        records="attendance",
        filter={"meeting.type": "congress"},
        date_field="meeting.held_on",
        order_by="-meeting.held_on",
        columns=[
            LedgerColumn(field="meeting.held_on", title="日期"),
            LedgerColumn(field="meeting.type", title="类型"),
            LedgerColumn(field="member_id", title="姓名"),
            LedgerColumn(field="status", title="出席"),
        ],
    )
    ledgers = [Ledger(id="org_life", name="组织生活台账", section=[section])]
    with build.db.reader() as s:
        rendered = build_branch_booklet(
            s, branch.id, 2026, BookletOptions(ledgers=ledgers, extra_sections=[], include_forms=False)
        )
    body = pdfcheck.compact(pdfcheck.texts(rendered.data)[rendered.marks["sec.pack.org_life.0"] - 1])
    assert body.index("2026-06-01支部党员大会张三出席") < body.index("2026-03-01支部党员大会张三出席")
    assert "主题党日" not in body

    from services.excel.exports.ledgers import _sheet

    with build.db.reader() as s:
        sheet = _sheet(s, section, None, None)
    assert [list(r) for r in sheet.rows] == [
        [branch.name, date(2026, 6, 1), "支部党员大会", "张三", "出席"],
        [branch.name, date(2026, 3, 1), "支部党员大会", "张三", "出席"],
    ]


def test_a_pack_naming_an_unknown_column_is_refused_with_the_fields_it_may_use() -> None:
    body = (
        default_pack_path()
        .read_text(encoding="utf-8")
        .replace('{ field = "paid_fen"', '{ field = "paid_yuan"', 1)
    )
    with pytest.raises(PackError) as err:
        parse_pack(body, "bad.toml")
    # 党费 is a declared ledger: the section names its declared column keys, and the message lists them.
    assert "“paid_yuan”不是它的列" in str(err.value) and "paid_fen" in str(err.value)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("2026-7", "2026-07"), ("2026-07", "2026-07"), ("2026年7月", "2026-07"), ("２０２６/7", "2026-07")],
)
def test_months_are_normalised_on_entry(typed: str, stored: str) -> None:
    assert str(Month.parse(typed)) == stored


@pytest.mark.parametrize("typed", ["2026-13", "26-07", "七月", ""])
def test_a_month_that_is_not_one_names_the_field(typed: str) -> None:
    with pytest.raises(ValidationError) as err:
        Month.parse(typed, "month")
    assert err.value.field == "month" and "2026-07" in str(err.value)


def test_a_due_set_as_2026_7_is_the_same_row_as_2026_07(build: Builder) -> None:
    branch = build.branch(members=0)
    member = build.member(branch.id, joined_on=date(2020, 1, 1))
    with build.db.transaction("t") as s:
        fees.set_due(s, member.id, "2026-7", "farmer")
        fees.set_due(s, member.id, "2026-07", "student")
        fees.record_payment(s, member.id, "2026-7", 20, date(2026, 7, 9), today=TODAY)
    with build.db.reader() as s:
        rows = s.execute(select(FeeDue.month, FeeDue.category, FeeDue.paid_fen)).all()
    assert rows == [("2026-07", "student", 20)]


def test_money_is_exact_fen_and_refuses_three_decimals() -> None:
    assert Money.parse("12.5").fen == 1250 and Money(1205).yuan == "12.05" and Money(-5).yuan == "-0.05"
    assert Money(1250).decimal == Decimal("12.50")
    with pytest.raises(ValidationError) as err:
        Money.parse("1.234", "paid_fen")
    assert err.value.field == "paid_fen"


def test_stored_odd_months_are_normalised_and_duplicates_merged_by_the_migration(
    db: Database, build: Builder
) -> None:
    branch = build.branch(members=0)
    member = build.member(branch.id, joined_on=date(2020, 1, 1))
    with build.db.transaction("t") as s:
        fees.set_due(s, member.id, "2026-07", "farmer")
        fees.set_due(s, member.id, "2026-08", "farmer")
    with db.engine.begin() as conn:
        # What an older version stored: "2026-7" beside "2026-07" (paid there), and a lone "2026-9".
        for month, paid in (("2026-7", 50), ("2026-9", 0)):
            conn.execute(
                text(
                    "INSERT INTO fee_due (id, member_id, branch_id, month, category, income_fen, due_fen, paid_fen, "
                    "paid_on, receipt_no, created_at, updated_at, created_by, updated_by, deleted, row_seq) "
                    "VALUES (:id, :m, :b, :month, 'farmer', 0, 50, :paid, :on, '', '2026-01-01', '2026-01-01', "
                    "'old', 'old', 0, 999)"
                ),
                {
                    "id": f"odd{month}",
                    "m": member.id,
                    "b": branch.id,
                    "month": month,
                    "paid": paid,
                    "on": "2026-07-09" if paid else None,
                },
            )
        command.downgrade(alembic_config(conn), "i15_sync_trust")
        command.upgrade(alembic_config(conn), "n16a_months")
    with build.db.reader() as s:
        live = s.execute(
            select(FeeDue.month, FeeDue.paid_fen).where(FeeDue.deleted.is_(False)).order_by(FeeDue.month)
        ).all()
    assert live == [("2026-07", 50), ("2026-08", 0), ("2026-09", 0)]


def test_arrears_follow_the_lapse_rules_of_the_pack_in_use(
    build: Builder, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    branch = build.branch("B01", members=0)
    member = build.member(branch.id, joined_on=date(2020, 1, 1))
    with build.db.transaction("t") as s:
        for m in range(1, 11):
            fees.set_due(s, member.id, f"2026-{m:02d}", "farmer")
        for m in range(1, 7):
            fees.record_payment(s, member.id, f"2026-{m:02d}", 50, date(2026, 6, 30), today=TODAY)
    args = ["--db", str(db_path), "fee", "arrears", "--month", "2026-10", "--branch", "B01"]
    assert main(args) == 0  # 4 months unpaid: a warning under the default pack (3–5), not an error
    assert "[警告] 张三：连续未交党费 4 个月" in capsys.readouterr().out
    body = default_pack_path().read_text(encoding="utf-8")
    stricter = body.replace('check = "dues"\nmin_months = 6\n', 'check = "dues"\nmin_months = 4\n')
    assert stricter != body
    path = tmp_path / "strict.toml"
    path.write_text(stricter, encoding="utf-8")
    PackHolder(load_pack(path), path).remember()
    assert main(args) == 1
    assert "[错误] 张三：连续未交党费 4 个月" in capsys.readouterr().out
