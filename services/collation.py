"""Chinese names in the order clerks expect: by pinyin (as the screens sort with ICU's Chinese
collation), not by character code. No Qt, so exports and the CLI use the same order as the GUI."""

from __future__ import annotations

import functools

from pypinyin import Style, lazy_pinyin


@functools.lru_cache(maxsize=16384)
def pinyin_key(text: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """Sort key: syllables without tones (曹 < 陈 < 张), then with tone numbers, then the text."""
    plain = tuple(lazy_pinyin(text, errors="default"))
    toned = tuple(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors="default"))
    return plain, toned, text
