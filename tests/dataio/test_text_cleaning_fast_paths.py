"""The cheap checks that let most cells skip cleaning never change what cleaning gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services import textclean

# Plain Chinese, ASCII letters and digits, and everything near them that cleaning does change:
# full-width digits and letters, compatibility ideographs, spaces (also full-width), name dots and
# invisible characters.
ALPHABET = st.sampled_from(
    list(
        "张三李四王伟芳阿依古丽㐀䶵鿿龥abcXYZ0123456789１２ＡＢ豈\uf900\u2f800 \u3000·•.．-\u200b\u00ad\ufeff\t\n"
    )
)


def _fully_cleaned(text: str, person: bool) -> str:
    """Identifying-text cleaning without any fast path (repeated until stable, as clean_key is)."""
    for _ in range(5):
        cleaned = textclean._clean_key_once(text, person)
        if cleaned == text:
            return text
        text = cleaned
    return text


@settings(max_examples=400, deadline=None)
@given(text=st.text(ALPHABET, max_size=12), person=st.booleans())
def test_identifying_text_cleaned_with_fast_paths_equals_full_cleaning(text: str, person: bool) -> None:
    assert textclean.clean_key(text, person=person) == _fully_cleaned(text, person)


def test_plain_names_ids_and_phones_come_back_unchanged() -> None:
    for text in ("王伟芳", "欧阳娜娜", "620421198001010011", "62042119800101001X", "13900001111"):
        assert textclean.clean_key(text, person=True) == text
    assert textclean.clean_key("张　三", person=True) == "张三"  # a full-width space is not plain
    assert textclean.clean_key("１３９", person=False) == "139"  # full-width digits are not ASCII
