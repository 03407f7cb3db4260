"""Order reads for the list, the order page and the API, with bounded query counts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db import connections
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from donhang.core import hooks
from donhang.core.text import fold
from donhang.inventory import reservations
from donhang.inventory.models import Reservation
from donhang.inventory.selectors import available_to_promise
from donhang.orders import counters
from donhang.orders.models import Order, OrderEvent, OrderLine, SalesStore, Status
from donhang.orders.services._common import channel_rule_for

PAGE_SIZE = 50
_CODE = re.compile(r"^dh\s?\d+$", re.I)
_TRACKING = re.compile(r"^[A-Za-z0-9\-]{6,40}$")
_PHONE = re.compile(r"^\+?[\d .\-]{9,15}$")


@dataclass
class OrderFilters:
    status: str = ""
    sub_state: str = ""
    channel: str = ""
    store: int | None = None  # one shop of a channel (SalesStore id)
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
    # Orders per status tab ("all" too). Exact (from the counters) unless `counts_capped`
    # names tabs whose count stopped at COUNT_BOUND: "at least this many".
    counts: dict[str, int] = field(default_factory=dict)
    counts_capped: set[str] = field(default_factory=set)

    @property
    def counts_exact(self) -> bool:
        return not self.counts_capped


# A search or a filter the counters do not keep counts each tab up to this many ("50+").
COUNT_BOUND = 50


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
    if filters.store:
        qs = qs.filter(store_id=filters.store)
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
            qs = qs.filter(code=order_code_normalize(q))
        elif phone := _phone_key(q):
            qs = qs.filter(customer_phone=phone)
        else:
            folded = fold(q)
            match = Q(external_id=q) | Q(search_text__contains=folded)
            # A carrier's tracking number (shipping answers through the hook, being above us).
            tracked = (
                hooks.first("orders.ids_by_tracking", tracking=q) if _TRACKING.match(q) else None
            )
            if tracked:
                match |= Q(pk__in=tracked)
            qs = qs.filter(match)
    return qs


def is_order_code(q: str) -> bool:
    return bool(_CODE.match((q or "").strip()))


def order_code_normalize(q: str) -> str:
    """ "dh14", "DH 14", "DH000014" → "DH000014" (codes are DH + the id on at least six digits)."""
    digits = re.sub(r"\D", "", q)
    return "DH" + digits.zfill(6)


def order_list(
    *,
    filters: OrderFilters,
    after: int | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
    with_counts: bool = True,
) -> OrderPage:
    """Newest first, keyset-paginated on id: `after` gives older orders, `before` newer ones.

    The tab counts never count the orders on this request: exact from the counters for the
    status, step, channel and shop filters; for a search, from the one read of its matches that
    also gives the page; for other filters each tab is counted up to COUNT_BOUND, in one
    statement."""
    base = _filtered(filters, with_status=False)
    if filters.q and with_counts:
        page = _search_page(filters, base, after=after, before=before, limit=limit)
        if page is not None:
            return page
    qs = base.filter(status=filters.status) if filters.status else base
    qs = qs.select_related("shipping_province", "warehouse", "store")
    if before:
        rows = list(qs.filter(id__gt=before).order_by(*_by_id(filters))[: limit + 1])
        has_more_newer = len(rows) > limit
        rows = list(reversed(rows[:limit]))
        next_cursor = rows[-1].pk if rows else None
        prev_cursor = rows[0].pk if rows and has_more_newer else None
    else:
        if after:
            qs = qs.filter(id__lt=after)
        rows = list(qs.order_by(*_by_id(filters, newest_first=True))[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = rows[-1].pk if rows and has_more else None
        prev_cursor = rows[0].pk if rows and after else None
    page = OrderPage(orders=rows, next_cursor=next_cursor, prev_cursor=prev_cursor)
    if with_counts:
        page.counts, page.counts_capped = _tab_counts(filters, base)
    return page


def _by_id(filters: OrderFilters, *, newest_first: bool = False) -> tuple:
    """The keyset order. For a search by a whole name on PostgreSQL, ordered by an expression of
    the id: the planner, which cannot tell how rare a substring is, would otherwise walk the
    primary key backwards through every order until it has a page of matches (a rare name at a
    million orders: the whole table, ≈ 0.9 s); the expression makes it find the matches through
    the trigram index first and sort them (≈ 40 ms). A single word or two may be common (half the
    shop's customers are "Nguyễn"): walking the newest orders finds their page sooner."""
    if (
        _name_search_is_selective(filters.q)
        and connections[Order.objects.db].vendor == "postgresql"
    ):
        key = F("id") + 0
        return (key.desc(),) if newest_first else (key.asc(),)
    return ("-id",) if newest_first else ("id",)


def _name_search_is_selective(q: str | None) -> bool:
    q = (q or "").strip()
    if not q or _CODE.match(q) or _phone_key(q):
        return False
    return len(fold(q).split()) >= 3


# A search reads the ids and statuses of its newest matches once (one index scan: the trigram
# index for a name), counts the tabs from them and takes the page's ids from them.
SEARCH_WINDOW = 1000


def _search_page(
    filters: OrderFilters, base: QuerySet[Order], *, after, before, limit: int
) -> OrderPage | None:
    """The page and the tab counts of a search from one read of its newest SEARCH_WINDOW
    matches, then the page's rows by primary key. None when the page lies beyond what was read
    (a far page of a search matching more than the window): the caller reads it as usual."""
    newest = _by_id(filters, newest_first=True)
    found = list(base.order_by(*newest).values_list("pk", "status")[: SEARCH_WINDOW + 1])
    complete = len(found) <= SEARCH_WINDOW
    found = found[:SEARCH_WINDOW]
    oldest_read = found[-1][0] if found else 0
    ids = [pk for pk, status in found if not filters.status or status == filters.status]
    if before:
        newer = [pk for pk in ids if pk > before]
        if not complete and before < oldest_read:
            return None
        page_ids = newer[-limit:]
        has_more_newer = len(newer) > limit
        next_cursor = page_ids[-1] if page_ids else None
        prev_cursor = page_ids[0] if page_ids and has_more_newer else None
    else:
        older = [pk for pk in ids if not after or pk < after]
        if not complete and len(older) <= limit:
            return None
        page_ids = older[:limit]
        next_cursor = page_ids[-1] if page_ids and len(older) > limit else None
        prev_cursor = page_ids[0] if page_ids and after else None
    rows = Order.objects.select_related("shipping_province", "warehouse", "store").in_bulk(page_ids)
    counts = dict.fromkeys(Status.values, 0)
    for _pk, status in found:
        counts[status] = counts.get(status, 0) + 1
    counts["all"] = len(found)
    return OrderPage(
        orders=[rows[pk] for pk in page_ids if pk in rows],
        next_cursor=next_cursor,
        prev_cursor=prev_cursor,
        counts=counts,
        # More matches than were read: each count is "at least".
        counts_capped=set() if complete else set(counts),
    )


def _counters_cover(filters: OrderFilters) -> bool:
    """The counters keep orders per channel, shop, status and step; nothing else."""
    return not (
        filters.q
        or filters.warehouse
        or filters.payment_method
        or filters.date_from
        or filters.date_to
        or filters.customer_id
    )


def _tab_counts(filters: OrderFilters, base: QuerySet[Order]) -> tuple[dict[str, int], set[str]]:
    if _counters_cover(filters):
        counts = counters.order_counts_get(
            channel=filters.channel, store=filters.store, sub_state=filters.sub_state
        )
        return counts, set()
    return _bounded_counts(base, COUNT_BOUND)


def _bounded_counts(base: QuerySet[Order], bound: int) -> tuple[dict[str, int], set[str]]:
    """Orders per status in `base`, each counted up to `bound` (a count at the bound means at
    least that many): one statement of one small subquery per status, each stopping at
    bound + 1 rows, whatever the number of orders."""
    parts, params = [], []
    for i, status in enumerate(Status.values):
        sub = base.filter(status=status).order_by().values("pk")[: bound + 1]
        sql, sub_params = sub.query.get_compiler(using=base.db).as_sql()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS tab{i})")
        params.extend(sub_params)
    with connections[base.db].cursor() as cur:
        cur.execute("SELECT " + ", ".join(parts), params)
        row = cur.fetchone()
    counts, capped = {}, set()
    for status, n in zip(Status.values, row, strict=True):
        counts[status] = min(n, bound)
        if n > bound:
            capped.add(status)
    counts["all"] = sum(counts.values())
    if capped:
        capped.add("all")
    return counts, capped


def order_counts(*, filters: OrderFilters) -> dict[str, int]:
    """Orders per status under the other filters, for the tabs (see order_list)."""
    counts, _capped = _tab_counts(filters, _filtered(filters, with_status=False))
    return counts


def order_get(*, code: str) -> Order | None:
    return (
        Order.objects.select_related(
            "customer", "shipping_province", "shipping_ward", "warehouse", "created_by", "store"
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
            "vat_lines",
            "payments",
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
                queryset=OrderLine.objects.select_related("variant__product").prefetch_related(
                    Prefetch(
                        "reservations", queryset=Reservation.objects.select_related("warehouse")
                    )
                ),
            )
        )
        .order_by("id")
    )


# --- reads for the order pages (views) --------------------------------------------------------


def order_list_by_codes(*, codes: list[str]) -> list[Order]:
    """Orders named by code, in the order given (unknown codes are left out): for bulk actions."""
    by_code = {o.code: o for o in Order.objects.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code]


def variant_available(*, variant_ids) -> dict[int, int]:
    """Units free to reserve per variant, over active warehouses (on hand − reserved), in one
    query."""
    from django.db.models import F, Sum

    from donhang.inventory.models import StockLevel

    rows = (
        StockLevel.objects.filter(variant_id__in=set(variant_ids), warehouse__is_active=True)
        .values("variant_id")
        .annotate(free=Sum(F("on_hand") - F("reserved")))
        .order_by()
    )
    return {r["variant_id"]: max(r["free"] or 0, 0) for r in rows}


@dataclass
class OrderDetail:
    order: Order
    available: dict[int, int]  # variant id → free units in active warehouses


def order_detail_get(*, code: str) -> OrderDetail | None:
    """The order page: the order with lines, reservations and timeline, plus the free stock of
    its variants (to say what a short line still lacks)."""
    order = order_get(code=code)
    if order is None:
        return None
    available = variant_available(variant_ids=[ln.variant_id for ln in order.lines.all()])
    return OrderDetail(order=order, available=available)


def order_variant_search(*, q: str, limit: int = 20) -> list:
    """Active variants for the order screens by name, SKU or barcode (accents ignored), with
    `available` (free units in active warehouses). An exact SKU or barcode comes first."""
    from donhang.catalog.models import Variant

    q = (q or "").strip()
    if not q:
        return []
    # Every word, in any order and without diacritics ("xanh l ao thun"), or the exact code.
    words = Q()
    for word in fold(q).split():
        words &= Q(search_text__contains=word)
    variants = list(
        Variant.objects.select_related("product")
        .filter(is_active=True, product__is_active=True)
        .filter(words | Q(sku__iexact=q) | Q(barcode=q))
        .order_by("product__name", "position", "id")[: limit * 3]
    )
    # The exact code first, then the variants whose words match whole words ("l" is size L,
    # not the l of "xl"), then the rest.
    typed = fold(q).split()

    def rank(v) -> tuple[int, int]:
        exact = q.lower() in (v.sku.lower(), v.barcode.lower())
        tokens = set(v.search_text.split())
        return (0 if exact else 1, -sum(1 for word in typed if word in tokens))

    variants = sorted(variants, key=rank)[:limit]
    free = variant_available(variant_ids=[v.pk for v in variants])
    for v in variants:
        v.available = free.get(v.pk, 0)
    return variants


def order_line_variants(*, variant_ids) -> dict:
    """Variants (with product and `available`) by id, for the rows of an order form."""
    from donhang.catalog.models import Variant

    ids = {int(i) for i in variant_ids}
    variants = {v.pk: v for v in Variant.objects.select_related("product").filter(pk__in=ids)}
    free = variant_available(variant_ids=variants.keys())
    for v in variants.values():
        v.available = free.get(v.pk, 0)
    return variants


def order_customer_suggest(*, phone: str):
    """The customer with this E.164 phone (with addresses, wards and provinces), or None."""
    from donhang.customers.models import CustomerAddress
    from donhang.customers.selectors import customer_find_by_phone

    customer = customer_find_by_phone(phone=phone)
    if customer is None:
        return None
    customer.address_list = list(
        CustomerAddress.objects.filter(customer=customer).select_related("ward", "province")
    )
    customer.order_count = Order.objects.filter(customer=customer).count()
    return customer


def channel_available_to_promise(
    *, channel: str, variant_ids, store_id: int | None = None
) -> dict[int, int]:
    """{variant id: units the channel (or its shop `store_id`) may sell}: available stock over
    the warehouses its rules allow (every active warehouse without a rule), as orders of that
    channel or shop would reserve."""
    rule = channel_rule_for(channel, store_id)
    chosen = [w.pk for w in rule.warehouses.all()] if rule else []
    warehouse_ids = reservations.candidate_warehouses(chosen or None)
    return available_to_promise(variant_ids=variant_ids, warehouse_ids=warehouse_ids)


def sales_store_list(*, channel: str = "", active_only: bool = False) -> list[SalesStore]:
    """Shops of the channels (marketplace shops), for the order list filter and the rules."""
    qs = SalesStore.objects.all()
    if channel:
        qs = qs.filter(channel=channel)
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs.order_by("channel", "name", "id"))


def channel_rule_get(*, channel: str, store_id: int | None = None):
    """The warehouse rule orders of `channel` (or of its shop) follow; None: the defaults."""
    return channel_rule_for(channel, store_id)
