"""Reads for the returns pages and the API: the list (filters, counts per state), one return
with everything its page shows, and the reports (by reason, by product, damaged value)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import (
    BigIntegerField,
    Count,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from donhang.core.text import fold
from donhang.inventory.models import Warehouse
from donhang.returns.models import Reason, Refund, Return, ReturnLine, State


@dataclass
class ReturnFilters:
    state: str = ""
    source: str = ""
    q: str = ""  # return code, order code, customer phone or name
    order_code: str = ""


def return_list(filters: ReturnFilters | None = None) -> QuerySet[Return]:
    filters = filters or ReturnFilters()
    qs = Return.objects.select_related("order", "warehouse", "exchange_order").annotate(
        units=Coalesce(Sum("lines__quantity"), 0)
    )
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.order_code:
        qs = qs.filter(order__code=filters.order_code.strip().upper())
    q = (filters.q or "").strip()
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        condition = Q(code__iexact=q) | Q(order__code__iexact=q) | Q(order__external_id=q)
        if len(digits) >= 6:
            condition |= Q(order__customer_phone__endswith=digits[-9:])
        condition |= Q(order__search_text__contains=fold(q))
        qs = qs.filter(condition)
    return qs.order_by("-id")


def state_counts() -> dict[str, int]:
    counts = dict(Return.objects.values_list("state").annotate(n=Count("id")).order_by())
    return {state: counts.get(state, 0) for state in State.values}


def return_get(pk: int) -> Return | None:
    return (
        Return.objects.select_related(
            "order",
            "order__shipping_ward",
            "order__shipping_province",
            "warehouse",
            "exchange_order",
            "invoice",
            "invoice_correction",
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ReturnLine.objects.select_related("order_line", "good_warehouse"),
            ),
            Prefetch("refunds", queryset=Refund.objects.select_related("payment")),
        )
        .filter(pk=pk)
        .first()
    )


def warehouse_by_code(code: str) -> Warehouse | None:
    return Warehouse.objects.filter(code=(code or "").strip().upper()).first()


def warehouses_by_code(codes) -> dict[str, Warehouse]:
    """{code as given: warehouse} of the known ones."""
    found = {
        w.code: w for w in Warehouse.objects.filter(code__in={c.strip().upper() for c in codes})
    }
    return {c: found[c.strip().upper()] for c in codes if c.strip().upper() in found}


# --- reports ------------------------------------------------------------------------------------


def _period(date_from: date | None, date_to: date | None) -> Q:
    tz = timezone.get_current_timezone()
    condition = Q()
    if date_from:
        condition &= Q(goods_return__created_at__gte=datetime.combine(date_from, time.min, tz))
    if date_to:
        condition &= Q(goods_return__created_at__lte=datetime.combine(date_to, time.max, tz))
    return condition


def _lines(date_from: date | None, date_to: date | None) -> QuerySet[ReturnLine]:
    return ReturnLine.objects.exclude(goods_return__state=State.CANCELLED).filter(
        _period(date_from, date_to)
    )


_DAMAGED_VALUE = ExpressionWrapper(
    F("damaged_quantity") * Coalesce(F("unit_cost"), Value(0)), output_field=BigIntegerField()
)
_REFUND_VALUE = ExpressionWrapper(
    F("order_line__gross") * F("quantity") / F("order_line__quantity"),
    output_field=BigIntegerField(),
)


def returns_by_reason(*, date_from: date | None = None, date_to: date | None = None) -> list[dict]:
    """Per reason: returns, units, damaged units and the value the units were sold for."""
    rows = (
        _lines(date_from, date_to)
        .values("reason")
        .annotate(
            returns=Count("goods_return", distinct=True),
            units=Sum("quantity"),
            damaged=Sum("damaged_quantity"),
            value=Sum(_REFUND_VALUE),
        )
        .order_by("-units", "reason")
    )
    labels = dict(Reason.choices)
    return [{**row, "label": labels.get(row["reason"], row["reason"])} for row in rows]


def returns_by_product(
    *, date_from: date | None = None, date_to: date | None = None, limit: int = 200
) -> list[dict]:
    """Per SKU: units returned, good, damaged, missing, and the damaged units' cost."""
    return list(
        _lines(date_from, date_to)
        .values("variant_id", "sku", "name")
        .annotate(
            returns=Count("goods_return", distinct=True),
            units=Sum("quantity"),
            good=Sum("good_quantity"),
            damaged=Sum("damaged_quantity"),
            missing=Sum("missing_quantity"),
            damaged_value=Sum(_DAMAGED_VALUE),
        )
        .order_by("-units", "sku")[:limit]
    )


def damaged_value(*, date_from: date | None = None, date_to: date | None = None) -> dict:
    """Damaged units written off and their value at the cost they left with."""
    row = _lines(date_from, date_to).aggregate(
        units=Coalesce(Sum("damaged_quantity"), 0),
        value=Coalesce(Sum(_DAMAGED_VALUE), 0),
    )
    return {"units": row["units"], "value": row["value"]}
