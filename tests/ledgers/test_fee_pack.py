"""党费 rates come from the handbook pack: a province changes them with no code change."""

from __future__ import annotations

import pytest

from services.fees import DEFAULT_SCHEDULE, schedule_from_pack
from services.handbook.errors import PackError
from services.handbook.pack import default_pack_path, load_pack, parse_pack
from tests.handbook.conftest import ALT_PACK


def test_default_pack_states_the_national_rates() -> None:
    assert schedule_from_pack(load_pack()) == DEFAULT_SCHEDULE


def test_another_pack_changes_farmers_amount_and_adds_a_band() -> None:
    schedule = schedule_from_pack(load_pack(ALT_PACK))
    assert schedule.due_fen("farmer", 0) == 100
    assert schedule.due_fen("salaried", 2_500_000) == 62_500  # 25,000 yuan × 2.5 %
    assert schedule.due_fen("salaried", 1_500_000) == 30_000  # 15,000 yuan × 2 %
    assert schedule.advance_months == 3


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "{ up_to_fen = 500000, basis_points = 100 }",
            "{ up_to_fen = 200000, basis_points = 100 }",
            "逐档增大",
        ),
        ("{ basis_points = 200 },", "{ up_to_fen = 2000000, basis_points = 200 },", "上不封顶"),
        ("farmer = 50,", "farmers = 50,", "未知的类别“farmers”"),
        ("basis_points = 150 }", "basis_points = 1.5 }", "应为整数"),
    ],
)
def test_bad_fee_tables_are_refused_with_the_item(old: str, new: str, expected: str) -> None:
    text = default_pack_path().read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(PackError) as err:
        parse_pack(text.replace(old, new, 1), "fees.toml")
    assert expected in str(err.value) and "fees.toml" in str(err.value)
