"""Small conversions every adapter needs: times, money, ids (kept as strings: TikTok's exceed
2^53)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation


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
