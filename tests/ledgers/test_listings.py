"""Declared listings feed the screen, Excel and print: loaders, display text and the Excel export."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl

from services import fees, rectification, training
from services.excel.export import export_xlsx
from services.ledgers.catalog import LISTINGS
from tests.conftest import TODAY, Builder


def test_every_listing_loads_on_an_empty_database(build: Builder) -> None:
    build.branch()
    with build.db.reader() as s:
        for listing in LISTINGS.values():
            assert listing.load(s, None, 2026) == []
            assert listing.columns, listing.code


def test_money_is_shown_and_exported_exactly(build: Builder, tmp_path: Path) -> None:
    branch = build.branch()
    m = build.member(branch.id, joined_on=date(2020, 1, 1))
    with build.db.transaction("t") as s:
        fees.set_due(s, m.id, "2026-03", "salaried", 456_789)
        fees.record_payment(s, m.id, "2026-03", 6_852, date(2026, 3, 10), "R-1", today=TODAY)
    listing = LISTINGS["fees"]
    with build.db.reader() as s:
        (row,) = listing.load(s, [branch.id], 2026)
        assert listing.display(row, "due_fen") == "45.68" and listing.display(row, "income_fen") == "4567.89"
        assert listing.load(s, [branch.id], 2025) == []
        out = tmp_path / "fees.xlsx"
        report = export_xlsx(s, "fees", out, branch_ids=[branch.id], year=2026)
    assert report.rows == 1
    ws = openpyxl.load_workbook(out).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    values = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert Decimal(str(values["应交（元）"])) == Decimal("45.68")
    assert values["姓名"] == "张三" and values["收据号"] == "R-1"


def test_training_and_problem_listings(build: Builder) -> None:
    branch = build.branch(members=3)
    with build.db.transaction("t") as s:
        training.create_session(
            s, branch.id, training.TrainingInput("学习党章", date(2026, 3, 1), 90), today=TODAY
        )
        rectification.open_problem(
            s, branch.id, "台账不全", "缺签到表", date(2026, 5, 1), date(2026, 6, 1), today=TODAY
        )
    with build.db.reader() as s:
        (t,) = LISTINGS["training"].load(s, None, 2026)
        (p,) = LISTINGS["rectification"].load(s, None, None)
    assert t["attendees"] == 3 and LISTINGS["training"].display(t, "minutes") == "1.5"
    assert LISTINGS["rectification"].display(p, "status") == "待整改" and p["branch"] == "一村党支部"
