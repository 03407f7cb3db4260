"""The invoice list as an .xlsx workbook (headers in the reader's language). Every row goes
through `neutralize_row`: text a spreadsheet would run as a formula (a buyer named "=HYPERLINK(…)")
is written with a leading apostrophe (DESIGN.md 3.10)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from donhang.core.spreadsheet import neutralize_row

MONEY_FORMAT = "#,##0"
MAX_ROWS = 50_000


def invoices_xlsx(invoices) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("E-invoices")[:31]
    headers = [
        _("Date"),
        _("Template"),
        _("Series"),
        _("Number"),
        _("Kind"),
        _("State"),
        _("Tax authority code"),
        _("Order"),
        _("Buyer"),
        _("Tax code"),
        _("Amount before VAT (₫)"),
        _("VAT (₫)"),
        _("Total (₫)"),
        _("Amount in words"),
        _("Original invoice"),
        _("Provider"),
    ]
    sheet.append(neutralize_row(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for invoice in invoices.iterator(chunk_size=500) if hasattr(invoices, "iterator") else invoices:
        if sheet.max_row > MAX_ROWS:
            break
        sheet.append(
            neutralize_row(
                [
                    invoice.invoice_date,
                    invoice.template_code,
                    invoice.series,
                    invoice.number,
                    invoice.get_purpose_display(),
                    invoice.get_state_display(),
                    invoice.tax_authority_code,
                    invoice.order.code,
                    invoice.buyer_display,
                    invoice.buyer_tax_code,
                    invoice.total_net,
                    invoice.total_vat,
                    invoice.total,
                    invoice.amount_in_words,
                    str(invoice.original) if invoice.original_id else "",
                    invoice.account.get_provider_display(),
                ]
            )
        )
    for column in ("K", "L", "M"):
        for cell in sheet[column][1:]:
            cell.number_format = MONEY_FORMAT
    for column, width in zip(
        "ABCDEFGHIJKLMNOP",
        [12, 10, 10, 10, 14, 14, 38, 14, 36, 16, 18, 14, 16, 60, 22, 18],
        strict=True,
    ):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
