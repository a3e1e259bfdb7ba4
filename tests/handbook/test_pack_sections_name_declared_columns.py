"""A pack's ``records = …`` ledger section on a table a ledger declares names the declared column keys
(the names the screens, forms, command line and Excel use); an older pack's table field is mapped; a
field the declaration does not have is refused naming the section."""

from __future__ import annotations

from datetime import date

import pytest

from services import transfers
from services.handbook.errors import PackError
from services.handbook.ledgers import section_rows
from services.handbook.pack import LedgerColumn, LedgerSection, default_pack_path, load_pack, parse_pack
from tests.conftest import Builder


def _pack_with(section_toml: str) -> str:
    text = default_pack_path().read_text(encoding="utf-8")
    return text + "\n" + section_toml


def _section(*fields: str, records: str = "member_transfer") -> LedgerSection:
    return LedgerSection(
        title="组织关系转接",
        records=records,
        date_field="on",
        order_by="on",
        columns=[LedgerColumn(field=f, title=f) for f in fields],
    )


def test_declared_keys_and_old_table_fields_read_the_same_rows(build: Builder) -> None:
    branch = build.branch("B01")
    member = build.member(branch.id, "李四")
    with build.db.transaction("t") as s:
        transfers.transfer_out(s, member.id, date(2026, 3, 1), "外县某支部", "L-7")
    with build.db.reader() as s:
        declared = section_rows(s, _section("name", "counterpart", "letter_no"), [branch.id], None)
        old = section_rows(s, _section("member_id", "counterpart", "letter_no"), [branch.id], None)
    assert declared.rows == old.rows == [[member.name, "外县某支部", "L-7"]]


def test_the_default_pack_names_declared_keys() -> None:
    pack = load_pack()
    (talks,) = [s for lg in pack.ledger for s in lg.section if s.records == "heart_talk"]
    assert [c.field for c in talks.columns][:3] == ["on", "talker", "name"]


def test_a_field_the_declaration_lacks_is_refused_naming_the_section() -> None:
    extra = """
[[ledger]]
id = "extra"
name = "附加台账"
[[ledger.section]]
title = "转接备注"
records = "member_transfer"
columns = [{ field = "notes", title = "备注" }]
"""
    with pytest.raises(PackError) as caught:
        parse_pack(_pack_with(extra), "extra.toml")
    text = "\n".join(caught.value.problems)
    assert "台账“extra”的“转接备注”" in text and "“notes”不是它的列" in text and "counterpart" in text
