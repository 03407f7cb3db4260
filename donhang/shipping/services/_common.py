"""Shared pieces of the shipping services."""

from __future__ import annotations

from django.db import transaction

from donhang.shipping.models import (
    Shipment,
)

MAX_ATTEMPTS = 5


def _notify(shipment: Shipment, kind: str) -> None:
    from donhang.shipping.tasks import notify_customer_task

    transaction.on_commit(lambda: notify_customer_task.enqueue(shipment.pk, kind))
