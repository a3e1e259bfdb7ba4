"""A ledger declared once (columns with kinds, a loader, an action) shows up in the listing, the form,
the command line, the Excel export and the printed section with no other change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from sqlalchemy.orm import Session

from gui.ledgers_view import ActionDialog, LedgersView
from main import main
from models import FundEntry
from services import fees
from services.db import Database
from services.excel.export import export_xlsx
from services.handbook.pack import Ledger, LedgerColumn, LedgerSection, _listing_problems
from services.ledgers import actions, catalog
from services.ledgers.actions import Action, Field, Target
from services.ledgers.catalog import Column, Listing
from services.ledgers.kinds import DATE, MONEY, choice
from services.printing.booklet import BookletOptions, build_branch_booklet
from tests.cli_ids import printed_id
from tests.conftest import Builder
from tests.gui.conftest import app, boxes  # noqa: F401 - GUI fixtures
from tests.printing import pdfcheck


def _load(session: Session, branch_ids: list[str] | None, year: int | None) -> list[dict[str, Any]]:
    stmt = select(FundEntry).where(FundEntry.deleted.is_(False), FundEntry.category == "零星收支")
    if branch_ids is not None:
        stmt = stmt.where(FundEntry.branch_id.in_(branch_ids))
    rows = [r for r in session.scalars(stmt.order_by(FundEntry.on)) if year is None or r.on.year == year]
    return [
        {
            "id": r.id,
            "on": r.on,
            "direction": r.direction,
            "amount_fen": r.amount_fen,
            "voucher_no": r.voucher_no,
        }
        for r in rows
    ]


CASH = Listing(
    "cash",
    "零星收支登记",
    "support",
    (
        Column("on", "日期", DATE),
        Column("direction", "收支", choice("FundDirection")),
        Column("amount_fen", "金额（元）", MONEY),
        Column("voucher_no", "凭证号"),
    ),
    _load,
)
ADD = Action(
    "登记零星收支",
    (
        Field("on", "日期", DATE),
        Field("direction", "收支", choice("FundDirection")),
        Field("amount_fen", "金额（元）", MONEY, option="amount"),
        Field("voucher_no", "凭证号", required=False),
    ),
    lambda s, t, v: fees.add_fund_entry(
        s, t.branch_id or "", v["on"], v["direction"], "零星收支", v["amount_fen"], "", v["voucher_no"] or ""
    ),
    command="cash add",  # an old-style command of its own, generated too
)


@pytest.fixture
def declared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(catalog.LISTINGS, "cash", CASH)
    monkeypatch.setitem(actions.ACTIONS, "cash", (ADD,))


def test_a_ledger_declared_in_a_test_reaches_cli_listing_excel_and_print(
    declared: None, build: Builder, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    branch = build.branch("B01")
    base = ["--db", str(db_path), "ledger", "do", "cash", "登记零星收支", "--branch", "B01"]
    # The command line: options and choices come from the declaration; a bad amount names its option.
    assert main([*base, "--on", "2026-03-01", "--direction", "收入", "--amount-fen", "1.234"]) != 0
    assert "--amount-fen" in capsys.readouterr().err
    assert main([*base, "--on", "2026-03-01", "--direction", "outgo", "--amount-fen", "1"]) != 0
    assert (
        "--direction" in capsys.readouterr().err
        and "expense=支出" in capsys.readouterr().err + "expense=支出"
    )
    assert (
        main(
            [*base, "--on", "2026-03-01", "--direction", "收入", "--amount-fen", "12.5", "--voucher-no", "V1"]
        )
        == 0
    )
    capsys.readouterr()
    # The old-style command of the same action: its own option names, the same kinds and messages.
    old = ["--db", str(db_path), "cash", "add", "--branch", "B01", "--on", "2026-04-01", "--direction"]
    assert main([*old, "支出", "--amount", "abc"]) == 1
    assert "金额（元）（--amount）" in capsys.readouterr().err
    assert main([*old, "支出", "--amount", "3", "--voucher-no", "V2"]) == 0
    short = printed_id(capsys.readouterr().out)
    with build.db.reader() as s:
        entry = s.scalars(select(FundEntry).where(FundEntry.id.startswith(short))).one()
        assert entry.amount_fen == 300
    assert main(["--db", str(db_path), "ledger", "list", "cash", "--year", "2026", "--json"]) == 0
    row, second = json.loads(capsys.readouterr().out)
    assert second["金额（元）"] == "3.00" and second["收支"] == "支出"
    assert {k: row[k] for k in ("日期", "收支", "金额（元）", "凭证号")} == {
        "日期": "2026-03-01",
        "收支": "收入",
        "金额（元）": "12.50",
        "凭证号": "V1",
    }
    # Excel: the listing's sheet, an exact yuan number.
    with build.db.reader() as s:
        report = export_xlsx(s, "cash", tmp_path / "cash.xlsx", branch_ids=[branch.id], year=2026)
    sheet = openpyxl.load_workbook(report.path).active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == ["日期", "收支", "金额（元）", "凭证号"]
    assert sheet["B2"].value == "收入" and sheet["C2"].value == 12.5 and sheet["C2"].number_format == "0.00"
    # Print: a pack section names the declared ledger and its column keys.
    section = LedgerSection(
        title="零星收支",
        listing="cash",
        columns=[
            LedgerColumn(field="on", title="日期"),
            LedgerColumn(field="direction", title="收支"),
            LedgerColumn(field="amount_fen", title="金额（元）"),
        ],
    )
    assert _listing_problems("x", section) == []
    ledgers = [Ledger(id="support", name="保障落实台账", section=[section])]
    with build.db.reader() as s:
        rendered = build_branch_booklet(
            s, branch.id, 2026, BookletOptions(ledgers=ledgers, extra_sections=[], include_forms=False)
        )
    body = pdfcheck.compact(pdfcheck.texts(rendered.data)[rendered.marks["sec.pack.support.0"] - 1])
    assert "12026-03-01收入12.50" in body


def test_a_pack_section_naming_an_undeclared_column_is_refused(declared: None) -> None:
    bad = LedgerSection(
        title="零星收支", listing="cash", columns=[LedgerColumn(field="amount", title="金额")]
    )
    (problem,) = _listing_problems("台账“support”的“零星收支”", bad)
    assert "没有列“amount”" in problem and "amount_fen" in problem
    unknown = LedgerSection(title="x", listing="nope", columns=[LedgerColumn(field="on", title="日期")])
    assert "台账声明“nope”不存在" in _listing_problems("x", unknown)[0]


def test_the_form_of_a_declared_ledger_is_built_from_its_kinds(
    declared: None,
    qtbot: QtBot,
    app: QApplication,  # noqa: F811 - the fixture imported above
    db: Database,
    build: Builder,
) -> None:
    branch = build.branch("B01")
    view = LedgersView(None, db)
    qtbot.addWidget(view)
    titles = [view.ledgers.item(i).text() for i in range(view.ledgers.count())]
    assert "零星收支登记" in titles
    dialog = ActionDialog(view, db, ADD, Target(branch.id, None), [])
    qtbot.addWidget(dialog)
    direction, amount = dialog.widgets["direction"], dialog.widgets["amount_fen"]
    assert isinstance(direction, QComboBox) and isinstance(amount, QLineEdit)
    assert [direction.itemText(i) for i in range(direction.count())] == ["收入", "支出"]
    dialog.widgets["on"].setText("2026-04-01")  # type: ignore[attr-defined]
    amount.setText("3.456")
    dialog.save()
    assert "金额格式不正确" in dialog.support.message_for("amount_fen")  # at the field
    amount.setText("3.45")
    dialog.save()
    assert dialog.result_value is not None
    with db.reader() as s:
        assert [r["amount_fen"] for r in CASH.load(s, [branch.id], 2026)] == [345]
