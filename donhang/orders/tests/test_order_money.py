"""Money on the order: discounts, VAT by rate, buyer identity, payments, edits, timeline."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from donhang.accounts.services import user_create
from donhang.core.errors import Conflict, PermissionDenied
from donhang.orders import services
from donhang.orders.models import Order, OrderLine, Payment, Status, SubState
from donhang.orders.tests.conftest import order_payload
from donhang.orders.timeline import event_text

pytestmark = pytest.mark.django_db


def post_order(client, body, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/orders", body, content_type="application/json", headers=headers)


def test_the_vat_example_through_the_api(api_sales, make_variant, hoan_kiem):
    variant = make_variant(sku="BANH", stock=10, price=99_000)
    variant.vat_rate = "8"
    variant.save(update_fields=["vat_rate"])
    body = order_payload(hoan_kiem, shipping_fee=0)
    body["lines"] = [{"sku": "BANH", "quantity": 1, "unit_price": 99_000}] * 3

    created = post_order(api_sales, body)
    assert created.status_code == 201, created.content
    order = api_sales.get(f"/api/v1/orders/{created.json()['code']}").json()

    assert [(ln["gross"], ln["net"], ln["vat"]) for ln in order["lines"]] == [
        (99_000, 91_667, 7_333)
    ] * 3
    assert order["vat_breakdown"] == [
        {"rate": "8", "gross": 297_000, "net": 275_001, "vat": 21_999}
    ]
    row = order["vat_breakdown"][0]
    assert row["net"] == sum(ln["net"] for ln in order["lines"])
    assert row["vat"] == sum(ln["vat"] for ln in order["lines"])
    assert order["total"] == 297_000
    assert order["payment_status"] == "unpaid"
    assert order["paid_total"] == 0


def test_line_and_order_discounts_spread_and_lower_the_vat_base(api_sales, make_variant, hoan_kiem):
    make_variant(sku="A", stock=10, price=150_000)
    make_variant(sku="B", stock=10, price=50_000)
    body = order_payload(hoan_kiem, shipping_fee=30_000)
    body["lines"] = [
        {"sku": "A", "quantity": 2, "discount_percent": "10"},  # 300,000 − 30,000
        {"sku": "B", "quantity": 1, "discount": 5_000},  # 50,000 − 5,000
    ]
    body["order_discount"] = {"amount": 20_000, "funded_by": "seller"}

    response = post_order(api_sales, body)
    assert response.status_code == 201, response.content
    order = response.json()

    a, b = order["lines"]
    assert a["line_discount"] == 30_000 and a["discount_percent"] == "10.00"
    # 20,000 spread over 270,000 and 45,000 in proportion, remainder on the last line
    assert a["order_discount"] == 17_142 and b["order_discount"] == 2_858
    assert a["discount"] == 47_142 and b["discount"] == 7_858
    assert a["gross"] == 252_858 and b["gross"] == 42_142
    for ln in order["lines"]:
        assert ln["net"] + ln["vat"] == ln["gross"]
    assert order["discount_total"] == 55_000
    assert order["total"] == 252_858 + 42_142 + 30_000
    assert order["cod_amount"] == order["total"]
    rows = {r["rate"]: r for r in order["vat_breakdown"]}
    assert rows["10"]["gross"] == 295_000  # goods after every seller discount
    assert rows["8"]["gross"] == 30_000  # the buyer-paid shipping fee, its own rate
    assert sum(r["gross"] for r in order["vat_breakdown"]) == order["total"]


def test_a_platform_voucher_is_owed_by_the_platform_not_taken_off_the_vat_base(
    api_sales, make_variant, hoan_kiem
):
    make_variant(sku="A", stock=10, price=110_000)
    body = order_payload(hoan_kiem, shipping_fee=0)
    body["lines"] = [{"sku": "A", "quantity": 1}]
    body["order_discount"] = {"amount": 10_000, "funded_by": "platform"}

    order = post_order(api_sales, body).json()

    assert order["lines"][0]["gross"] == 110_000
    assert order["lines"][0]["vat"] == 10_000
    assert order["platform_discount"] == 10_000
    assert order["total"] == 110_000
    assert order["buyer_owes"] == 100_000
    assert order["cod_amount"] == 100_000


def test_buyer_identity_with_a_checked_tax_code(api_sales, make_variant, hoan_kiem):
    make_variant(stock=5)
    body = order_payload(hoan_kiem)
    body["buyer"] = {
        "kind": "company",
        "company_name": "Công ty TNHH Ánh Dương",
        "tax_code": "0100109106-001",
        "address": "12 Hàng Bạc, Hoàn Kiếm, Hà Nội",
        "email": "ketoan@anhduong.vn",
        "wants_invoice": True,
    }
    created = post_order(api_sales, body)
    assert created.status_code == 201, created.content
    assert created.json()["buyer"] == {
        "kind": "company",
        "company_name": "Công ty TNHH Ánh Dương",
        "tax_code": "0100109106-001",
        "address": "12 Hàng Bạc, Hoàn Kiếm, Hà Nội",
        "email": "ketoan@anhduong.vn",
        "wants_invoice": True,
    }
    # the customer remembers it as the default of their next order
    again = post_order(api_sales, order_payload(hoan_kiem)).json()
    assert again["buyer"]["tax_code"] == "0100109106-001"

    bad = order_payload(hoan_kiem)
    bad["buyer"] = {"kind": "company", "company_name": "X", "tax_code": "0100109107"}
    refused = post_order(api_sales, bad)
    assert refused.status_code == 422
    assert "buyer.tax_code" in refused.json()["error"]["fields"]

    person = order_payload(hoan_kiem)
    person["customer"]["phone"] = "0911222333"
    person["buyer"] = {"kind": "individual", "tax_code": "001099012345"}  # 12-digit ID
    assert post_order(api_sales, person).status_code == 201


def _delivered_cod_order(place_order, make_variant, owner):
    make_variant(stock=10, price=165_000)
    order = place_order(("AT01", 2), shipping_fee=30_000, confirm=True)
    assert order.cod_amount == 360_000
    services.order_follow_shipment(order=order, shipment_status="ready_to_pick")
    services.order_follow_shipment(order=order, shipment_status="picked")
    services.order_follow_shipment(order=order, shipment_status="delivered")
    return Order.objects.get(pk=order.pk)


def test_a_short_cod_payout_leaves_the_order_delivered_and_partly_paid(
    place_order, make_variant, owner
):
    order = _delivered_cod_order(place_order, make_variant, owner)
    assert (order.status, order.sub_state) == (Status.SHIPPING, SubState.DELIVERED)

    services.order_payment_record(
        order=order, method="cod_payout", amount=200_000, fee=15_000, actor=owner
    )
    order.refresh_from_db()
    assert (order.status, order.sub_state) == (Status.SHIPPING, SubState.DELIVERED)
    assert order.payment_status == "partly_paid"
    assert order.paid_total == 200_000 and order.fees_total == 15_000
    assert order.outstanding == 160_000

    services.order_payment_record(order=order, method="cash", amount=160_000, actor=owner)
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert order.payment_status == "paid"


def test_refunds_never_exceed_what_was_paid_and_move_the_status(place_order, make_variant, owner):
    order = _delivered_cod_order(place_order, make_variant, owner)
    services.order_payment_record(order=order, method="cod_payout", amount=360_000, actor=owner)
    with pytest.raises(Conflict):
        services.order_payment_record(
            order=order, method="bank_transfer", amount=-400_000, actor=owner
        )
    services.order_payment_record(order=order, method="bank_transfer", amount=-60_000, actor=owner)
    order.refresh_from_db()
    assert order.payment_status == "partly_refunded"
    services.order_payment_record(order=order, method="bank_transfer", amount=-300_000, actor=owner)
    order.refresh_from_db()
    assert order.payment_status == "refunded"
    assert Payment.objects.filter(order=order).count() == 3


def test_payments_need_the_payment_permission(place_order, make_variant, db):
    make_variant(stock=5)
    order = place_order(("AT01", 1))
    warehouse_user = user_create(username="kho", password="mat-khau-123", role="warehouse")
    with pytest.raises(PermissionDenied):
        services.order_payment_record(
            order=order, method="cash", amount=1_000, actor=warehouse_user
        )
    assert not Payment.objects.exists()


def test_payment_through_the_api_and_the_page(api_manager, make_variant, place_order, owner):
    make_variant(stock=5)
    order = place_order(("AT01", 1), shipping_fee=0)
    response = api_manager.post(
        f"/api/v1/orders/{order.code}/payments",
        {"method": "bank_transfer", "amount": 50_000, "reference": "FT123"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["payment_status"] == "partly_paid"
    assert response.json()["payments"][0]["reference"] == "FT123"

    client = Client()
    client.force_login(owner)
    page = client.post(
        reverse("orders:order_payment_add", args=[order.code]),
        {"method": "cash", "amount": "100000"},
    )
    assert page.status_code == 302
    order.refresh_from_db()
    assert order.payment_status == "paid"
    detail = client.get(reverse("orders:order_detail", args=[order.code])).content.decode()
    assert 'data-payment-status="paid"' in detail
    assert 'id="vat-breakdown"' in detail


def test_edits_after_confirmation_are_revisions_and_send_a_packed_order_back(
    place_order, make_variant, owner, hoan_kiem
):
    make_variant(stock=10, price=100_000)
    order = place_order(("AT01", 1), shipping_fee=20_000, confirm=True)
    services.order_mark_packed(order=order, actor=owner)

    services.order_update(
        order=order,
        shipping_fee=30_000,
        address=services.AddressInput(line="99 Hàng Đào", ward=hoan_kiem.code),
        actor=owner,
    )
    order.refresh_from_db()
    assert order.shipping_fee == 30_000 and order.total == 130_000
    assert order.sub_state == SubState.PACKING  # the label of the packed parcel is wrong now
    revision = order.events.filter(code="order_edited").get()
    assert revision.params["changes"]["shipping_fee"] == [20_000, 30_000]
    assert revision.params["changes"]["total"] == [120_000, 130_000]
    assert "99 Hàng Đào" in revision.params["changes"]["address"][1]
    with translation.override("en"):
        assert "Shipping fee: 20.000 ₫ → 30.000 ₫" in event_text(revision.code, revision.params)


def test_kept_lines_keep_their_price_and_a_smaller_quantity_frees_stock_for_waiting_orders(
    place_order, make_variant, owner
):
    variant = make_variant(stock=3, price=100_000)
    first = place_order(("AT01", 3))
    waiting = place_order(("AT01", 2), phone="0911111111")
    assert waiting.sub_state == SubState.AWAITING_STOCK
    variant.sale_price = 120_000
    variant.save(update_fields=["sale_price"])

    services.order_update_lines(
        order=first, lines=[services.LineInput(sku="AT01", quantity=1)], actor=owner
    )

    line = OrderLine.objects.get(order=first)
    assert line.unit_price == 100_000  # the price the customer was given
    assert line.quantity == 1 and line.reserved_quantity == 1
    waiting.refresh_from_db()
    assert waiting.sub_state == SubState.NONE  # both freed units went to the waiting order
    assert OrderLine.objects.get(order=waiting).reserved_quantity == 2


def test_money_is_frozen_once_an_invoice_is_issued(place_order, make_variant, owner):
    make_variant(stock=10)
    order = place_order(("AT01", 1))
    Order.objects.filter(pk=order.pk).update(money_locked_at="2026-11-29T10:00:00Z")
    with pytest.raises(Exception) as refused:
        services.order_update(order=order, shipping_fee=1, actor=owner)
    assert refused.value.code == "money_locked"
    with pytest.raises(Exception) as refused_lines:
        services.order_update_lines(
            order=order, lines=[services.LineInput(sku="AT01", quantity=2)], actor=owner
        )
    assert refused_lines.value.code == "money_locked"


def test_a_timeline_written_in_vietnamese_reads_in_english(make_variant, place_order, owner):
    make_variant(stock=10)
    with translation.override("vi"):
        order = place_order(("AT01", 1), confirm=True, actor=owner)
    with translation.override("en"):
        texts = [event_text(e.code, e.params) for e in order.events.all()]
    assert texts[0].startswith("Order received from Phone")
    assert "Confirmed" in texts
    with translation.override("vi"):
        texts_vi = [event_text(e.code, e.params) for e in order.events.all()]
    assert texts_vi[0] != texts[0]
