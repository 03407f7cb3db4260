"""Forms of the order pages: list filters, the manual order screen and the order lines."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from donhang.core.errors import ValidationFailed
from donhang.customers.forms import (
    AddressUnitsFormMixin,
    BootstrapFormMixin,
    ProvinceField,
    WardField,
)
from donhang.customers.models import BuyerKind
from donhang.inventory.models import Warehouse
from donhang.orders.models import (
    Channel,
    PaymentMethod,
    PaymentRecordMethod,
    SalesStore,
    ShippingFeePayer,
    Status,
    SubState,
)
from donhang.orders.selectors import OrderFilters

MANUAL_CHANNELS = [Channel.MANUAL_PHONE, Channel.MANUAL_FACEBOOK, Channel.OTHER]
MANUAL_PAYMENTS = [PaymentMethod.COD, PaymentMethod.BANK_TRANSFER]

# Where a service's error field (left) is shown on the manual order form (right).
SERVICE_FIELDS = {
    "channel": "channel",
    "customer.name": "name",
    "customer.phone": "phone",
    "customer.email": "email",
    "customer.address.line": "address_line",
    "customer.address.province": "province",
    "customer.address.ward": "ward",
    "shipping_fee": "shipping_fee",
    "shipping_fee_payer": "shipping_fee_payer",
    "payment_method": "payment_method",
    "order_discount.amount": "order_discount",
    "order_discount.percent": "order_discount",
    "buyer.kind": "buyer_kind",
    "buyer.company_name": "buyer_company_name",
    "buyer.tax_code": "buyer_tax_code",
    "buyer.address": "buyer_address",
    "buyer.email": "buyer_email",
    "external_id": None,
}
SHIP, PICKUP = "ship", "pickup"


def discount_parse(raw, *, field: str) -> tuple[int | None, str | None]:
    """A discount as typed: "20000", "20.000", "20.000 ₫" (amount) or "10%" / "10,5 %" (percent);
    (None, None) when empty. Raises ValidationFailed on anything else."""
    text = (raw or "").strip().replace(" ", "").replace("\u00a0", "")
    if not text or text in ("0", "0%"):
        return None, None
    if text.endswith("%"):
        return None, text[:-1].replace(",", ".")
    digits = text.replace(".", "").replace(",", "").replace("₫", "").replace("đ", "")
    if not digits.isdigit():
        raise ValidationFailed(
            _("The discount is not valid."),
            fields={field: _("Write an amount like 20000 or 10%.")},
        )
    return int(digits), None


def _all(label):
    return [("", label)]


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=_all("") + Status.choices)
    sub_state = forms.ChoiceField(
        label=gettext_lazy("Step"),
        required=False,
        choices=_all(gettext_lazy("All")) + [c for c in SubState.choices if c[0]],
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        required=False,
        choices=_all(gettext_lazy("All")) + Channel.choices,
    )
    store = forms.ModelChoiceField(
        label=gettext_lazy("Shop"),
        required=False,
        queryset=SalesStore.objects.order_by("channel", "name", "id"),
        empty_label=gettext_lazy("All"),
    )
    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Warehouse"),
        required=False,
        queryset=Warehouse.objects.order_by("priority", "code"),
        empty_label=gettext_lazy("All"),
    )
    payment_method = forms.ChoiceField(
        label=gettext_lazy("Payment"),
        required=False,
        choices=_all(gettext_lazy("All")) + PaymentMethod.choices,
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not SalesStore.objects.exists():  # one shop per channel: nothing to choose
            del self.fields["store"]
        for f in self.fields.values():
            css = "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            f.widget.attrs["class"] = f"{css} {css}-sm"

    def filters(self) -> OrderFilters:
        """The valid filters; an invalid value is ignored (the field shows its error)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        warehouse = data.get("warehouse")
        store = data.get("store")
        return OrderFilters(
            status=data.get("status") or "",
            sub_state=data.get("sub_state") or "",
            channel=data.get("channel") or "",
            store=store.pk if store else None,
            warehouse=warehouse.pk if warehouse else None,
            payment_method=data.get("payment_method") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            q=(data.get("q") or "").strip(),
        )


class ManualOrderForm(AddressUnitsFormMixin, forms.Form):
    """The header of an order taken by phone or Facebook; lines come as `line_*` lists."""

    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        choices=[(c.value, c.label) for c in MANUAL_CHANNELS],
        initial=Channel.MANUAL_PHONE,
    )
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False)
    name = forms.CharField(label=gettext_lazy("Customer name"), max_length=150, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    address_line = forms.CharField(
        label=gettext_lazy("Street address"), max_length=255, required=False
    )
    province = ProvinceField(required=False)
    ward = WardField(required=False)
    shipping_fee = forms.IntegerField(
        label=gettext_lazy("Shipping fee (₫)"), min_value=0, required=False, initial=0
    )
    shipping_fee_payer = forms.ChoiceField(
        label=gettext_lazy("Shipping fee paid by"),
        choices=ShippingFeePayer.choices,
        initial=ShippingFeePayer.BUYER,
        widget=forms.RadioSelect,
    )
    payment_method = forms.ChoiceField(
        label=gettext_lazy("Payment method"),
        choices=[(c.value, c.label) for c in MANUAL_PAYMENTS],
        initial=PaymentMethod.COD,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    delivery = forms.ChoiceField(
        label=gettext_lazy("Delivery"),
        choices=[
            (SHIP, gettext_lazy("Ship to the customer")),
            (PICKUP, gettext_lazy("Pickup at the shop")),
        ],
        initial=SHIP,
        required=False,
        widget=forms.RadioSelect,
    )
    order_discount = forms.CharField(
        label=gettext_lazy("Order discount (₫ or %)"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("“20000” takes 20.000 ₫ off; “10%” takes 10 % of the goods."),
    )
    buyer_kind = forms.ChoiceField(
        label=gettext_lazy("Invoice to"),
        choices=BuyerKind.choices,
        initial=BuyerKind.INDIVIDUAL,
        required=False,
    )
    buyer_company_name = forms.CharField(
        label=gettext_lazy("Company name"), max_length=255, required=False
    )
    buyer_tax_code = forms.CharField(label=gettext_lazy("Tax code"), max_length=20, required=False)
    buyer_address = forms.CharField(
        label=gettext_lazy("Invoice address"), max_length=400, required=False
    )
    buyer_email = forms.CharField(
        label=gettext_lazy("Invoice email"), max_length=254, required=False
    )
    wants_invoice = forms.BooleanField(label=gettext_lazy("Wants a VAT invoice"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            if isinstance(f.widget, forms.RadioSelect):
                f.widget.attrs["class"] = "form-check-input"
                continue
            if isinstance(f.widget, forms.CheckboxInput):
                f.widget.attrs["class"] = "form-check-input"
                continue
            css = "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            f.widget.attrs["class"] = css
        self.fields["phone"].widget.attrs.update(
            {"inputmode": "tel", "autocomplete": "off", "autofocus": True}
        )
        self.fields["order_discount"].widget.attrs.update(
            {"inputmode": "decimal", "autocomplete": "off", "placeholder": "0"}
        )

    def clean(self):
        data = super().clean()
        data["delivery"] = data.get("delivery") or SHIP
        data["buyer_kind"] = data.get("buyer_kind") or BuyerKind.INDIVIDUAL
        if data["delivery"] == SHIP:
            # An order to be shipped needs where to: say so before anything is saved.
            if not (data.get("address_line") or "").strip() and "address_line" not in self.errors:
                self.add_error(
                    "address_line",
                    _("Enter the street address, or choose “Pickup at the shop”."),
                )
            if not data.get("ward") and "ward" not in self.errors:
                self.add_error("ward", _("Choose the ward (phường/xã) to deliver to."))
            if not data.get("province") and "province" not in self.errors:
                self.add_error("province", _("Choose the province to deliver to."))
        elif data.get("payment_method") == PaymentMethod.COD:
            self.add_error(
                "payment_method",
                _(
                    "Cash on delivery needs a delivery. For a pickup, choose bank transfer, or "
                    "record the cash on the order page when the customer pays."
                ),
            )
        return data

    @property
    def is_pickup(self) -> bool:
        return (self.data.get("delivery") or SHIP) == PICKUP

    def discount_input(self) -> tuple[int | None, str | None]:
        """(amount, percent) of the order discount from "20000", "20.000", "10%" or empty."""
        return discount_parse(
            self.cleaned_data.get("order_discount"), field="order_discount.amount"
        )

    def buyer_input(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["buyer_kind"],
            "company_name": data["buyer_company_name"],
            "tax_code": data["buyer_tax_code"],
            "address": data["buyer_address"],
            "email": data["buyer_email"],
            "wants_invoice": data["wants_invoice"],
        }

    def add_service_error(self, field_key: str, reason: str) -> bool:
        """Place a service's error on the matching input; False when it has none here."""
        name = SERVICE_FIELDS.get(field_key)
        if name and name in self.fields:
            if name not in self.errors or reason not in self.errors[name]:
                self.add_error(name, reason)
            return True
        return False


# --- order lines -------------------------------------------------------------------------------


@dataclass
class LineRow:
    """One line as typed: kept as text so that nothing typed is lost on an error."""

    variant_id: int | None
    quantity: str = "1"
    unit_price: str = ""
    discount: str = ""  # "20000" (₫ off the line) or "10%"
    variant: object = None
    errors: list[str] = field(default_factory=list)

    def parsed(self) -> tuple[int, int | None, int, str | None] | None:
        """(quantity, unit price or None for the sale price, discount ₫, discount % or None),
        or None when not numbers (the reason is added to `errors`)."""
        try:
            quantity = int(self.quantity.replace(".", ""))
        except (TypeError, ValueError):
            self.errors.append(_("Enter a whole number."))
            return None
        try:
            price = int(self.unit_price) if str(self.unit_price).strip() != "" else None
        except (TypeError, ValueError):
            self.errors.append(_("Enter the price as a whole number of đồng."))
            return None
        try:
            amount, percent = discount_parse(self.discount, field="discount")
        except ValidationFailed as exc:
            self.errors.append(exc.fields["discount"])
            return None
        return quantity, price, amount or 0, percent


def line_rows_from(data) -> list[LineRow]:
    """`line_variant`, `line_quantity`, `line_unit_price`, `line_discount` lists → rows."""
    variants = data.getlist("line_variant")
    quantities = data.getlist("line_quantity")
    prices = data.getlist("line_unit_price")
    discounts = data.getlist("line_discount")
    rows = []
    for i, raw in enumerate(variants):
        try:
            variant_id = int(raw)
        except (TypeError, ValueError):
            continue
        rows.append(
            LineRow(
                variant_id=variant_id,
                quantity=(quantities[i] if i < len(quantities) else "1").strip(),
                unit_price=(prices[i] if i < len(prices) else "").strip().replace(".", ""),
                discount=(discounts[i] if i < len(discounts) else "").strip(),
            )
        )
    return rows


# --- editing an order and recording payments ---------------------------------------------------


class OrderEditForm(BootstrapFormMixin, AddressUnitsFormMixin, forms.Form):
    """What may change on an order until it is handed over, besides its lines."""

    field_aliases = {
        "address.line": "address_line",
        "address.province": "province",
        "address.ward": "ward",
        "order_discount.amount": "order_discount",
        "order_discount.percent": "order_discount",
        "buyer.kind": "buyer_kind",
        "buyer.company_name": "buyer_company_name",
        "buyer.tax_code": "buyer_tax_code",
        "buyer.address": "buyer_address",
        "buyer.email": "buyer_email",
    }

    address_line = forms.CharField(
        label=gettext_lazy("Street address"), max_length=255, required=False
    )
    province = ProvinceField(required=False)
    ward = WardField(required=False)
    shipping_fee = forms.IntegerField(
        label=gettext_lazy("Shipping fee (₫)"), min_value=0, max_value=10**12, required=False
    )
    shipping_fee_payer = forms.ChoiceField(
        label=gettext_lazy("Shipping fee paid by"), choices=ShippingFeePayer.choices
    )
    payment_method = forms.ChoiceField(
        label=gettext_lazy("Payment method"), choices=PaymentMethod.choices
    )
    order_discount = forms.CharField(
        label=gettext_lazy("Order discount (₫ or %)"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("“20000” takes 20.000 ₫ off; “10%” takes 10 % of the goods."),
    )
    buyer_kind = forms.ChoiceField(label=gettext_lazy("Invoice to"), choices=BuyerKind.choices)
    buyer_company_name = forms.CharField(
        label=gettext_lazy("Company name"), max_length=255, required=False
    )
    buyer_tax_code = forms.CharField(label=gettext_lazy("Tax code"), max_length=20, required=False)
    buyer_address = forms.CharField(
        label=gettext_lazy("Invoice address"), max_length=400, required=False
    )
    buyer_email = forms.CharField(
        label=gettext_lazy("Invoice email"), max_length=254, required=False
    )
    wants_invoice = forms.BooleanField(label=gettext_lazy("Wants a VAT invoice"), required=False)

    @classmethod
    def initial_of(cls, order) -> dict:
        discount = ""
        if order.order_discount_percent is not None:
            discount = f"{order.order_discount_percent.normalize():f}%"
        elif order.order_discount:
            discount = str(order.order_discount)
        return {
            "address_line": order.shipping_address_line,
            "province": order.shipping_province_id,
            "ward": order.shipping_ward_id,
            "shipping_fee": order.shipping_fee,
            "shipping_fee_payer": order.shipping_fee_payer,
            "payment_method": order.payment_method,
            "order_discount": discount,
            "buyer_kind": order.buyer_kind,
            "buyer_company_name": order.buyer_company_name,
            "buyer_tax_code": order.buyer_tax_code,
            "buyer_address": order.buyer_address,
            "buyer_email": order.buyer_email,
            "wants_invoice": order.wants_invoice,
        }

    def discount_input(self) -> tuple[int | None, str | None]:
        """(amount, percent) from "20000", "20.000", "10%" or empty."""
        return discount_parse(
            self.cleaned_data.get("order_discount"), field="order_discount.amount"
        )


class PaymentForm(BootstrapFormMixin, forms.Form):
    method = forms.ChoiceField(label=gettext_lazy("Method"), choices=PaymentRecordMethod.choices)
    amount = forms.IntegerField(
        label=gettext_lazy("Amount (₫)"),
        min_value=-(10**12),
        max_value=10**12,
        help_text=gettext_lazy("A negative amount records a refund."),
    )
    fee = forms.IntegerField(
        label=gettext_lazy("Fee withheld (₫)"), min_value=0, max_value=10**12, required=False
    )
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=120, required=False)
    paid_on = forms.DateField(
        label=gettext_lazy("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
