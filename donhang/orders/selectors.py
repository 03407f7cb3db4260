"""Order reads for the list, the order page and the API, with bounded query counts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from donhang.core.text import fold
from donhang.inventory.models import Reservation
from donhang.orders.models import Order, OrderEvent, OrderLine

PAGE_SIZE = 50
_CODE = re.compile(r"^dh\d+$", re.I)
_PHONE = re.compile(r"^\+?[\d .\-]{9,15}$")


@dataclass
class OrderFilters:
    status: str = ""
    sub_state: str = ""
    channel: str = ""
    warehouse: int | None = None
    payment_method: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    customer_id: int | None = None


@dataclass
class OrderPage:
    orders: list[Order]
    next_cursor: int | None
    prev_cursor: int | None
    counts: dict[str, int] = field(default_factory=dict)


def _phone_key(q: str) -> str | None:
    if not _PHONE.match(q):
        return None
    digits = re.sub(r"\D", "", q)
    if digits.startswith("84") and len(digits) in (11, 12):
        return "+" + digits
    if digits.startswith("0") and len(digits) in (10, 11):
        return "+84" + digits[1:]
    return None


def _filtered(filters: OrderFilters, *, with_status: bool = True) -> QuerySet[Order]:
    qs = Order.objects.all()
    if with_status and filters.status:
        qs = qs.filter(status=filters.status)
    if filters.sub_state:
        qs = qs.filter(sub_state=filters.sub_state)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.warehouse:
        qs = qs.filter(warehouse_id=filters.warehouse)
    if filters.payment_method:
        qs = qs.filter(payment_method=filters.payment_method)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    tz = timezone.get_current_timezone()
    if filters.date_from:
        qs = qs.filter(created_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=tz))
    if filters.date_to:
        qs = qs.filter(created_at__lte=datetime.combine(filters.date_to, time.max, tzinfo=tz))
    q = (filters.q or "").strip()
    if q:
        if _CODE.match(q):
            qs = qs.filter(code=q.upper())
        elif phone := _phone_key(q):
            qs = qs.filter(customer_phone=phone)
        else:
            folded = fold(q)
            qs = qs.filter(Q(external_id=q) | Q(search_text__contains=folded))
    return qs


def order_list(
    *,
    filters: OrderFilters,
    after: int | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
    with_counts: bool = True,
) -> OrderPage:
    """Newest first, keyset-paginated on id: `after` gives older orders, `before` newer ones."""
    qs = _filtered(filters).select_related("shipping_province", "warehouse")
    if before:
        rows = list(qs.filter(id__gt=before).order_by("id")[: limit + 1])
        has_more_newer = len(rows) > limit
        rows = list(reversed(rows[:limit]))
        next_cursor = rows[-1].pk if rows else None
        prev_cursor = rows[0].pk if rows and has_more_newer else None
    else:
        if after:
            qs = qs.filter(id__lt=after)
        rows = list(qs.order_by("-id")[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = rows[-1].pk if rows and has_more else None
        prev_cursor = rows[0].pk if rows and after else None
    counts = order_counts(filters=filters) if with_counts else {}
    return OrderPage(orders=rows, next_cursor=next_cursor, prev_cursor=prev_cursor, counts=counts)


def order_counts(*, filters: OrderFilters) -> dict[str, int]:
    """Orders per status under the other filters, for the tabs."""
    rows = _filtered(filters, with_status=False).values("status").annotate(n=Count("id")).order_by()
    counts = {r["status"]: r["n"] for r in rows}
    counts["all"] = sum(counts.values())
    return counts


def order_get(*, code: str) -> Order | None:
    return (
        Order.objects.select_related(
            "customer", "shipping_province", "shipping_ward", "warehouse", "created_by"
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related("variant__product").prefetch_related(
                    Prefetch(
                        "reservations", queryset=Reservation.objects.select_related("warehouse")
                    )
                ),
            ),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
        )
        .filter(code=code)
        .first()
    )


def orders_for_picking(*, codes: list[str]) -> list[Order]:
    return list(
        Order.objects.filter(code__in=codes)
        .select_related("shipping_province", "shipping_ward", "warehouse")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.prefetch_related(
                    Prefetch(
                        "reservations", queryset=Reservation.objects.select_related("warehouse")
                    )
                ),
            )
        )
        .order_by("id")
    )
