"""Shipping end to end against the emulators: quote, create, label, tracking, COD payout."""

import io
import json
import subprocess
import tempfile

import pytest
from django.utils import timezone
from openpyxl import Workbook

from donhang.inventory.models import StockLevel
from donhang.orders.models import Status, SubState
from donhang.shipping import selectors, services
from donhang.shipping.carriers.ports import ShipmentStatus, WebhookEvent
from donhang.shipping.models import Shipment

pytestmark = pytest.mark.django_db


def statement(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã vận đơn", "Tiền thu hộ", "Phí"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("provider", ["ghn", "viettelpost"])
def test_order_to_cash(request, provider, packed_order, staff, committed, warehouse):
    account = request.getfixturevalue("ghn_account" if provider == "ghn" else "vtp_account")
    emulator = request.getfixturevalue("ghn" if provider == "ghn" else "vtp")
    # Given a packed COD order: 2 × 165,000 and 30,000 shipping paid by the buyer
    order = packed_order(quantity=2, price=165_000, fee=30_000)
    assert (order.status, order.sub_state) == (Status.PROCESSING, SubState.PACKING)

    # When staff compare quotes and create the shipment
    quotes = services.shipment_quotes(order=order)
    ours = next(q for q in quotes if q.account == account)
    assert ours.quotes and not ours.error
    assert services.shipment_draft(order).cod_amount == 360_000  # goods + fee: the buyer pays it
    with committed():
        shipment = services.shipment_create(
            order=order, account=account, service_code=ours.quotes[0].service_code, actor=staff
        )
    shipment.refresh_from_db()
    order.refresh_from_db()

    # Then it has a tracking number, COD 360,000, and the order is ready to ship
    assert shipment.tracking_code and shipment.cod_amount == 360_000
    assert order.sub_state == SubState.READY_TO_SHIP
    label = services.adapter_for(account).label([shipment.tracking_code])
    assert label.content.startswith(b"%PDF")

    # When the carrier picks it up and delivers it (its webhooks come back to us)
    with committed():
        for _ in range(12):
            emulator.tick(3600)
            emulator.pump(flush=True)
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.status == "delivered"
    assert (order.status, order.sub_state) == (Status.SHIPPING, SubState.DELIVERED)
    level = StockLevel.objects.get(warehouse=warehouse, variant=order.lines.get().variant)
    assert (level.on_hand, level.reserved) == (98, 0)  # deducted when the carrier took it
    assert selectors.cod_outstanding_total() == 360_000

    # When the carrier's payout statement is imported
    rows = services.cod_payout_rows_from_file(
        filename="doi-soat.xlsx",
        content=statement([(shipment.tracking_code, 360_000, shipment.fee)]),
    )
    payout = services.cod_payout_record(
        account=account, paid_at=order.created_at.date(), lines=rows, actor=staff
    )

    # Then the order is completed and no COD is outstanding
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert selectors.cod_outstanding_total() == 0
    assert [ln.problem for ln in payout.lines.all()] == [""]


def test_payout_differences_are_flagged(ghn_account, ghn, packed_order, staff, committed):
    order = packed_order()
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account)
    shipment.refresh_from_db()
    with committed():
        ghn.advance(shipment.tracking_code, "delivered")
        ghn.pump(flush=True)

    payout = services.cod_payout_record(
        account=ghn_account,
        paid_at=order.created_at.date(),
        actor=staff,
        lines=[
            services.PayoutLineInput(shipment.tracking_code, 350_000, 99_000),
            services.PayoutLineInput("UNKNOWN1", 10_000),
        ],
    )

    known, unknown = payout.lines.all()
    assert known.cod_difference == -10_000 and "COD" in known.problem
    assert unknown.shipment is None and unknown.problem


def test_bulk_create_with_a_flaky_carrier_makes_each_shipment_once(
    ghn_account, ghn, packed_order, staff, committed
):
    # Given 50 packed orders and a carrier failing 30 % of its calls (errors and lost answers)
    orders = [packed_order(quantity=1) for _ in range(50)]
    ghn.faults.fail_rate(0.2, paths=["shipping-order"])
    ghn.faults.timeout_rate(0.1, after=True, paths=["shipping-order/create"])

    # When they are all sent (each retried with backoff by its task)
    with committed():
        for order in orders:
            services.shipment_create(order=order, account=ghn_account, actor=staff)
    failed = list(Shipment.objects.filter(tracking_code=""))
    # Those that ran out of attempts are reported with the reason, and can be sent again
    assert all(s.last_error for s in failed)
    ghn.faults.clear()
    with committed():
        for shipment in failed:
            services.shipment_retry(shipment=shipment, actor=staff)

    # Then there are 50 shipments, one per order, and the carrier has exactly 50 parcels
    assert Shipment.objects.count() == 50
    assert Shipment.objects.exclude(tracking_code="").count() == 50
    assert len(set(Shipment.objects.values_list("tracking_code", flat=True))) == 50
    assert len(ghn.orders) == 50
    from donhang.core.models import IntegrationCall

    assert IntegrationCall.objects.filter(operation="create", ok=False).exists()


def test_replayed_and_late_webhooks_leave_one_delivered_shipment(
    ghn_account, ghn, packed_order, committed, deliver
):
    order = packed_order()
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account)
    shipment.refresh_from_db()
    ghn.webhooks.duplicate = True
    ghn.webhooks.out_of_order = True

    with committed():
        for status in ["picking", "picked", "delivering", "delivered"]:
            ghn.advance(shipment.tracking_code, status)
        ghn.pump(flush=True)
    delivered = next(c for c in deliver.calls if b'"Status": "delivered"' in c[3])
    # A "delivering" callback GHN re-sends late, stamped before the delivery
    late = json.loads(next(c for c in deliver.calls if b'"Status": "delivering"' in c[3])[3])
    late["Time"] = "2026-01-01T00:00:00.000Z"
    older = (delivered[0], delivered[1], delivered[2], json.dumps(late).encode())

    # When the "delivered" callback is replayed 5 times and an older status arrives late
    with committed():
        for _ in range(5):
            assert deliver(*delivered) == 200
        assert deliver(*older) == 200

    shipment.refresh_from_db()
    order.refresh_from_db()
    assert Shipment.objects.filter(order=order).count() == 1
    assert shipment.status == "delivered"
    assert order.sub_state == SubState.DELIVERED
    assert shipment.events.filter(status="delivering", applied=False).exists()
    from donhang.shipping.models import WebhookDelivery

    assert WebhookDelivery.objects.filter(is_duplicate=True).count() >= 5


def test_public_tracking_shows_only_the_matching_order(
    ghn_account, ghn, packed_order, client, committed
):
    order = packed_order(phone="0903111222")
    other = packed_order(phone="0903999888")
    with committed():
        services.shipment_create(order=order, account=ghn_account)

    found = client.get("/shipping/track/", {"code": order.code, "phone": "0903 111 222"})
    wrong = client.get("/shipping/track/", {"code": other.code, "phone": "0903 111 222"})

    assert order.code in found.text and "Trần Thị Bích Ngọc" not in found.text
    assert (
        other.code not in wrong.text.split('name="code"')[0]
        or "No order" in wrong.text
        or "Không" in wrong.text
    )


def _pdftotext(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        return subprocess.run(
            ["pdftotext", f.name, "-"], capture_output=True, text=True, check=True
        ).stdout


def test_the_buyer_is_emailed_and_late_shipments_are_flagged(
    ghn_account, ghn, packed_order, committed, mailoutbox
):
    from datetime import timedelta

    from django.utils import timezone

    order = packed_order()
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account)
    shipment.refresh_from_db()

    assert [m.to for m in mailoutbox] == [["ngoc@example.vn"]]
    assert shipment.tracking_code in mailoutbox[0].body
    assert shipment not in selectors.shipments_late()

    Shipment.objects.filter(pk=shipment.pk).update(
        expected_delivery_at=timezone.now() - timedelta(hours=1)
    )
    shipment.refresh_from_db()
    assert shipment.is_late
    assert list(selectors.shipments_late()) == [shipment]


def test_a_failed_delivery_can_be_redelivered_and_the_order_follows(
    ghn_account, ghn, packed_order, committed, staff
):
    order = packed_order()
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account)
    shipment.refresh_from_db()
    with committed():
        for status in ["picking", "picked", "delivering", "delivery_fail"]:
            ghn.clock.advance(600)  # GHN stamps events to the second; real ones are apart
            ghn.advance(shipment.tracking_code, status)
        ghn.pump(flush=True)
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.status, order.sub_state) == ("delivery_failed", SubState.DELIVERY_FAILED)
    assert shipment in selectors.shipments_needing_action()

    with committed():
        ghn.clock.advance(600)
        services.shipment_redeliver(shipment=shipment, actor=staff)
        ghn.clock.advance(600)
        ghn.advance(shipment.tracking_code, "delivering")
        ghn.pump(flush=True)

    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.status == "delivering"
    assert (order.status, order.sub_state) == (Status.SHIPPING, SubState.NONE)


def test_statement_amounts_are_read_as_written_and_odd_cells_are_row_errors():
    from donhang.core.errors import ValidationFailed

    good = b'Ma van don,Tien thu ho,Phi\nA1,360.000,"22,000"\nA2,360000.0,0\n'
    rows = services.cod_payout_rows_from_file(filename="s.csv", content=good)
    assert [(r.tracking_code, r.cod_amount, r.fee) for r in rows] == [
        ("A1", 360_000, 22_000),
        ("A2", 360_000, 0),
    ]

    with pytest.raises(ValidationFailed) as exc:
        services.cod_payout_rows_from_file(
            filename="s.csv", content=b"Ma van don,COD\nA1,150000.5\nA2,inf\n"
        )
    assert set(exc.value.fields) == {"row 2", "row 3"}


def test_a_cancelled_shipment_is_never_revived_by_a_late_answer(
    ghn_account, ghn, packed_order, committed, staff
):
    order = packed_order()
    shipment = services.shipment_create(
        order=order, account=ghn_account, actor=staff
    )  # not sent yet
    services.shipment_cancel(shipment=shipment, actor=staff)

    services.shipment_mark_created(
        shipment=shipment, tracking_code="LATE123", fee=1, expected_delivery_at=None
    )

    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.status, shipment.tracking_code) == ("cancelled", "")
    assert order.sub_state == SubState.PACKING


def test_viettel_post_webhook_secret_is_not_stored(vtp_account, vtp, packed_order, committed):
    from donhang.shipping.models import WebhookDelivery

    with committed():
        shipment = services.shipment_create(order=packed_order(), account=vtp_account)
    shipment.refresh_from_db()
    with committed():
        vtp.advance(shipment.tracking_code)
        vtp.pump(flush=True)

    bodies = list(WebhookDelivery.objects.values_list("body", flat=True))
    assert bodies and all("s3cret-webhook" not in b for b in bodies)
    assert all(d.account_id == vtp_account.pk for d in WebhookDelivery.objects.all())


def test_a_parcel_moved_on_by_the_carrier_before_its_answer_keeps_going(
    ghn_account, ghn, packed_order, staff
):
    """A webhook naming the parcel by our reference alone (no number yet) arrives before the
    create's answer: the answer gives the number; the parcel is not taken for cancelled."""
    order = packed_order()
    shipment = services.shipment_create(order=order, account=ghn_account, actor=staff)  # not sent
    services.shipment_apply_event(
        shipment=shipment,
        event=WebhookEvent(
            tracking_code="",
            reference=shipment.reference,
            carrier_status="picked",
            status=ShipmentStatus.PICKED,
            at=timezone.now(),
        ),
        source="webhook",
    )

    services.shipment_mark_created(
        shipment=shipment, tracking_code="EARLY123", fee=22_000, expected_delivery_at=None
    )

    shipment.refresh_from_db()
    assert (shipment.status, shipment.tracking_code, shipment.fee) == ("picked", "EARLY123", 22_000)
    assert not shipment.events.filter(
        description__startswith="Created at the carrier after"
    ).exists()
