"""What orders tells the customer pages (donhang.customers sits below orders and never imports
it): totals per customer, a customer's orders, and moving orders when customers merge.
Registered at start-up by OrdersConfig.ready()."""

from __future__ import annotations

from django.db.models import BigIntegerField, Count, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from donhang.core import hooks
from donhang.orders.models import Order
from donhang.orders.selectors import OrderFilters, order_list

# Money the customer has spent or committed to: open, on the way and completed orders. Cancelled
# orders never count; returned ones are counted apart as returns.
SPENT_STATUSES = ("new", "processing", "shipping", "completed")
RETURNED_STATUS = "returned"


def _order_subquery(aggregate, **filters) -> Coalesce:
    orders = (
        Order.objects.filter(customer=OuterRef("pk"), **filters)
        .order_by()
        .values("customer")
        .annotate(value=aggregate)
        .values("value")
    )
    return Coalesce(Subquery(orders, output_field=BigIntegerField()), Value(0))


def annotate_totals(*, customers):
    return customers.annotate(
        orders_count=_order_subquery(Count("pk")),
        total_spent=_order_subquery(Sum("total"), status__in=SPENT_STATUSES),
        returns_count=_order_subquery(Count("pk"), status=RETURNED_STATUS),
    )


def orders_page(*, customer, after=None, before=None, limit=50):
    return order_list(
        filters=OrderFilters(customer_id=customer.pk),
        after=after,
        before=before,
        limit=limit,
        with_counts=False,
    )


def customer_merged(*, keep, duplicate_ids, actor=None) -> None:
    Order.objects.filter(customer_id__in=duplicate_ids).update(customer=keep)


def register() -> None:
    hooks.register("customer.annotate_totals", annotate_totals)
    hooks.register("customer.orders_page", orders_page)
    hooks.register("customer.merged", customer_merged)
