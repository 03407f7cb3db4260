"""Work that never sticks (issue 8): a shipment stuck in "sending" shows under "needs action"
with Retry (for those who may send shipments), and every create follows one rule: intent
recorded, call, answer recorded; on doubt, looked up by our reference before calling again."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from donhang.accounts.services import user_create
from donhang.core.errors import Conflict
from donhang.core.models import IntegrationCall
from donhang.orders.models import SubState
from donhang.shipping import selectors, services
from donhang.shipping.models import Shipment

pytestmark = pytest.mark.django_db


def _client(role: str) -> Client:
    client = Client()
    client.cookies["donhang_language"] = "en"
    client.force_login(user_create(username=f"u-{role}", password="mat-khau-123", role=role))
    return client


def _stuck(shipment, minutes=10):
    """What a worker killed mid-call leaves: the intent recorded, no answer, for minutes."""
    Shipment.objects.filter(pk=shipment.pk).update(
        create_outcome="sending", send_started_at=timezone.now() - timedelta(minutes=minutes)
    )
    shipment.refresh_from_db()
    return shipment


def test_the_intent_is_recorded_before_the_call_and_the_answer_after(
    ghn_account, ghn, packed_order, staff
):
    shipment = services.shipment_create(order=packed_order(), account=ghn_account, actor=staff)
    seen = {}
    create = ghn.wsgi_app.routes["/shiip/public-api/v2/shipping-order/create"]

    def spy(request):
        seen["during"] = Shipment.objects.values("create_outcome", "send_started_at").get(
            pk=shipment.pk
        )
        return create[1](request)

    ghn.wsgi_app.routes["/shiip/public-api/v2/shipping-order/create"] = (create[0], spy)

    assert services.shipment_submit(shipment_id=shipment.pk, attempt=1) == "done"

    shipment.refresh_from_db()
    assert seen["during"]["create_outcome"] == "sending" and seen["during"]["send_started_at"]
    assert (shipment.create_outcome, shipment.send_started_at) == ("created", None)


def test_a_shipment_stuck_in_sending_needs_action_and_retry_creates_it_once(
    ghn_account, ghn, packed_order, staff, committed
):
    # Given a create that reached GHN, whose worker died before recording the answer
    order = packed_order()
    ghn.faults.timeout_next(1, after=True, paths=["shipping-order/create"])
    shipment = services.shipment_create(order=order, account=ghn_account, actor=staff)
    services.shipment_submit(shipment_id=shipment.pk, attempt=1)
    shipment = _stuck(shipment)
    assert len(ghn.orders) == 1

    # Then it shows under "needs action", with Retry for those who may send shipments
    owner = _client("owner")
    listing = owner.get(reverse("shipping:shipment_list"), {"tab": "action"}).text
    assert f'data-shipment="{shipment.pk}"' in listing
    assert 'data-state="stuck"' in listing
    assert reverse("shipping:shipment_retry", args=[shipment.pk]) in listing
    sales = _client("sales")
    assert (
        reverse("shipping:shipment_retry", args=[shipment.pk])
        not in sales.get(reverse("shipping:shipment_list"), {"tab": "action"}).text
    )
    assert sales.post(reverse("shipping:shipment_retry", args=[shipment.pk])).status_code == 403

    # When the owner retries
    with committed():
        response = owner.post(reverse("shipping:shipment_retry", args=[shipment.pk]))
    assert response.status_code == 302

    # Then GHN's parcel was found by our reference: one parcel, the order moves on
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert len(ghn.orders) == 1
    assert shipment.tracking_code == next(iter(ghn.orders))
    assert order.sub_state == SubState.READY_TO_SHIP
    assert shipment not in selectors.shipments_needing_action()
    assert IntegrationCall.objects.filter(reference=shipment.reference, operation="find").exists()


def test_a_shipment_still_being_sent_is_not_retried(ghn_account, ghn, packed_order, staff):
    shipment = services.shipment_create(order=packed_order(), account=ghn_account, actor=staff)
    shipment = _stuck(shipment, minutes=0)

    assert selectors.shipment_send_state(shipment) == "sending"
    assert shipment not in selectors.shipments_needing_action()
    with pytest.raises(Conflict):
        services.shipment_retry(shipment=shipment, actor=staff)


def test_a_staff_retry_after_a_lost_answer_never_makes_a_second_viettel_post_parcel(
    vtp_account, vtp, packed_order, staff, committed
):
    # Viettel Post has no lookup: the create is resent under the same reference
    order = packed_order()
    vtp.faults.timeout_next(1, after=True, paths=["createOrder"])
    shipment = services.shipment_create(order=order, account=vtp_account, actor=staff)
    services.shipment_submit(shipment_id=shipment.pk, attempt=1)
    shipment = _stuck(shipment)

    with committed():
        services.shipment_retry(shipment=shipment, actor=staff)

    shipment.refresh_from_db()
    assert len(vtp.orders) == 1 and shipment.tracking_code == next(iter(vtp.orders))


def test_an_order_whose_send_may_have_reached_the_carrier_gets_no_second_shipment(
    ghn_account, ghn, packed_order, staff
):
    # Given every attempt timed out after GHN may have made the parcel (given up)
    order = packed_order()
    shipment = services.shipment_create(order=order, account=ghn_account, actor=staff)
    Shipment.objects.filter(pk=shipment.pk).update(
        create_outcome="unknown", attempts=services.MAX_ATTEMPTS, last_error="timeout"
    )

    # Then a new shipment is refused: the first may be live (retry or cancel it first)
    with pytest.raises(Conflict):
        services.shipment_create(order=order, account=ghn_account, actor=staff)
    # but one the carrier refused does not block
    Shipment.objects.filter(pk=shipment.pk).update(create_outcome="refused")
    assert services.shipment_create(order=order, account=ghn_account, actor=staff)


def test_a_cancel_run_twice_after_the_carrier_did_it_still_ends_cancelled(
    ghn_account, ghn, packed_order, staff, committed
):
    # Given a requested cancel its worker carried out at GHN, then died before recording it
    order = packed_order()
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account, actor=staff)
    shipment.refresh_from_db()
    services.adapter_for(ghn_account).cancel(shipment.tracking_code)
    Shipment.objects.filter(pk=shipment.pk).update(cancel_requested_at=timezone.now())

    # When the task runs again
    with committed():
        assert services.shipment_cancel_resolve(shipment_id=shipment.pk) == "done"

    # Then GHN's refusal ("already cancelled") is checked by our reference: cancelled here too
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.status, shipment.cancel_requested_at) == ("cancelled", None)
    assert order.sub_state == SubState.PACKING
