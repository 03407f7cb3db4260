"""An invoice drafted from an order: buyer, seller, lines at the VAT rate in force on the
invoice date, rows per rate, totals and the amount in words. Nothing is saved here: the preview
(page, PDF, API) shows the draft as it would be sent, and the issuing service saves it.

Lines as invoices print them (VAT invoice): the unit price and amount before VAT, the line's
discount (its own and its share of the order discount) before VAT, the taxable amount (net),
the rate and the VAT; net + VAT is what the buyer paid for the line (DESIGN: money). A unit price
that is not whole đồng keeps enough decimals for quantity × unit price to round to the amount.
The buyer-paid shipping fee is a fee line with its own rate. Rows per rate are sums of lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from donhang.accounts.selectors import shop_profile_get
from donhang.core import hooks
from donhang.core.errors import ValidationFailed
from donhang.core.money import round_vnd, split_gross, vat_breakdown
from donhang.core.taxcode import tax_code_normalize
from donhang.invoicing.models import InvoiceKind, InvoiceTemplate
from donhang.invoicing.rates import RateChange, rate_in_force
from donhang.invoicing.symbols import check_series_year
from donhang.invoicing.words import amount_in_words
from donhang.orders.models import Order, PaymentMethod, ShippingFeePayer

DEFAULT_UNIT = "Cái"
FEE_UNIT = "Lần"
SHIPPING_NAME = "Phí vận chuyển"
# How the buyer pays, in the providers' words: TM cash, CK bank transfer.
PAYMENT_METHODS = {
    PaymentMethod.COD: "TM",
    PaymentMethod.BANK_TRANSFER: "CK",
    PaymentMethod.MARKETPLACE_PREPAID: "CK",
}


def unit_price_of(amount: int, quantity: int) -> Decimal:
    """amount / quantity, with enough decimals that quantity × price rounds back to amount."""
    if quantity <= 0:
        return Decimal(amount)
    exact = Decimal(amount) / Decimal(quantity)
    if exact == exact.to_integral_value():
        return exact.quantize(Decimal(1))
    places = max(2, min(len(str(quantity)), 4))
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def national_phone(e164: str) -> str:
    digits = "".join(c for c in (e164 or "") if c.isdigit() or c == "+")
    if digits.startswith("+84"):
        return "0" + digits[3:]
    return digits.lstrip("+")


@dataclass
class DraftLine:
    kind: str
    sku: str
    name: str
    unit: str
    quantity: int
    unit_price: Decimal
    amount: int
    discount: int
    net: int
    vat_rate: str
    vat: int
    gross: int
    order_vat_rate: str = ""
    order_line_id: int | None = None
    original_line_id: int | None = None
    is_increase: bool | None = None


@dataclass
class Buyer:
    kind: str
    name: str
    company_name: str
    tax_code: str
    address: str
    email: str
    phone: str

    @property
    def display(self) -> str:
        return self.company_name if self.kind == "company" else self.name


@dataclass
class Seller:
    name: str
    tax_code: str
    address: str
    phone: str
    email: str
    bank_name: str
    bank_account: str


@dataclass
class InvoiceDraft:
    order: Order
    template: InvoiceTemplate | None
    invoice_kind: str
    invoice_date: date
    buyer: Buyer
    seller: Seller
    payment_method: str
    lines: list[DraftLine]
    rate_changes: list[RateChange] = field(default_factory=list)

    @property
    def rate_rows(self) -> list[dict]:
        if self.invoice_kind != InvoiceKind.VAT:
            return []
        return vat_breakdown([(ln.vat_rate, ln.gross, ln.net, ln.vat) for ln in self.lines])

    @property
    def total_amount(self) -> int:
        return sum(ln.amount for ln in self.lines)

    @property
    def total_discount(self) -> int:
        return sum(ln.discount for ln in self.lines)

    @property
    def total_net(self) -> int:
        return sum(ln.net for ln in self.lines)

    @property
    def total_vat(self) -> int:
        return sum(ln.vat for ln in self.lines)

    @property
    def total(self) -> int:
        return sum(ln.gross for ln in self.lines)

    @property
    def amount_in_words(self) -> str:
        return amount_in_words(self.total)

    @property
    def needs_review(self) -> bool:
        return bool(self.rate_changes)


def _line(
    *,
    kind: str,
    sku: str,
    name: str,
    unit: str,
    quantity: int,
    unit_gross: int,
    gross: int,
    order_rate: str,
    on: date,
    invoice_kind: str,
    order_net: int | None = None,
    order_vat: int | None = None,
    order_line_id: int | None = None,
) -> tuple[DraftLine, RateChange | None]:
    before = quantity * unit_gross  # before discounts, incl. VAT
    if invoice_kind == InvoiceKind.SALES:
        # Direct method: prices as paid, no VAT on the invoice.
        return (
            DraftLine(
                kind=kind,
                sku=sku,
                name=name,
                unit=unit,
                quantity=quantity,
                unit_price=Decimal(unit_gross),
                amount=before,
                discount=before - gross,
                net=gross,
                vat_rate="",
                vat=0,
                gross=gross,
                order_vat_rate=order_rate,
                order_line_id=order_line_id,
            ),
            None,
        )
    rate = rate_in_force(order_rate, on)
    change = RateChange(sku or kind, order_rate, rate) if rate != order_rate else None
    if change is None and order_net is not None and order_vat is not None:
        net, vat = order_net, order_vat
    else:
        net, vat = split_gross(gross, rate)
    amount = split_gross(before, rate)[0] if before != gross else net
    return (
        DraftLine(
            kind=kind,
            sku=sku,
            name=name,
            unit=unit,
            quantity=quantity,
            unit_price=unit_price_of(amount, quantity),
            amount=amount,
            discount=amount - net,
            net=net,
            vat_rate=rate,
            vat=vat,
            gross=gross,
            order_vat_rate=order_rate,
            order_line_id=order_line_id,
        ),
        change,
    )


def order_lines_for_invoice(
    order: Order, *, on: date, invoice_kind: str, less_returned: bool = False
):
    """(lines, rate changes) of an order's goods and its buyer-paid shipping fee.

    less_returned: leave out the units returns took back (a replacement invoice after a
    return); a line keeps the share of its amount (after discounts) of the units kept."""
    lines, changes = [], []
    returned = hooks.first("order.returned_units", order=order, default={}) if less_returned else {}
    for order_line in order.lines.all():
        quantity, gross = order_line.quantity, order_line.gross
        net, vat = order_line.net, order_line.vat
        back = min(int(returned.get(order_line.pk, 0) or 0), quantity)
        if back:
            quantity -= back
            if quantity <= 0:
                continue
            gross -= round_vnd(Decimal(order_line.gross) * back / order_line.quantity)
            net = vat = None  # split again for the units kept
        line, change = _line(
            kind="goods",
            sku=order_line.sku,
            name=order_line.name,
            unit=DEFAULT_UNIT,
            quantity=quantity,
            unit_gross=order_line.unit_price,
            gross=gross,
            order_rate=order_line.vat_rate,
            on=on,
            invoice_kind=invoice_kind,
            order_net=net,
            order_vat=vat,
            order_line_id=order_line.pk,
        )
        lines.append(line)
        if change:
            changes.append(change)
    if order.shipping_fee_payer == ShippingFeePayer.BUYER and order.shipping_fee > 0:
        line, change = _line(
            kind="fee",
            sku="",
            name=SHIPPING_NAME,
            unit=FEE_UNIT,
            quantity=1,
            unit_gross=order.shipping_fee,
            gross=order.shipping_fee,
            order_rate=order.shipping_vat_rate,
            on=on,
            invoice_kind=invoice_kind,
        )
        lines.append(line)
        if change:
            changes.append(RateChange("shipping", change.old, change.new))
    return lines, changes


def buyer_of(order: Order) -> Buyer:
    address = order.buyer_address
    if not address:
        parts = [order.shipping_address_line]
        if order.shipping_ward_id:
            parts.append(order.shipping_ward.name)
        if order.shipping_province_id:
            parts.append(order.shipping_province.name)
        address = ", ".join(p for p in parts if p)
    return Buyer(
        kind=order.buyer_kind or "individual",
        name=order.customer_name,
        company_name=order.buyer_company_name,
        tax_code=order.buyer_tax_code,
        address=address,
        email=order.buyer_email or order.customer_email,
        phone=national_phone(order.customer_phone),
    )


def seller_of() -> Seller:
    profile = shop_profile_get()
    return Seller(
        name=profile.name,
        tax_code=profile.tax_code,
        address=profile.address_display if profile.is_saved else "",
        phone=national_phone(profile.phone) if profile.is_saved else "",
        email=profile.email if profile.is_saved else "",
        bank_name=profile.bank_name if profile.is_saved else "",
        bank_account=profile.bank_account_number if profile.is_saved else "",
    )


def invoice_draft(
    *,
    order: Order,
    template: InvoiceTemplate | None,
    on: date,
    buyer: Buyer | None = None,
    less_returned: bool = False,
) -> InvoiceDraft:
    """The invoice an order would get on the date `on` with `template` (or its kind's default:
    a VAT invoice); with less_returned, without what returns took back."""
    kind = template.kind if template else InvoiceKind.VAT
    lines, changes = order_lines_for_invoice(
        order, on=on, invoice_kind=kind, less_returned=less_returned
    )
    return InvoiceDraft(
        order=order,
        template=template,
        invoice_kind=kind,
        invoice_date=on,
        buyer=buyer or buyer_of(order),
        seller=seller_of(),
        payment_method=PAYMENT_METHODS.get(order.payment_method, "TM/CK"),
        lines=lines,
        rate_changes=changes,
    )


def check_buyer(buyer: Buyer) -> Buyer:
    """The buyer as the invoice needs it; ValidationFailed naming the field otherwise. A tax
    code is checked for its format and check digit (or the 12-digit personal ID)."""
    errors: dict[str, str] = {}
    try:
        buyer.tax_code = tax_code_normalize(buyer.tax_code, field="buyer_tax_code")
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if buyer.kind == "company":
        if not buyer.company_name.strip():
            errors["buyer_company_name"] = _("A company invoice needs the company's name.")
        if not buyer.tax_code and "buyer_tax_code" not in errors:
            errors["buyer_tax_code"] = _("A company invoice needs the company's tax code.")
        if not buyer.address.strip():
            errors["buyer_address"] = _("A company invoice needs the company's address.")
    elif not buyer.name.strip():
        errors["buyer_name"] = _("The buyer's name is missing.")
    if errors:
        first = next(iter(errors))
        message = (
            _("The buyer's tax code is not valid.")
            if first == "buyer_tax_code" and buyer.tax_code
            else _("The buyer's details are not complete for an invoice.")
        )
        raise ValidationFailed(message, fields=errors)
    return buyer


def check_draft(draft: InvoiceDraft) -> None:
    """Everything that can be checked before anything is sent: the buyer, the seller, the
    template and its year, the lines. ValidationFailed naming the field otherwise."""
    check_buyer(draft.buyer)
    if not draft.seller.tax_code:
        raise ValidationFailed(
            _("The shop's tax code is missing."),
            fields={"seller_tax_code": _("Enter it in the shop profile first.")},
        )
    tax_code_normalize(draft.seller.tax_code, field="seller_tax_code", personal=True)
    if not draft.seller.name.strip():
        raise ValidationFailed(
            _("The shop's name is missing."),
            fields={"seller_name": _("Enter it in the shop profile first.")},
        )
    if draft.template is None:
        raise ValidationFailed(
            _("There is no invoice template to issue with."),
            fields={"template": _("Add an e-invoice account and a template in the settings.")},
        )
    if not draft.template.is_active or not draft.template.account.is_active:
        raise ValidationFailed(
            _("This invoice template is not active."),
            fields={"template": _("Choose an active template.")},
        )
    check_series_year(draft.template.series, draft.invoice_date)
    if not draft.lines or draft.total <= 0:
        raise ValidationFailed(
            _("The order has nothing to invoice."), fields={"lines": _("No amount to invoice.")}
        )
