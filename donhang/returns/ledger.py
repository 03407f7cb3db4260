"""Returns checked against the stock ledger (`manage.py stock_rebuild --check`, through the hook
``ledger.check`` of donhang.orders.ledger): every received return brought its units into
"returned, to inspect", every inspection took exactly them out again (good to sellable stock,
damaged and missing written off) at the cost they left with, what waits for inspection is what
open returns say, no line comes back more often than it left, and every paid refund is a
negative payment of its amount."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import F, Q, Sum

from donhang.inventory.models import StockMovement
from donhang.orders.models import Status
from donhang.returns.models import Refund, RefundStatus, ReturnLine, State

KIND = StockMovement.Kind
BUCKET = StockMovement.Bucket


def _return_movements() -> dict[tuple[str, int], dict[str, int]]:
    """{(return id, order line id): sums} of the movements returns posted."""
    sums: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (
        StockMovement.objects.filter(reference_type="return", order_line__isnull=False)
        .values("reference_id", "order_line_id", "bucket", "kind")
        .annotate(
            positive=Sum("delta", filter=Q(delta__gt=0)),
            negative=Sum("delta", filter=Q(delta__lt=0)),
        )
        .order_by()
    ):
        key = (row["reference_id"], row["order_line_id"])
        positive, negative = row["positive"] or 0, -(row["negative"] or 0)
        if row["bucket"] == BUCKET.RETURNED:
            sums[key]["in"] += positive
            sums[key]["out"] += negative
        elif row["kind"] == KIND.RETURN:
            sums[key]["sellable"] += positive - negative
        if row["kind"] == KIND.DAMAGED:
            sums[key]["damaged"] += negative
    return sums


def returns_ledger_problems() -> list[str]:
    problems: list[str] = []
    moved = _return_movements()
    lines = list(
        ReturnLine.objects.exclude(goods_return__state=State.CANCELLED).values(
            "goods_return_id",
            "goods_return__code",
            "goods_return__state",
            "goods_return__from_parcel",
            "goods_return__at_counter",
            "goods_return__order_id",
            "order_line_id",
            "sku",
            "quantity",
            "good_quantity",
            "damaged_quantity",
            "missing_quantity",
        )
    )
    waiting_expected: dict[int, int] = defaultdict(int)
    in_returns: dict[int, int] = defaultdict(int)
    parcel_orders: set[int] = set()
    for ln in lines:
        state, code, sku = ln["goods_return__state"], ln["goods_return__code"], ln["sku"]
        parcel, counter = ln["goods_return__from_parcel"], ln["goods_return__at_counter"]
        inspected = state in (State.INSPECTED, State.CLOSED)
        good, damaged, missing = ln["good_quantity"], ln["damaged_quantity"], ln["missing_quantity"]
        in_returns[ln["order_line_id"]] += ln["quantity"]
        if parcel:
            parcel_orders.add(ln["goods_return__order_id"])
        if state == State.RECEIVED and not counter:
            waiting_expected[ln["order_line_id"]] += ln["quantity"]
        got = moved.get((str(ln["goods_return_id"]), ln["order_line_id"]), {})
        if parcel or state == State.REQUESTED:
            want_in = 0
        elif counter:
            want_in = damaged if inspected else 0
        else:
            want_in = ln["quantity"]
        want = {
            "in": want_in,
            "out": (damaged if counter else good + damaged + missing) if inspected else 0,
            "sellable": good if inspected else 0,
            "damaged": damaged if inspected else 0,
        }
        words = {
            "in": "received into returned, to inspect",
            "out": "taken out of returned, to inspect",
            "sellable": "back to sellable stock",
            "damaged": "written off as damaged",
        }
        for name, expected in want.items():
            if got.get(name, 0) != expected:
                problems.append(
                    f"return {code} {sku} line={ln['order_line_id']}: {got.get(name, 0)} units "
                    f"{words[name]}, the return says {expected}"
                )
        if inspected and good + damaged + missing != ln["quantity"]:
            problems.append(
                f"return {code} {sku}: inspected {good + damaged + missing} of "
                f"{ln['quantity']} units"
            )

    # Costs: every movement of a return is at the cost its line left with.
    costs = {
        (str(return_id), line_id): cost
        for return_id, line_id, cost in ReturnLine.objects.filter(
            unit_cost__isnull=False
        ).values_list("goods_return_id", "order_line_id", "unit_cost")
    }
    for ref, line_id, cost in (
        StockMovement.objects.filter(reference_type="return", order_line__isnull=False)
        .values_list("reference_id", "order_line_id", "unit_cost")
        .distinct()
    ):
        expected = costs.get((ref, line_id))
        if expected is not None and cost != expected:
            problems.append(
                f"return id={ref} line={line_id}: moved at unit cost {cost}, it left at {expected}"
            )

    # What waits for inspection, per order line, is what received returns hold (and whole
    # returned parcels of orders without a return, from before returns existed).
    sold = {
        row["order_line_id"]: -row["total"]
        for row in StockMovement.objects.filter(kind=KIND.SALE, order_line__isnull=False)
        .values("order_line_id")
        .annotate(total=Sum("delta"))
        .order_by()
    }
    legacy = StockMovement.objects.filter(
        kind=KIND.RETURNED_TO_INSPECT,
        order_line__order__status=Status.RETURNED,
    ).exclude(order_line__order_id__in=parcel_orders)
    for line_id, units in (
        legacy.values("order_line_id").annotate(n=Sum("delta")).values_list("order_line_id", "n")
    ):
        waiting_expected[line_id] += units
    waiting = {
        row["order_line_id"]: row["total"]
        for row in StockMovement.objects.filter(bucket=BUCKET.RETURNED, order_line__isnull=False)
        .values("order_line_id")
        .annotate(total=Sum("delta"))
        .order_by()
    }
    for line_id in sorted(set(waiting) | set(waiting_expected)):
        if waiting.get(line_id, 0) != waiting_expected.get(line_id, 0):
            problems.append(
                f"order line={line_id}: {waiting.get(line_id, 0)} units wait for inspection, "
                f"open returns hold {waiting_expected.get(line_id, 0)}"
            )
    for line_id, units in sorted(in_returns.items()):
        if units > sold.get(line_id, 0):
            problems.append(
                f"order line={line_id}: {units} units in returns but {sold.get(line_id, 0)} left "
                "the warehouse"
            )

    for code, amount, paid in (
        Refund.objects.filter(status=RefundStatus.REFUNDED)
        .exclude(payment__amount=-F("amount"))
        .values_list("goods_return__code", "amount", "payment__amount")
    ):
        problems.append(f"return {code}: refund of {amount} recorded as a payment of {paid}")
    return problems
