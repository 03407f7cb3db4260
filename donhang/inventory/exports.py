"""Inventory value as an .xlsx workbook: a summary sheet, then one sheet per warehouse.

Headers follow the active language (the view runs under the user's language). Every row goes
through `_append`: text that a spreadsheet would run as a formula (a product named
"=HYPERLINK(…)") is written with a leading apostrophe (DESIGN.md 3.10)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from donhang.core.spreadsheet import neutralize_row
from donhang.inventory import selectors

MONEY_FORMAT = "#,##0"
# Characters Excel refuses in sheet names; names are at most 31 characters.
_SHEET_NAME_FORBIDDEN = str.maketrans({c: "-" for c in "[]:*?/\\"})


def _sheet_title(text: str, taken: set[str]) -> str:
    base = text.translate(_SHEET_NAME_FORBIDDEN)[:31] or "-"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _append(sheet, values: list) -> None:
    sheet.append(neutralize_row(values))


def _header(sheet, titles: list[str]) -> None:
    from openpyxl.styles import Font

    _append(sheet, titles)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _total_row(sheet, values: list) -> None:
    from openpyxl.styles import Font

    _append(sheet, values)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def _widths(sheet, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def inventory_value_xlsx(*, value: selectors.InventoryValue) -> bytes:
    """The workbook's bytes. Values are whole đồng at cost price excl. VAT."""
    from openpyxl import Workbook

    workbook = Workbook()
    summary = workbook.active
    taken: set[str] = set()
    summary.title = _sheet_title(_("Summary"), taken)
    _header(
        summary,
        [
            _("Warehouse code"),
            _("Warehouse"),
            _("Variants in stock"),
            _("On hand"),
            _("Value at cost (₫)"),
        ],
    )
    for row in value.rows:
        _append(summary, [row.key.code, row.key.name, row.variants, row.units, row.value])
    _total_row(summary, [_("Total"), "", value.variants, value.units, value.value])
    for cell in summary["E"][1:]:
        cell.number_format = MONEY_FORMAT
    _widths(summary, [16, 32, 18, 14, 20])

    warehouses = {row.key.pk: row for row in value.rows}
    by_warehouse: dict[int, list] = {pk: [] for pk in warehouses}
    for level in selectors.inventory_value_lines(warehouse_ids=warehouses):
        by_warehouse[level.warehouse_id].append(level)
    for pk, row in warehouses.items():
        sheet = workbook.create_sheet(_sheet_title(row.key.code, taken))
        _header(
            sheet,
            [
                _("SKU"),
                _("Product"),
                _("Variant"),
                _("Category"),
                _("On hand"),
                _("Cost price (₫)"),
                _("Value at cost (₫)"),
            ],
        )
        for level in by_warehouse[pk]:
            variant = level.variant
            category = variant.product.category
            _append(
                sheet,
                [
                    variant.sku,
                    variant.product.name,
                    variant.options_label,
                    category.name if category else "",
                    level.on_hand,
                    variant.cost_price,
                    level.on_hand * variant.cost_price,
                ],
            )
        _total_row(sheet, [_("Total"), "", "", "", row.units, "", row.value])
        for column in ("F", "G"):
            for cell in sheet[column][1:]:
                cell.number_format = MONEY_FORMAT
        _widths(sheet, [18, 40, 20, 20, 12, 16, 20])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
