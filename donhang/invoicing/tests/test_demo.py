"""The demo: an invoice account on each emulator, a template on each, invoices of a few shipped
or completed orders (drafts here: the tests have no worker), one click from issued."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from donhang.core.integrations import register_transport
from donhang.invoicing import services
from donhang.invoicing.models import Invoice, InvoiceAccount, InvoiceTemplate
from emulators.common import Clock, FaultyTransport
from emulators.misa import MisaEmulator
from emulators.sinvoice import SInvoiceEmulator

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_emulators():
    sinvoice = SInvoiceEmulator(clock=Clock(timezone.now()))
    misa = MisaEmulator(clock=Clock(timezone.now()))
    urls = {
        "http://127.0.0.1:8711": sinvoice,
        "http://127.0.0.1:8712/api/integration": misa,
    }
    for url, emulator in urls.items():
        register_transport(url, FaultyTransport(emulator.wsgi_app, emulator.faults))
    yield sinvoice, misa
    for url in urls:
        register_transport(url, None)


def test_demo_has_an_account_on_each_emulator_and_invoices(demo_emulators, committed):
    call_command("load_demo", verbosity=0)
    call_command("load_demo", verbosity=0)  # safe to run again

    assert set(InvoiceAccount.objects.values_list("provider", flat=True)) == {"sinvoice", "misa"}
    assert InvoiceTemplate.objects.count() == 2
    invoices = list(Invoice.objects.select_related("account", "order"))
    assert len(invoices) == 3
    assert {i.account.provider for i in invoices} == {"sinvoice", "misa"}
    assert all(i.state == "draft" for i in invoices)

    for invoice in invoices:
        with committed():
            services.invoice_submit_draft(invoice=invoice)
        invoice.refresh_from_db()
        assert invoice.state == "issued", invoice.last_error
        assert invoice.number
