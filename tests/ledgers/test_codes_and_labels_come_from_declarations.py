"""Which enum a stored column's codes belong to, and what a clerk calls a table's records, are computed
from the ledger declarations and the models: a column declared as a choice is coded everywhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import models
from models import FundEntry
from services.handbook.sources import sources
from services.ledgers import catalog, schema
from services.ledgers.catalog import Column, Listing
from services.ledgers.kinds import DATE, choice


@pytest.fixture
def fresh_maps() -> Iterator[None]:
    schema._coded.cache_clear()
    schema._table_labels.cache_clear()
    yield
    schema._coded.cache_clear()
    schema._table_labels.cache_clear()


def test_a_choice_column_declared_at_run_time_becomes_coded_with_the_ledger_title(
    fresh_maps: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert schema.coded("fund_entry", "category") is None
    listing = Listing(
        "fund_kinds",
        "经费分类登记",
        "support",
        (Column("on", "日期", DATE), Column("category", "类别", choice("FundDirection"))),
        lambda s, ids, year: [],
        FundEntry,
    )
    monkeypatch.setitem(catalog.LISTINGS, "fund_kinds", listing)
    monkeypatch.delitem(catalog.LISTINGS, "funds")
    schema._coded.cache_clear()
    schema._table_labels.cache_clear()
    assert schema.coded("fund_entry", "category") == "FundDirection"
    assert schema.CODED[("fund_entry", "category")] == "FundDirection"
    assert schema.table_label("fund_entry") == "经费分类登记"


def test_codes_of_tables_without_a_ledger_come_from_the_model_columns(fresh_maps: None) -> None:
    assert schema.coded("meeting", "type") == "MeetingType"
    assert schema.coded("member", "status") == "MemberStatus"
    assert schema.coded("fee_due", "category") == "FeeCategory"  # from the 党费 ledger's declaration
    assert sources()["meeting"].codes("type") is not None and "congress" in sources()["meeting"].codes("type")


def test_every_table_has_a_label_a_clerk_can_read(fresh_maps: None) -> None:
    missing = [t for t in models.Base.metadata.tables if schema.table_label(t) == t]
    assert missing == []
    assert schema.table_label("member") == "党员"
    assert schema.table_label("fee_due") == catalog.LISTINGS["fees"].title
