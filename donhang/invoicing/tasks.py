"""Background work of invoicing: issue invoices (retried with backoff), follow them up (the
tax authority's code, the PDF, the email), issue automatically. Each task loads by id and calls
a service, and is safe to run twice: tasks hold a lease (donhang.core.leases), and one whose
worker died is run again by the scheduler."""

from __future__ import annotations

from donhang.core.integrations import DEFAULT_RETRY
from donhang.core.leases import leased_task
from donhang.invoicing import services
from donhang.invoicing.models import MAX_ATTEMPTS
from donhang.invoicing.services._common import enqueue_task


@leased_task
def issue_invoice_task(invoice_id: int, attempt: int = 1) -> str:
    outcome = services.invoice_submit(invoice_id=invoice_id, attempt=attempt)
    if outcome == "retry" and attempt < MAX_ATTEMPTS:
        enqueue_task(
            "issue_invoice_task",
            invoice_id,
            attempt + 1,
            delay=DEFAULT_RETRY.delay(attempt),
            at_commit=False,
        )
    return outcome


@leased_task
def finish_invoice_task(invoice_id: int) -> str:
    return services.invoice_finish(invoice_id=invoice_id)


@leased_task
def follow_up_invoices_task() -> int:
    """The scheduler's job: invoices waiting for the authority's code or their PDF."""
    done = 0
    for invoice_id in services.invoices_to_follow_up():
        done += services.invoice_finish(invoice_id=invoice_id) == "done"
    return done


@leased_task
def auto_issue_invoice_task(order_id: int) -> int | None:
    invoice = services.invoice_auto_issue(order_id=order_id)
    return invoice.pk if invoice else None
