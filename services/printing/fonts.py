"""The one CJK font of printed documents: WenQuanYi Micro Hei, embedded as a TrueType subset.

reportlab's ``TTFont`` writes only the glyphs a document uses (subsets of up to 256 glyphs, each a
``/TrueType`` font with ``/FontFile2`` and a ``/ToUnicode`` map), so every PDF carries its own font and
text extraction gives back the Chinese characters. The file is a TrueType collection; face 0 is the
proportional Micro Hei.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from services.paths import font_path
from services.printing.errors import FontMissing

FONT = "WQY"


class CheckedTTFont(TTFont):
    """A TTFont that remembers, per document, the characters it had no glyph for.

    reportlab draws such characters as the empty .notdef box without a word; the printing code
    reads ``missing`` after a build and warns the clerk instead.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.missing: WeakKeyDictionary[Any, set[str]] = WeakKeyDictionary()

    def splitString(self, text: str | bytes, doc: Any, encoding: str = "utf-8") -> list[tuple[int, bytes]]:
        results: list[tuple[int, bytes]] = super().splitString(text, doc, encoding)
        # Unknown characters become code 0 of subset 0; only then look at the characters (rare).
        if any(subset == 0 and 0 in chunk for subset, chunk in results):
            chars = text if isinstance(text, str) else text.decode(encoding)
            cmap = self.face.charToGlyph
            found = {ch for ch in chars if ord(ch) not in cmap and ord(ch) != 0xA0 and not ch.isspace()}
            self.missing.setdefault(doc, set()).update(found)
        return results


def register() -> str:
    """Registers the font once per process (bold/italic map to the same face) and returns its name."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    path = font_path()
    try:
        font = CheckedTTFont(FONT, str(path), subfontIndex=0)
    except Exception as exc:
        raise FontMissing(
            f"无法读取打印用中文字体 {path}：{exc}。请重新安装本软件（字体随软件提供）。"
        ) from exc
    pdfmetrics.registerFont(font)
    # <b>/<i> in paragraphs must never fall back to a base-14 font that has no Chinese glyphs.
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(FONT, bold, italic, FONT)
    return FONT


@lru_cache(maxsize=1)
def _cmap() -> frozenset[int]:
    register()
    font = pdfmetrics.getFont(FONT)
    return frozenset(font.face.charToGlyph.keys())


def missing_in(doc: Any) -> str:
    """Characters a finished document wanted but the font could not draw (and forgets them)."""
    font = pdfmetrics.getFont(register())
    found = font.missing.pop(doc, set()) if isinstance(font, CheckedTTFont) else set()
    return "".join(sorted(found))


def missing_glyphs(text: str) -> str:
    """Characters of ``text`` the font cannot draw (they would print as empty boxes)."""
    cmap = _cmap()
    return "".join(sorted({ch for ch in text if not ch.isspace() and ord(ch) not in cmap}))
