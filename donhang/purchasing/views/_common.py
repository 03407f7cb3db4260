"""What the purchasing pages share: numbers from the request, cost visibility, rows."""

from __future__ import annotations

from django.http import Http404

from donhang.core.errors import NotFound
from donhang.inventory.services import BIGGEST_INTEGER
from donhang.purchasing import services
from donhang.purchasing.forms import (
    LineRow,
)
from donhang.purchasing.models import PurchaseOrder

PAGE_SIZE = 25
Status = PurchaseOrder.Status


def _int_or_none(value):
    """A whole number typed or sent by the page, or None; none that no column can hold (a query
    with one fails on the database instead of finding nothing)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if abs(number) <= BIGGEST_INTEGER else None


def _can_view_cost(request) -> bool:
    return request.user.has_perm(services.VIEW_COST)


def _hide_prices(rows: list[LineRow]) -> list[LineRow]:
    """Rows of a user who may not see cost prices: no price shown, none sent (the service then
    takes the purchase order's price or the variant's cost)."""
    for row in rows:
        row.unit_price, row.raw_price = None, ""
    return rows


def _cost_key(request) -> str:
    """The form field of a receipt line's unit cost; nothing is read from it for a user who
    may not see cost prices (the field is not shown to them)."""
    return "line_unit_cost" if _can_view_cost(request) else "-"


def _get_or_404(getter, **kwargs):
    try:
        return getter(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from None
