"""What the inventory pages share."""

from donhang.inventory import services

PAGE_SIZE = 50


def _int_or_none(value) -> int | None:
    """A whole number from the request, or None; none that no column can hold (a query with one
    fails on the database instead of finding nothing)."""
    value = (value or "").strip() if isinstance(value, str) else value
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if abs(number) <= services.BIGGEST_INTEGER else None
