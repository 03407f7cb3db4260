"""Reading a carrier's webhook, which anyone can POST: every field is checked for its kind and
size, and anything that does not fit raises PermanentError (the endpoint answers 400), never a
crash. Shared by the providers' webhooks.py; no ORM here."""

from __future__ import annotations

import hmac
import math
import re

from donhang.shipping.carriers.ports import PermanentError

# No parcel is worth more than this (đồng): a bigger number is not an amount.
MAX_AMOUNT = 10**12

# Text a database cannot store (PostgreSQL refuses NUL; lone surrogates cannot be encoded).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def secret_matches(given, secret: str) -> bool:
    """A constant-time comparison that takes any text (hmac.compare_digest refuses non-ASCII
    str) and anything else a JSON body may hold (never equal)."""
    if not secret or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), secret.encode("utf-8", "surrogatepass")
    )


def storable(text: str) -> str:
    """`text` with what a database cannot store replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def text(payload: dict, key: str, *, max_length: int, cut: bool = False) -> str:
    """A text field (a number is taken as its digits; absent: ""). Too long: refused, or cut
    when `cut`."""
    value = payload.get(key)
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PermanentError(f"{key} is not text")
    value = storable(str(value)).strip()
    if len(value) > max_length:
        if not cut:
            raise PermanentError(f"{key} is too long")
        value = value[:max_length]
    return value


def amount(payload: dict, key: str) -> int | None:
    """A whole amount in đồng, 0 … MAX_AMOUNT (absent: None). "30000" and 30000.0 count."""
    value = payload.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise PermanentError(f"{key} is not an amount")
    if isinstance(value, str):
        if not re.fullmatch(r"\s*\d{1,13}\s*", value):
            raise PermanentError(f"{key} is not an amount")
        value = int(value)
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise PermanentError(f"{key} is not an amount")
        value = int(value)
    elif not isinstance(value, int):
        raise PermanentError(f"{key} is not an amount")
    if not 0 <= value <= MAX_AMOUNT:
        raise PermanentError(f"{key} is out of range")
    return value
