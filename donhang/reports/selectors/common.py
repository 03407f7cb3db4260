"""What every report shares: its filters, the sums over daily and monthly rows, and the
figures derived from them (revenue, net revenue, margin) for what the caller may see."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from donhang.core.errors import ValidationFailed
from donhang.core.replica import replica_alias
from donhang.inventory.models import Warehouse
from donhang.orders.models import Channel
from donhang.reports.access import Access
from donhang.reports.models import RefreshState, SalesFigures
from donhang.reports.periods import month_start, split_range, today

MAX_DAYS = 3 * 366 + 1


@dataclass(frozen=True)
class ReportFilters:
    """Dates are inclusive, in the shop's time zone. `channel` "" and `warehouse` None: all."""

    date_from: date
    date_to: date
    channel: str = ""
    warehouse: int | None = None

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def query(self) -> dict:
        out = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.channel:
            out["channel"] = self.channel
        if self.warehouse:
            out["warehouse"] = str(self.warehouse)
        return out


def default_filters() -> ReportFilters:
    """This month so far."""
    day = today()
    return ReportFilters(date_from=month_start(day), date_to=day)


def _parse_date(value, field: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = _("Enter a date as YYYY-MM-DD.")
        return None


def filters_parse(data) -> ReportFilters:
    """Filters from a query string (`from`, `to`, `channel`, `warehouse`); what is missing
    takes the default (this month so far). Bad values raise ValidationFailed naming the field."""
    errors: dict[str, str] = {}
    base = default_filters()
    first = _parse_date(data.get("from"), "from", errors)
    last = _parse_date(data.get("to"), "to", errors)
    channel = (data.get("channel") or "").strip()
    if channel and channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    warehouse = data.get("warehouse") or None
    if warehouse is not None:
        try:
            warehouse = int(warehouse)
            if warehouse <= 0 or warehouse > 2**62:
                raise ValueError
        except (TypeError, ValueError):
            errors["warehouse"] = _("Unknown warehouse.")
            warehouse = None
    if first is None and last is not None:
        first = month_start(last)
    filters = replace(
        base,
        date_from=first or base.date_from,
        date_to=last or (max(first, base.date_to) if first else base.date_to),
        channel=channel if "channel" not in errors else "",
        warehouse=warehouse,
    )
    if filters.date_to < filters.date_from:
        errors["to"] = _("The end date is before the start date.")
    elif filters.days > MAX_DAYS:
        errors["to"] = _("Choose at most %(n)s days.") % {"n": MAX_DAYS}
    if errors:
        raise ValidationFailed(_("Some filters are not valid."), fields=errors)
    return filters


def complete_to() -> datetime | None:
    """Up to when the figures are complete (None: not computed yet)."""
    return RefreshState.objects.filter(pk=1).values_list("complete_to", flat=True).first()


def dims_q(filters: ReportFilters, *, channel: bool = True) -> Q:
    q = Q()
    if channel and filters.channel:
        q &= Q(channel=filters.channel)
    if filters.warehouse:
        q &= Q(warehouse_id=filters.warehouse)
    return q


def summed(
    daily,
    monthly,
    filters: ReportFilters,
    group: tuple[str, ...],
    measures,
    *,
    channel=True,
    keys: tuple[str, list] | None = None,
) -> dict[tuple, dict[str, int]]:
    """Sums of `measures` per `group` over the filters' days: whole months from the monthly
    table, the loose days at either end from the daily one. Two queries at most. `keys`:
    (field, values) to sum for those only."""
    months, runs = _split(monthly, filters)
    where = dims_q(filters, channel=channel)
    if keys is not None:
        where &= Q(**{f"{keys[0]}__in": keys[1]})
    sums = {m: Sum(m) for m in measures}
    out: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(measures, 0))
    parts = []
    if months:
        parts.append(monthly.objects.filter(where, month__gte=months[0], month__lte=months[-1]))
    if runs:
        days = Q()
        for first, last in runs:
            days |= Q(day__gte=first, day__lte=last)
        parts.append(daily.objects.filter(where).filter(days))
    for part in parts:
        for row in part.values(*group).annotate(**sums).order_by():
            key = tuple(row[g] for g in group)
            target = out[key]
            for m in measures:
                target[m] += row[m] or 0
    return out


def _split(monthly, filters: ReportFilters):
    """(whole months, loose day runs) of the filters' range; every day when there is no
    monthly table."""
    if monthly is None:
        return [], [(filters.date_from, filters.date_to)]
    return split_range(filters.date_from, filters.date_to, known_until=today())


def summed_page(
    daily,
    monthly,
    filters: ReportFilters,
    key: str,
    measures,
    *,
    by_revenue: bool,
    limit: int,
    offset: int,
) -> tuple[list[tuple], int]:
    """One page of the sums per `key` (a product's or a customer's: tens of thousands of them
    over a year), biggest first — by revenue, or by units. The ranking is worked out in the
    database on the two figures it needs (the monthly rows of whole months and the daily rows
    of the loose days in one statement, which also counts the groups); every figure is then
    summed for the page's keys only. Returns ([(key, {measure: sum})], number of groups)."""
    months, runs = _split(monthly, filters)
    postgres = connection.vendor == "postgresql"

    def day(value: date):
        return value if postgres else value.isoformat()

    dims, dim_params = "", []
    if filters.channel:
        dims += " AND channel = %s"
        dim_params.append(filters.channel)
    if filters.warehouse:
        dims += " AND warehouse_id = %s"
        dim_params.append(filters.warehouse)
    first_figure, second_figure = (
        ("gross - returned_gross", "units") if by_revenue else ("units", "orders")
    )
    columns = f"{key}, {first_figure} AS first_figure, {second_figure} AS second_figure"
    parts, params = [], []
    if months:
        parts.append(
            f"SELECT {columns} FROM {monthly._meta.db_table} "
            f"WHERE month >= %s AND month <= %s{dims}"
        )
        params += [day(months[0]), day(months[-1]), *dim_params]
    for first, last in runs:
        parts.append(
            f"SELECT {columns} FROM {daily._meta.db_table} WHERE day >= %s AND day <= %s{dims}"
        )
        params += [day(first), day(last), *dim_params]
    if not parts:
        return [], 0
    sql = (
        f"SELECT {key}, COUNT(*) OVER () FROM ({' UNION ALL '.join(parts)}) AS figures "
        f"GROUP BY {key} ORDER BY SUM(first_figure) DESC, SUM(second_figure) DESC, {key} "
        "LIMIT %s OFFSET %s"
    )
    alias = replica_alias() or DEFAULT_DB_ALIAS
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        if postgres:
            # A year of customers is a few hundred thousand small rows: grouped in memory.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, [*params, limit, offset])
        ranked = cursor.fetchall()
        if not ranked and offset:
            cursor.execute(sql, [*params, 1, 0])
            first = cursor.fetchall()
            return [], int(first[0][-1]) if first else 0
    if not ranked:
        return [], 0
    keys = [row[0] for row in ranked]
    sums = summed(daily, monthly, filters, (key,), measures, keys=(key, keys))
    empty = dict.fromkeys(measures, 0)
    return [(k, sums.get((k,), empty)) for k in keys], int(ranked[0][-1])


def daily_summed(model, filters: ReportFilters, group, measures, *, channel=True):
    """Sums per `group` of a daily table over the filters' days (small tables: one query)."""
    rows = model.objects.filter(dims_q(filters, channel=channel)).filter(
        day__gte=filters.date_from, day__lte=filters.date_to
    )
    if not group:
        row = rows.aggregate(**{m: Sum(m) for m in measures})
        return {(): {m: row[m] or 0 for m in measures}}
    rows = rows.values(*group).annotate(**{m: Sum(m) for m in measures}).order_by(*group)
    return {tuple(row[g] for g in group): {m: row[m] or 0 for m in measures} for row in rows}


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def ratio(amount: int, count: int) -> int:
    """amount / count in whole đồng, half up (0 without a count)."""
    if not count:
        return 0
    return int((Decimal(amount) / count).quantize(Decimal(1), ROUND_HALF_UP))


def sales_figures(values: dict[str, int], access: Access) -> dict:
    """Orders and units for everyone; revenue with accounts.view_revenue; cost and margin
    with catalog.view_cost too (see donhang.reports.models for the definitions)."""
    out = {
        "orders": values.get("orders", 0),
        "units": values.get("units", 0),
        "returned_units": values.get("returned_units", 0),
    }
    if "cancelled" in values:
        out["cancelled"] = values["cancelled"]
    if access.money:
        revenue = values["gross"] - values["returned_gross"]
        net_revenue = values["net"] - values["returned_net"]
        out.update(
            sales=values["gross"],
            returns=values["returned_gross"],
            revenue=revenue,
            net_revenue=net_revenue,
            vat=revenue - net_revenue,
            average_order_value=ratio(values["gross"], out["orders"]),
        )
        if access.margin:
            cost = values["cost"] - values["returned_cost"]
            margin = net_revenue - cost
            out.update(cost=cost, margin=margin, margin_percent=percent(margin, net_revenue))
    return out


SALES_MEASURES = SalesFigures.MEASURES


def add_into(target: dict[str, int], values: dict[str, int]) -> None:
    for key, value in values.items():
        target[key] = target.get(key, 0) + (value or 0)


def warehouse_choices() -> list[Warehouse]:
    return list(Warehouse.objects.order_by("-is_active", "priority", "code"))


def channel_choices() -> list[tuple[str, str]]:
    return list(Channel.choices)


def previous_days(first: date, last: date) -> tuple[date, date]:
    """The same number of days just before first..last."""
    span = (last - first).days + 1
    return first - timedelta(days=span), first - timedelta(days=1)
