"""Every step of a return on its pages, by the roles that do it; no inline script anywhere."""

import re
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from donhang.orders.models import Order
from donhang.returns.models import Refund, Return
from donhang.returns.tests.conftest import assert_no_drift, level


def photo():
    buffer = BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile("vo.png", buffer.getvalue(), content_type="image/png")


def no_inline_script(html: str) -> bool:
    scripts = re.findall(r"<script\b([^>]*)>", html)
    handlers = re.findall(r"\son[a-z]+\s*=", html)
    return all("src=" in attrs for attrs in scripts) and not handlers


def test_partial_return_through_the_pages(make_variant, make_order, warehouse, login):
    variant = make_variant(price=100_000, stock=10)
    order = make_order((variant, 3), shipping_fee=30_000)
    line = order.lines.get()
    sales, store, accountant = login("sales"), login("warehouse"), login("accountant")

    # The order page offers "New return"; the form lists what may come back
    order_page = sales.get(f"/orders/{order.code}/").content.decode()
    assert 'id="new-return-link"' in order_page
    form = sales.get(f"/returns/new/{order.code}/")
    assert form.status_code == 200 and no_inline_script(form.content.decode())
    too_many = sales.post(
        f"/returns/new/{order.code}/",
        {
            f"quantity_{line.pk}": 5,
            f"reason_{line.pk}": "",
            "reason": "wrong_size",
            "source": "staff",
        },
    )
    assert too_many.status_code == 422
    nothing = sales.post(
        f"/returns/new/{order.code}/",
        {f"quantity_{line.pk}": 0, "reason": "wrong_size", "source": "staff"},
    )
    assert nothing.status_code == 422 and b"at least one line" in nothing.content
    created = sales.post(
        f"/returns/new/{order.code}/",
        {
            f"quantity_{line.pk}": 2,
            f"reason_{line.pk}": "",
            "reason": "wrong_size",
            "source": "customer",
            "note": "Khách đổi ý",
        },
    )
    assert created.status_code == 302
    goods_return = Return.objects.get()
    assert created.url == f"/returns/{goods_return.pk}/"
    assert goods_return.source == "customer" and goods_return.lines.get().reason == "wrong_size"

    # The warehouse receives and inspects: 1 good, 1 damaged with a note and a photo
    detail = store.get(f"/returns/{goods_return.pk}/").content.decode()
    assert 'id="receive-form"' in detail and no_inline_script(detail)
    assert 'id="refund-form"' not in detail  # no money for the warehouse
    assert (
        store.post(f"/returns/{goods_return.pk}/receive/", {"warehouse": warehouse.pk}).status_code
        == 302
    )
    assert level(variant, warehouse).returned == 2
    return_line = goods_return.lines.get()
    inspected = store.post(
        f"/returns/{goods_return.pk}/inspect/",
        {
            f"good_{return_line.pk}": 1,
            f"damaged_{return_line.pk}": 1,
            f"missing_{return_line.pk}": 0,
            f"warehouse_{return_line.pk}": warehouse.pk,
            f"note_{return_line.pk}": "Rách tay áo",
            f"photo_{return_line.pk}": photo(),
        },
    )
    assert inspected.status_code == 302
    assert level(variant, warehouse).on_hand == 8 and level(variant, warehouse).returned == 0
    page = store.get(f"/returns/{goods_return.pk}/").content.decode()
    assert "Rách tay áo" in page and 'class="damage-photo"' in page
    shown = store.get(f"/returns/photos/{return_line.pk}/")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert login("sales").get(f"/returns/photos/{return_line.pk}/").status_code == 200

    # The order shows "returned (partial)"
    order_page = sales.get(f"/orders/{order.code}/").content.decode()
    assert 'data-return-state="partial"' in order_page and "Returned (partial)" in order_page
    listed = sales.get("/orders/").content.decode()
    assert 'data-return-state="partial"' in listed

    # The refund defaults to what the 2 units were paid
    money = accountant.get(f"/returns/{goods_return.pk}/").content.decode()
    assert 'data-amount="200000"' in money and 'id="refund-form"' in money
    above = accountant.post(
        f"/returns/{goods_return.pk}/refund/", {"method": "cash", "amount": 900_000}, follow=True
    )
    assert "cannot exceed what was paid" in above.content.decode()
    assert not Refund.objects.exists()
    transfer = accountant.post(
        f"/returns/{goods_return.pk}/refund/",
        {"method": "bank_transfer", "bank_bin": "970436", "bank_account": "1023456789"},
    )
    assert transfer.status_code == 302
    refund = Refund.objects.get()
    assert refund.amount == 200_000 and refund.status == "pending"
    with_qr = accountant.get(f"/returns/{goods_return.pk}/").content.decode()
    assert '<div class="refund-qr' in with_qr and "<svg" in with_qr and no_inline_script(with_qr)
    qr_page = accountant.get(f"/returns/{goods_return.pk}/refunds/{refund.pk}/qr/").content.decode()
    assert "1023456789" in qr_page and "HOAN TIEN" in qr_page and "data-print" in qr_page
    paid = accountant.post(
        f"/returns/{goods_return.pk}/refunds/{refund.pk}/paid/", {"reference": "FT26"}
    )
    assert paid.status_code == 302
    refund.refresh_from_db()
    assert refund.status == "refunded"
    assert Order.objects.get(pk=order.pk).payment_status == "partly_refunded"

    # Closing, by staff who may change returns
    assert login("manager").post(f"/returns/{goods_return.pk}/close/").status_code == 302
    goods_return.refresh_from_db()
    assert goods_return.state == "closed"
    assert_no_drift()


def test_exchange_from_the_return_page(make_variant, make_order, warehouse, login):
    shirt_m = make_variant(price=200_000, stock=5)
    shirt_l = make_variant(price=200_000, stock=5, sku="AT-L")
    order = make_order((shirt_m, 1), shipping_fee=0)
    sales = login("sales")
    sales.post(
        f"/returns/new/{order.code}/",
        {f"quantity_{order.lines.get().pk}": 1, "reason": "wrong_size", "source": "staff"},
    )
    goods_return = Return.objects.get()
    response = sales.post(
        f"/returns/{goods_return.pk}/exchange/",
        {"sku_0": "AT-L", "quantity_0": 1, "shipping_fee": 0, "payment_method": "cod"},
    )
    assert response.status_code == 302
    goods_return.refresh_from_db()
    exchange = goods_return.exchange_order
    assert exchange is not None and level(shirt_l, warehouse).reserved == 1
    page = sales.get(f"/returns/{goods_return.pk}/").content.decode()
    assert f'id="exchange-order-link">{exchange.code}' in page
    assert 'id="exchange-to-pay">0' in page.replace("\xa0", " ") or "exchange-to-pay" in page
    exchange_page = sales.get(f"/orders/{exchange.code}/").content.decode()
    assert 'id="exchange-for"' in exchange_page
    assert_no_drift()


def test_list_reports_and_who_sees_what(make_variant, make_order, warehouse, login, users):
    order = make_order()
    manager = login("manager")
    manager.post(
        f"/returns/new/{order.code}/",
        {f"quantity_{order.lines.get().pk}": 2, "reason": "defective", "source": "staff"},
    )
    goods_return = Return.objects.get()
    manager.post(
        f"/returns/{goods_return.pk}/receive/", {"warehouse": warehouse.pk, "at_counter": "on"}
    )
    line = goods_return.lines.get()
    manager.post(
        f"/returns/{goods_return.pk}/inspect/",
        {
            f"good_{line.pk}": 0,
            f"damaged_{line.pk}": 2,
            f"missing_{line.pk}": 0,
            f"warehouse_{line.pk}": warehouse.pk,
            f"note_{line.pk}": "Vỡ nát",
        },
    )
    goods_return.refresh_from_db()
    assert goods_return.state == "inspected"
    assert_no_drift()

    listing = manager.get("/returns/?state=inspected").content.decode()
    assert f'data-return="{goods_return.pk}"' in listing and no_inline_script(listing)
    assert (
        f'data-return="{goods_return.pk}"'
        not in manager.get("/returns/?state=requested").content.decode()
    )
    assert (
        f'data-return="{goods_return.pk}"'
        in manager.get(f"/returns/?q={order.code}").content.decode()
    )

    report = manager.get("/returns/reports/").content.decode()
    assert 'data-reason="defective"' in report and 'id="damaged-value"' in report
    assert "120.000" in report  # 2 damaged at 60,000 cost
    # the warehouse sees the report without costs
    store_report = login("warehouse").get("/returns/reports/").content.decode()
    assert 'data-reason="defective"' in store_report and 'id="damaged-value"' not in store_report

    # navigation and permissions
    assert "/returns/" in login("sales").get("/").content.decode()
    assert login("accountant").get("/returns/").status_code == 200
    assert login("warehouse").get(f"/returns/new/{order.code}/").status_code == 403
    assert login("sales").post(f"/returns/{goods_return.pk}/receive/", {}).status_code == 403
    assert manager.get("/returns/999999/").status_code == 404
