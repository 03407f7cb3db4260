"""Shipping reads: shipments of an order, outstanding COD, late and failed deliveries."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from donhang.shipping.carriers.ports import ShipmentStatus
from donhang.shipping.models import CarrierAccount, Shipment

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


def shipments_needing_action() -> QuerySet[Shipment]:
    """Failed deliveries (redeliver or return?) and shipments the carrier never accepted."""
    return (
        Shipment.objects.filter(
            Q(status=ShipmentStatus.DELIVERY_FAILED.value)
            | Q(status=ShipmentStatus.PENDING.value, last_error__gt="")
        )
        .select_related("order", "account")
        .order_by("-id")
    )


def shipments_for_order(order) -> list[Shipment]:
    return list(
        order.shipments.select_related("account").prefetch_related("events").order_by("-id")
    )
