"""Invoice template numbers and series symbols (Decree 123/2020, Circular 78/2021 as replaced by
Circular 32/2025), checked before anything is sent.

- Template number: one digit for the kind of invoice: 1 VAT invoice, 2 sales invoice (direct
  method). Viettel S-Invoice writes it as "1/001" (the digit, "/", a 3-digit template of the
  seller); MISA meInvoice as the digit alone ("1").
- Series symbol, 6 characters: C (coded by the tax authority) or K (without code); the
  invoice year's last two digits; the type letter (T business registered with the authority,
  D public or special goods, L issued per transaction by the authority, M from a cash register,
  N internal transfer note, B consignment note, G/H stamps or tickets, X commercial); two
  capital letters of the seller's choice. 1C26TAA = VAT invoice, coded, 2026, T, label AA.
- A series is for one year: invoices dated 2027 need a series with "27".
"""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext as _

from donhang.core.errors import ValidationFailed

KIND_DIGITS = {"vat": "1", "sales": "2"}
SERIES = re.compile(r"^([CK])(\d{2})([TDLMNBGHX])([A-Z]{2})$")
TEMPLATE_CODES = {
    "sinvoice": re.compile(r"^(\d)/(\d{3})$"),
    "misa": re.compile(r"^(\d)$"),
}
TEMPLATE_EXAMPLES = {"sinvoice": "1/001", "misa": "1"}


def series_normalize(raw: str, *, field: str = "series") -> str:
    value = (raw or "").strip().upper()
    if not SERIES.match(value):
        raise ValidationFailed(
            _("The series symbol is not valid."),
            fields={
                field: _(
                    "Six characters: C (coded by the tax authority) or K, the year's two "
                    "digits, the type letter (T for a registered business) and two capital "
                    "letters, e.g. C26TAA."
                )
            },
        )
    return value


def template_code_normalize(raw: str, *, provider: str, kind: str, field: str = "template_code"):
    value = (raw or "").strip()
    pattern = TEMPLATE_CODES.get(provider)
    match = pattern.match(value) if pattern else None
    if not match:
        raise ValidationFailed(
            _("The template number is not valid."),
            fields={
                field: _("Written as %(example)s for this provider.")
                % {"example": TEMPLATE_EXAMPLES.get(provider, "1")}
            },
        )
    if match.group(1) != KIND_DIGITS.get(kind):
        raise ValidationFailed(
            _("The template number does not match the kind of invoice."),
            fields={
                field: _(
                    "A VAT invoice's template starts with 1, a sales invoice's with 2 "
                    "(this one starts with %(digit)s)."
                )
                % {"digit": match.group(1)}
            },
        )
    return value


def series_year(series: str) -> int:
    return 2000 + int(series[1:3])


def series_is_coded(series: str) -> bool:
    """C series: the tax authority gives each invoice a code before it goes to the buyer."""
    return series.startswith("C")


def check_series_year(series: str, on: date, *, field: str = "template") -> None:
    """A series is for the year in its symbol; an invoice dated another year is refused."""
    if series_year(series) != on.year:
        raise ValidationFailed(
            _("The series %(series)s is for %(year)s; this invoice is dated %(date)s.")
            % {"series": series, "year": series_year(series), "date": on.isoformat()},
            fields={
                field: _("Register a series for %(year)s (e.g. %(example)s) and choose it.")
                % {"year": on.year, "example": f"{series[0]}{on.year % 100:02d}{series[3:]}"}
            },
        )
