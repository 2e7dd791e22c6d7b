"""A report is one query rendered three ways: a paginated page, an Excel file and a CSV file.

`Report` names its columns (`Col`: header, value from a row, width, number format) and builds
its rows from the owning app's access.py for the viewer, so the page and both files hold
exactly the records the viewer may see. Files stream: rows are read in chunks
(`iterator()`), the CSV is written as it is read, the Excel file with openpyxl's write-only
workbook into a temporary file that is then sent in blocks — 20,000 rows never sit in memory
as objects. Every download is audited (who, which report, how many rows, which filters)."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from guazhi.core import xlsx
from guazhi.core.audit import csv_safe

CHUNK = 2000


@dataclass(frozen=True)
class Col:
    header: str
    value: Callable[[Any], Any]
    width: int = 12
    number_format: str | None = None  # e.g. "0", "#,##0.00", "yyyy-mm-dd"


@dataclass
class Report:
    slug: str
    title: str
    perm: str
    columns: list[Col]
    # (user, params) -> the viewer's rows, ordered: a QuerySet (read in chunks) or, for the
    # few reports of one row per batch, a list computed in a fixed number of queries
    rows: Callable[[Any, dict], QuerySet | list]
    filters: Callable[[Any], list[tuple[str, str, list[tuple[str, str]]]]] = field(
        default=lambda user: []
    )  # (user) -> [(param, label, [(value, text)])]
    description: str = ""
    # (params) -> the columns when they depend on the filters (e.g. full or masked ID numbers)
    columns_for: Callable[[dict], list[Col]] | None = None
    sensitive: Callable[[dict], bool] = field(default=lambda params: False)  # audit views too

    def cols(self, params: dict) -> list[Col]:
        return self.columns_for(params) if self.columns_for else self.columns

    @staticmethod
    def values(row, cols: list[Col]) -> list[Any]:
        return [col.value(row) for col in cols]


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value


def _csv_value(value: Any) -> Any:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return csv_safe(_plain(value))


def each(rows: QuerySet | list) -> Iterable:
    return rows.iterator(chunk_size=CHUNK) if isinstance(rows, QuerySet) else rows


def count(rows: QuerySet | list) -> int:
    return rows.count() if isinstance(rows, QuerySet) else len(rows)


def csv_lines(report: Report, rows: QuerySet | list, params: dict) -> Iterator[str]:
    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())
    yield "\ufeff"  # Excel opens UTF-8 with the Chinese intact
    cols = report.cols(params)
    yield writer.writerow([col.header for col in cols])
    for row in each(rows):
        yield writer.writerow([_csv_value(v) for v in report.values(row, cols)])


def xlsx_file(report: Report, rows: QuerySet | list, params: dict):
    """The report as an .xlsx in a temporary file (rewound): Chinese headers in bold, the
    header row frozen, the columns' widths and number formats; text cleaned by
    `core.xlsx.text` (formula-looking text kept as text, control characters removed)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    cols = report.cols(params)
    ws = xlsx.sheet(wb, report.title, [(col.header, col.width) for col in cols])
    formats = [col.number_format for col in cols]
    for row in each(rows):
        cells = []
        for value, number_format in zip(report.values(row, cols), formats, strict=True):
            cell = WriteOnlyCell(ws, value=xlsx.text(_plain(value)))
            if number_format:
                cell.number_format = number_format
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        ws.append(cells)
    out = tempfile.TemporaryFile()
    wb.save(out)
    out.seek(0)
    return out


def choices(pairs: Iterable[tuple[Any, str]]) -> list[tuple[str, str]]:
    return [(str(value), str(text)) for value, text in pairs]
