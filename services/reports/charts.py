"""Charts of the township reports, drawn from the same numbers as the report's tables: reportlab's own
graphics (``reportlab.graphics.charts``) in the PDF, with the embedded CJK font for every label, and native
openpyxl charts in the xlsx (on a 图表 sheet whose cells hold the chart's data, so Excel/WPS redraw them).

A :class:`Chart` is plain data (categories and named series of numbers); each report's ``document``
builds its charts from the report object it tabulates, so a chart and its table cannot disagree."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

# A few distinguishable colours that also survive a black-and-white photocopy as different greys.
PALETTE = ("#C0392B", "#2E86C1", "#F39C12", "#27AE60", "#8E44AD", "#7F8C8D", "#D35400", "#16A085")
LEGEND_MAX = 8  # more series than this: no legend (it would cover the chart)


@dataclass(frozen=True)
class Chart:
    """One chart: ``categories`` along the x axis, each series one value per category (a count, or a
    percentage when ``unit`` is "%"). ``kind`` "bar" (clustered columns) or "line" (a trend)."""

    title: str
    kind: Literal["bar", "line"]
    categories: Sequence[str]
    series: Sequence[tuple[str, Sequence[float]]]
    unit: str = "人"

    def __post_init__(self) -> None:
        for name, values in self.series:
            if len(values) != len(self.categories):
                raise ValueError(f"chart {self.title}: series {name} has {len(values)} values")


def drawing(chart: Chart, width_mm: float = 165, height_mm: float = 72) -> Any:
    """The chart as a reportlab ``Drawing`` (a platypus flowable), every label in the CJK font."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing, Rect, String
    from reportlab.lib import colors
    from reportlab.lib.units import mm

    from services.printing.fonts import FONT, register

    register()
    width, height = width_mm * mm, height_mm * mm
    d = Drawing(width, height)
    d.initialFontName = FONT  # else the renderer starts every drawing in a non-embedded Helvetica
    d.add(Rect(0, 0, width, height, fillColor=colors.white, strokeColor=None))  # paper, also on screen
    d.add(String(width / 2, height - 12, chart.title, fontName=FONT, fontSize=10, textAnchor="middle"))
    many = len(chart.categories) > 6 or max((len(c) for c in chart.categories), default=0) > 6
    bottom = 46 if many else 22
    plot: Any = VerticalBarChart() if chart.kind == "bar" else HorizontalLineChart()
    plot.x, plot.y = 34, bottom
    legend_room = 90 if 1 < len(chart.series) <= LEGEND_MAX else 0
    plot.width, plot.height = width - 44 - legend_room, height - bottom - 24
    plot.data = [tuple(float(v) for v in values) for _name, values in chart.series] or [(0.0,)]
    plot.categoryAxis.categoryNames = [str(c) for c in chart.categories]
    labels = plot.categoryAxis.labels
    labels.fontName, labels.fontSize = FONT, 7
    if many:
        labels.angle, labels.boxAnchor, labels.dx, labels.dy = 35, "ne", 2, -2
    plot.valueAxis.labels.fontName, plot.valueAxis.labels.fontSize = FONT, 7
    plot.valueAxis.valueMin = 0
    top = max((float(v) for _n, vs in chart.series for v in vs), default=0.0)
    if top <= 0:
        plot.valueAxis.valueMax = 1
    if chart.unit != "%":  # counts: whole-number ticks
        plot.valueAxis.valueStep = max(1, -(-int(top) // 5))
    for i in range(len(plot.data)):
        colour = colors.HexColor(PALETTE[i % len(PALETTE)])
        if chart.kind == "bar":
            plot.bars[i].fillColor = colour
            plot.bars[i].strokeColor = colour
        else:
            plot.lines[i].strokeColor = colour
            plot.lines[i].strokeWidth = 1.5
    d.add(plot, name="plot")
    d.add(String(4, height - 24, chart.unit, fontName=FONT, fontSize=7))
    if legend_room:
        legend = Legend()
        legend.x, legend.y = width - legend_room + 6, height - 30
        legend.fontName, legend.fontSize = FONT, 7
        legend.alignment = "right"
        legend.colorNamePairs = [
            (colors.HexColor(PALETTE[i % len(PALETTE)]), name) for i, (name, _v) in enumerate(chart.series)
        ]
        d.add(legend)
    return d


def svg(chart: Chart, family: str = "WenQuanYi Micro Hei") -> bytes:
    """The same drawing as SVG (for the GUI, which draws it with Qt's SVG renderer); labels use the font
    ``family`` (the application font the GUI registers from the shipped file) instead of the PDF's name."""
    from reportlab.graphics import renderSVG

    from services.printing.fonts import FONT

    text = renderSVG.drawToString(drawing(chart))
    return re.sub(rf"font-family:\s*{FONT}\b", f"font-family: '{family}'", text).encode("utf-8")


def data_rows(charts: Sequence[Chart]) -> tuple[list[list[object]], list[tuple[Chart, int]]]:
    """The 图表 sheet's rows (below its header row): for each chart a title row, a row of series names,
    one row per category and a blank row. Returns the rows and, per chart, the sheet row (1-based) of
    its series-name row."""
    rows: list[list[object]] = []
    where: list[tuple[Chart, int]] = []
    for chart in charts:
        rows.append([chart.title])
        where.append((chart, len(rows) + 2))  # +1 header row, +1 the title row just added
        rows.append(["", *(f"{name}（{chart.unit}）" for name, _v in chart.series)])
        for i, category in enumerate(chart.categories):
            rows.append([str(category), *(values[i] for _n, values in chart.series)])
        rows.append([])
    return rows, where


def add_xlsx_charts(ws: Any, placed: Sequence[tuple[Chart, int]]) -> None:
    """Native Excel charts on the 图表 sheet ``ws``, each reading its own data block (see ``data_rows``)."""
    from openpyxl.chart import BarChart, LineChart, Reference

    column = _col(max((len(c.series) for c, _h in placed), default=1) + 2)
    bottom = 0  # the row below the previous chart (a chart is about 17 rows tall)
    for chart, head in placed:
        n = len(chart.categories)
        xl: Any = BarChart() if chart.kind == "bar" else LineChart()
        if chart.kind == "bar":
            xl.type = "col"
        xl.title = chart.title
        xl.y_axis.title = chart.unit
        xl.y_axis.delete = False
        xl.x_axis.delete = False
        data = Reference(ws, min_col=2, max_col=1 + len(chart.series), min_row=head, max_row=head + n)
        cats = Reference(ws, min_col=1, min_row=head + 1, max_row=head + n)
        xl.add_data(data, titles_from_data=True)
        xl.set_categories(cats)
        xl.width, xl.height = 18, 8
        if len(chart.series) > LEGEND_MAX:
            xl.legend = None
        row = max(head - 1, bottom)
        ws.add_chart(xl, f"{column}{row}")
        bottom = row + 17


def _col(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)
