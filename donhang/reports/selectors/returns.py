"""Returns by reason: goods that came back in the range (returns received then), per reason
given for each line, with what inspection found."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from donhang.core.money import round_vnd
from donhang.core.replica import reads_from_replica
from donhang.reports.access import Access
from donhang.reports.periods import day_bounds
from donhang.reports.selectors.common import ReportFilters, percent
from donhang.returns.models import GOODS_BACK, Reason, ReturnLine


@reads_from_replica
def returns_report(*, filters: ReportFilters, access: Access) -> list[dict]:
    """Per reason: returns and units back, found good / damaged / missing; their value (the
    lines' share, VAT included) for those who may see revenue, and the damaged units' cost
    for those who may see costs."""
    start, end = day_bounds(filters.date_from, filters.date_to)
    lines = ReturnLine.objects.filter(
        goods_return__state__in=GOODS_BACK,
        goods_return__received_at__gte=start,
        goods_return__received_at__lt=end,
    )
    if filters.channel:
        lines = lines.filter(goods_return__order__channel=filters.channel)
    if filters.warehouse:
        lines = lines.filter(goods_return__warehouse_id=filters.warehouse)
    rows: dict[str, dict] = defaultdict(
        lambda: {
            "returns": set(),
            "units": 0,
            "good": 0,
            "damaged": 0,
            "missing": 0,
            "value": 0,
            "damaged_cost": 0,
        }
    )
    for reason, return_id, qty, good, damaged, missing, unit_cost, gross, ordered in (
        lines.values_list(
            "reason",
            "goods_return_id",
            "quantity",
            "good_quantity",
            "damaged_quantity",
            "missing_quantity",
            "unit_cost",
            "order_line__gross",
            "order_line__quantity",
        )
        .order_by()
        .iterator(chunk_size=5000)
    ):
        row = rows[reason]
        row["returns"].add(return_id)
        row["units"] += qty
        row["good"] += good
        row["damaged"] += damaged
        row["missing"] += missing
        row["value"] += round_vnd(Decimal(qty) * gross / ordered) if ordered else 0
        row["damaged_cost"] += damaged * (unit_cost or 0)
    labels = dict(Reason.choices)
    total_units = sum(r["units"] for r in rows.values())
    out = []
    for reason, v in rows.items():
        item = {
            "reason": reason,
            "label": labels.get(reason, reason),
            "returns": len(v["returns"]),
            "units": v["units"],
            "share": percent(v["units"], total_units),
            "good": v["good"],
            "damaged": v["damaged"],
            "missing": v["missing"],
        }
        if access.money:
            item["value"] = v["value"]
        if access.costs:
            item["damaged_cost"] = v["damaged_cost"]
        out.append(item)
    out.sort(key=lambda r: (-r["units"], r["label"]))
    return out
