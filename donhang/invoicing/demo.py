"""Demo e-invoicing: an account on each provider's emulator (started by `make run`), a VAT
template on each, and a few issued invoices.

The emulators listen once `make run` has started them, after the demo is loaded: the demo's
invoices are saved at once and issued by the background worker when it starts (retried with
backoff until the emulators answer). With no worker (the immediate task backend of the tests),
they stay drafts, one click from issued. DEMO_SINVOICE_URL / DEMO_MISA_URL override the
emulators' addresses."""

from __future__ import annotations

import os

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task_backends

from donhang.invoicing import services
from donhang.invoicing.models import Invoice, InvoiceAccount, InvoiceTemplate
from donhang.orders.models import Order, Status

DEMO_ORDERS = ("DEMO-004", "DEMO-005", "DEMO-010")


def _account(provider, name, url, credentials, actor) -> InvoiceAccount:
    existing = InvoiceAccount.objects.filter(provider=provider, name=name).first()
    if existing is not None:
        return existing
    return services.invoice_account_save(
        provider=provider,
        name=name,
        environment="emulator",
        base_url=url,
        credentials=credentials,
        actor=actor,
    )


def _template(account, template_code, series, *, default, actor) -> InvoiceTemplate:
    existing = InvoiceTemplate.objects.filter(
        account=account, template_code=template_code, series=series
    ).first()
    if existing is not None:
        return existing
    return services.invoice_template_save(
        account=account,
        kind="vat",
        template_code=template_code,
        series=series,
        is_default=default,
        actor=actor,
    )


def load_demo_invoicing(*, actor) -> list[Invoice]:
    """Accounts, templates (this year's series) and invoices for a few shipped or completed
    demo orders. Safe to run again."""
    yy = timezone.localdate().year % 100
    ports = {"sinvoice": 8711, "misa": 8712, **getattr(settings, "INVOICE_EMULATOR_PORTS", {})}
    sinvoice = _account(
        "sinvoice",
        "Viettel S-Invoice (demo)",
        os.environ.get("DEMO_SINVOICE_URL", f"http://127.0.0.1:{ports['sinvoice']}"),
        {"username": "0107654326", "password": "demo-password"},
        actor,
    )
    misa = _account(
        "misa",
        "MISA meInvoice (demo)",
        os.environ.get("DEMO_MISA_URL", f"http://127.0.0.1:{ports['misa']}/api/integration"),
        {"app_id": "demo-misa-appid", "username": "demo@donhang.vn", "password": "demo-password"},
        actor,
    )
    sinvoice_template = _template(sinvoice, "1/001", f"C{yy}TAA", default=True, actor=actor)
    misa_template = _template(misa, "1", f"C{yy}TAA", default=False, actor=actor)
    if Invoice.objects.exists():
        return []
    # With the immediate backend (no worker: the tests) a task would run now, before
    # `make run` has started the emulators: the invoices stay drafts instead.
    worker = bool(getattr(task_backends["default"], "supports_defer", False))
    created = []
    orders = Order.objects.filter(
        external_id__in=DEMO_ORDERS, status__in=[Status.SHIPPING, Status.COMPLETED]
    ).order_by("external_id")
    for i, order in enumerate(orders):
        template = misa_template if i % 2 else sinvoice_template
        with transaction.atomic():
            invoice, _started = services.invoice_issue(
                order=order, template=template, hold=not worker, actor=actor
            )
        created.append(invoice)
    return created
