"""Marketplace orders in: pushes and polling by update time feed one idempotent upsert. The
platform's status maps to ours and moves our order through the orders services: new orders
reserve stock, cancellations release it, returned goods wait for inspection. Settlements (the
platform's payout per order) are recorded as payments, differences flagged."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.catalog.models import Variant
from donhang.core.errors import Conflict, DomainError, ValidationFailed
from donhang.core.integrations import IntegrationError, Unsupported
from donhang.customers.selectors import province_find, ward_find
from donhang.marketplaces.models import (
    ConnectionStatus,
    Listing,
    MarketplaceOrder,
    MarketplaceOrderUpdate,
    ShopConnection,
)
from donhang.marketplaces.ports import PROGRESS, OrderStatus, RemoteOrder, Settlement
from donhang.marketplaces.services._common import (
    adapter_for,
    connection_record_success,
    enqueue_task,
    logged,
)
from donhang.orders import services as orders
from donhang.orders.models import Order, PaymentMethod, PaymentRecordMethod, Status

# How far back the first poll of a shop reaches, and how much consecutive polls overlap (an
# order updated in the same second as the last poll is not missed).
FIRST_POLL = timedelta(days=3)
POLL_OVERLAP = timedelta(minutes=10)


def _newer(mo: MarketplaceOrder, remote: RemoteOrder) -> bool:
    """Whether `remote` is news for `mo`: a later update, or one of the same second further
    along (updates are stamped to the second and arrive in any order)."""
    if mo.platform_updated_at is None:
        return True
    if remote.updated_at > mo.platform_updated_at:
        return True
    if remote.updated_at < mo.platform_updated_at:
        return False
    return PROGRESS[remote.status] > PROGRESS[OrderStatus(mo.status)]


def _lines(connection: ShopConnection, remote: RemoteOrder) -> tuple[list, list[str]]:
    """Our order lines for the platform's: the listing's variant, else our variant of the same
    SKU. Returns (lines, SKUs we do not know)."""
    listings = {
        (row.item_id, row.model_id): row.variant_id
        for row in Listing.objects.filter(
            connection=connection,
            item_id__in={ln.item_id for ln in remote.lines},
            variant__isnull=False,
        )
    }
    by_sku = {
        v.sku: v.pk
        for v in Variant.objects.filter(
            sku__in={ln.seller_sku for ln in remote.lines if ln.seller_sku}
        )
    }
    lines, unknown = [], []
    for ln in remote.lines:
        variant_id = listings.get((ln.item_id, ln.model_id)) or by_sku.get(ln.seller_sku)
        if variant_id is None:
            unknown.append(ln.seller_sku or f"{ln.item_id}/{ln.model_id}")
            continue
        lines.append(
            orders.LineInput(
                variant_id=variant_id,
                quantity=max(ln.quantity, 1),
                unit_price=max(ln.unit_price, 0),
                discount=min(
                    max(ln.seller_discount, 0), max(ln.unit_price, 0) * max(ln.quantity, 1)
                ),
            )
        )
    return lines, unknown


def _customer(remote: RemoteOrder) -> orders.CustomerInput:
    address = remote.address
    province = province_find(address.province) if address.province else None
    ward = ward_find(address.ward, province=province) if address.ward and province else None
    return orders.CustomerInput(
        name=(address.name or remote.buyer_name or "Marketplace")[:150],
        phone=address.phone if address.phone and "*" not in address.phone else "",
        address=orders.AddressInput(
            line=(address.full_address or "")[:255],
            ward=ward.code if ward else None,
            province=province.code if province else None,
        ),
    )


def _create_order(connection: ShopConnection, mo: MarketplaceOrder, remote: RemoteOrder):
    lines, unknown = _lines(connection, remote)
    if unknown:
        mo.last_error = (
            _("Not taken in: unknown SKU %(skus)s. Link the listing to a product.")
            % {"skus": ", ".join(unknown)}
        )[:500]
        return None
    discounts = []
    if remote.seller_voucher:
        discounts.append(orders.DiscountInput(amount=remote.seller_voucher, funded_by="seller"))
    if remote.platform_voucher:
        discounts.append(orders.DiscountInput(amount=remote.platform_voucher, funded_by="platform"))
    customer = _customer(remote)
    kwargs = {
        "channel": connection.platform,
        "store": connection.store,
        "external_id": remote.order_id,
        "lines": lines,
        "discounts": discounts,
        # The platform collects from the buyer (card, wallet or its carriers' COD) and pays the
        # seller in its settlement: for us the order is prepaid on the marketplace.
        "payment_method": PaymentMethod.MARKETPLACE_PREPAID,
        "shipping_fee": max(remote.shipping_fee, 0),
        "note": (remote.note or "")[:2000],
        "allow_backorder": True,
    }
    try:
        with transaction.atomic():
            return orders.order_create(customer=customer, **kwargs)
    except Conflict as exc:
        if exc.code != "duplicate_order":
            raise
        return Order.objects.filter(
            channel=connection.platform, external_id=remote.order_id
        ).first()
    except ValidationFailed:
        # A masked or foreign phone, an address we cannot place: keep the name only.
        customer.phone = ""
        customer.address = orders.AddressInput(line=customer.address.line)
        with transaction.atomic():
            return orders.order_create(customer=customer, **kwargs)


def _shipped(order: Order) -> Order:
    if order.status == Status.NEW:
        orders.order_confirm(order=order)
        order.refresh_from_db()
    if order.status == Status.PROCESSING:
        orders.order_follow_shipment(
            order=order, shipment_status="picked", code="marketplace_update", params={}
        )
        order.refresh_from_db()
    return order


def _follow(order: Order, status: OrderStatus, *, platform: str, reason: str = "") -> None:
    """Move our order to where the platform says its order is, through the orders services.
    Steps that do not apply are skipped, never forced."""
    note = {"code": "marketplace_update", "params": {"platform": platform, "status": status.value}}
    if status == OrderStatus.UNPAID or status == OrderStatus.CANCEL_REQUESTED:
        return
    if status == OrderStatus.TO_SHIP:
        if order.status == Status.NEW:
            orders.order_confirm(order=order)
        return
    if status == OrderStatus.READY_TO_SHIP:
        if order.status == Status.NEW:
            order = orders.order_confirm(order=order)
        orders.order_follow_shipment(order=order, shipment_status="ready_to_pick", **note)
        return
    if status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
        if order.status in (Status.NEW, Status.PROCESSING):
            orders.order_cancel(order=order, reason=reason or _("Cancelled on the marketplace."))
        elif order.status == Status.SHIPPING:
            # Cancelled after pickup: the parcel comes back; its goods wait for inspection.
            orders.order_follow_shipment(order=order, shipment_status="returned", **note)
        elif order.status == Status.COMPLETED and status == OrderStatus.RETURNED:
            orders.order_return(order=order, reason=reason or _("Returned on the marketplace."))
        return
    order = _shipped(order)
    if order.status != Status.SHIPPING:
        return
    if status == OrderStatus.SHIPPED:
        orders.order_follow_shipment(order=order, shipment_status="in_transit", **note)
    elif status == OrderStatus.DELIVERY_FAILED:
        orders.order_follow_shipment(order=order, shipment_status="delivery_failed", **note)
    elif status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        orders.order_follow_shipment(order=order, shipment_status="delivered", **note)


def _expected_settlement(mo: MarketplaceOrder) -> int:
    """What the platform should pay for the order: what the buyer paid plus what the platform
    funded, less the shipping fee (it pays the carrier with it) and its fees."""
    return mo.total + mo.platform_voucher - mo.shipping_fee - (mo.platform_fees or 0)


@transaction.atomic
def order_upsert(
    *, connection: ShopConnection, remote: RemoteOrder, source: str
) -> MarketplaceOrder:
    """Take in or update one marketplace order. Idempotent: the same update again changes
    nothing, an older one (out of order) is recorded and ignored, so pushes replayed in any
    order and overlapping polls leave one order with the latest status."""
    try:
        with transaction.atomic():
            mo, _created = MarketplaceOrder.objects.get_or_create(
                connection=connection, external_id=remote.order_id
            )
    except IntegrityError:  # a concurrent upsert created it first
        pass
    mo = MarketplaceOrder.objects.select_for_update().get(
        connection=connection, external_id=remote.order_id
    )
    news = _newer(mo, remote)
    MarketplaceOrderUpdate.objects.create(
        marketplace_order=mo,
        platform_status=remote.platform_status[:40],
        platform_updated_at=remote.updated_at,
        source=source,
        applied=news,
    )
    if not news and mo.order_id:
        return mo
    if news:
        mo.platform_status = remote.platform_status[:40]
        mo.status = remote.status.value
        mo.platform_updated_at = remote.updated_at
        mo.is_cod = remote.is_cod
        mo.total = remote.total
        mo.shipping_fee = remote.shipping_fee
        mo.seller_voucher = remote.seller_voucher
        mo.platform_voucher = remote.platform_voucher
        if remote.platform_fees is not None:
            mo.platform_fees = remote.platform_fees
        mo.expected_settlement = (
            remote.expected_settlement
            if remote.expected_settlement is not None
            else _expected_settlement(mo)
        )
        if remote.tracking_number:
            mo.tracking_number = remote.tracking_number[:60]
        if remote.package_ids:
            mo.package_id = remote.package_ids[0][:64]
        mo.data = remote.raw or {}
    mo.last_error = ""
    status = OrderStatus(mo.status)
    if mo.order_id is None and status not in (OrderStatus.CANCELLED,):
        order = _create_order(connection, mo, remote)
        if order is not None:
            mo.order = order
    if mo.order_id:
        try:
            with transaction.atomic():
                _follow(mo.order, status, platform=connection.platform)
        except DomainError as exc:
            mo.last_error = (
                _("The order could not follow the marketplace (%(status)s): %(reason)s")
                % {"status": mo.platform_status, "reason": exc.message}
            )[:500]
    mo.save()
    if (
        status == OrderStatus.COMPLETED
        and mo.order_id
        and mo.settled_at is None
        and adapter_for(connection).capabilities.settlements
    ):
        enqueue_task("settle_order_task", mo.pk)
    return mo


def order_refresh(*, connection: ShopConnection, order_id: str, source: str) -> MarketplaceOrder:
    """Read one order from the platform (a push is a hint, never the data) and upsert it."""
    adapter = adapter_for(connection)
    found = logged(connection, "get_orders", order_id, lambda: adapter.get_orders([order_id]))
    if not found:
        raise IntegrationError(f"the platform has no order {order_id}", code="not_found")
    return order_upsert(connection=connection, remote=found[0], source=source)


def orders_poll(*, connection: ShopConnection, now=None) -> int:
    """Ask for every order updated since the last poll (with an overlap), in windows the API
    allows, page by page, and upsert each. Returns how many orders were read."""
    if connection.status != ConnectionStatus.CONNECTED:
        return 0
    now = now or timezone.now()
    adapter = adapter_for(connection)
    start = (connection.orders_synced_until or now - FIRST_POLL) - POLL_OVERLAP
    window = timedelta(days=adapter.capabilities.order_window_days or 3650)
    read = 0
    while start < now:
        end = min(start + window, now)
        cursor = ""
        restart = None
        while True:
            page = logged(
                connection,
                "list_orders",
                f"{start:%Y-%m-%d %H:%M}",
                lambda cursor=cursor, start=start, end=end: adapter.list_orders(
                    # Platforms filter to the second: the end is taken one second later.
                    updated_from=start,
                    updated_to=end + timedelta(seconds=1),
                    cursor=cursor,
                ),
            )
            ids = [ref.order_id for ref in page.orders]
            for chunk_start in range(0, len(ids), 50):
                chunk = ids[chunk_start : chunk_start + 50]
                for remote in logged(
                    connection,
                    "get_orders",
                    chunk[0],
                    lambda chunk=chunk: adapter.get_orders(chunk),
                ):
                    order_upsert(connection=connection, remote=remote, source="poll")
                    read += 1
            if page.restart_from and page.orders:
                restart = page.restart_from
                break
            if not page.next_cursor or not page.orders:
                break
            cursor = page.next_cursor
        if restart is not None and start < restart < end:
            # The platform pages no further: the same window again from the newest update read
            # (the orders updated at that second are read twice; the upsert is idempotent).
            start = restart
            continue
        start = end
    connection_record_success(connection, orders_synced_until=now)
    return read


# --- settlements -------------------------------------------------------------------------------


@transaction.atomic
def settlement_record(*, marketplace_order: MarketplaceOrder, settlement: Settlement, actor=None):
    """Record the platform's payout for one order as a payment of it. The payment is what the
    platform accounts for the order: the payout plus what it withheld (its fees and the buyer's
    shipping fee, with which it paid the carrier), the withheld part as the payment's fee; a
    payout as expected makes the order paid in full. A payout that is not what was expected is
    flagged (settlement_difference ≠ 0, a note on the payment). Idempotent."""
    mo = MarketplaceOrder.objects.select_for_update().get(pk=marketplace_order.pk)
    if mo.settled_at is not None or mo.order_id is None:
        return mo
    if mo.platform_fees is None:
        mo.platform_fees = settlement.fees
    mo.expected_settlement = _expected_settlement(mo)
    mo.settlement_amount = settlement.payout
    mo.settlement_fees = settlement.fees
    mo.settlement_difference = settlement.payout - mo.expected_settlement
    mo.settled_at = settlement.settled_at or timezone.now()
    withheld = max(settlement.fees, 0) + max(mo.shipping_fee, 0)
    amount = settlement.payout + withheld
    if amount > 0:
        orders.order_payment_record(
            order=mo.order,
            method=PaymentRecordMethod.MARKETPLACE_SETTLEMENT,
            amount=amount,
            fee=withheld,
            reference=(settlement.reference or f"{mo.connection.platform} {mo.external_id}")[:120],
            paid_on=timezone.localdate(mo.settled_at),
            note=(
                _("Settlement differs from what was expected by %(amount)s ₫.")
                % {"amount": f"{mo.settlement_difference:,}".replace(",", ".")}
                if mo.settlement_difference
                else ""
            ),
            actor=actor,
            check_permission=False,
        )
    mo.save()
    return mo


def order_settle(*, marketplace_order_id: int) -> str:
    """Ask the platform for the payout of a completed order and record it."""
    mo = MarketplaceOrder.objects.select_related("connection").get(pk=marketplace_order_id)
    if mo.settled_at is not None:
        return "done"
    adapter = adapter_for(mo.connection)
    try:
        settlement = logged(
            mo.connection, "settlement", mo.external_id, lambda: adapter.settlement(mo.external_id)
        )
    except Unsupported:
        return "unsupported"
    if settlement is None:
        return "not_yet"
    settlement_record(marketplace_order=mo, settlement=settlement)
    return "settled"
