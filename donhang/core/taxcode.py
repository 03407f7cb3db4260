"""Vietnamese tax codes (mã số thuế, MST).

- An organisation: 10 digits with a check digit; a dependent unit (branch): the parent's 10
  digits + "-" + 3 digits. Checked with python-stdnum's `stdnum.vn.mst` (format and check digit).
- An individual: since 1 July 2025 the 12-digit personal identification number (CCCD) is also
  the tax code. It has no check digit, so only the format is checked.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.vn import mst

from donhang.core.errors import ValidationFailed

_PERSONAL_ID = re.compile(r"^\d{12}$")


def tax_code_normalize(raw: str | None, *, field: str = "tax_code", personal: bool = True) -> str:
    """The tax code as printed on invoices ("0100109106" or "0100109106-001"), or "" when empty.

    Raises ValidationFailed naming `field` when the code is not valid. With personal=False only
    organisation codes are accepted (a shop's own code).
    """
    value = (raw or "").strip().replace(" ", "")
    if not value:
        return ""
    if personal and _PERSONAL_ID.match(value):
        return value
    try:
        digits = mst.validate(value)
    except StdnumError as exc:
        raise ValidationFailed(
            _("The tax code is not valid."),
            fields={
                field: _(
                    "A tax code has 10 digits, or 10 digits, “-” and 3 digits for a branch; "
                    "an individual may give the 12-digit personal ID number. Check the digits."
                )
                if personal
                else _(
                    "A tax code has 10 digits, or 10 digits, “-” and 3 digits for a branch. "
                    "Check the digits."
                )
            },
        ) from exc
    return digits if len(digits) == 10 else f"{digits[:10]}-{digits[10:]}"
