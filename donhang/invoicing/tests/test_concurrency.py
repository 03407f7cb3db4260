"""Issuing at the same moment from several requests (a double click, a retrying client): one
invoice here and one at the provider. Real threads, each with its own database connection."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from donhang.accounts.services import api_key_create
from donhang.invoicing.models import Invoice

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

REQUESTS = 6


def test_concurrent_issue_requests_make_one_invoice(
    sinvoice_template, sinvoice_emulator, make_order
):
    order = make_order()
    _key, raw = api_key_create(name="erp", role="accountant")
    barrier = threading.Barrier(REQUESTS)

    def one(_i):
        try:
            client = Client(headers={"Authorization": f"Bearer {raw}"})
            barrier.wait(timeout=30)
            response = client.post(
                f"/api/v1/orders/{order.code}/invoice", {}, content_type="application/json"
            )
            return response.status_code, response.json().get("id")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        answers = list(pool.map(one, range(REQUESTS)))

    assert sorted(status for status, _id in answers) == [200] * (REQUESTS - 1) + [202]
    assert len({invoice_id for _status, invoice_id in answers}) == 1
    invoice = Invoice.objects.get()
    assert invoice.state == "issued", invoice.last_error
    assert len(sinvoice_emulator.all_invoices()) == 1
