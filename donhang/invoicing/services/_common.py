"""Shared pieces of the invoicing services: tasks after commit, events, the adapter."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from donhang.core.audit import actor_label, actor_user
from donhang.core.errors import ValidationFailed
from donhang.core.integrations import log_call
from donhang.invoicing.drafting import seller_of
from donhang.invoicing.models import Invoice, InvoiceAccount, InvoiceEvent
from donhang.invoicing.registry import build_adapter
from donhang.orders.models import OrderEvent

# An issue call without an answer for this long: its worker died (the task lease brings the
# task back) or the provider hangs; the invoice shows Retry (which looks it up first).
STUCK_AFTER = timedelta(minutes=5)


def enqueue_task(name: str, *args, delay: timedelta | None = None, at_commit: bool = True) -> None:
    """Enqueue one of donhang.invoicing.tasks once the current transaction commits (at once
    with `at_commit=False`: a task scheduling its own next attempt). Named, not imported: the
    tasks call these services, not the other way round."""

    def send():
        task = import_string(f"donhang.invoicing.tasks.{name}")
        if delay and getattr(task.get_backend(), "supports_defer", False):
            task = task.using(run_after=timezone.now() + delay)
        task.enqueue(*args)

    if at_commit:
        transaction.on_commit(send)
    else:
        send()


def invoice_event(invoice: Invoice, code: str, params: dict | None = None, *, actor=None):
    """A line of the invoice's history and, for what matters to the order, of its timeline."""
    params = {"symbol": invoice.symbol, "number": invoice.number, **(params or {})}
    InvoiceEvent.objects.create(
        invoice=invoice,
        code=code,
        params=params,
        actor=actor_user(actor),
        actor_label=actor_label(actor)[:150],
    )
    if code in ORDER_TIMELINE:
        OrderEvent.objects.create(
            order_id=invoice.order_id,
            kind=OrderEvent.Kind.NOTE,
            code=f"invoice_{code}",
            params={**params, "purpose": invoice.purpose},
            actor=actor_user(actor),
            actor_label=actor_label(actor)[:150],
        )


ORDER_TIMELINE = {"requested", "issued", "failed", "coded", "rejected", "replaced", "adjusted"}


def _store_token(account_id: int):
    def store(token: str, expires_at: float) -> None:
        with transaction.atomic():
            account = InvoiceAccount.objects.select_for_update().get(pk=account_id)
            credentials = account.credentials
            credentials["token"], credentials["token_expires_at"] = token, expires_at
            account.credentials = credentials
            account.save(update_fields=["credentials_encrypted"])

    return store


def adapter_for(account: InvoiceAccount, *, seller_tax_code: str | None = None):
    """The provider adapter of an account; the seller's tax code is the shop profile's."""
    tax_code = seller_tax_code if seller_tax_code is not None else seller_of().tax_code
    if not tax_code:
        raise ValidationFailed(
            _("The shop's tax code is missing."),
            fields={"seller_tax_code": _("Enter it in the shop profile first.")},
        )
    return build_adapter(
        provider=account.provider,
        environment=account.environment,
        base_url=account.base_url,
        credentials=account.credentials,
        options=account.options,
        seller_tax_code=tax_code,
        on_token=_store_token(account.pk),
    )


def log(invoice: Invoice, operation: str, attempt: int, started: float, *, error="", detail=None):
    log_call(
        service=invoice.account.provider,
        operation=operation,
        reference=invoice.reference,
        attempt=attempt,
        ok=not error,
        error=error,
        started=started,
        detail=detail,
    )
