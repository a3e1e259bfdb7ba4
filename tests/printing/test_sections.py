"""Adding a printed section is data (a pack declaration) or one registration — never a booklet rewrite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from reportlab.platypus import Flowable, Paragraph

from services.db import Database
from services.handbook.pack import Ledger, LedgerColumn, LedgerSection
from services.printing import sections
from services.printing.booklet import BookletOptions, build_branch_booklet
from services.printing.layout import styles
from tests.printing import pdfcheck
from tests.printing.conftest import YEAR, PrintFixture


@pytest.fixture
def clean_registry() -> Iterator[None]:
    saved = dict(sections._REGISTRY)
    yield
    sections._REGISTRY.clear()
    sections._REGISTRY.update(saved)


def _catalog_titles(data: bytes) -> list[tuple[int, str]]:
    return [(level, title) for level, title, _first, _last in pdfcheck.catalog(pdfcheck.texts(data))]


def test_a_registered_section_prints_under_its_ledger_with_a_catalog_entry(
    db: Database, branch_year: PrintFixture, clean_registry: None
) -> None:
    def fees_summary(data: sections.BookletData) -> list[Flowable]:
        return [Paragraph(f"{data.branch.name}本年度党费按月足额收缴。", styles().body)]

    sections.register_section(
        sections.SectionSpec("fees.summary", "党费收缴情况说明", "support", fees_summary)
    )
    with db.reader() as s:
        rendered = build_branch_booklet(s, branch_year.branch_id, YEAR, BookletOptions(ledgers=[]))
    titles = _catalog_titles(rendered.data)
    assert (1, "保障落实台账") in titles
    assert titles[titles.index((1, "保障落实台账")) + 1] == (2, "党费收缴情况说明")
    page = rendered.marks["sec.fees.summary"]
    assert "红旗村党支部本年度党费按月足额收缴" in pdfcheck.compact(pdfcheck.texts(rendered.data)[page - 1])


def test_a_section_declared_in_the_pack_prints_its_records(db: Database, branch_year: PrintFixture) -> None:
    declared = [
        Ledger(
            id="org_life",
            name="组织生活台账（省定）",
            section=[
                LedgerSection(
                    title="支委会记录一览",
                    records="meeting",
                    columns=[
                        LedgerColumn(field="held_on", title="日期", width=11),
                        LedgerColumn(field="type", title="类型", width=10),
                        LedgerColumn(field="topics", title="议题", width=30),
                    ],
                    filter={"type": "committee"},
                    date_field="held_on",
                    order_by="held_on",
                ),
            ],
        )
    ]
    with db.reader() as s:
        rendered = build_branch_booklet(
            s,
            branch_year.branch_id,
            YEAR,
            BookletOptions(ledgers=declared, extra_sections=[], include_forms=False),
        )
    assert _catalog_titles(rendered.data) == [(1, "组织生活台账（省定）"), (2, "支委会记录一览")]
    body = pdfcheck.compact(pdfcheck.texts(rendered.data)[rendered.marks["sec.pack.org_life.0"] - 1])
    assert "2026-01-05支委会第1次例会" in body  # code shown as its Chinese label
    assert "主题党日" not in body  # filtered out
    assert "共2条" in body


def test_without_a_pack_the_builtin_roster_and_meeting_list_print(
    db: Database, branch_year: PrintFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sections, "pack_ledgers", lambda pack=None: None)
    with db.reader() as s:
        rendered = build_branch_booklet(s, branch_year.branch_id, YEAR, BookletOptions(include_forms=False))
    titles = [t for _level, t in _catalog_titles(rendered.data)]
    for expected in (
        "组织设置台账",
        "党员花名册",
        "支部委员会成员",
        "会议活动一览",
        "党员参加组织生活情况统计",
    ):
        assert expected in titles
    roster = pdfcheck.compact(pdfcheck.texts(rendered.data)[rendered.marks["sec.members.roster"] - 1])
    assert branch_year.member_names[0] in roster


def test_a_long_roster_repeats_its_header_row_on_every_page(
    db: Database, build: object, tmp_path: object
) -> None:
    from tests.conftest import Builder

    assert isinstance(build, Builder)
    build.township("T09", "长沟镇")
    branch = build.branch("B09", "长沟社区党支部", members=90)
    with db.reader() as s:
        rendered = build_branch_booklet(
            s,
            branch.id,
            YEAR,
            BookletOptions(
                ledgers=[], extra_sections=[sections._REGISTRY["members.roster"]], include_forms=False
            ),
        )
    pages = pdfcheck.texts(rendered.data)
    start = rendered.marks["sec.members.roster"]
    roster_pages = pages[start - 1 :]
    assert len(roster_pages) >= 2
    for text in roster_pages:
        assert "序号姓名性别民族出生日期" in pdfcheck.compact(text)
    assert "党员B0989" in pdfcheck.compact("".join(roster_pages))


def test_monthly_fee_records_print_for_the_year_in_yuan(db: Database, branch_year: PrintFixture) -> None:
    from models import FeeDue, Member

    with db.transaction("test") as s:
        member = s.query(Member).filter_by(branch_id=branch_year.branch_id).first()
        assert member is not None
        for month, paid in (("2025-12", 150), ("2026-01", 1250), ("2026-02", 20)):
            s.add(
                FeeDue(
                    member_id=member.id,
                    branch_id=branch_year.branch_id,
                    month=month,
                    category="farmer",
                    due_fen=paid,
                    paid_fen=paid,
                )
            )
    declared = [
        Ledger(
            id="support",
            name="保障落实台账",
            section=[
                LedgerSection(
                    title="党费收缴",
                    records="fee_due",
                    columns=[
                        LedgerColumn(field="month", title="月份"),
                        LedgerColumn(field="member_id", title="姓名"),
                        LedgerColumn(field="paid_fen", title="实交（分）"),
                    ],
                    order_by="month",
                ),
            ],
        )
    ]
    with db.reader() as s:
        rendered = build_branch_booklet(
            s,
            branch_year.branch_id,
            YEAR,
            BookletOptions(ledgers=declared, extra_sections=[], include_forms=False),
        )
    body = pdfcheck.compact(pdfcheck.texts(rendered.data)[rendered.marks["sec.pack.support.0"] - 1])
    assert "实交（元）" in body
    assert f"2026-01{member.name}12.50" in body
    assert "0.20" in body
    assert "2025-12" not in body
    assert "共2条" in body


def test_the_printed_roster_shows_occupation_migrant_worker_and_hardship_within_the_page(
    db: Database, build: object, tmp_path: Path
) -> None:
    from models import Member
    from services import members
    from tests.conftest import TODAY, Builder

    assert isinstance(build, Builder)
    branch = build.branch("B01", "一村党支部")
    for name, occupation, migrant, hardship in (
        ("欧阳明华", "professional", True, False),
        ("李芳", "manager", False, True),
        ("王强", "", False, False),
    ):
        data = members.MemberInput(
            name=name,
            id_number=build.id_number(date(1980, 1, 1)),
            joined_on=date(2005, 7, 1),
            occupation=occupation,
            is_migrant_worker=migrant,
            is_hardship=hardship,
        )
        with db.transaction("test") as s:
            members.create_member(s, branch.id, data, today=TODAY)
    with db.reader() as s:
        rendered = build_branch_booklet(
            s,
            branch.id,
            YEAR,
            BookletOptions(
                ledgers=[], extra_sections=[sections._REGISTRY["members.roster"]], include_forms=False
            ),
        )
    (tmp_path / "roster.pdf").write_bytes(rendered.data)
    page = pdfcheck.compact(pdfcheck.texts(rendered.data)[rendered.marks["sec.members.roster"] - 1])
    assert "职业" in page and "农民工" in page and "困难党员" in page
    assert "欧阳明华" in page and "专业技术人员是" in page  # 职业, then 农民工 是
    assert "管理人员是" in page  # 李芳: 困难党员 是 (农民工 empty)
    # the table still fits: each 身份证号 and each date stays on one line of the page (checked by eye on
    # a rendered page too), headers of the narrow columns wrap
    raw = pdfcheck.texts(rendered.data)[rendered.marks["sec.members.roster"] - 1]
    lines = [line.strip() for line in raw.splitlines()]
    with db.reader() as s:
        numbers = [m.id_number for m in s.query(Member).filter_by(branch_id=branch.id)]
    assert len(numbers) == 3 and all(n in lines for n in numbers)
    assert lines.count("1980-01-01") == 3 and lines.count("2005-07-01") == 3


def test_the_packs_roster_section_prints_occupation_migrant_worker_and_hardship(
    db: Database, build: object, tmp_path: Path
) -> None:
    """The default handbook pack declares the 花名册 the booklet prints: 职业 as its Chinese category,
    农民工 and 困难党员 as 是/否, every date and phone number on one line of the page."""
    from services import members
    from services.handbook.pack import load_pack
    from tests.conftest import TODAY, Builder

    assert isinstance(build, Builder)
    branch = build.branch("B01", "一村党支部")
    for name, occupation, migrant, hardship in (
        ("欧阳明华", "professional", True, False),
        ("李芳", "manager", False, True),
    ):
        data = members.MemberInput(
            name=name,
            id_number=build.id_number(date(1980, 1, 1)),
            joined_on=date(2005, 7, 1),
            phone="13912345678",
            occupation=occupation,
            is_migrant_worker=migrant,
            is_hardship=hardship,
        )
        with db.transaction("test") as s:
            members.create_member(s, branch.id, data, today=TODAY)
    team = [lg for lg in load_pack().ledger if lg.id == "team"]
    with db.reader() as s:
        rendered = build_branch_booklet(
            s, branch.id, YEAR, BookletOptions(ledgers=team, extra_sections=[], include_forms=False)
        )
    (tmp_path / "team.pdf").write_bytes(rendered.data)
    pages = pdfcheck.texts(rendered.data)
    page = next(p for p in pages if "欧阳明华" in p)
    lines = [line.strip() for line in page.splitlines()]
    assert "专业技术人员" in lines and "企事业单位、社会组织管理人员" in pdfcheck.compact(page)
    assert "职业" in pdfcheck.compact(page) and "农民工" in pdfcheck.compact(page)
    assert lines.count("13912345678") == 2 and lines.count("1980-01-01") == 2
    assert lines.count("是") == 2 and lines.count("否") == 2
