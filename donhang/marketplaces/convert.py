"""Small conversions every adapter needs: times, money, ids (kept as strings: TikTok's exceed
2^53)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from donhang.core.integrations import PermanentError


def from_unix(value) -> datetime | None:
    """Seconds (or milliseconds, when the number is that large) since the epoch → aware UTC."""
    if value in (None, "", 0, "0"):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return parse_time(value)
    if number > 10_000_000_000:  # milliseconds
        number /= 1000
    return datetime.fromtimestamp(number, tz=UTC)


def parse_time(value) -> datetime | None:
    """ISO 8601 or Lazada's "2018-02-10 16:00:00 +0800" → aware datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return from_unix(value)
    text = str(value).strip()
    if text.isdigit():
        return from_unix(int(text))
    for candidate in (text.replace("Z", "+00:00"), text):
        try:
            parsed = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    for pattern in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S"):
        try:
            parsed = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def to_unix(value: datetime) -> int:
    return int(value.timestamp())


def iso(value: datetime) -> str:
    """ISO 8601 with offset, to the second (Lazada's filters)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def money(value) -> int:
    """A platform amount ("165000", "165000.00", 165000.0) → integer VND (rounded)."""
    if value in (None, ""):
        return 0
    try:
        return int(Decimal(str(value)).quantize(Decimal(1)))
    except (InvalidOperation, ValueError):
        return 0


def after(value: datetime, seconds: float) -> datetime:
    return value + timedelta(seconds=seconds)


def text_id(value) -> str:
    return "" if value in (None, "") else str(value)


# --- push input (issue 17): a push is untrusted input even when its signature is good --------
# Its fields are checked here, so that a field of the wrong kind answers 400 (PermanentError),
# never a crash, and nothing a database cannot store (NUL, lone surrogates) reaches a column.

PUSH_TEXT_MAX = 128
_LATEST = 253402300799  # 9999-12-31T23:59:59Z


def push_object(value, field: str) -> dict:
    """A JSON object field (absent or null: empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PermanentError(f"push field {field} is not an object")
    return value


def push_text(value, field: str, *, max_length: int = PUSH_TEXT_MAX) -> str:
    """An id or status: text or a whole number, printable, at most max_length characters."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PermanentError(f"push field {field} is not text")
    text = str(value)
    if len(text) > max_length:
        raise PermanentError(f"push field {field} is too long")
    if any(ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise PermanentError(f"push field {field} has control characters")
    return text


def push_int(value, field: str) -> int:
    """A small whole number (a message type): a JSON number or digits."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise PermanentError(f"push field {field} is not a number")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and value.isascii():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or abs(value) > 2**31:
        raise PermanentError(f"push field {field} is not a number")
    return value


def push_time(value, field: str) -> datetime | None:
    """A push time (unix seconds or milliseconds, or ISO text) within years 1970–9999."""
    if value is None or value in ("", 0):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PermanentError(f"push field {field} is not a time")
    if isinstance(value, str):
        push_text(value, field)
    try:
        parsed = from_unix(value)
    except (ValueError, OverflowError, OSError) as exc:
        raise PermanentError(f"push field {field} is not a time") from exc
    if isinstance(value, int | float) and not 0 <= value <= _LATEST * 1000:
        raise PermanentError(f"push field {field} is not a time")
    return parsed
