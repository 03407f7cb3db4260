"""Issue 9: cost prices are for roles with catalog.view_cost. Shipping shows none: no page, API
answer, label or statement of shipping may print a variant's cost, to any role (a guard: a
page that starts showing it must check the permission)."""

import subprocess
import tempfile

import pytest
from django.test import Client
from django.urls import reverse

from donhang.accounts.services import api_key_create, user_create
from donhang.shipping import services

pytestmark = pytest.mark.django_db

COST = 87_654  # no other amount of the order looks like it
SPELLINGS = ("87.654", "87,654", "87654")


def _text(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        return subprocess.run(
            ["pdftotext", f.name, "-"], capture_output=True, text=True, check=True
        ).stdout


@pytest.mark.parametrize("role", ["warehouse", "sales"])
def test_no_shipping_page_or_answer_shows_a_cost_price(
    role, ghn_account, ghn, packed_order, committed
):
    owner = user_create(username="cost-owner", password="mat-khau-dai-2026", role="owner")
    user = user_create(username=f"cost-{role}", password="mat-khau-dai-2026", role=role)
    _row, key = api_key_create(name=f"cost {role}", role=role, actor=owner)
    packing = packed_order(cost=COST)
    shipped = packed_order(cost=COST)
    with committed():
        shipment = services.shipment_create(order=shipped, account=ghn_account)
    shipment.refresh_from_db()
    page, api = Client(), Client(headers={"Authorization": f"Bearer {key}"})
    page.force_login(user)

    answers = [
        page.get(reverse("shipping:shipment_create", args=[packing.code])),
        page.get(reverse("shipping:shipment_list")),
        page.get(reverse("shipping:shipment_list"), {"tab": "action"}),
        page.get(reverse("shipping:shipment_detail", args=[shipment.pk])),
        page.get(reverse("orders:order_detail", args=[shipped.code])),
        api.get(f"/api/v1/shipments/{shipment.pk}"),
        api.get("/api/v1/shipments"),
        api.get(f"/api/v1/orders/{packing.code}/shipping-quotes"),
    ]
    label = page.get(reverse("shipping:labels_pdf"), {"ids": shipment.pk, "size": "A6"})

    texts = [a.content.decode() for a in answers if a.status_code == 200]
    if label.status_code == 200:
        texts.append(_text(label.content))
    assert texts  # every role sees some of them
    for text in texts:
        assert not any(spelling in text for spelling in SPELLINGS)
