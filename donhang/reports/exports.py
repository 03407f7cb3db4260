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
    book = Workbook()
    sheet = book.active
    taken: set[str] = set()
    sheet.title = _sheet_title(_("About"), taken)
    sheet.append(neutralize_row([title]))
    sheet["A1"].font = Font(bold=True, size=13)
    for label, value in about:
        if isinstance(value, datetime):
            value = timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
        elif isinstance(value, date):
            value = value.strftime("%d/%m/%Y")
        sheet.append(neutralize_row([str(label), "" if value is None else str(value)]))
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 90
    for table in tables:
        ws = book.create_sheet(_sheet_title(table.title, taken))
        ws.append(neutralize_row([str(c.label) for c in table.columns]))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for row in table.rows:
            ws.append(neutralize_row([_value(row.get(c.key), c.kind) for c in table.columns]))
        if table.total is not None:
            values = [
                _value(table.total.get(c.key), c.kind)
                if c.kind in ("int", "money", "percent")
                else None
                for c in table.columns
            ]
            values[0] = _("Total")
            ws.append(neutralize_row(values))
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            ws.column_dimensions[letter].width = 28 if column.kind == "text" else 16
            number_format = {
                "money": MONEY_FORMAT,
                "percent": PERCENT_FORMAT,
                "date": "DD/MM/YYYY",
            }.get(column.kind)
            if number_format:
                for cell in ws[letter][1:]:
                    cell.number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
