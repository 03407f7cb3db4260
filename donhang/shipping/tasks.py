"""Background work of shipping: send shipments (retried with backoff), process webhooks, poll
tracking, notify customers. Each task loads by id and calls a service; all are idempotent."""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from donhang.core.integrations import DEFAULT_RETRY

logger = logging.getLogger(__name__)


def _enqueue_later(task_obj, delay, *args):
    backend = task_obj.get_backend()
    if getattr(backend, "supports_defer", False):
        return task_obj.using(run_after=timezone.now() + delay).enqueue(*args)
    return task_obj.enqueue(*args)  # immediate backends (tests): the next attempt runs now


@task()
def create_shipment_task(shipment_id: int, attempt: int = 1) -> str:
    from donhang.shipping.services import shipment_submit

    outcome = shipment_submit(shipment_id=shipment_id, attempt=attempt)
    if outcome == "retry":
        _enqueue_later(create_shipment_task, DEFAULT_RETRY.delay(attempt), shipment_id, attempt + 1)
    return outcome


@task()
def process_webhook_task(delivery_id: int) -> None:
    from donhang.shipping.services import webhook_process

    webhook_process(delivery_id=delivery_id)


@task()
def poll_shipments_task() -> int:
    from donhang.shipping.services import shipment_poll, shipments_due_for_polling

    done = 0
    for shipment in shipments_due_for_polling()[:200]:
        done += shipment_poll(shipment=shipment)
    return done


@task()
def notify_customer_task(shipment_id: int, kind: str) -> bool:
    from donhang.shipping.notifications import notify_customer

    return notify_customer(shipment_id=shipment_id, kind=kind)
