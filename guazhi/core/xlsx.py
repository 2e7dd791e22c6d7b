"""Excel files the apps write (openpyxl, write-only so rows are not kept in memory): one
sheet with the column widths, a bold Chinese header row and frozen panes, and `text()` for
every value typed by users."""

from __future__ import annotations

from typing import Any

from .audit import csv_safe


def sheet(wb, title: str, headers: list[tuple[str, int]], freeze: str = "A2"):
    """A new sheet of the write-only workbook `wb` with (header, width) columns; the header
    row written. Rows are then added with `ws.append`."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title[:31])  # Excel's limit on a sheet name
    for index, (_header, width) in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = freeze
    bold = Font(bold=True)
    row = []
    for header, _width in headers:
        cell = WriteOnlyCell(ws, value=header)
        cell.font = bold
        row.append(cell)
    ws.append(row)
    return ws


def text(value: Any) -> Any:
    """A string as a cell may hold it: without the control characters a worksheet refuses
    (openpyxl raises on them), and kept as text when it would start a formula (= + - @)."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return csv_safe(ILLEGAL_CHARACTERS_RE.sub("", value))
