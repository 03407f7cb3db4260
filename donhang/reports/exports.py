"""A report as an .xlsx workbook: a first sheet saying what it is (report, period, filters, to
when the figures are complete, the definitions), then one sheet per table with the columns the
caller may see. Text cells go through donhang.core.spreadsheet.neutralize_row (a product named
"=HYPERLINK(…)" stays text)."""

from __future__ import annotations

import io
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from donhang.core.spreadsheet import neutralize_row
from donhang.reports.tables import Table

MONEY_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0"
_SHEET_NAME_FORBIDDEN = str.maketrans({c: "-" for c in "[]:*?/\\"})
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet_title(text: str, taken: set[str]) -> str:
    base = text.translate(_SHEET_NAME_FORBIDDEN)[:31] or "-"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _value(value, kind: str):
    if value is None:
        return None
    if kind == "percent":
        return float(value)
    if kind == "date" and isinstance(value, datetime):
        return timezone.localtime(value).date()
    if kind == "text":
        return str(value)
    return value


def workbook(*, title: str, about: list[tuple[str, object]], tables: list[Table]) -> bytes:
    """Written in openpyxl's write-only mode: rows stream to the file as they come (a year of
    sales by customer at a large shop is hundreds of thousands of rows)."""
    book = Workbook(write_only=True)
    taken: set[str] = set()
    sheet = book.create_sheet(_sheet_title(_("About"), taken))
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 90
    sheet.append([_styled(sheet, neutralize_row([title])[0], font=Font(bold=True, size=13))])
    for label, value in about:
        if isinstance(value, datetime):
            value = timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
        elif isinstance(value, date):
            value = value.strftime("%d/%m/%Y")
        sheet.append(neutralize_row([str(label), "" if value is None else str(value)]))
    bold = Font(bold=True)
    for table in tables:
        ws = book.create_sheet(_sheet_title(table.title, taken))
        ws.freeze_panes = "A2"
        formats = []
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            ws.column_dimensions[letter].width = 28 if column.kind == "text" else 16
            formats.append(
                {"money": MONEY_FORMAT, "percent": PERCENT_FORMAT, "date": "DD/MM/YYYY"}.get(
                    column.kind
                )
            )
        header = neutralize_row([str(c.label) for c in table.columns])
        ws.append([_styled(ws, value, font=bold) for value in header])
        plain = not any(formats)
        for row in table.rows:
            values = neutralize_row([_value(row.get(c.key), c.kind) for c in table.columns])
            if plain:
                ws.append(values)
            else:
                ws.append(
                    [
                        _styled(ws, value, number_format=fmt)
                        if fmt and value is not None
                        else value
                        for value, fmt in zip(values, formats, strict=True)
                    ]
                )
        if table.total is not None:
            values = [
                _value(table.total.get(c.key), c.kind)
                if c.kind in ("int", "money", "percent")
                else None
                for c in table.columns
            ]
            values[0] = _("Total")
            ws.append(
                [
                    _styled(ws, value, font=bold, number_format=fmt)
                    for value, fmt in zip(neutralize_row(values), formats, strict=True)
                ]
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _styled(ws, value, *, font: Font | None = None, number_format: str | None = None):
    cell = WriteOnlyCell(ws, value=value)
    if font is not None:
        cell.font = font
    if number_format:
        cell.number_format = number_format
    return cell
