"""Money is integer VND; VAT rates are Decimal. No float anywhere near money."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class VatRate(models.TextChoices):
    """Vietnam's VAT rates. "exempt" (không chịu thuế) differs from 0 % on the invoice."""

    ZERO = "0", _("0%")
    FIVE = "5", _("5%")
    EIGHT = "8", _("8%")
    TEN = "10", _("10%")
    EXEMPT = "exempt", _("Not subject to VAT")


def vat_decimal(rate: str) -> Decimal:
    return Decimal(0) if rate == VatRate.EXEMPT else Decimal(rate) / 100


def round_vnd(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def net_of_vat(gross: int, rate: str) -> int:
    """The part of a VAT-inclusive price that is the seller's revenue."""
    return round_vnd(Decimal(gross) / (1 + vat_decimal(rate)))


def vat_of_gross(gross: int, rate: str) -> int:
    return gross - net_of_vat(gross, rate)


def margin(*, sale_price: int, cost_price: int, vat_rate: str) -> tuple[int, Decimal | None]:
    """Margin of one unit: (VND, percent of net revenue).

    Sale prices are VAT-inclusive (what the buyer pays); cost prices exclude VAT (input VAT is
    deductible). So margin = sale price net of output VAT − cost price, and the percentage is of
    the net sale price. Percent is None when the net price is 0.
    """
    net = net_of_vat(sale_price, vat_rate)
    amount = net - cost_price
    if net == 0:
        return amount, None
    percent = (Decimal(amount) * 100 / Decimal(net)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return amount, percent


def format_vnd(amount: int | None) -> str:
    """1234567 → "1.234.567 ₫" (Vietnamese grouping)."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(int(amount)):,}".replace(",", ".") + " ₫"
