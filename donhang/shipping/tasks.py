"""Background work of shipping: send shipments (retried with backoff), finish cancels, process
webhooks, poll tracking, notify customers. Each task loads by id and calls a service, and is
safe to run twice: tasks hold a lease (donhang.core.leases), and one whose worker died is run
again by the scheduler."""

from __future__ import annotations

import logging
import tempfile

from django.core.files import File

from donhang.core.integrations import DEFAULT_RETRY
from donhang.core.leases import leased_task
from donhang.shipping import selectors, services
from donhang.shipping.labels import render_labels_to
from donhang.shipping.models import MAX_ATTEMPTS, LabelBatch
from donhang.shipping.notifications import notify_customer
from donhang.shipping.services._common import enqueue_task

logger = logging.getLogger(__name__)


@leased_task
def create_shipment_task(shipment_id: int, attempt: int = 1) -> str:
    outcome = services.shipment_submit(shipment_id=shipment_id, attempt=attempt)
    if outcome == "retry":
        enqueue_task(
            "create_shipment_task",
            shipment_id,
            attempt + 1,
            delay=DEFAULT_RETRY.delay(attempt),
            at_commit=False,
        )
    return outcome


@leased_task
def cancel_shipment_task(shipment_id: int, attempt: int = 1, tracking_code: str = "") -> str:
    """Finish a requested cancel (the create has answered, or the carrier was silent), or
    cancel at the carrier the parcel `tracking_code` created after its shipment was cancelled."""
    if tracking_code:
        outcome = services.shipment_cancel_stray(
            shipment_id=shipment_id, tracking_code=tracking_code
        )
    else:
        outcome = services.shipment_cancel_resolve(shipment_id=shipment_id)
    if outcome == "retry" and attempt < MAX_ATTEMPTS:
        enqueue_task(
            "cancel_shipment_task",
            shipment_id,
            attempt + 1,
            tracking_code,
            delay=DEFAULT_RETRY.delay(attempt),
            at_commit=False,
        )
    return outcome


@leased_task
def process_webhook_task(delivery_id: int) -> None:
    services.webhook_process(delivery_id=delivery_id)


@leased_task
def poll_shipments_task() -> int:
    done = 0
    for shipment in services.shipments_due_for_polling()[:200]:
        done += services.shipment_poll(shipment=shipment)
    return done


@leased_task
def notify_customer_task(shipment_id: int, kind: str) -> bool:
    return notify_customer(shipment_id=shipment_id, kind=kind)


LABEL_CHUNK = 500  # shipments read and drawn at a time (a few queries each)


@leased_task
def render_label_batch_task(batch_id: int) -> int:
    """Draw a label batch chunk by chunk into a temporary file, then store it; the batch's
    `done` follows along for the page. Run again (after a crash), it starts over."""
    batch = LabelBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.state == LabelBatch.State.DONE:
        return 0
    services.label_batch_started(batch=batch)
    ids = list(batch.shipment_ids)
    chunks = (
        selectors.shipments_for_labels(ids[i : i + LABEL_CHUNK])
        for i in range(0, len(ids), LABEL_CHUNK)
    )
    try:
        with tempfile.TemporaryFile() as out:
            done = render_labels_to(
                out,
                chunks,
                size=batch.size,
                progress=lambda n: services.label_batch_progress(batch=batch, done=n),
            )
            out.seek(0)
            services.label_batch_finish(batch=batch, pdf=File(out))
    except Exception as exc:
        logger.exception("label batch %s failed", batch_id)
        services.label_batch_fail(batch=batch, error=str(exc))
        raise
    return done
