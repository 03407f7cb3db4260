"""The contract every carrier adapter passes against its emulator (DESIGN.md section 5)."""

import pytest

from donhang.core.integrations import PermanentError, RetryableError, Unsupported
from donhang.shipping import services
from donhang.shipping.carriers.ports import ShipmentStatus
from donhang.shipping.models import Shipment
from emulators.ghn.model import ALL_STATUSES as GHN_STATUSES
from emulators.viettelpost.model import STATUS_NAMES as VTP_STATUSES

pytestmark = pytest.mark.django_db


def request_for(order, account, reference=None):
    adapter = services.adapter_for(account)
    draft = services.shipment_draft(order)
    shipment = Shipment(
        order=order,
        account=account,
        reference=reference or f"{order.code}-1",
        weight_g=draft.weight_g,
        length_cm=draft.length_cm,
        width_cm=draft.width_cm,
        height_cm=draft.height_cm,
        cod_amount=draft.cod_amount,
        goods_value=draft.goods_value,
        fee_payer=draft.fee_payer,
    )
    return adapter, services._build_request(shipment, adapter)


def test_every_carrier_status_maps_to_exactly_one_of_ours(carrier):
    account, _emulator = carrier
    adapter = services.adapter_for(account)
    statuses = GHN_STATUSES if account.provider == "ghn" else VTP_STATUSES

    mapped = {str(code): adapter.map_status(str(code)) for code in statuses}

    assert all(isinstance(s, ShipmentStatus) for s in mapped.values())
    with pytest.raises(PermanentError):
        adapter.map_status("no-such-status")


def test_quote_lists_services_with_a_fee(carrier, packed_order):
    account, _emulator = carrier
    adapter, req = request_for(packed_order(), account)

    quotes = adapter.quote(req)

    assert quotes and all(q.fee > 0 and q.service_code for q in quotes)


def test_create_is_idempotent_by_our_reference(carrier, packed_order):
    account, _emulator = carrier
    adapter, req = request_for(packed_order(), account)

    first = adapter.create(req)
    again = adapter.create(req)

    assert first.tracking_code and again.tracking_code == first.tracking_code


def test_find_by_reference_matches_the_capability_flag(carrier, packed_order):
    account, _emulator = carrier
    adapter, req = request_for(packed_order(), account)
    created = adapter.create(req)

    if adapter.capabilities.find_by_reference:
        assert adapter.find_by_reference(req.reference).tracking_code == created.tracking_code
        assert adapter.find_by_reference("NO-SUCH-REF") is None
    else:
        with pytest.raises(Unsupported):
            adapter.find_by_reference(req.reference)


def test_unknown_ids_raise_permanent_errors(carrier):
    account, _emulator = carrier
    adapter = services.adapter_for(account)

    with pytest.raises(PermanentError):
        adapter.cancel("NO-SUCH-CODE")
    if adapter.capabilities.track:
        with pytest.raises(PermanentError):
            adapter.track("NO-SUCH-CODE")
    else:
        with pytest.raises(Unsupported):
            adapter.track("NO-SUCH-CODE")


def test_invalid_data_is_a_permanent_error(carrier, packed_order):
    account, _emulator = carrier
    adapter, req = request_for(packed_order(), account)
    req.weight_g = 0
    req.receiver.phone = ""

    with pytest.raises(PermanentError):
        adapter.create(req)


@pytest.mark.parametrize("fault", ["http_500", "rate_limit", "timeout_before", "timeout_after"])
def test_server_errors_and_timeouts_are_retryable(carrier, packed_order, fault):
    account, emulator = carrier
    adapter, req = request_for(packed_order(), account)
    adapter.quote(req)  # log in (Viettel Post) before faults start
    path = "createOrder" if account.provider == "viettelpost" else "shipping-order/create"
    {
        "http_500": lambda: emulator.faults.fail_next(1, 500, paths=[path]),
        "rate_limit": lambda: emulator.faults.rate_limit_next(1, paths=[path]),
        "timeout_before": lambda: emulator.faults.timeout_next(1, paths=[path]),
        "timeout_after": lambda: emulator.faults.timeout_next(1, after=True, paths=[path]),
    }[fault]()

    with pytest.raises(RetryableError):
        adapter.create(req)
    # The retry finds (or re-creates idempotently) one parcel, never two.
    created = adapter.create(req)
    assert adapter.create(req).tracking_code == created.tracking_code


def test_cancel_before_pickup_and_refused_after(carrier, packed_order):
    account, emulator = carrier
    adapter, req = request_for(packed_order(), account)
    first = adapter.create(req)
    adapter.cancel(first.tracking_code)

    _adapter, req2 = request_for(packed_order(), account, reference="REF-2")
    second = adapter.create(req2)
    picked = "picked" if account.provider == "ghn" else 105
    emulator.advance(second.tracking_code, picked)
    with pytest.raises(PermanentError):
        adapter.cancel(second.tracking_code)


def test_label_is_a_pdf(carrier, packed_order):
    account, _emulator = carrier
    adapter, req = request_for(packed_order(), account)
    created = adapter.create(req)

    label = adapter.label([created.tracking_code])

    assert label.content_type == "application/pdf"
    assert label.content.startswith(b"%PDF")


def test_a_tampered_webhook_secret_is_refused_with_401(carrier, client):
    account, _emulator = carrier
    body = (
        b'{"OrderCode": "X", "Status": "delivered", "Type": "switch_status", "Time": "2026-11-27T10:00:00Z"}'
        if account.provider == "ghn"
        else b'{"DATA": {"ORDER_NUMBER": "X", "ORDER_STATUS": 501}, "TOKEN": "wrong"}'
    )

    response = client.post(
        f"/shipping/webhooks/{account.provider}/",
        body,
        content_type="application/json",
        headers={"X-Webhook-Secret": "wrong"},
    )

    assert response.status_code == 401


def test_webhooks_parse_to_our_statuses(carrier, packed_order, deliver, committed):
    account, emulator = carrier
    with committed():
        shipment = services.shipment_create(order=packed_order(), account=account)
    shipment.refresh_from_db()

    with committed():
        emulator.advance(shipment.tracking_code)
        emulator.pump(flush=True)

    shipment.refresh_from_db()
    assert deliver.sent >= 1
    assert shipment.events.filter(source="webhook").exists()
