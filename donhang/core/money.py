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


# --- VAT-inclusive amounts split into net + VAT, to the đồng ---------------------------------
#
# Prices include VAT. Both e-invoice providers check, per line, that VAT = net × rate rounded
# and, per rate, that the row is the sum of its lines. For a gross G at rate r the net is the
# largest whole-đồng n with n + round(n × r) ≤ G, and VAT = G − n. f(n) = n + round(n × r) grows
# by 1 or 2 with each đồng of n, so for most grosses n + round(n × r) = G exactly; for the rest
# (no whole-đồng net gives exactly that VAT, about 5–9 % of amounts at 8 % and 10 %) the
# remaining đồng goes to VAT: VAT = round(n × r) + 1. That is the one rule for such amounts.


def _vat_of_net(net: int, rate: Decimal) -> int:
    return round_vnd(Decimal(net) * rate)


def split_gross(gross: int, rate: str) -> tuple[int, int]:
    """(net, VAT) of a VAT-inclusive amount, with net + VAT = gross exactly (see the rule above).

    Exempt and 0 % amounts have no VAT. Negative grosses (credits) split symmetrically.
    """
    gross = int(gross)
    if gross < 0:
        net, vat = split_gross(-gross, rate)
        return -net, -vat
    r = vat_decimal(rate)
    if r == 0:
        return gross, 0
    net = round_vnd(Decimal(gross) / (1 + r))
    # round(G / (1 + r)) is within a đồng of the answer: step to the largest n with f(n) ≤ G.
    while net > 0 and net + _vat_of_net(net, r) > gross:
        net -= 1
    while net + 1 + _vat_of_net(net + 1, r) <= gross:
        net += 1
    return net, gross - net


def vat_is_exact(net: int, vat: int, rate: str) -> bool:
    """Whether VAT is net × rate rounded (False only for the remaining-đồng case)."""
    return vat == _vat_of_net(net, vat_decimal(rate))


def percent_of(amount: int, percent: Decimal | int | str) -> int:
    """percent % of amount in whole đồng (half up)."""
    return round_vnd(Decimal(amount) * Decimal(str(percent)) / 100)


def allocate(total: int, weights: list[int]) -> list[int]:
    """Spread total over weights in proportion, rounding down; the remainder goes on the last
    weight that is not zero (the last line, as invoices print it). Shares never exceed weights
    when total ≤ sum(weights)."""
    if not weights:
        return []
    base = sum(weights)
    if base <= 0 or total == 0:
        return [0] * len(weights)
    shares = [total * w // base for w in weights]
    last = max(i for i, w in enumerate(weights) if w > 0)
    shares[last] += total - sum(shares)
    return shares


VAT_RATE_ORDER = [VatRate.TEN, VatRate.EIGHT, VatRate.FIVE, VatRate.ZERO, VatRate.EXEMPT]


def vat_breakdown(amounts: list[tuple[str, int, int, int]]) -> list[dict]:
    """Rows per VAT rate from (rate, gross, net, vat) of each line: each row is the sum of its
    lines. Ordered 10, 8, 5, 0, exempt (as invoices list them)."""
    rows: dict[str, dict] = {}
    for rate, gross, net, vat in amounts:
        row = rows.setdefault(rate, {"rate": rate, "gross": 0, "net": 0, "vat": 0})
        row["gross"] += gross
        row["net"] += net
        row["vat"] += vat
    return [rows[r] for r in VAT_RATE_ORDER if r in rows]
