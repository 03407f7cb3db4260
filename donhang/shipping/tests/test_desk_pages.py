"""The shipping pages at the desk: COD payouts from the parcels listed (no retyping), carrier
events in words and shown once, the order found by its tracking number."""

import pytest
from django.urls import reverse

from donhang.accounts.services import user_create
from donhang.orders.models import Status
from donhang.shipping import services
from donhang.shipping.demo import load_demo_carriers
from donhang.shipping.models import CodPayout, ShipmentEvent
from donhang.shipping.tests.test_views import _client, _delivered


@pytest.fixture
def owner(db):
    return _client("owner")


@pytest.fixture
def two_delivered(ghn_account, ghn, packed_order, committed):
    shipments = []
    for _ in range(2):
        order = packed_order(quantity=1, price=165_000, fee=30_000)
        with committed():
            shipment = services.shipment_create(order=order, account=ghn_account)
        shipment.refresh_from_db()
        shipments.append(_delivered(ghn, shipment, committed))
    return shipments


def test_the_cod_page_lists_outstanding_parcels_and_records_a_payout_of_the_ticked_ones(
    ghn_account, two_delivered
):
    accountant = _client("accountant")
    first, second = two_delivered

    page = accountant.get(reverse("shipping:cod")).text
    # Each outstanding parcel, with its amount and its age in days
    assert f'data-shipment="{first.pk}"' in page
    assert f'data-shipment="{second.pk}"' in page
    assert first.tracking_code in page
    assert "195,000" in page or "195.000" in page  # 165.000 + 30.000 COD
    assert 'class="text-end parcel-age">0<' in page
    assert "data-confirm=" in page  # recording a payout asks first

    # When one is ticked and the payout recorded
    response = accountant.post(
        reverse("shipping:payout_from_outstanding"),
        {"account": ghn_account.pk, "shipments": [first.pk], "paid_at": "2026-03-02"},
    )

    # Then a payout of that parcel, nothing retyped, and the order is paid
    assert response.status_code == 302
    payout = CodPayout.objects.get()
    line = payout.lines.get()
    assert line.shipment_id == first.pk
    assert line.cod_amount == first.cod_amount
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.cod_paid_at is not None
    assert second.cod_paid_at is None
    assert first.order.status == Status.COMPLETED or first.order.payment_status == "paid"
    page = accountant.get(reverse("shipping:cod")).text
    assert f'data-shipment="{first.pk}"' not in page
    assert f'data-shipment="{second.pk}"' in page


def test_nothing_ticked_records_nothing_and_other_roles_may_not(ghn_account, two_delivered):
    accountant = _client("accountant")
    response = accountant.post(
        reverse("shipping:payout_from_outstanding"), {"account": ghn_account.pk}
    )
    assert response.status_code == 302
    assert not CodPayout.objects.exists()
    sales = _client("sales")
    response = sales.post(
        reverse("shipping:payout_from_outstanding"),
        {"account": ghn_account.pk, "shipments": [two_delivered[0].pk]},
    )
    assert response.status_code == 403
    assert not CodPayout.objects.exists()
    # A date that does not exist is today, not a server error
    response = accountant.post(
        reverse("shipping:payout_from_outstanding"),
        {"account": ghn_account.pk, "shipments": [two_delivered[0].pk], "paid_at": "2026-02-31"},
    )
    assert response.status_code == 302


def test_carrier_events_read_as_words_and_a_status_told_twice_shows_once(
    ghn_account, two_delivered, owner
):
    shipment = two_delivered[0]
    last = shipment.events.order_by("at", "id").last()
    # The same status again, from a poll
    ShipmentEvent.objects.create(
        shipment=shipment,
        at=last.at,
        carrier_status=last.carrier_status,
        status=last.status,
        source="poll",
        applied=False,
    )
    html = owner.get(reverse("shipping:shipment_detail", args=[shipment.pk])).text
    events = html[html.index('id="events"') : html.index('id="calls"')]
    assert ">webhook<" not in events and ">poll<" not in events and ">api<" not in events
    assert "<code>" not in events  # no carrier codes such as ready_to_pick as text
    assert "carrier&#x27;s notice" in events or "carrier's notice" in events
    assert "checked with the carrier" in events
    assert events.count("Delivered</span>") == 1

    # The order's timeline says it in words too, in the reader's language
    order_page = owner.get(reverse("orders:order_detail", args=[shipment.order.code])).text
    timeline = order_page[order_page.index('id="timeline"') :]
    assert "ready_to_pick" not in timeline
    assert "Shipment" in timeline


def test_the_order_list_and_the_top_search_find_an_order_by_tracking_number(two_delivered, owner):
    shipment = two_delivered[1]
    listed = owner.get(reverse("orders:order_list"), {"q": shipment.tracking_code})
    assert [o.code for o in listed.context["page"].orders] == [shipment.order.code]
    found = owner.get(reverse("orders:find"), {"q": shipment.tracking_code})
    assert found.status_code == 302
    assert found.url == reverse("orders:order_detail", args=[shipment.order.code])


def test_the_demo_carrier_accounts_follow_the_emulator_port_settings(
    settings, warehouse, monkeypatch
):
    monkeypatch.delenv("DEMO_GHN_URL", raising=False)
    monkeypatch.delenv("DEMO_VTP_URL", raising=False)
    settings.CARRIER_EMULATOR_PORTS = {"ghn": 9701, "viettelpost": 9702}
    owner = user_create(username="chu-demo", password="mat-khau-123", role="owner")
    accounts = {a.provider: a for a in load_demo_carriers(actor=owner, pickup_warehouse=warehouse)}
    assert accounts["ghn"].base_url == "http://127.0.0.1:9701"
    assert accounts["viettelpost"].base_url == "http://127.0.0.1:9702"
