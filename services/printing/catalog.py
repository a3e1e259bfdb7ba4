"""目录清单: every ledger section and meeting record with the pages it really occupies.

The page numbers come from the ``SectionMark`` of each entry where the layout really put it; they
are drawn as ``PageRef`` boxes of fixed size, filled in once the whole volume is laid out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from services.printing.fonts import FONT
from services.printing.layout import FRAME_WIDTH, GRID, SHADE, PageRef, SectionMark, esc, styles

CHINESE_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class CatalogEntry:
    key: str  # the SectionMark key of the entry's first page
    title: str
    level: int = 2  # 1: a ledger (group row), 2: a section or record
    date: str = ""


def numeral(n: int) -> str:
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    if n < 20:
        return "十" + CHINESE_NUMERALS[n - 11]
    return str(n)


def page_ranges(
    entries: Sequence[CatalogEntry], marks: dict[str, int], total: int
) -> dict[str, tuple[int, int]]:
    """First and last page of each level-2 entry: it runs until the next entry starts."""
    leaves = sorted((marks[e.key], e.key) for e in entries if e.level == 2 and e.key in marks)
    out: dict[str, tuple[int, int]] = {}
    for i, (start, key) in enumerate(leaves):
        end = leaves[i + 1][0] - 1 if i + 1 < len(leaves) else total
        out[key] = (start, max(start, end))
    return out


class _Pages:
    """Page texts of all entries, computed once when the first catalog box is filled in."""

    def __init__(self, entries: Sequence[CatalogEntry]) -> None:
        self.entries = entries
        self._ranges: dict[str, tuple[int, int]] | None = None

    def text(self, entry: CatalogEntry, marks: dict[str, int], total: int) -> str:
        if entry.level == 1:
            first = marks.get(entry.key)
            return str(first) if first is not None else "—"
        if self._ranges is None:
            self._ranges = page_ranges(self.entries, marks, total)
        span = self._ranges.get(entry.key)
        if span is None:
            return "—"
        return str(span[0]) if span[0] == span[1] else f"{span[0]}–{span[1]}"


def catalog_story(entries: Sequence[CatalogEntry]) -> list[Flowable]:
    st = styles()
    widths = [14 * mm, FRAME_WIDTH - 14 * mm - 30 * mm - 24 * mm, 30 * mm, 24 * mm]
    pages = _Pages(entries)
    header = ["序号", "题    名", "日  期", "页  号"]
    rows: list[list[object]] = []
    group_rows: list[int] = []
    ledger_no = item_no = 0
    for entry in entries:

        def text(marks: dict[str, int], total: int, entry: CatalogEntry = entry) -> str:
            return pages.text(entry, marks, total)

        ref = PageRef(f"cat.{entry.key}", text, widths[3] - 4)
        if entry.level == 1:
            ledger_no += 1
            item_no = 0
            rows.append([numeral(ledger_no), Paragraph(esc(entry.title), st.cell), "", ref])
            group_rows.append(len(rows))
        else:
            item_no += 1
            rows.append([str(item_no), Paragraph(esc(entry.title), st.cell), entry.date, ref])
    cmds: list[tuple[object, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, 9.5, 13),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("ALIGN", (0, 1), (0, -1), "CENTER"),
        ("ALIGN", (2, 1), (-1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (3, 0), (3, -1), 2),
        ("RIGHTPADDING", (3, 0), (3, -1), 2),
    ]
    cmds += [("BACKGROUND", (0, r), (-1, r), SHADE) for r in group_rows]
    table = Table([header, *rows], colWidths=widths, repeatRows=1, style=TableStyle(cmds), hAlign="LEFT")
    return [SectionMark("catalog", "目录清单", level=0), Paragraph("目 录 清 单", st.title), table]
