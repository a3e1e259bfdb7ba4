"""Writing a report to xlsx (services/excel's atomic, read-back-verified writer) or PDF (services/printing's
fonts, running head and ruled tables; atomic write verified with pypdf)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from services.errors import ValidationError
from services.reports.charts import Chart


@dataclass
class Section:
    """One titled table of a report: a sheet in xlsx, a heading + ruled table in PDF."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]
    widths: Sequence[int] = ()  # relative column widths (characters in xlsx, mm share in PDF)
    note: str = ""
    empty: str = "无。"
    # Drill-down: (row index, column index) → what the cell counts (members, meetings), from the same
    # records that give its number, so ``len(items[cell]) == number`` (the GUI lists them on a click).
    items: dict[tuple[int, int], list[str]] = field(default_factory=dict)


@dataclass
class Document:
    title: str  # e.g. 城关镇 2026年12月 政治生日名单
    head: str  # left of the running head: township · branch
    sections: list[Section] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)  # drawn after the tables (PDF), a 图表 sheet (xlsx)


CHART_SHEET = "图表"


def _widths(section: Section) -> list[int]:
    return list(section.widths) if section.widths else [12] * len(section.columns)


def write_xlsx(doc: Document, path: str | Path) -> int:
    """One sheet per section, then (when the document has charts) a 图表 sheet holding each chart's data
    and a native Excel chart over it; returns the data rows written (the 图表 sheet's not counted).
    Raises ExcelFileError / ValidationError("out")."""
    from services.excel.export import ExportColumn, ExportTable
    from services.excel.export import write_xlsx as write
    from services.reports.charts import add_xlsx_charts, data_rows

    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise ValidationError("xlsx", f"输出文件名（--xlsx）应以 .xlsx 结尾：{target}。")
    tables = [
        ExportTable(s.title, [ExportColumn(c, w) for c, w in zip(s.columns, _widths(s), strict=True)], s.rows)
        for s in doc.sections
    ]
    if not doc.charts:
        return write(tables, target)
    rows, placed = data_rows(doc.charts)
    width = max(len(c.series) for c in doc.charts)
    columns = [ExportColumn("图表数据", 30), *(ExportColumn("", 12) for _ in range(width))]
    tables.append(ExportTable(CHART_SHEET, columns, rows, decorate=lambda ws: add_xlsx_charts(ws, placed)))
    return write(tables, target) - len(rows)


def write_pdf(doc: Document, path: str | Path) -> int:
    """The report as an A4 PDF; returns the page count. Raises PrintError subclasses on failure."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Flowable, Paragraph, Spacer

    from services.printing.layout import RunningHead, data_table, esc, render, styles
    from services.printing.output import write_pdf as write

    st = styles()
    heading = ParagraphStyle("report_h2", parent=st.h2, keepWithNext=1)  # never alone at a page's foot
    note = ParagraphStyle("report_note", parent=st.note, keepWithNext=1)
    story: list[Flowable] = [Paragraph(esc(doc.title), st.title)]
    for s in doc.sections:
        story.append(Paragraph(esc(s.title), heading))
        if s.note:
            story.append(Paragraph(esc(s.note), note))
        numeric = [
            i
            for i in range(len(s.columns))
            if s.rows and all(isinstance(r[i], int) or r[i] in ("", "—") for r in s.rows)
        ]
        story.append(
            data_table(s.columns, s.rows, _widths(s), center=numeric, small=len(s.columns) > 7, empty=s.empty)
        )
        story.append(Spacer(1, 2))
    if doc.charts:
        from reportlab.platypus import KeepTogether

        from services.reports.charts import drawing

        story.append(Paragraph("图表", heading))
        story += [KeepTogether([drawing(c), Spacer(1, 6)]) for c in doc.charts]
    rendered = render(story, RunningHead(doc.head, doc.title), title=doc.title)
    write(rendered.data, path, rendered.pages)
    return rendered.pages
