"""The roster preview checks a sheet column by column, yet says exactly what checking each row on its
own says: the member rules run over columns give what ``member_problems`` gives row by row, the bulk
cell readers give what the one-cell readers give, random rows get from the preview the words the member
form gives them, and a row's problems do not depend on the rows around it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.enums import Discipline, Education, MemberStatus, Occupation
from services import idcard, members, textclean
from services.db import Database
from services.excel import values
from services.excel.roster_import import plan_roster_import
from tests.conftest import TODAY

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
SLOW_PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
Book = Callable[..., Path]
FIELDS = [f.name for f in fields(members.MemberInput)]

DAYS = st.one_of(
    st.none(),
    st.dates(date(1940, 1, 1), TODAY + timedelta(days=400)),
    st.sampled_from([TODAY, TODAY + timedelta(days=1), date(2000, 7, 1)]),
)
BIRTHS = st.one_of(st.none(), st.dates(date(1930, 1, 1), TODAY))
CODES = {
    "status": [*MemberStatus.__members__.values(), "unknown"],
    "discipline": [*Discipline.__members__.values(), "fired"],
    "education": ["", *Education.__members__.values(), "kindergarten"],
    "occupation": ["", *Occupation.__members__.values(), "astronaut"],
}
SHORT = st.text(st.sampled_from("张三李四 ·x1-"), max_size=6)


def inputs() -> st.SearchStrategy[members.MemberInput]:
    """Member inputs as the rules see them, good and bad: names blank or too long, dates in the
    future or at 17, unknown codes, phones with letters, text over its column's length."""
    return st.builds(
        members.MemberInput,
        name=st.one_of(SHORT, st.just("名" * 51), st.just("  ")),
        id_number=st.just(""),
        joined_on=DAYS,
        ethnicity=st.one_of(st.just("汉族"), st.just("族" * 21)),
        education=st.sampled_from(CODES["education"]),
        phone=st.one_of(st.from_regex(r"\A[0-9 -]{0,14}\Z"), SHORT, st.just("1" * 33)),
        full_member_on=DAYS,
        status=st.sampled_from(CODES["status"]),
        discipline=st.sampled_from(CODES["discipline"]),
        is_flowing=st.booleans(),
        occupation=st.sampled_from(CODES["occupation"]),
        branch_since=DAYS,
        notes=st.one_of(st.just(""), st.just("备" * 501), SHORT),
    )


@PROPERTY
@given(st.lists(st.tuples(inputs(), BIRTHS), max_size=12))
def test_the_rules_over_columns_report_what_member_problems_reports_for_each_row(
    rows: list[tuple[members.MemberInput, date | None]],
) -> None:
    # rows repeat on purpose (each twice): a rule runs once per distinct value and must still report
    # every row that holds it
    rows = rows + rows
    columns: dict[str, list[Any]] = {name: [getattr(data, name) for data, _birth in rows] for name in FIELDS}
    columns["birth_date"] = [birth for _data, birth in rows]
    by_column = members.member_problems_by_column(columns, TODAY)
    for i, (data, birth) in enumerate(rows):
        info = idcard.IdInfo("", "", birth, "male") if birth is not None else None
        one = members.member_problems(data, info, TODAY)
        assert [(e.field, e.message) for e in by_column.get(i, [])] == [(e.field, e.message) for e in one]
        assert (i in by_column) == bool(one)


def _id_cells() -> st.SearchStrategy[Any]:
    valid = st.builds(
        lambda birth, seq: idcard.make("620421", birth, seq),
        st.dates(date(1890, 1, 1), date(2030, 1, 1)),
        st.integers(1, 999),
    )
    return st.one_of(
        valid,
        valid.map(str.lower),  # a lower-case x
        valid.map(lambda n: n[:17] + ("0" if n[17] != "0" else "1")),  # a wrong check character
        valid.map(lambda n: n.translate(str.maketrans("0123456789", "０１２３４５６７８９"))),
        valid.map(lambda n: f" {n[:6]} {n[6:]} "),
        valid.map(lambda n: n[:17]),
        valid.map(lambda n: n[:15] + "000"),
        st.text(st.sampled_from("0123456789Xx E+.-"), max_size=20),
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(0, 10**18),
        st.booleans(),
    )


def _one_id(cell: Any) -> tuple[str, date, str] | str:
    try:
        info = values.id_number(cell, TODAY)
    except values.CellError as exc:
        return exc.message
    return info.number, info.birth_date, info.gender


@PROPERTY
@given(st.lists(_id_cells(), max_size=20))
def test_id_numbers_read_in_bulk_as_they_read_one_by_one(cells: list[Any]) -> None:
    assert values.id_numbers(cells, TODAY) == [_one_id(cell) for cell in cells]


def _one(read: Callable[[Any], Any], cell: Any) -> Any:
    try:
        return read(cell)
    except values.CellError as exc:
        return ("error", exc.message)


def _same(bulk: list[Any]) -> list[Any]:
    return [("error", x.message) if isinstance(x, values.CellError) else x for x in bulk]


DATE_CELLS = st.one_of(
    st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(date.isoformat),
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}\Z"),  # 2020-02-30, 2020-13-01 …
    st.from_regex(r"\A\d{4}[-./年]\d{1,2}([-./月]\d{1,2}日?)?\Z"),
    st.text(st.sampled_from("0123456789-./年月日 xＸ"), max_size=12),
    st.dates(date(1900, 1, 1), date(2100, 1, 1)),
    st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1)),
    st.floats(-10, 3_000_000),
    st.integers(-10, 30_000_000),
)


@PROPERTY
@given(st.lists(DATE_CELLS, max_size=20))
def test_dates_read_in_bulk_as_they_read_one_by_one(cells: list[Any]) -> None:
    assert _same(values.dates(cells)) == [_one(values.date_value, cell) for cell in cells]


TEXT_CELLS = st.one_of(
    st.text(max_size=12),
    st.text(st.sampled_from("张三李四王五abcXYZ0123456789"), max_size=12),
    st.text(st.sampled_from("0123456789-０１２ \u200b\u3000·•._x000B_"), max_size=14),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(0, 10**12),
)


@PROPERTY
@given(st.lists(TEXT_CELLS, max_size=20), st.sampled_from(["name", "phone"]))
def test_names_and_phones_read_in_bulk_as_they_read_one_by_one(cells: list[Any], kind: str) -> None:
    read = values.name if kind == "name" else values.phone
    assert _same(values.identifying(cells, kind)) == [_one(read, cell) for cell in cells]


# --- the preview against the member form and against itself --------------------------------------

HEADER = ["姓名", "公民身份号码", "入党日期", "转正日期", "党员类别", "联系电话", "民族", "备注"]
STATUS_LABELS = {"正式党员": MemberStatus.FULL, "预备党员": MemberStatus.PROBATIONARY}


def _sheet_rows() -> st.SearchStrategy[list[list[Any]]]:
    """Rows whose every cell can be read (the member form could take them), breaking member rules
    at random: joined at 16 or in the future, 转正 before joining or for a 预备党员, letters in the
    phone, a 51-character name, a 21-character 民族, a 501-character 备注."""
    row = st.tuples(
        st.one_of(st.sampled_from(["张三", "阿依古丽·买买提", "李 四", "王\u200b五"]), st.just("名" * 51)),
        st.dates(date(1940, 1, 1), date(2008, 1, 1)),  # birth
        st.integers(1, 999),
        st.dates(date(1950, 1, 1), TODAY + timedelta(days=30)),  # joined
        st.one_of(st.none(), st.dates(date(1950, 1, 1), TODAY + timedelta(days=30))),  # full member
        st.sampled_from(sorted(STATUS_LABELS)),
        st.sampled_from(["13900001111", "0931-8123456", "139abc", ""]),
        st.sampled_from(["", "回族", "族" * 21]),
        st.sampled_from(["", "退休教师", "备" * 501]),
    )
    return st.lists(row, min_size=1, max_size=5, unique_by=lambda r: (r[1], r[2])).map(
        lambda rows: [
            [
                name,
                idcard.make("620421", birth, seq),
                joined.isoformat(),
                full.isoformat() if full else "",
                status,
                phone,
                ethnicity,
                notes,
            ]
            for name, birth, seq, joined, full, status, phone, ethnicity, notes in rows
        ]
    )


def _form_input(cells: list[Any]) -> members.MemberInput:
    """What a clerk would type into the member form for the same row (cleaned as the form saves it)."""
    name, number, joined, full, status, phone, ethnicity, notes = cells
    data = members.MemberInput(
        name=name,
        id_number=number,
        joined_on=date.fromisoformat(joined),
        full_member_on=date.fromisoformat(full) if full else None,
        status=STATUS_LABELS[status],
        phone=phone,
        ethnicity=ethnicity or "汉族",
        notes=notes,
    )
    return textclean.cleaned_input(data)


def _problems_by_row(db: Database, branch_id: str, path: Path) -> dict[int, list[tuple[str, str]]]:
    with db.reader() as s:
        plan = plan_roster_import(s, branch_id, path, today=TODAY)
    key_of = {letter: key for key, _header, letter in plan.columns}
    return {row.row: [(key_of[p.column], p.message) for p in row.problems] for row in plan.rows}


@SLOW_PROPERTY
@given(_sheet_rows())
def test_random_rows_get_from_the_preview_the_words_the_member_form_gives_them(
    db: Database, branch_id: str, book: Book, rows: list[list[Any]]
) -> None:
    found = _problems_by_row(db, branch_id, book([HEADER, *rows]))
    with db.reader() as s:
        for excel_row, cells in enumerate(rows, start=2):
            form = members.check_member_input(s, branch_id, _form_input(cells), today=TODAY)
            expected = [("party_group" if e.field == "party_group_id" else e.field, e.message) for e in form]
            assert sorted(found[excel_row]) == sorted(expected), cells


@SLOW_PROPERTY
@given(_sheet_rows())
def test_a_rows_problems_do_not_depend_on_the_rows_around_it(
    db: Database, branch_id: str, book: Book, rows: list[list[Any]]
) -> None:
    together = _problems_by_row(db, branch_id, book([HEADER, *rows, *rows[:1]]))
    for excel_row, cells in enumerate(rows, start=2):
        alone = _problems_by_row(db, branch_id, book([HEADER, cells]))[2]
        assert together[excel_row] == alone or excel_row == 2  # row 2 is repeated below: a duplicate
    duplicate = len(rows) + 2
    assert together[duplicate][-1] == ("id_number", "与第 2 行的身份证号重复，同一党员只能登记一次。")


def test_a_true_cell_and_a_1_cell_in_one_column_are_judged_each_on_its_own(
    db: Database, branch_id: str, book: Book
) -> None:
    # Python holds True == 1 == 1.0; a preview converting each distinct cell once must not take one
    # for the other (出生日期 TRUE is no date at all; 1 is Excel's day 1, 1900-01-01)
    header = ["姓名", "公民身份号码", "入党日期", "出生日期"]
    first, second = idcard.make("620421", date(1980, 5, 17), 11), idcard.make("620421", date(1981, 5, 17), 13)
    path = book([header, ["张三", first, "2005-07-01", True], ["李四", second, "2006-07-01", 1]])
    with db.reader() as s:
        plan = plan_roster_import(s, branch_id, path, today=TODAY)
    assert [(r.row, r.cells["birth_date"], [p.message for p in r.problems]) for r in plan.rows] == [
        (2, "是", ["无法识别的日期。请写成 2020-07-01、2020.7.1、2020/07/01 或 2020年7月1日。"]),
        (3, "1", ["与身份证号中的出生日期 1981-05-17 不符。"]),
    ]
