"""Products to and from spreadsheets (.xlsx, .csv), one row per variant.

Import validates every row first and reports row errors (row, column, reason). It then applies
the rows through the services inside one transaction: a dry run, or any error, rolls everything
back, so a dry run reports exactly what a real run would do and a real run is all-or-nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from donhang.catalog import services
from donhang.catalog.models import MAX_ATTRIBUTES, Category, Product, Variant
from donhang.core.errors import DomainError, PermissionDenied
from donhang.core.money import VatRate
from donhang.core.spreadsheet import (
    SpreadsheetRefused,
    check_xlsx,
    imported_text,
    limited_rows,
    neutralize_row,
    read_upload,
)
from donhang.core.text import code_problem, fold, name_problem

COLUMNS = [
    "product_sku",
    "product_name",
    "category",
    "brand",
    "description",
    "attribute_1_name",
    "attribute_1_value",
    "attribute_2_name",
    "attribute_2_value",
    "attribute_3_name",
    "attribute_3_value",
    "variant_sku",
    "barcode",
    "weight_g",
    "length_cm",
    "width_cm",
    "height_cm",
    "cost_price",
    "vat_rate",
    "sale_price",
    "low_stock_threshold",
]
REQUIRED = ("product_sku", "product_name", "variant_sku")
# What each column of the file is, in the reader's language (the import page shows both).
COLUMN_LABELS = {
    "product_sku": gettext_lazy("Product SKU"),
    "product_name": gettext_lazy("Product name"),
    "category": gettext_lazy("Category (parent > child)"),
    "brand": gettext_lazy("Brand"),
    "description": gettext_lazy("Description"),
    "attribute_1_name": gettext_lazy("Attribute 1: name"),
    "attribute_1_value": gettext_lazy("Attribute 1: value"),
    "attribute_2_name": gettext_lazy("Attribute 2: name"),
    "attribute_2_value": gettext_lazy("Attribute 2: value"),
    "attribute_3_name": gettext_lazy("Attribute 3: name"),
    "attribute_3_value": gettext_lazy("Attribute 3: value"),
    "variant_sku": gettext_lazy("Variant SKU"),
    "barcode": gettext_lazy("Barcode"),
    "weight_g": gettext_lazy("Weight (g)"),
    "length_cm": gettext_lazy("Length (cm)"),
    "width_cm": gettext_lazy("Width (cm)"),
    "height_cm": gettext_lazy("Height (cm)"),
    "cost_price": gettext_lazy("Cost excl. VAT (₫)"),
    "vat_rate": gettext_lazy("VAT rate (0, 5, 8, 10 or exempt)"),
    "sale_price": gettext_lazy("Sale price incl. VAT (₫)"),
    "low_stock_threshold": gettext_lazy("Low-stock alert at"),
}
NUMBER_COLUMNS = (
    "weight_g",
    "length_cm",
    "width_cm",
    "height_cm",
    "cost_price",
    "sale_price",
    "low_stock_threshold",
)
CATEGORY_SEPARATOR = " > "

COLUMN_HELP = {
    "product_sku": gettext_lazy("Product code. Rows with the same code are one product."),
    "product_name": gettext_lazy("Product name."),
    "category": gettext_lazy(
        "Category path, e.g. Thời trang nữ > Áo thun. Missing ones are created."
    ),
    "brand": gettext_lazy("Brand name. Created if missing."),
    "description": gettext_lazy("Product description."),
    "attribute_1_name": gettext_lazy("First attribute, e.g. Màu. Leave empty for no attributes."),
    "attribute_1_value": gettext_lazy("This variant's value of the first attribute, e.g. Đỏ."),
    "variant_sku": gettext_lazy(
        "Variant SKU, unique. An existing SKU is updated, a new one created."
    ),
    "barcode": gettext_lazy("Barcode (EAN/UPC), optional."),
    "weight_g": gettext_lazy("Weight in grams (whole number)."),
    "cost_price": gettext_lazy("Cost price excluding VAT, in đồng (whole number)."),
    "vat_rate": gettext_lazy("VAT rate: 0, 5, 8, 10 or exempt."),
    "sale_price": gettext_lazy("Sale price including VAT, in đồng (whole number)."),
    "low_stock_threshold": gettext_lazy("Warn when available stock falls to this number."),
}


# --- export -----------------------------------------------------------------


def _category_paths() -> dict[int, str]:
    categories = dict(Category.objects.values_list("pk", "name"))
    paths = {}
    for pk, path in Category.objects.values_list("pk", "path"):
        ids = [int(p) for p in path.strip("/").split("/") if p]
        paths[pk] = CATEGORY_SEPARATOR.join(categories.get(i, "") for i in ids)
    return paths


def export_rows(products, *, include_cost: bool = True) -> list[list]:
    """One row per variant, in COLUMNS order. Cost prices are left empty without view_cost."""
    paths = _category_paths()
    products = (
        products.select_related("category", "brand")
        .prefetch_related(
            "attributes", Prefetch("variants", queryset=Variant.objects.order_by("position", "id"))
        )
        .order_by("id")
    )
    rows = []
    for product in products:
        attrs = list(product.attributes.all())
        for variant in product.variants.all():
            attribute_cells = []
            for n in range(MAX_ATTRIBUTES):
                if n < len(attrs):
                    attribute_cells += [attrs[n].name, getattr(variant, f"option{n + 1}")]
                else:
                    attribute_cells += ["", ""]
            rows.append(
                [
                    product.sku,
                    product.name,
                    paths.get(product.category_id, ""),
                    product.brand.name if product.brand_id else "",
                    product.description,
                    *attribute_cells,
                    variant.sku,
                    variant.barcode,
                    variant.weight_g,
                    variant.length_cm,
                    variant.width_cm,
                    variant.height_cm,
                    variant.cost_price if include_cost else "",
                    variant.vat_rate,
                    variant.sale_price,
                    variant.low_stock_threshold,
                ]
            )
    return rows


def _xlsx_bytes(rows: list[list], *, with_help: bool = False) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "products"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(neutralize_row(row))
    sheet.freeze_panes = "A2"
    for index, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(
            12, len(name) + 2
        )
    if with_help:
        help_sheet = workbook.create_sheet(_("Help"))
        help_sheet.append([_("Column"), _("Meaning")])
        for name in COLUMNS:
            help_sheet.append([name, str(COLUMN_HELP.get(name, ""))])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csv_bytes(rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(neutralize_row(row) for row in rows)
    # The BOM makes Excel read the file as UTF-8, so Vietnamese shows correctly.
    return out.getvalue().encode("utf-8-sig")


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def export_file(
    products, *, fmt: str = "xlsx", include_cost: bool = True
) -> tuple[bytes, str, str]:
    """(content, content type, file name)."""
    rows = export_rows(products, include_cost=include_cost)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        return _csv_bytes(rows), CSV_TYPE, f"products-{stamp}.csv"
    return _xlsx_bytes(rows), XLSX_TYPE, f"products-{stamp}.xlsx"


def export_response(*, fmt: str, products, include_cost: bool) -> HttpResponse:
    content, content_type, filename = export_file(products, fmt=fmt, include_cost=include_cost)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


TEMPLATE_EXAMPLE = [
    [
        "AT01",
        "Áo thun cotton basic",
        "Thời trang nữ > Áo thun",
        "Coolmate",
        "Áo thun 100% cotton",
        "Màu",
        "Đen",
        "Size",
        "M",
        "",
        "",
        "AT01-DEN-M",
        "8930000000011",
        200,
        30,
        25,
        2,
        85000,
        "10",
        159000,
        5,
    ],
    [
        "AT01",
        "Áo thun cotton basic",
        "Thời trang nữ > Áo thun",
        "Coolmate",
        "Áo thun 100% cotton",
        "Màu",
        "Trắng",
        "Size",
        "M",
        "",
        "",
        "AT01-TRANG-M",
        "",
        200,
        30,
        25,
        2,
        85000,
        "10",
        159000,
        5,
    ],
]


def template_file(fmt: str = "xlsx") -> tuple[bytes, str, str]:
    if fmt == "csv":
        return _csv_bytes(TEMPLATE_EXAMPLE), CSV_TYPE, "products-template.csv"
    return _xlsx_bytes(TEMPLATE_EXAMPLE, with_help=True), XLSX_TYPE, "products-template.xlsx"


# --- import -----------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class RowAction:
    row: int
    action: str  # create, update, unchanged
    product_sku: str
    variant_sku: str


@dataclass
class ImportReport:
    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    actions: list[RowAction] = field(default_factory=list)
    rows: int = 0
    products_created: int = 0
    products_updated: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    variants_unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def imported(self) -> bool:
        return self.ok and not self.dry_run

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "ok": self.ok,
            "imported": self.imported,
            "rows": self.rows,
            "products_created": self.products_created,
            "products_updated": self.products_updated,
            "variants_created": self.variants_created,
            "variants_updated": self.variants_updated,
            "variants_unchanged": self.variants_unchanged,
            "errors": [e.__dict__ for e in self.errors],
            "actions": [a.__dict__ for a in self.actions],
        }


class FileUnreadable(Exception):
    pass


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return imported_text(str(value)).strip()


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula cell is read as its text ("=HYPERLINK(…)"), never run
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            sheet = workbook.worksheets[0]
            return [
                [_cell_text(c) for c in row]
                for row in limited_rows(sheet.iter_rows(values_only=True))
            ]
        finally:
            workbook.close()
    except SpreadsheetRefused:
        raise
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise FileUnreadable(_("The file is not a readable .xlsx workbook.")) from exc


def read_rows(file) -> list[tuple[int, dict[str, str]]]:
    """(row number as the user sees it, {column: text}) for every non-empty data row."""
    name = (getattr(file, "name", "") or "").lower()
    try:
        data = read_upload(file)  # refused past the limit, before it is read in full
        if data[:2] == b"PK" or name.endswith(".xlsx"):
            check_xlsx(data)  # a zip bomb is refused before openpyxl unpacks it
            raw_rows = _xlsx_rows(data)
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise FileUnreadable(_("Save the CSV file as UTF-8 and upload it again.")) from exc
            try:
                raw_rows = [
                    [_cell_text(c) for c in row]
                    for row in limited_rows(csv.reader(io.StringIO(text)))
                ]
            except csv.Error as exc:  # a field over the csv module's limit, a stray quote…
                raise FileUnreadable(_("The file is not a readable CSV file.")) from exc
    except SpreadsheetRefused as exc:
        raise FileUnreadable(exc.message) from exc
    if not raw_rows:
        raise FileUnreadable(_("The file is empty."))
    header = [h.strip().lower() for h in raw_rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FileUnreadable(
            _("The first row must hold the column names; missing: %(columns)s.")
            % {"columns": ", ".join(missing)}
        )
    rows = []
    for number, raw in enumerate(raw_rows[1:], start=2):
        if not any(raw):
            continue
        values = {
            column: raw[index] if index < len(raw) else ""
            for index, column in enumerate(header)
            if column in COLUMNS
        }
        rows.append((number, values))
    return rows


_GROUPED = re.compile(r"^\d{1,3}([.,]\d{3})+$")


def _parse_number(text: str) -> int:
    text = text.replace(" ", "").replace("\u00a0", "").removesuffix("₫").removesuffix("đ")
    if _GROUPED.match(text):
        text = re.sub(r"[.,]", "", text)  # 120.000 in Vietnamese grouping
    if text.endswith(".0"):
        text = text[:-2]
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError
    return int(text)


@dataclass
class _Row:
    number: int
    product_sku: str
    product_name: str
    category: str
    brand: str
    description: str | None
    attribute_names: tuple[str, ...]
    options: tuple[str, ...]
    variant_sku: str
    values: dict  # variant fields given (non-empty cells)


def _validate_row(number: int, cells: dict[str, str], errors: list[RowError]) -> _Row | None:
    before = len(errors)
    for column, value in cells.items():
        # NUL and other control characters: no column holds them (and PostgreSQL refuses NUL
        # even in a query), so the row is reported before the database is asked about it.
        if name_problem(value) == "control":
            errors.append(RowError(number, column, _("The cell contains control characters.")))
    if len(errors) > before:
        return None
    for column in REQUIRED:
        if not cells.get(column):
            errors.append(RowError(number, column, _("This column must not be empty.")))
    for column in ("product_sku", "variant_sku"):
        value = cells.get(column, "")
        if value and (len(value) > 64 or re.search(r"\s", value)):
            errors.append(RowError(number, column, _("Use at most 64 characters and no spaces.")))
        elif value and code_problem(value):
            # before the database is asked about it: PostgreSQL refuses NUL even in a query
            errors.append(
                RowError(number, column, _("The SKU contains invisible or control characters."))
            )
    values: dict = {}
    for column in NUMBER_COLUMNS:
        text = cells.get(column, "")
        if not text:
            continue
        try:
            number_value = _parse_number(text)
        except ValueError:
            errors.append(
                RowError(number, column, _("“%(value)s” is not a whole number.") % {"value": text})
            )
            continue
        if number_value < 0:
            errors.append(RowError(number, column, _("Enter 0 or more.")))
            continue
        values[column] = number_value
    vat = cells.get("vat_rate", "").strip().lower().rstrip("%").strip()
    if vat:
        if vat in ("0.05", "0.08", "0.1"):
            vat = str(int(float(vat) * 100))  # a rate typed as a fraction in a spreadsheet
        if vat not in VatRate.values:
            errors.append(
                RowError(
                    number,
                    "vat_rate",
                    _("Use one of: %(choices)s.") % {"choices": ", ".join(VatRate.values)},
                )
            )
        values["vat_rate"] = vat
    if cells.get("barcode"):
        values["barcode"] = cells["barcode"]
    names, options = [], []
    for n in range(1, MAX_ATTRIBUTES + 1):
        name, value = cells.get(f"attribute_{n}_name", ""), cells.get(f"attribute_{n}_value", "")
        if name and not value:
            errors.append(RowError(number, f"attribute_{n}_value", _("Give this variant's value.")))
        elif value and not name:
            errors.append(RowError(number, f"attribute_{n}_name", _("Name the attribute.")))
        elif name:
            if len(names) != n - 1:
                errors.append(
                    RowError(number, f"attribute_{n}_name", _("Fill attributes in order, from 1."))
                )
            names.append(name)
            options.append(value)
    if len(errors) > before:
        return None
    return _Row(
        number=number,
        product_sku=cells["product_sku"],
        product_name=cells["product_name"],
        category=cells.get("category", ""),
        brand=cells.get("brand", ""),
        description=cells.get("description") if "description" in cells else None,
        attribute_names=tuple(names),
        options=tuple(options),
        variant_sku=cells["variant_sku"],
        values=values,
    )


def _check_rows(rows: list[_Row], errors: list[RowError]) -> None:
    """Checks across rows and against the database (reads only)."""
    seen_skus: dict[str, int] = {}
    first_of_product: dict[str, _Row] = {}
    for row in rows:
        key = row.variant_sku.lower()
        if key in seen_skus:
            errors.append(
                RowError(
                    row.number,
                    "variant_sku",
                    _("This SKU is already on row %(row)s.") % {"row": seen_skus[key]},
                )
            )
        seen_skus.setdefault(key, row.number)
        first = first_of_product.setdefault(row.product_sku.lower(), row)
        if [fold(n) for n in first.attribute_names] != [fold(n) for n in row.attribute_names]:
            errors.append(
                RowError(
                    row.number,
                    "attribute_1_name",
                    _("Rows of product %(sku)s must have the same attributes as row %(row)s.")
                    % {"sku": row.product_sku, "row": first.number},
                )
            )
    existing_variants = {
        v.sku.lower(): v
        for v in Variant.objects.select_related("product").filter(
            sku__in=[r.variant_sku for r in rows]
        )
    }
    products = {
        p.sku.lower(): p
        for p in Product.objects.prefetch_related("attributes").filter(
            sku__in=[r.product_sku for r in rows]
        )
    }
    for row in rows:
        variant = existing_variants.get(row.variant_sku.lower())
        if variant and variant.product.sku.lower() != row.product_sku.lower():
            errors.append(
                RowError(
                    row.number,
                    "variant_sku",
                    _("This SKU belongs to product %(sku)s.") % {"sku": variant.product.sku},
                )
            )
        product = products.get(row.product_sku.lower())
        if product and not variant:
            names = [fold(a.name) for a in product.attributes.all()]
            if names != [fold(n) for n in row.attribute_names]:
                errors.append(
                    RowError(
                        row.number,
                        "attribute_1_name",
                        _("Product %(sku)s has the attributes: %(names)s.")
                        % {
                            "sku": product.sku,
                            "names": ", ".join(a.name for a in product.attributes.all()) or "-",
                        },
                    )
                )


def _column_for(field_name: str, *, product_level: bool) -> str:
    last = field_name.rsplit(".", 1)[-1]
    if last == "sku":
        return "product_sku" if product_level and "." not in field_name else "variant_sku"
    if last == "name":
        return "product_name"
    return last if last in COLUMNS else ""


def _apply_group(rows: list[_Row], report: ImportReport, actor) -> None:
    first = rows[0]
    category = (
        services.category_get_or_create_path(names=first.category.split(">"), actor=actor)
        if first.category
        else None
    )
    brand = services.brand_get_or_create(name=first.brand, actor=actor) if first.brand else None
    product = Product.objects.filter(sku__iexact=first.product_sku).first()
    if product is None:
        attribute_values: list[list[str]] = [[] for _n in first.attribute_names]
        for row in rows:
            for index, value in enumerate(row.options):
                if fold(value) not in {fold(v) for v in attribute_values[index]}:
                    attribute_values[index].append(value)
        try:
            services.product_create(
                name=first.product_name,
                sku=first.product_sku,
                description=first.description or "",
                category=category,
                brand=brand,
                attributes=list(zip(first.attribute_names, attribute_values, strict=True)),
                variants=[
                    {"options": list(r.options), "sku": r.variant_sku, **r.values} for r in rows
                ],
                generate_matrix=False,
                actor=actor,
            )
        except DomainError as exc:
            field_name, reason = next(iter(exc.fields.items()), ("", exc.message))
            row = first
            match = re.match(r"variants\.(\d+)\.", field_name)
            if match and int(match.group(1)) < len(rows):
                row = rows[int(match.group(1))]
            report.errors.append(
                RowError(row.number, _column_for(field_name, product_level=True), reason)
            )
            raise
        report.products_created += 1
        report.variants_created += len(rows)
        report.actions += [
            RowAction(r.number, "create", r.product_sku, r.variant_sku) for r in rows
        ]
        return

    changes = {}
    if first.product_name != product.name:
        changes["name"] = first.product_name
    if first.description is not None and first.description != product.description:
        changes["description"] = first.description
    if category is not None and category.pk != product.category_id:
        changes["category"] = category
    if brand is not None and brand.pk != product.brand_id:
        changes["brand"] = brand
    if changes:
        try:
            services.product_update(product=product, actor=actor, **changes)
        except DomainError as exc:
            field_name, reason = next(iter(exc.fields.items()), ("", exc.message))
            report.errors.append(
                RowError(first.number, _column_for(field_name, product_level=True), reason)
            )
            raise
        report.products_updated += 1
    for row in rows:
        variant = Variant.objects.filter(sku__iexact=row.variant_sku).first()
        try:
            if variant is None:
                services.product_variant_add(
                    product=product,
                    options=list(row.options),
                    values={"sku": row.variant_sku, **row.values},
                    actor=actor,
                )
                report.variants_created += 1
                report.actions.append(
                    RowAction(row.number, "create", row.product_sku, row.variant_sku)
                )
                continue
            changed = {k: v for k, v in row.values.items() if getattr(variant, k) != v}
            if row.variant_sku != variant.sku:
                changed["sku"] = row.variant_sku
            if changed:
                services.variant_update(variant=variant, actor=actor, **changed)
                report.variants_updated += 1
                action = "update"
            else:
                report.variants_unchanged += 1
                action = "update" if changes else "unchanged"
            report.actions.append(RowAction(row.number, action, row.product_sku, row.variant_sku))
        except DomainError as exc:
            field_name, reason = next(iter(exc.fields.items()), ("", exc.message))
            if isinstance(exc, PermissionDenied):
                reason = exc.message
            report.errors.append(
                RowError(row.number, _column_for(field_name, product_level=False), reason)
            )
            raise


class _Rollback(Exception):
    pass


def import_products(*, file, dry_run: bool = True, actor=None) -> ImportReport:
    """Validate and import a products file. See the module docstring."""
    services._require(actor, "catalog.import_product")
    report = ImportReport(dry_run=dry_run)
    try:
        cells = read_rows(file)
    except FileUnreadable as exc:
        report.errors.append(RowError(1, "", str(exc)))
        return report
    report.rows = len(cells)
    if not cells:
        report.errors.append(RowError(1, "", _("The file has no product rows.")))
        return report
    rows = [r for r in (_validate_row(n, c, report.errors) for n, c in cells) if r]
    _check_rows(rows, report.errors)
    if report.errors:
        report.errors.sort(
            key=lambda e: (e.row, COLUMNS.index(e.column) if e.column in COLUMNS else 99)
        )
        return report

    groups: dict[str, list[_Row]] = {}
    for row in rows:
        groups.setdefault(row.product_sku.lower(), []).append(row)
    try:
        with transaction.atomic():
            for group in groups.values():
                try:
                    with transaction.atomic():
                        _apply_group(group, report, actor)
                except DomainError:
                    continue  # reported; go on to report the other products' errors too
            if report.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    report.errors.sort(key=lambda e: e.row)
    return report


def upload_name(file) -> str:
    return PurePath(getattr(file, "name", "") or "").name
