"""What an order costs: discounts, the VAT split of every line and the rows per VAT rate.

Pure functions, no database. Prices include VAT (what the buyer sees). Rules:
- a line discount is VND or a percentage of quantity × unit price (rounded half up);
- a seller-funded order discount (VND or % of the lines after their own discounts) is spread
  over the lines in proportion to what remains of them, remainder on the last line: it lowers
  their price and so the VAT base;
- a platform-funded voucher is not spread: the platform pays that part to the seller, so it
  lowers what the buyer pays (and the COD), not the price or the VAT;
- each line's gross splits into net + VAT to the đồng (donhang.core.money.split_gross); the
  buyer-paid shipping fee is a charge with its own VAT rate; rows per rate are sums of lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from donhang.core.errors import ValidationFailed
from donhang.core.money import allocate, percent_of, split_gross, vat_breakdown
from donhang.orders.models import DiscountFunder, PaymentMethod, ShippingFeePayer


@dataclass
class DiscountInput:
    """An order-level discount: `amount` VND or `percent`, funded by the seller or the platform."""

    amount: int | None = None
    percent: Decimal | str | int | float | None = None
    funded_by: str = DiscountFunder.SELLER


@dataclass
class PricedLine:
    quantity: int
    unit_price: int
    discount: int  # the line's own discount, VND
    discount_percent: Decimal | None
    order_discount: int  # share of the seller-funded order discount
    gross: int
    net: int
    vat: int
    vat_rate: str


@dataclass
class Priced:
    lines: list[PricedLine]
    vat_rows: list[dict]
    order_discount: int
    order_discount_percent: Decimal | None
    platform_discount: int
    goods_total: int
    discount_total: int
    vat_total: int
    total: int
    cod_amount: int

    def order_fields(self) -> dict:
        return {
            "order_discount": self.order_discount,
            "order_discount_percent": self.order_discount_percent,
            "platform_discount": self.platform_discount,
            "goods_total": self.goods_total,
            "discount_total": self.discount_total,
            "vat_total": self.vat_total,
            "total": self.total,
            "cod_amount": self.cod_amount,
        }


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def parse_percent(value, *, field: str) -> Decimal | None:
    """A percentage 0–100 with at most two decimals, or None when empty."""
    if value in (None, ""):
        return None
    try:
        percent = Decimal(str(value).replace(",", ".").strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(
            _("The discount is not valid."), fields={field: _("Enter a number from 0 to 100.")}
        ) from exc
    if not percent.is_finite() or percent < 0 or percent > 100:
        raise ValidationFailed(
            _("The discount is not valid."), fields={field: _("Enter a number from 0 to 100.")}
        )
    if percent != percent.quantize(Decimal("0.01")):
        raise ValidationFailed(
            _("The discount is not valid."), fields={field: _("At most two decimals.")}
        )
    return percent.quantize(Decimal("0.01"))


def line_discount(
    *, quantity: int, unit_price: int, discount: int | None, percent: Decimal | None
) -> int:
    if percent is not None:
        return percent_of(quantity * unit_price, percent)
    return discount or 0


def price_order(
    *,
    lines: list[tuple[int, int, int, Decimal | None, str]],
    discounts: list[DiscountInput] | None = None,
    shipping_fee: int = 0,
    shipping_fee_payer: str = ShippingFeePayer.BUYER,
    shipping_vat_rate: str = "8",
    payment_method: str = PaymentMethod.COD,
) -> Priced:
    """Price lines of (quantity, unit price incl. VAT, discount VND, discount %, VAT rate).

    Raises ValidationFailed (fields `lines.N.discount`, `order_discount`) when a discount is
    larger than what it applies to."""
    errors: dict[str, str] = {}
    own = []
    for i, (quantity, unit_price, discount, percent, _rate) in enumerate(lines):
        amount = quantity * unit_price
        d = line_discount(
            quantity=quantity, unit_price=unit_price, discount=discount, percent=percent
        )
        if d < 0:
            errors[f"lines.{i}.discount"] = _("The discount cannot be negative.")
        elif d > amount:
            errors[f"lines.{i}.discount"] = _("The discount is larger than the line amount.")
        own.append(d)
    if errors:
        raise ValidationFailed(_("Some order lines are not valid."), fields=errors)

    after_own = [q * p - d for (q, p, *_rest), d in zip(lines, own, strict=True)]
    base = sum(after_own)
    seller, seller_percent, platform = 0, None, 0
    for discount in discounts or []:
        percent = parse_percent(discount.percent, field="order_discount.percent")
        if discount.funded_by not in DiscountFunder.values:
            raise ValidationFailed(
                _("The discount is not valid."),
                fields={"order_discount.funded_by": _("Choose seller or platform.")},
            )
        value = percent_of(base, percent) if percent is not None else (discount.amount or 0)
        if value < 0:
            raise ValidationFailed(
                _("The discount is not valid."),
                fields={"order_discount.amount": _("The discount cannot be negative.")},
            )
        if discount.funded_by == DiscountFunder.SELLER:
            seller += value
            seller_percent = percent if percent is not None else seller_percent
        else:
            platform += value
    if seller > base:
        raise ValidationFailed(
            _("The order discount is larger than the order's goods."),
            fields={"order_discount.amount": _("At most %(max)s ₫.") % {"max": _vnd(base)}},
        )
    shares = allocate(seller, after_own)

    priced: list[PricedLine] = []
    amounts: list[tuple[str, int, int, int]] = []
    for (quantity, unit_price, _d, percent, rate), d, share, rest in zip(
        lines, own, shares, after_own, strict=True
    ):
        gross = rest - share
        net, vat = split_gross(gross, rate)
        priced.append(
            PricedLine(
                quantity=quantity,
                unit_price=unit_price,
                discount=d,
                discount_percent=percent,
                order_discount=share,
                gross=gross,
                net=net,
                vat=vat,
                vat_rate=rate,
            )
        )
        amounts.append((rate, gross, net, vat))
    charged_shipping = shipping_fee if shipping_fee_payer == ShippingFeePayer.BUYER else 0
    if charged_shipping:
        net, vat = split_gross(charged_shipping, shipping_vat_rate)
        amounts.append((shipping_vat_rate, charged_shipping, net, vat))
    goods = sum(q * p for q, p, *_rest in lines)
    total = sum(a[1] for a in amounts)
    if platform > total:
        raise ValidationFailed(
            _("The platform voucher is larger than the order."),
            fields={"order_discount.amount": _("At most %(max)s ₫.") % {"max": _vnd(total)}},
        )
    return Priced(
        lines=priced,
        vat_rows=vat_breakdown(amounts),
        order_discount=seller,
        order_discount_percent=seller_percent,
        platform_discount=platform,
        goods_total=goods,
        discount_total=sum(own) + seller,
        vat_total=sum(a[3] for a in amounts),
        total=total,
        cod_amount=total - platform if payment_method == PaymentMethod.COD else 0,
    )
