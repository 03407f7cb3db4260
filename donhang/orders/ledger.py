"""The stock ledger checked against the orders (`manage.py stock_rebuild --check`).

Inventory checks its own cache against its ledger (inventory.services.stock_levels_rebuild);
this module adds what only orders know: reservations belong to open orders, every handed-over
line left the warehouse exactly once, and every returned parcel came back in. Apps above orders
add their own checks through the hook ``ledger.check`` (() -> list of sentences): returns checks
that inspected returns reconcile with the movements they posted.
"""

from __future__ import annotations

from django.db.models import Q, Sum

from donhang.core import hooks
from donhang.inventory.models import Reservation, StockMovement
from donhang.inventory.services import stock_levels_rebuild
from donhang.orders.models import OPEN_STATUSES, OrderLine, Status
from donhang.orders.services.stock import order_lines_reserved_rebuild

SALE = StockMovement.Kind.SALE
RETURNED = StockMovement.Kind.RETURNED_TO_INSPECT


def orders_ledger_problems() -> list[str]:
    """What the ledger says that the orders contradict, one sentence per problem."""
    problems: list[str] = []

    for row in (
        Reservation.objects.exclude(order_line__order__status__in=OPEN_STATUSES)
        .values("order_line_id", "order_line__order__code", "order_line__order__status")
        .annotate(total=Sum("quantity"))
        .order_by("order_line_id")
    ):
        problems.append(
            f"order {row['order_line__order__code']} line={row['order_line_id']}: "
            f"{row['total']} units reserved on a {row['order_line__order__status']} order "
            "(reservations belong to new or processing orders only)"
        )

    # Each handed-over line left once: its sale movements (one per warehouse it left from) add
    # up to its quantity; a line never handed over has none.
    sold = {
        row["order_line_id"]: row["total"]
        for row in StockMovement.objects.filter(kind=SALE, order_line__isnull=False)
        .values("order_line_id")
        .annotate(total=Sum("delta"))
        .order_by()
    }
    handed_over = Q(order__shipped_at__isnull=False)
    for line_id, code, quantity, shipped in OrderLine.objects.filter(
        handed_over | Q(pk__in=list(sold))
    ).values_list("pk", "order__code", "quantity", "order__shipped_at"):
        total = sold.get(line_id, 0)
        if shipped is None:
            problems.append(
                f"order {code} line={line_id}: {-total} units sold but the order was never "
                "handed over"
            )
        elif -total != quantity:
            problems.append(
                f"order {code} line={line_id}: handed over {quantity} units but the sale "
                f"movements take {-total}"
            )

    # Returned parcels: every sale movement of a returned order that was handed over came back
    # into "returned, to inspect" of the warehouse it left from.
    returned_lines = OrderLine.objects.filter(
        order__status=Status.RETURNED, order__shipped_at__isnull=False
    )
    out = _by_line_and_warehouse(
        StockMovement.objects.filter(kind=SALE, order_line__in=returned_lines)
    )
    back = _by_line_and_warehouse(
        StockMovement.objects.filter(kind=RETURNED, order_line__in=returned_lines)
    )
    codes = dict(returned_lines.values_list("pk", "order__code"))
    for (line_id, warehouse_id), units in sorted(out.items()):
        came_back = back.get((line_id, warehouse_id), 0)
        if came_back != -units:
            problems.append(
                f"order {codes.get(line_id)} line={line_id} warehouse={warehouse_id}: returned "
                f"parcel, {-units} units sold but {came_back} received back"
            )
    for more in hooks.emit("ledger.check"):
        problems += list(more or [])
    return problems


def _by_line_and_warehouse(movements) -> dict[tuple[int, int], int]:
    return {
        (row["order_line_id"], row["warehouse_id"]): row["total"]
        for row in movements.values("order_line_id", "warehouse_id")
        .annotate(total=Sum("delta"))
        .order_by()
    }


def ledger_check() -> list[str]:
    """Every drift between stock levels, reservations, order lines and the ledger, as sentences;
    empty when all agree. Changes nothing."""
    problems = [
        f"drift variant={d.variant_id} warehouse={d.warehouse_id} {d.field}: "
        f"cached {d.cached}, ledger {d.ledger}"
        for d in stock_levels_rebuild(fix=False)
    ]
    problems += [
        f"drift order line={line_id} reserved: cached {cached}, reservations {actual}"
        for line_id, cached, actual in order_lines_reserved_rebuild(fix=False)
    ]
    return problems + orders_ledger_problems()
