"""The VAT rate in force on an invoice's date.

The temporary 8 % rate (10 % reduced by 2 points for most goods and services) runs by
Resolution 204/2025/QH15 and Decree 174/2025/NĐ-CP from 1 July 2025 to 31 December 2026. An
order line priced at 8 % but invoiced after the reduction has ended is invoiced at 10 %: the
buyer paid the line's gross, so the gross stays and splits again into net + VAT at the rate in
force, and the invoice is flagged for the accountant.

`INVOICE_REDUCED_VAT_UNTIL` (settings or the environment, ISO date) moves the end when a new
resolution extends the reduction. (Before 1 July 2025 the same reduction ran by yearly decrees
since 2022, so only its end matters for invoices issued now.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

from django.conf import settings

from donhang.core.money import VatRate

REDUCED = VatRate.EIGHT.value
STANDARD = VatRate.TEN.value


def _date_setting(name: str, default: str) -> date:
    value = getattr(settings, name, None) or os.environ.get(name) or default
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def reduction_ends() -> date:
    """The last day of the 8 % reduction."""
    return _date_setting("INVOICE_REDUCED_VAT_UNTIL", "2026-12-31")


def rate_in_force(rate: str, on: date) -> str:
    """The rate to invoice a line priced at `rate` on the date `on`."""
    if rate == REDUCED and on > reduction_ends():
        return STANDARD
    return rate


@dataclass(frozen=True)
class RateChange:
    what: str  # the line's SKU or "shipping"
    old: str
    new: str

    def as_dict(self) -> dict:
        return {"what": self.what, "old": self.old, "new": self.new}
