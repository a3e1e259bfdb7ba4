"""档案封面: the uniform archive cover of a bound ledger volume."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, NextPageTemplate, PageBreak, Paragraph, Spacer, Table, TableStyle

from services.printing.fonts import FONT
from services.printing.layout import FRAME_WIDTH, GRID, PageRef, esc, styles


@dataclass(frozen=True)
class CoverInfo:
    township: str
    branch: str
    year: int
    ledger_name: str
    volume: int = 1
    keeper: str = ""
    date_from: date | None = None
    date_to: date | None = None
    made_on: date | None = None
    retention: str = "永久"
    # The 操作日志's last number and hash when this volume was printed (services.audit.anchor): a
    # later `audit verify --anchor N:HASH` proves the log has not been shortened or rewritten since.
    audit_anchor: tuple[int, str] | None = None


def cn_date(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def cover_story(info: CoverInfo) -> list[Flowable]:
    """The cover page; it ends by switching to the body template on a new page."""
    st = styles()
    span = f"{cn_date(info.date_from)} 至 {cn_date(info.date_to)}" if info.date_from or info.date_to else ""
    value_width = FRAME_WIDTH - 56 * mm
    total = PageRef(
        "cover.total", lambda _marks, pages: f"{pages} 页", value_width - 12, size=12, align="left"
    )
    rows: list[tuple[str, str | Flowable]] = [
        ("乡镇（街道）", info.township),
        ("党组织名称", info.branch),
        ("年    度", f"{info.year} 年"),
        ("台账名称", info.ledger_name),
        ("卷    号", f"第 {info.volume} 卷"),
        ("起止日期", span),
        ("本卷页数", total),  # filled in when the volume is finished
        ("保 管 人", info.keeper),
        ("保管期限", info.retention),
        ("立卷日期", cn_date(info.made_on)),
    ]
    table = Table(
        [
            [label, value if isinstance(value, Flowable) else Paragraph(esc(value), st.h2)]
            for label, value in rows
        ],
        colWidths=[36 * mm, value_width],
        rowHeights=13 * mm,
        hAlign="CENTER",
        style=TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 12, 16),
                ("LINEBELOW", (1, 0), (1, -1), 0.6, GRID),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("ALIGN", (0, 0), (0, -1), "RIGHT"),
                ("RIGHTPADDING", (0, 0), (0, -1), 6 * mm),
            ]
        ),
    )
    return [
        Spacer(1, 28 * mm),
        Paragraph("档 案 封 面", st.cover_sub),
        Spacer(1, 10 * mm),
        Paragraph(esc(info.ledger_name), st.cover_title),
        Spacer(1, 4 * mm),
        Paragraph(f"（{info.year} 年度）", st.cover_sub),
        Spacer(1, 22 * mm),
        table,
        *_anchor_story(info.audit_anchor),
        NextPageTemplate("body"),
        PageBreak(),
    ]


def _anchor_story(anchor: tuple[int, str] | None) -> list[Flowable]:
    if anchor is None:
        return []
    number, digest = anchor
    head = f"操作日志校验：共 {number} 条，末条校验值（核对时原样输入）："
    # The value on a line of its own, small enough never to wrap on the frame width: a clerk
    # types it back into `audit verify --anchor` from the paper, so it must read as one unbroken string.
    value = ParagraphStyle("anchor", fontName=FONT, fontSize=7, leading=9)
    return [
        Spacer(1, 8 * mm),
        Paragraph(esc(head), styles().note),
        Paragraph(esc(f"{number}:{digest}"), value),
    ]
