"""Chinese names in the order clerks expect: by pinyin (as the screens sort with ICU's Chinese
collation), not by character code. No Qt, so exports and the CLI use the same order as the GUI.

``name_key`` is the same order as a stored string (``member.name_key``), so SQL sorts names by pinyin
with a plain ``ORDER BY``; ``name_initials`` (``member.name_initials``) lets SQL find 张三 by "zs".
pypinyin is imported on first use (its phrase tables take ≈0.4 s): only when a name is written.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

SYLLABLE = 6  # the longest pinyin syllable without tone (zhuang); with a tone number one more
NAME_KEY_LENGTH = 255  # member.name_key's column length


@functools.lru_cache(maxsize=16384)
def pinyin_key(text: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """Sort key: syllables without tones (曹 < 陈 < 张), then with tone numbers, then the text."""
    from pypinyin import Style, lazy_pinyin

    plain = tuple(lazy_pinyin(text, errors="default"))
    toned = tuple(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors="default"))
    return plain, toned, text


def _blocks(chunks: tuple[str, ...], width: int) -> str:
    """Each syllable padded with "0" to ``width`` characters; a chunk that is not a syllable (Latin
    letters, digits) one block per letter or digit, anything else (the name dot ·) left out."""
    out: list[str] = []
    for chunk in chunks:
        text = chunk.lower()
        if text.isascii() and text.isalnum() and len(text) <= width and not text[0].isdigit():
            out.append(text.ljust(width, "0"))
        else:
            out.extend(c.ljust(width, "0") for c in text if c.isascii() and c.isalnum())
    return "".join(out)


@functools.lru_cache(maxsize=16384)
def name_key(text: str) -> str:
    """``pinyin_key`` as a string of ``[0-9a-z]`` in the same order (byte order and any ordinary text
    collation agree on such strings): the toneless syllables in blocks of six padded with "0", a block
    of "0" (so 张 sorts before 张三, as the shorter tuple does), then the toned syllables in blocks of
    seven. At most ``NAME_KEY_LENGTH`` characters. E.g. 张三 → ``zhang0san000000000zhang10san100``."""
    plain, toned, _text = pinyin_key(text.strip())
    key = _blocks(plain, SYLLABLE) + "0" * SYLLABLE + _blocks(toned, SYLLABLE + 1)
    return key[:NAME_KEY_LENGTH]


@functools.lru_cache(maxsize=16384)
def name_initials(text: str) -> str:
    """Lower-case pinyin initials of a name (张三 → zs; Latin letters kept, other signs dropped)."""
    plain, _toned, _text = pinyin_key(text.strip())
    out = []
    for chunk in plain:
        if chunk and chunk.isascii() and chunk.isalpha() and chunk.islower():
            out.append(chunk[0])
        else:
            out.extend(c.lower() for c in chunk if c.isascii() and c.isalnum())
    return "".join(out)[:50]


# Columns computed from another column of the same row: (table, column) → (source column, function).
# Written with the source by ``services.members.stored_values``; a sync receiver recomputes them from
# the received source (a package from before these columns existed carries none, and a sender's key is
# never trusted for the county's order).
DERIVED: dict[tuple[str, str], tuple[str, Callable[[str], str]]] = {
    ("member", "name_key"): ("name", name_key),
    ("member", "name_initials"): ("name", name_initials),
}
