"""Shared pieces of the shipping services."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from donhang.shipping.models import MAX_ATTEMPTS, Shipment

__all__ = ["MAX_ATTEMPTS", "_notify", "enqueue_task"]

# A create call without an answer for this long: its worker died (the task lease brings the
# task back) or the carrier hangs; the shipment shows under "needs action" with Retry.
STUCK_AFTER = timedelta(minutes=5)


def enqueue_task(name: str, *args, delay: timedelta | None = None, at_commit: bool = True) -> None:
    """Enqueue one of donhang.shipping.tasks once the current transaction commits (at once
    outside one, or with `at_commit=False`: a task scheduling its own next attempt). Named, not
    imported: the tasks call these services, not the other way round."""

    def send():
        task = import_string(f"donhang.shipping.tasks.{name}")
        if delay and getattr(task.get_backend(), "supports_defer", False):
            task = task.using(run_after=timezone.now() + delay)
        task.enqueue(*args)

    if at_commit:
        transaction.on_commit(send)
    else:
        send()


def _notify(shipment: Shipment, kind: str) -> None:
    enqueue_task("notify_customer_task", shipment.pk, kind)
