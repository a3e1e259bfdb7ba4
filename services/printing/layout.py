"""Page geometry, styles, running header/footer and the build shared by every document.

A4 portrait with a wide left margin for binding (and a dashed 装订线), a running header with
township and branch, and the footer "第 N 页 共 M 页": the canvas keeps every page until the end so
the total is known when the footers are drawn.

Numbers known only at the end — where each catalog entry really starts (recorded by ``SectionMark``
through ``afterFlowable`` as the pages are laid out), the page total on the cover — are drawn by
``PageRef`` as forward-referenced form XObjects of fixed size, filled in when the document is saved.
So one layout pass suffices and every printed page number is the real one, never an estimate.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from services import textclean
from services.printing.fonts import FONT, missing_in, register

PAGE_WIDTH, PAGE_HEIGHT = A4
BINDING = 30 * mm  # left margin, binding side
RIGHT = 18 * mm
TOP = 24 * mm
BOTTOM = 20 * mm
FRAME_WIDTH = PAGE_WIDTH - BINDING - RIGHT
FRAME_HEIGHT = PAGE_HEIGHT - TOP - BOTTOM
GRID = colors.HexColor("#333333")
SHADE = colors.HexColor("#E8E8E8")
MUTED = colors.HexColor("#555555")
RefText = Callable[[dict[str, int], int], str]  # (marks, page total) -> the text to print


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    note: ParagraphStyle
    cell: ParagraphStyle
    cell_center: ParagraphStyle
    cell_small: ParagraphStyle
    cover_title: ParagraphStyle
    cover_sub: ParagraphStyle


@lru_cache(maxsize=1)
def styles() -> Styles:
    register()

    def s(name: str, size: float, leading: float, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=FONT, fontSize=size, leading=leading, wordWrap="CJK", **kw)

    return Styles(
        title=s("title", 18, 26, alignment=TA_CENTER, spaceAfter=4 * mm),
        h1=s("h1", 15, 22, alignment=TA_CENTER, spaceAfter=3 * mm),
        h2=s("h2", 12, 18, spaceBefore=3 * mm, spaceAfter=1.5 * mm),
        body=s("body", 10.5, 17, firstLineIndent=21),
        note=s("note", 9, 13, textColor=MUTED),
        cell=s("cell", 9, 12),
        cell_center=s("cell_center", 9, 12, alignment=TA_CENTER),
        cell_small=s("cell_small", 8, 10),
        cover_title=s("cover_title", 28, 40, alignment=TA_CENTER),
        cover_sub=s("cover_sub", 16, 24, alignment=TA_CENTER),
    )


def esc(text: str) -> str:
    """Text for a Paragraph: XML-escaped, minus what XML cannot hold (``textclean.for_output``)."""
    return escape(textclean.for_output(text or ""))


def paragraphs(text: str, style: ParagraphStyle) -> list[Flowable]:
    """One paragraph per line of ``text`` (clerks type line breaks); blank lines become space."""
    out: list[Flowable] = []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        line = line.strip()
        if line:
            out.append(Paragraph(esc(line), style))
        elif out:
            out.append(Spacer(1, style.leading / 2))
    return out


def _cell(value: Any, width: float, style: ParagraphStyle) -> Any:
    """Plain strings are cheap to draw; only text wider than its column becomes a wrapping paragraph."""
    text = "" if value is None else textclean.for_output(str(value))
    if isinstance(value, Flowable):
        return value
    if "\n" in text or stringWidth(text, FONT, style.fontSize) > width - 4:
        return Paragraph(esc(text).replace("\n", "<br/>"), style)
    return text


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths_mm: Sequence[float],
    *,
    center: Sequence[int] = (),
    small: bool = False,
    empty: str = "本年度无记录。",
) -> Table:
    """A ruled table whose header row repeats on every page it runs across."""
    st = styles()
    total = sum(widths_mm)
    widths = [w / total * FRAME_WIDTH for w in widths_mm]
    cell_style = st.cell_small if small else st.cell
    size = cell_style.fontSize
    head = [Paragraph(esc(h), st.cell_center) for h in header]
    body = [[_cell(v, widths[i], cell_style) for i, v in enumerate(row)] for row in rows]
    if not body:
        body = [[empty] + [""] * (len(header) - 1)]
    cmds: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, size, size + 3),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
    cmds += [("ALIGN", (c, 1), (c, -1), "CENTER") for c in center]
    if not rows:
        cmds.append(("SPAN", (0, 1), (-1, 1)))
        cmds.append(("ALIGN", (0, 1), (-1, 1), "CENTER"))
    return Table(
        [head, *body], colWidths=widths, repeatRows=1, style=TableStyle(cmds), splitInRow=1, hAlign="LEFT"
    )


class SectionMark(Flowable):
    """Zero-size marker: records the page a catalog entry starts on, sets the running title and
    adds a PDF bookmark (outline entry at ``level``) on the page where it is really drawn."""

    def __init__(self, key: str, title: str = "", level: int | None = None) -> None:
        super().__init__()
        self.key = key
        self.title = title
        self.level = level
        self.width = self.height = 0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        if self.level is not None and isinstance(self.canv, NumberedCanvas):
            self.canv.page_marks.append((self.key, self.title, self.level))


class PageRef(Flowable):
    """A fixed-size box showing a number known only when the document is finished."""

    def __init__(
        self, key: str, text: RefText, width: float, size: float = 9.5, align: str = "center"
    ) -> None:
        super().__init__()
        self.name = "ref_" + "".join(ch if ch.isalnum() else "_" for ch in key)
        self.text = text
        self.width = width
        self.size = size
        self.height = size * 1.25
        self.align = align

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.page_refs[self.name] = self
        self.canv.doForm(self.name)

    def fill(self, canv: Canvas, marks: dict[str, int], total: int) -> None:
        canv.beginForm(self.name, lowerx=0, lowery=0, upperx=self.width, uppery=self.height)
        canv.setFont(FONT, self.size)
        text = self.text(marks, total)
        y = self.size * 0.25
        if self.align == "left":
            canv.drawString(0, y, text)
        elif self.align == "right":
            canv.drawRightString(self.width, y, text)
        else:
            canv.drawCentredString(self.width / 2, y, text)
        canv.endForm()


class RunningTitle(Flowable):
    """Zero-size: the right side of the running header from this page on."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title = title
        self.width = self.height = 0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        pass


@dataclass(frozen=True)
class RunningHead:
    left: str  # township · branch
    right: str  # document title


class NumberedCanvas(Canvas):
    """Holds the pages back until ``save`` so each footer can say how many pages there are."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[dict[str, Any]] = []
        self.bare_page = False  # cover: no footer
        self.page_marks: list[tuple[str, str, int]] = []  # bookmarks of the page being drawn
        self.page_refs: dict[str, PageRef] = {}  # forms to fill in at save
        self.marks: dict[str, int] = {}  # the document's marks (set by LedgerDoc)

    def showPage(self) -> None:
        self._held.append(dict(self.__dict__))
        self.bare_page = False
        self.page_marks = []
        self._startPage()

    def save(self) -> None:
        total = len(self._held)
        for number, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            if not state.get("bare_page"):
                self.setFont(FONT, 9)
                self.setFillColor(colors.black)
                self.drawCentredString(
                    BINDING + FRAME_WIDTH / 2, BOTTOM - 10 * mm, f"第 {number} 页 共 {total} 页"
                )
            # Bookmarks need the real page object, which exists only now that pages are emitted.
            for key, title, level in state["page_marks"]:
                self.bookmarkPage(key)
                self.addOutlineEntry(title, key, level=level)
            Canvas.showPage(self)
        self.page_count = total
        for ref in self.page_refs.values():
            ref.fill(self, self.marks, total)
        self.missing_glyphs = missing_in(self._doc)
        if any(page["page_marks"] for page in self._held):
            self.showOutline()  # open with the bookmarks panel: the catalog, clickable
        Canvas.save(self)


def _binding_line(canv: Canvas) -> None:
    """The dashed 装订线 clerks punch and sew along."""
    x = 14 * mm
    canv.saveState()
    canv.setStrokeColor(colors.HexColor("#999999"))
    canv.setLineWidth(0.4)
    canv.setDash(3, 3)
    canv.line(x, BOTTOM, x, PAGE_HEIGHT - TOP)
    canv.setFont(FONT, 8)
    canv.setFillColor(colors.HexColor("#999999"))
    for i, ch in enumerate("装订线"):
        y = PAGE_HEIGHT / 2 + 12 * mm - i * 12 * mm
        canv.setFillColor(colors.white)
        canv.rect(x - 2.5 * mm, y - 1 * mm, 5 * mm, 4 * mm, stroke=0, fill=1)
        canv.setFillColor(colors.HexColor("#999999"))
        canv.drawCentredString(x, y, ch)
    canv.restoreState()


class LedgerDoc(BaseDocTemplate):
    """A4 document with a cover template (no header/footer) and a body template."""

    def __init__(self, buf: io.BytesIO, head: RunningHead, *, title: str, with_cover: bool) -> None:
        register()
        super().__init__(
            buf,
            pagesize=A4,
            leftMargin=BINDING,
            rightMargin=RIGHT,
            topMargin=TOP,
            bottomMargin=BOTTOM,
            title=title,
            author=head.left,
            subject=title,
            creator="支部台账",
            initialFontName=FONT,  # else reportlab puts a non-embedded Helvetica into every page
            invariant=1,  # same input, same bytes (no timestamp/random id)
        )
        self.head = head
        self.marks: dict[str, int] = {}
        self.running = ""
        frame = Frame(
            BINDING,
            BOTTOM,
            FRAME_WIDTH,
            FRAME_HEIGHT,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="body",
        )
        cover = PageTemplate("cover", [frame], onPage=self._cover_page)
        body = PageTemplate("body", [frame], onPageEnd=self._body_page)
        self.addPageTemplates([cover, body] if with_cover else [body, cover])

    def afterFlowable(self, flowable: Flowable) -> None:
        self.canv.marks = self.marks
        if isinstance(flowable, SectionMark):
            self.marks.setdefault(flowable.key, self.page)
            if flowable.title:
                self.running = flowable.title
        elif isinstance(flowable, RunningTitle):
            self.running = flowable.title

    def _cover_page(self, canv: Canvas, _doc: BaseDocTemplate) -> None:
        canv.bare_page = True
        _binding_line(canv)

    def _body_page(self, canv: Canvas, _doc: BaseDocTemplate) -> None:
        _binding_line(canv)
        canv.saveState()
        canv.setFont(FONT, 9)
        canv.setFillColor(MUTED)
        y = PAGE_HEIGHT - TOP + 6 * mm
        canv.drawString(BINDING, y, self.head.left)
        right = self.running or self.head.right
        canv.drawRightString(BINDING + FRAME_WIDTH, y, right)
        canv.setStrokeColor(GRID)
        canv.setLineWidth(0.6)
        canv.line(BINDING, y - 2 * mm, BINDING + FRAME_WIDTH, y - 2 * mm)
        canv.restoreState()


@dataclass
class Rendered:
    """A finished PDF and what the layout found: page count and each marked entry's start page."""

    data: bytes
    pages: int
    marks: dict[str, int] = field(default_factory=dict)
    missing_glyphs: str = ""  # characters the font lacks: they print as empty boxes

    def glyph_warning(self) -> str:
        if not self.missing_glyphs:
            return ""
        return (
            f"注意：打印字体中没有这些字：{'、'.join(self.missing_glyphs)}，在 PDF 中会显示为空框。"
            "请核对这些字的录入（生僻字可手写补上）。"
        )


def render(story: list[Flowable], head: RunningHead, *, title: str, with_cover: bool = False) -> Rendered:
    """Lays out ``story`` once; page references are filled in from the marks of this very layout."""
    buf = io.BytesIO()
    doc = LedgerDoc(buf, head, title=title, with_cover=with_cover)
    doc.build(story, canvasmaker=NumberedCanvas)
    return Rendered(buf.getvalue(), int(doc.canv.page_count), dict(doc.marks), doc.canv.missing_glyphs)
