"""Resident ID numbers (GB 11643-1999): check digit, dates, and what clerks and Excel actually type."""

from __future__ import annotations

from datetime import date

import pytest

from services import idcard
from services.errors import ValidationError

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("number", "birth", "gender"),
    [
        ("11010519491231002X", date(1949, 12, 31), "female"),  # the standard's own example, check X
        ("440524198001010013", date(1980, 1, 1), "male"),
        ("621027196508152421", date(1965, 8, 15), "female"),
        ("110101199003077715", date(1990, 3, 7), "male"),
    ],
)
def test_known_valid_numbers_parse_with_birth_date_and_gender(number: str, birth: date, gender: str) -> None:
    info = idcard.parse(number, today=TODAY)
    assert info.number == number
    assert info.birth_date == birth
    assert info.gender == gender
    assert info.area == number[:6]


def test_birth_year_before_1900_is_refused() -> None:
    with pytest.raises(ValidationError, match="1880-01-01 不合理"):
        idcard.parse("440524188001010014", today=TODAY)


def test_lower_case_x_is_accepted_and_normalised() -> None:
    assert idcard.parse("11010519491231002x", today=TODAY).number == "11010519491231002X"


def test_full_width_digits_and_spaces_are_accepted() -> None:
    typed = "１１０１０５ １９４９１２３１ ００２Ｘ"
    assert idcard.parse(typed, today=TODAY).number == "11010519491231002X"


def test_wrong_check_digit_names_the_expected_one() -> None:
    with pytest.raises(ValidationError, match="校验位错误：最后一位应为 X，实际是 3") as err:
        idcard.parse("110105194912310023", today=TODAY)
    assert err.value.field == "id_number"


def test_impossible_birth_date_is_refused() -> None:
    first17 = "62102719900230123"  # 30 February
    with pytest.raises(ValidationError, match="19900230 不是有效日期"):
        idcard.parse(first17 + idcard.check_char(first17), today=TODAY)


def test_birth_date_in_the_future_is_refused() -> None:
    number = idcard.make("621027", date(2027, 1, 1), 11)
    with pytest.raises(ValidationError, match="不合理"):
        idcard.parse(number, today=TODAY)


def test_old_15_digit_number_is_refused_with_its_length() -> None:
    with pytest.raises(ValidationError, match="应为 18 位，现在是 15 位"):
        idcard.parse("110105491231002", today=TODAY)


@pytest.mark.parametrize("mangled", ["1.10105E+17", "6.21027E+17", "110105194912310000.0"])
def test_excel_scientific_notation_is_explained(mangled: str) -> None:
    with pytest.raises(ValidationError, match=r"科学计数法.*文本"):
        idcard.parse(mangled, today=TODAY)


def test_letters_inside_the_number_are_refused() -> None:
    with pytest.raises(ValidationError, match="前 17 位必须是数字"):
        idcard.parse("1101051949123A002X", today=TODAY)


def test_empty_number_is_refused() -> None:
    with pytest.raises(ValidationError, match="不能为空"):
        idcard.parse("  ", today=TODAY)


def test_make_builds_numbers_that_parse_with_the_asked_gender() -> None:
    for seq in range(1, 40):
        info = idcard.parse(idcard.make("621027", date(1975, 6, 30), seq), today=TODAY)
        assert info.gender == ("male" if seq % 2 else "female")
