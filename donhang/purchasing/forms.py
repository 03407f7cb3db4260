"""Purchasing forms. Line tables (purchase order lines, receipt lines, suggestions) are parsed
from parallel lists by `parse_rows`; the header fields are ordinary Django forms."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from donhang.catalog.forms import style_fields
from donhang.core.errors import DomainError
from donhang.core.money import VatRate
from donhang.core.phone import display_phone
from donhang.customers.forms import AddressUnitsFormMixin, ProvinceField, WardField
from donhang.inventory.services import BIGGEST_INTEGER
from donhang.purchasing import selectors


class StyledMixin:
    """Bootstrap classes on every widget; a service's DomainError shown on its fields."""

    def add_domain_error(self, error: DomainError) -> None:
        placed = False
        for name, reason in error.fields.items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, reason)
                placed = True
        if not placed:
            self.add_error(None, error.message)
        style_fields(self)

    def full_clean(self):
        super().full_clean()
        style_fields(self)


class SupplierForm(StyledMixin, AddressUnitsFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    tax_code = forms.CharField(
        label=_("Tax code"),
        max_length=20,
        required=False,
        help_text=_("10 digits, or 13 with a branch suffix (0101234567-001)."),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=120, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "0283 822 1234"}),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    address_line = forms.CharField(label=_("Street address"), max_length=255, required=False)
    province = ProvinceField(required=False)
    ward = WardField(required=False)
    payment_terms = forms.CharField(
        label=_("Payment terms"),
        max_length=120,
        required=False,
        help_text=_("e.g. 30 days after delivery"),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)

    @staticmethod
    def initial_for(supplier) -> dict:
        return {
            "name": supplier.name,
            "tax_code": supplier.tax_code,
            "contact_name": supplier.contact_name,
            "phone": display_phone(supplier.phone),
            "email": supplier.email,
            "address_line": supplier.address_line,
            "province": supplier.province_id,
            "ward": supplier.ward_id,
            "payment_terms": supplier.payment_terms,
            "note": supplier.note,
            "is_active": supplier.is_active,
        }

    def service_values(self) -> dict:
        data = dict(self.cleaned_data)
        data["province"] = data["province"].code if data.get("province") else None
        data["ward"] = data["ward"].code if data.get("ward") else None
        return data


class PurchaseOrderForm(StyledMixin, forms.Form):
    supplier = forms.ModelChoiceField(
        label=_("Supplier"), queryset=selectors.supplier_choices(), empty_label=_("Choose")
    )
    warehouse = forms.ModelChoiceField(
        label=_("Deliver to"), queryset=selectors.warehouse_choices(), empty_label=None
    )
    expected_date = forms.DateField(
        label=_("Expected on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = selectors.supplier_choices()
        self.fields["warehouse"].queryset = selectors.warehouse_choices()
        style_fields(self)


class ReceiptForm(StyledMixin, forms.Form):
    """The header of a goods receipt; `supplier` only for a receipt without a purchase order."""

    supplier = forms.ModelChoiceField(
        label=_("Supplier"),
        queryset=selectors.supplier_choices(),
        required=False,
        empty_label=_("(none)"),
    )
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"), queryset=selectors.warehouse_choices(), empty_label=None
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    allow_over_receipt = forms.BooleanField(label=_("Accept more than ordered"), required=False)

    def __init__(self, *args, with_supplier: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = selectors.warehouse_choices()
        if with_supplier:
            self.fields["supplier"].queryset = selectors.supplier_choices()
        else:
            del self.fields["supplier"]
        style_fields(self)


class SuggestionsForm(StyledMixin, forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("Deliver to"), queryset=selectors.warehouse_choices(), empty_label=None
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = selectors.warehouse_choices()
        style_fields(self)


# --- line tables ------------------------------------------------------------------------------


@dataclass
class LineRow:
    """One row of a line table as typed, with its errors; `variant` is attached for display."""

    variant_id: int | None = None
    quantity: int = 0
    unit_price: int | None = None
    vat_rate: str = ""
    po_line_id: int | None = None
    errors: list[str] = field(default_factory=list)
    raw_quantity: str = ""
    raw_price: str = ""
    variant: object = None
    po_line: object = None


def _int(value: str, *, allow_blank: bool) -> int | None:
    value = (value or "").strip().replace(".", "").replace(",", "").replace(" ", "")
    if not value:
        if allow_blank:
            return None
        raise ValueError
    number = int(value)
    if number < 0 or number > BIGGEST_INTEGER:
        raise ValueError
    return number


def parse_rows(data, *, price_key: str = "line_unit_price") -> list[LineRow]:
    """Rows from the parallel lists line_variant / line_po_line, line_quantity, the price and
    line_vat_rate. A quantity that is not a whole number ≥ 0 or a bad price is a row error."""
    variants = data.getlist("line_variant")
    po_lines = data.getlist("line_po_line")
    count = max(len(variants), len(po_lines))
    quantities = data.getlist("line_quantity")
    prices = data.getlist(price_key)
    vat_rates = data.getlist("line_vat_rate")
    rows = []
    for i in range(count):
        raw_q = quantities[i] if i < len(quantities) else ""
        raw_p = prices[i] if i < len(prices) else ""
        row = LineRow(raw_quantity=raw_q, raw_price=raw_p)
        try:
            row.variant_id = int(variants[i]) if i < len(variants) and variants[i] else None
            row.po_line_id = int(po_lines[i]) if i < len(po_lines) and po_lines[i] else None
        except ValueError:
            continue
        if any(
            n is not None and abs(n) > BIGGEST_INTEGER for n in (row.variant_id, row.po_line_id)
        ):
            continue  # no row has such an id
        try:
            row.quantity = _int(raw_q, allow_blank=False)
        except ValueError:
            row.errors.append(gettext("Enter a whole number of 0 or more."))
        try:
            row.unit_price = _int(raw_p, allow_blank=True)
        except ValueError:
            row.errors.append(gettext("Enter a price of 0 or more, in VND."))
        vat = vat_rates[i] if i < len(vat_rates) else ""
        row.vat_rate = vat if vat in VatRate.values else ""
        rows.append(row)
    return rows


def merge_rows(rows: list[LineRow]) -> list[LineRow]:
    """The same product twice adds up into one row (the first row's price wins)."""
    merged: dict[int, LineRow] = {}
    out = []
    for row in rows:
        if row.variant_id in merged and not row.errors and not merged[row.variant_id].errors:
            merged[row.variant_id].quantity += row.quantity
            continue
        merged.setdefault(row.variant_id, row)
        out.append(row)
    return out
