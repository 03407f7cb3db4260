"""Shipping reads: shipments of an order, outstanding COD, late and failed deliveries."""

from __future__ import annotations

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.utils import timezone

from donhang.core.models import IntegrationCall
from donhang.inventory.models import Warehouse
from donhang.orders.models import Status as OrderStatus
from donhang.orders.models import SubState
from donhang.shipping.carriers.ports import ShipmentStatus
from donhang.shipping.models import (
    MAX_ATTEMPTS,
    CarrierAccount,
    CodPayout,
    CodPayoutLine,
    LabelBatch,
    Shipment,
    ShipmentLine,
)
from donhang.shipping.services._common import STUCK_AFTER
from donhang.shipping.services.requests import order_cod_owed, shipment_plan

TERMINAL = [s.value for s in ShipmentStatus if s.is_terminal]


def cod_outstanding() -> list[dict]:
    """Per carrier account: delivered COD shipments the carrier has not paid us yet."""
    rows = (
        Shipment.objects.filter(
            status=ShipmentStatus.DELIVERED.value, cod_amount__gt=0, cod_paid_at__isnull=True
        )
        .values("account_id")
        .annotate(shipments=Count("id"), amount=Sum("cod_amount"))
        .order_by()
    )
    accounts = CarrierAccount.objects.in_bulk([r["account_id"] for r in rows])
    return [
        {"account": accounts[r["account_id"]], "shipments": r["shipments"], "amount": r["amount"]}
        for r in rows
    ]


def cod_outstanding_parcels(*, limit: int = 1000) -> list[Shipment]:
    """Delivered COD parcels not paid out yet, oldest delivery first, each with `age_days`
    (days since delivery): what the COD page offers to tick for a payout."""
    parcels = list(
        Shipment.objects.filter(
            status=ShipmentStatus.DELIVERED.value, cod_amount__gt=0, cod_paid_at__isnull=True
        )
        .exclude(tracking_code="")
        .select_related("order", "account")
        .order_by("delivered_at", "id")[:limit]
    )
    today = timezone.localdate()
    for parcel in parcels:
        delivered = timezone.localdate(parcel.delivered_at) if parcel.delivered_at else today
        parcel.age_days = (today - delivered).days
    return parcels


def cod_outstanding_total() -> int:
    return sum(r["amount"] for r in cod_outstanding())


def shipments_late() -> QuerySet[Shipment]:
    """Past the carrier's expected delivery time and not finished."""
    return (
        Shipment.objects.exclude(status__in=[*TERMINAL, ShipmentStatus.PENDING.value])
        .filter(expected_delivery_at__lt=timezone.now())
        .select_related("order", "account")
        .order_by("expected_delivery_at")
    )


def cod_short_q() -> Q:
    """Delivered parcels whose order is still waiting for money it should have collected: the
    COD was lowered below what the order owes (a manager's reason), or the carrier's payout
    left the order short."""
    short_payout = Exists(
        CodPayoutLine.objects.filter(shipment=OuterRef("pk"), cod_difference__lt=0)
    )
    return Q(
        status=ShipmentStatus.DELIVERED.value,
        order__status=OrderStatus.SHIPPING,
        order__sub_state=SubState.DELIVERED,
    ) & (~Q(cod_short_reason="") | Q(short_payout))


def shipments_cod_short(*, limit: int = 100) -> list[Shipment]:
    """Delivered parcels whose order is short of COD (see cod_short_q), newest first, each with
    `cod_missing`: what its order still owes."""
    rows = list(
        Shipment.objects.filter(cod_short_q())
        .select_related("order", "account")
        .order_by("-id")[:limit]
    )
    for shipment in rows:
        shipment.cod_missing = order_cod_owed(shipment.order)
    return rows


def shipments_needing_action() -> QuerySet[Shipment]:
    """Failed deliveries (redeliver or return?), shipments the carrier never accepted, those
    stuck in sending (a create call left without an answer for minutes), cancels still
    waiting for the carrier after minutes, and delivered parcels whose order is short of COD."""
    stuck = timezone.now() - STUCK_AFTER
    pending = ShipmentStatus.PENDING.value
    return (
        Shipment.objects.filter(
            Q(status=ShipmentStatus.DELIVERY_FAILED.value)
            | Q(status=pending, last_error__gt="")
            | Q(status=pending, create_outcome="sending", send_started_at__lt=stuck)
            | Q(cancel_requested_at__lt=stuck)
            | cod_short_q()
        )
        .exclude(status=ShipmentStatus.CANCELLED.value)
        .select_related("order", "account")
        .order_by("-id")
    )


def shipments_for_order(order) -> list[Shipment]:
    return list(
        order.shipments.select_related("account", "warehouse")
        .prefetch_related("events", "lines__order_line")
        .order_by("-id")
    )


# --- pages and API --------------------------------------------------------------------------

TRACKING_URLS = {
    "ghn": "https://donhang.ghn.vn/?order_code={code}",
    "viettelpost": "https://viettelpost.com.vn/tra-cuu-hanh-trinh-don/?peopleTracking=sender&orderNumber={code}",
}


def shipment_tracking_url(shipment: Shipment) -> str:
    """The carrier's public tracking page for a shipment (empty before it has a number)."""
    if not shipment.tracking_code:
        return ""
    template = TRACKING_URLS.get(shipment.account.provider, "")
    return template.format(code=shipment.tracking_code) if template else ""


def with_parcels(shipments: QuerySet[Shipment]) -> QuerySet[Shipment]:
    """What a shipment's API answer needs besides itself: its warehouse and lines, and its
    order's live parcels (in `order.live_parcels`), in a fixed number of queries."""
    return shipments.select_related("warehouse").prefetch_related(
        "lines__order_line",
        Prefetch(
            "order__shipments",
            queryset=Shipment.objects.live().only("id", "order_id").order_by("id"),
            to_attr="live_parcels",
        ),
    )


def shipment_list(
    *,
    account_id: int | None = None,
    status: str = "",
    late: bool = False,
    needs_action: bool = False,
    q: str = "",
) -> QuerySet[Shipment]:
    """Shipments for the list page and the API, newest first, filtered."""
    if late:
        shipments = shipments_late()
    elif needs_action:
        shipments = shipments_needing_action()
    else:
        shipments = Shipment.objects.select_related("order", "account").order_by("-id")
    if account_id:
        shipments = shipments.filter(account_id=account_id)
    if status:
        shipments = shipments.filter(status=status)
    q = (q or "").strip()
    if q:
        shipments = shipments.filter(
            Q(tracking_code__iexact=q) | Q(order__code__iexact=q) | Q(reference__iexact=q)
        )
    return shipments.annotate(
        cod_short=Case(When(cod_short_q(), then=True), default=False, output_field=BooleanField())
    )


def shipment_get(*, pk: int) -> Shipment | None:
    return (
        Shipment.objects.select_related("order", "account", "created_by", "warehouse")
        .prefetch_related("events", "lines__order_line")
        .filter(pk=pk)
        .first()
    )


def shipment_integration_calls(shipment: Shipment, *, limit: int = 100) -> list:
    """The carrier calls made for this shipment (create attempts, cancel, label…), newest first."""
    return list(IntegrationCall.objects.filter(reference=shipment.reference)[:limit])


def shipments_by_ids(ids: list[int]) -> list[Shipment]:
    """Shipments in the order of `ids` (the bulk progress page)."""
    found = Shipment.objects.select_related("order", "account").in_bulk(ids)
    return [found[i] for i in ids if i in found]


def shipments_for_labels(ids: list[int]) -> list[Shipment]:
    """Everything a printed label needs, in the order of `ids`, in four queries however many:
    the shipments with their orders' province and ward and the carrier account, the orders'
    lines, the parcels' lines, and the few warehouses they leave from (with ward and province,
    fetched once, not joined to every row)."""
    found = (
        Shipment.objects.select_related(
            "order__shipping_ward", "order__shipping_province", "account"
        )
        .prefetch_related(
            "order__lines", Prefetch("lines", ShipmentLine.objects.select_related("order_line"))
        )
        .in_bulk(ids)
    )
    wanted = {s.warehouse_id for s in found.values()} | {
        s.account.pickup_warehouse_id for s in found.values()
    }
    wanted.discard(None)
    warehouses = (
        Warehouse.objects.select_related("ward", "province").in_bulk(wanted) if wanted else {}
    )
    for shipment in found.values():
        shipment.warehouse = warehouses.get(shipment.warehouse_id)
        shipment.account.pickup_warehouse = warehouses.get(shipment.account.pickup_warehouse_id)
    return [found[i] for i in ids if i in found]


def shipment_ids_for_order_codes(codes: list[str]) -> list[int]:
    """The latest active shipment of each order (bulk label printing from the order list)."""
    latest: dict[int, int] = {}
    for shipment_id, order_id in (
        Shipment.objects.filter(order__code__in=codes)
        .exclude(status=ShipmentStatus.CANCELLED.value)
        .order_by("order_id", "-id")
        .values_list("id", "order_id")
    ):
        latest.setdefault(order_id, shipment_id)
    return list(latest.values())


def shipments_for_order_codes(codes: list[str]) -> list[Shipment]:
    return shipments_for_labels(shipment_ids_for_order_codes(codes))


def label_batch_get(*, pk: int) -> LabelBatch | None:
    return LabelBatch.objects.filter(pk=pk).first()


def carrier_account_list(*, active_only: bool = False) -> QuerySet[CarrierAccount]:
    accounts = CarrierAccount.objects.select_related("pickup_warehouse")
    return accounts.filter(is_active=True) if active_only else accounts


def carrier_account_get(*, pk: int) -> CarrierAccount | None:
    return CarrierAccount.objects.select_related("pickup_warehouse").filter(pk=pk).first()


def cod_payout_list() -> QuerySet:
    return (
        CodPayout.objects.select_related("account", "created_by")
        .annotate(
            line_count=Count("lines"),
            cod_total=Sum("lines__cod_amount"),
            fee_total=Sum("lines__fee"),
            problem_count=Count("lines", filter=~Q(lines__problem="")),
        )
        .order_by("-paid_at", "-id")
    )


def cod_payout_get(*, pk: int):
    return (
        CodPayout.objects.select_related("account", "created_by")
        .prefetch_related("lines__shipment__order")
        .filter(pk=pk)
        .first()
    )


def shipment_send_state(shipment: Shipment) -> str:
    """Where sending to the carrier stands: "created" (it has answered), "sending" (tasks still
    trying), "cancel_requested" (the cancel waits for the carrier's answer to the create),
    "stuck" (a create call left without an answer for minutes: retry) or "failed" (it refused,
    or every attempt failed: retry by hand)."""
    if shipment.status == ShipmentStatus.CANCELLED.value:
        return "created" if shipment.tracking_code else "cancelled"
    if shipment.cancel_requested_at:
        return "cancel_requested"
    if shipment.tracking_code or shipment.status != ShipmentStatus.PENDING.value:
        return "created"
    if shipment.last_error and shipment.attempts >= MAX_ATTEMPTS:
        return "failed"
    if (
        shipment.create_outcome == Shipment.CreateOutcome.SENDING
        and shipment.send_started_at
        and shipment.send_started_at < timezone.now() - STUCK_AFTER
    ):
        return "stuck"
    return "sending"


def shipment_can_retry(shipment: Shipment) -> bool:
    """Retry by hand: a sending that gave up or is stuck (a cancel waiting on it included)."""
    if shipment.tracking_code or shipment.status != ShipmentStatus.PENDING.value:
        return False
    gave_up = bool(shipment.last_error) and shipment.attempts >= MAX_ATTEMPTS
    stuck = (
        shipment.create_outcome == Shipment.CreateOutcome.SENDING
        and shipment.send_started_at is not None
        and shipment.send_started_at < timezone.now() - STUCK_AFTER
    )
    return gave_up or stuck


def shipment_can_cancel(shipment: Shipment) -> bool:
    status = shipment.status_enum
    return (
        not status.is_terminal
        and not status.carrier_has_parcel
        and not shipment.cancel_requested_at
    )


def shipment_parcel_plan(order) -> list[dict]:
    """How the order would ship now: one parcel per warehouse holding its stock, with what
    each holds (the create page says so before anything is sent)."""
    return [
        {
            "warehouse": parcel.warehouse,
            "lines": [{"sku": ln.sku, "name": ln.name, "quantity": q} for ln, q in parcel.lines],
        }
        for parcel in shipment_plan(order)
    ]


def order_shipping_panel(order) -> dict:
    """The order page's shipping card: its shipments (newest first, with events), whether a
    carrier is set up, and whether a new shipment may be created now."""
    shipments = shipments_for_order(order)
    for shipment in shipments:
        shipment.tracking_url = shipment_tracking_url(shipment)
        shipment.state = shipment_send_state(shipment)
        shipment.can_cancel = shipment_can_cancel(shipment)
        shipment.can_retry = shipment_can_retry(shipment)
    has_open = any(s.is_active for s in shipments)
    live = [s for s in shipments if s.is_active]
    return {
        "shipments": shipments,
        "parcels": len(live),
        "has_carriers": CarrierAccount.objects.filter(is_active=True).exists(),
        "has_open": has_open,
    }
