"""Phone numbers: stored in E.164 ("+84912345678"), shown the Vietnamese way ("0912 345 678")."""

from __future__ import annotations

import phonenumbers
from django.utils.translation import gettext as _

from donhang.core.errors import ValidationFailed
from donhang.core.text import code_normalize, code_problem

REGION = "VN"


def normalize_phone(raw: str | None, *, field: str = "phone") -> str:
    """Parse what a person typed ("0912 345 678", "+84 912…", "84912…") into E.164.

    Numbers without a country code are read as Vietnamese. Raises ValidationFailed naming
    `field` when the text is empty or not a valid number.
    """
    text = code_normalize(raw)
    if not text:
        raise ValidationFailed(
            _("Enter a phone number."), fields={field: _("This field is required.")}
        )
    reason = _("Enter a valid phone number, for example 0912 345 678.")
    if code_problem(text):
        raise ValidationFailed(reason, fields={field: reason})
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        raise ValidationFailed(reason, fields={field: reason}) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(reason, fields={field: reason})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str:
    """ "+84912345678" → "0912 345 678"; foreign numbers in international format.

    Anything that does not parse is returned unchanged, so a page never fails on old data.
    """
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, REGION)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
