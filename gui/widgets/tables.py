"""Small read-only tables of the record screens: ``make_table`` builds one, ``fill`` replaces its rows
(an id riding on each row's first cell, ``DATA_ROLE``), ``row_data`` reads the selected row's id."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

DATA_ROLE = Qt.ItemDataRole.UserRole
_DATA = DATA_ROLE


def make_table(headers: list[str], name: str) -> QTableWidget:
    """A read-only, row-selecting table whose last column stretches."""
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def fill(table: QTableWidget, rows: list[list[str]], data: list[Any] | None = None) -> None:
    """Replace the rows; ``data[i]`` rides on row i's first cell (``_DATA``)."""
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if c == 0 and data is not None:
                item.setData(_DATA, data[r])
            table.setItem(r, c, item)
    table.resizeRowsToContents()


def row_data(table: QTableWidget) -> Any:
    """The data of the selected row's first cell, None when no row is selected."""
    row = table.currentRow()
    item = table.item(row, 0) if row >= 0 else None
    return item.data(_DATA) if item is not None else None


def row_data_at(table: QTableWidget, row: int) -> Any:
    """The data of row ``row``'s first cell."""
    item = table.item(row, 0)
    return item.data(_DATA) if item is not None else None
