"""Issue 9: the COD of an order's parcels adds up to what the order still owes. Less needs the
manager's role and a reason (kept on the parcels and the order's timeline); reconciliation
compares payouts with what the order owes, and an order short of COD never completes."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from donhang.accounts.services import api_key_create, user_create
from donhang.core.errors import PermissionDenied, ValidationFailed
from donhang.orders import services as orders
from donhang.orders.models import OrderEvent, PaymentRecordMethod, Status, SubState
from donhang.orders.timeline import event_text
from donhang.shipping import selectors, services
from donhang.shipping.models import Shipment

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    return {
        role: user_create(username=f"cod-{role}", password="mat-khau-dai-2026", role=role)
        for role in ("warehouse", "manager", "accountant", "sales")
    }


def _deliver(emulator, shipment, committed):
    with committed():
        emulator.advance(shipment.tracking_code, "delivered")
        emulator.pump(flush=True)
    shipment.refresh_from_db()
    assert shipment.status == "delivered"


def test_warehouse_cannot_zero_the_cod_a_manager_can_with_a_reason_and_it_stays_flagged(
    ghn_account, ghn, packed_order, people, committed
):
    # Given a packed COD order that owes 360,000 (2 × 165,000 + 30,000 shipping)
    order = packed_order()
    assert services.shipment_draft(order).cod_amount == 360_000

    # When the warehouse role sets COD 0, with or without a reason: refused, nothing sent
    for with_reason in ({}, {"cod_reason": "Khách đã chuyển khoản"}):
        with pytest.raises(PermissionDenied) as refused:
            services.shipment_create_parcels(
                order=order,
                account=ghn_account,
                cod_amount=0,
                actor=people["warehouse"],
                **with_reason,
            )
        assert "cod_amount" in refused.value.fields
    # ...and through the page: the form says why
    page = Client()
    page.force_login(people["warehouse"])
    response = page.post(
        reverse("shipping:shipment_create", args=[order.code]),
        {
            "choice": f"{ghn_account.pk}:2",
            "cod_amount": "0",
            "weight_g": "500",
            "length_cm": "10",
            "width_cm": "10",
            "height_cm": "10",
            "fee_payer": "buyer",
            "inspection": "view",
        },
    )
    assert response.status_code == 422
    assert not Shipment.objects.filter(order=order).exists()

    # A manager needs a reason
    with pytest.raises(ValidationFailed) as no_reason:
        services.shipment_create_parcels(
            order=order, account=ghn_account, cod_amount=0, actor=people["manager"]
        )
    assert "cod_reason" in no_reason.value.fields

    # With one, the parcel collects nothing; the reason is on the parcel and the timeline
    with committed():
        (shipment,) = services.shipment_create_parcels(
            order=order,
            account=ghn_account,
            cod_amount=0,
            cod_reason="Khách đã chuyển khoản, chờ đối soát ngân hàng",
            actor=people["manager"],
        )
    shipment.refresh_from_db()
    assert shipment.cod_amount == 0 and shipment.tracking_code
    assert shipment.cod_short_reason == "Khách đã chuyển khoản, chờ đối soát ngân hàng"
    event = OrderEvent.objects.get(order=order, code="cod_reduced")
    assert event.params == {"cod": 0, "owed": 360_000, "carrier": "ghn"}
    assert event.message == shipment.cod_short_reason and event.actor == people["manager"]
    assert "360.000" in event_text(event.code, event.params)

    # When it is delivered, the order waits for its money, and needs action
    _deliver(ghn, shipment, committed)
    order.refresh_from_db()
    assert (order.status, order.sub_state) == (Status.SHIPPING, SubState.DELIVERED)
    assert shipment in selectors.shipments_needing_action()
    assert [s.pk for s in selectors.shipments_cod_short()] == [shipment.pk]

    # The carrier pays out what the parcel collected (0): the payout is flagged short
    payout = services.cod_payout_record(
        account=ghn_account,
        paid_at=order.created_at.date(),
        lines=[services.PayoutLineInput(shipment.tracking_code, 0, shipment.fee)],
        actor=people["accountant"],
    )
    (line,) = payout.lines.all()
    assert line.cod_difference == -360_000 and "COD" in line.problem
    order.refresh_from_db()
    assert order.status == Status.SHIPPING and order.sub_state == SubState.DELIVERED
    assert order.paid_total == 0

    # The COD page lists it, and so do the shipments that need action
    accountant = Client()
    accountant.force_login(people["accountant"])
    overview = accountant.get(reverse("shipping:cod")).text
    assert 'id="cod-short"' in overview and f'data-order="{order.code}"' in overview
    manager = Client()
    manager.force_login(people["manager"])
    listing = manager.get(reverse("shipping:shipment_list"), {"tab": "action"}).text
    assert 'data-cod-short="360000"' in listing

    # Only once the buyer's money arrives does the order complete, and the flag go
    orders.order_payment_record(
        order=order,
        method=PaymentRecordMethod.BANK_TRANSFER,
        amount=360_000,
        actor=people["accountant"],
    )
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert shipment not in selectors.shipments_needing_action()


def test_a_parcel_never_collects_more_than_the_order_owes(ghn_account, ghn, packed_order, people):
    order = packed_order()
    with pytest.raises(ValidationFailed) as refused:
        services.shipment_create_parcels(
            order=order, account=ghn_account, cod_amount=360_001, actor=people["manager"]
        )
    assert "cod_amount" in refused.value.fields
    prepaid = packed_order(payment="bank_transfer")
    assert services.shipment_draft(prepaid).cod_amount == 0
    with pytest.raises(ValidationFailed):
        services.shipment_create_parcels(
            order=prepaid, account=ghn_account, cod_amount=100_000, actor=people["manager"]
        )


def test_what_was_paid_already_lowers_the_cod_without_a_reason(
    ghn_account, ghn, packed_order, people, committed
):
    # A deposit of 100,000 by bank transfer: the parcel collects the other 260,000
    order = packed_order()
    orders.order_payment_record(
        order=order,
        method=PaymentRecordMethod.BANK_TRANSFER,
        amount=100_000,
        actor=people["accountant"],
    )
    order.refresh_from_db()
    assert services.order_cod_owed(order) == 260_000
    with committed():
        shipment = services.shipment_create(
            order=order, account=ghn_account, actor=people["warehouse"]
        )
    shipment.refresh_from_db()
    assert shipment.cod_amount == 260_000 and not shipment.cod_short_reason

    # The carrier pays 260,000: nothing to flag, the order completes
    _deliver(ghn, shipment, committed)
    payout = services.cod_payout_record(
        account=ghn_account,
        paid_at=order.created_at.date(),
        lines=[services.PayoutLineInput(shipment.tracking_code, 260_000)],
        actor=people["accountant"],
    )
    assert [ln.problem for ln in payout.lines.all()] == [""]
    order.refresh_from_db()
    assert order.status == Status.COMPLETED


def test_a_short_payout_is_flagged_against_the_order_not_the_parcel(
    ghn_account, ghn, packed_order, people, committed
):
    # The parcel was sent with the full COD, but the carrier's statement pays less
    order = packed_order()
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account)
    shipment.refresh_from_db()
    _deliver(ghn, shipment, committed)

    payout = services.cod_payout_record(
        account=ghn_account,
        paid_at=order.created_at.date(),
        lines=[services.PayoutLineInput(shipment.tracking_code, 300_000)],
        actor=people["accountant"],
    )

    (line,) = payout.lines.all()
    assert line.cod_difference == -60_000 and "60.000" in line.problem
    order.refresh_from_db()
    assert (order.status, order.sub_state, order.paid_total) == (
        Status.SHIPPING,
        SubState.DELIVERED,
        300_000,
    )
    assert shipment in selectors.shipments_needing_action()
    assert [s.cod_missing for s in selectors.shipments_cod_short()] == [60_000]


def test_the_api_refuses_a_lower_cod_from_a_role_without_the_right(
    ghn_account, ghn, packed_order, people
):
    order = packed_order()
    owner = user_create(username="cod-owner", password="mat-khau-dai-2026", role="owner")
    _row, warehouse_key = api_key_create(name="kho", role="warehouse", actor=owner)
    _row, manager_key = api_key_create(name="quan-ly", role="manager", actor=owner)
    url = f"/api/v1/orders/{order.code}/shipments"
    body = {"carrier_account_id": ghn_account.pk, "cod_amount": 0}

    def call(key, payload):
        return Client().post(
            url,
            payload,
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        )

    assert call(warehouse_key, {**body, "cod_reason": "x"}).status_code == 403
    missing = call(manager_key, body)
    assert missing.status_code == 422 and "cod_reason" in missing.json()["error"]["fields"]
    made = call(manager_key, {**body, "cod_reason": "Đã thu tiền mặt tại cửa hàng"})
    assert made.status_code == 202
    assert made.json()["cod_short_reason"] == "Đã thu tiền mặt tại cửa hàng"


def test_a_payout_with_an_impossible_amount_is_refused_not_a_crash(ghn_account, people):
    with pytest.raises(ValidationFailed) as refused:
        services.cod_payout_record(
            account=ghn_account,
            paid_at=timezone.localdate(),
            lines=[services.PayoutLineInput("GABC1234", 10**30, 10**19)],
            actor=people["accountant"],
        )
    assert set(refused.value.fields) == {"lines.1.cod_amount", "lines.1.fee"}
    owner = user_create(username="cod-owner2", password="mat-khau-dai-2026", role="owner")
    _row, key = api_key_create(name="ke-toan", role="accountant", actor=owner)
    answer = Client().post(
        "/api/v1/cod/payouts",
        {
            "carrier_account_id": ghn_account.pk,
            "paid_at": "2030-01-01",
            "lines": [{"tracking_code": "GABC1234", "cod_amount": 10**30}],
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 422
